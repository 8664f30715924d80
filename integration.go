package postern

import "time"

// Integration is a configured connection to an MDM/EDR vendor, with the
// field names of Tailscale's posture integration API.
type Integration struct {
	ID            string // e.g. "pcBEPQVMpki7"
	TailnetID     string
	Provider      string // a provider's ID, e.g. "fleet" (internal/providers lists them)
	CloudID       string // vendor host, cloud region, or a full base URL
	ClientID      string
	TenantID      string
	ClientSecret  string // plaintext in memory only; encrypted at rest, never returned by the API
	ConfigUpdated time.Time
	// SyncInterval is how often this integration syncs; zero means the
	// server's default (serve --sync-interval). When set it is within
	// MinSyncInterval and MaxSyncInterval.
	SyncInterval time.Duration
	Status       IntegrationStatus
}

// IntegrationStatus is the outcome of an integration's syncs.
type IntegrationStatus struct {
	LastSync             time.Time     // last complete, successful sync; zero if none
	LastAttempt          time.Time     // last sync started; zero if none
	Error                string        // last attempt's error, "" if it succeeded
	Warning              string        // a successful sync's notice, e.g. competing vendor records
	ProviderHostCount    int           // devices known to the vendor
	MatchedCount         int           // tailnet devices matched with a vendor device
	PossibleMatchedCount int           // tailnet devices with identifiers to match on
	PausedUntil          time.Time     // syncs paused after an auth failure; zero if not
	LastDuration         time.Duration // how long the last attempt took
	// Schema is the attribute schema the vendor declared at the last
	// successful sync, as its provider encodes it; only a custom feed
	// declares one, and "" means none yet.
	Schema string
	// Unmatched is what the last successful sync could not pair; nil
	// until a sync succeeds. A failed sync keeps the previous one.
	Unmatched *MatchReport
}
