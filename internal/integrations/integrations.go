// Package integrations defines what a posture integration is to Postern: a
// vendor client that lists every device the vendor knows, with the serial
// numbers and MAC addresses to match it by and the posture attributes it
// implies. One subpackage per vendor implements Source; this package also
// owns what they share: resolving an integration's cloudId into a base URL
// (BaseURL), the HTTP discipline (timeouts, retries, rate limits; Config.Do),
// and the normalisation of serials and MAC addresses and the matching of
// vendor records to tailnet devices (Match).
package integrations

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/postern/postern"
)

// Record is one device as a vendor reports it.
type Record struct {
	VendorID   string    // the vendor's own device id
	Hostname   string    // for display and logs only; never matched on
	Serials    []string  // raw serial numbers as the vendor gives them
	MACs       []string  // raw MAC addresses, any common format (Falcon only)
	LastSeen   time.Time // when the vendor last heard from it; zero if unknown
	Attributes map[string]postern.Value
}

// Source lists a vendor's devices.
type Source interface {
	// Fetch returns every device the vendor reports. It returns records only
	// when it has read every page completely; otherwise it returns an error
	// and no records, so that a partial listing is never taken for the
	// whole. Authentication failures wrap ErrAuth.
	Fetch(ctx context.Context) ([]Record, error)
}

// Declarer is a Source whose vendor declares the attributes it writes
// (the custom feed). After a successful Fetch, Schema returns that
// declaration encoded for storage with the integration's status, for the
// provider's Declared to read back.
type Declarer interface {
	Source
	Schema() string
}

// Config is what every vendor client is built from.
type Config struct {
	// BaseURL is the vendor API's base URL, resolved from the
	// integration's cloudId (see BaseURL).
	BaseURL  string
	ClientID string
	TenantID string
	Secret   string // API token or client secret

	// HTTP sends the requests; nil means a client with DefaultTimeout.
	HTTP *http.Client
	// Logger receives debug logs; nil means discard. Secrets are never logged.
	Logger *slog.Logger
	// Retry bounds retries; the zero value means DefaultRetry.
	Retry RetryPolicy
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrAuth marks an authentication or authorisation failure (401/403, a
// refused token request). The sync engine pauses an integration on it.
var ErrAuth = errors.New("authentication failed")
