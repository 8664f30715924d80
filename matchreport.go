package postern

import "time"

// Bounds of Integration.SyncInterval when it is set.
const (
	MinSyncInterval = time.Minute
	MaxSyncInterval = 24 * time.Hour
)

// MaxUnmatchedListed bounds each list of a MatchReport; the totals count
// every one.
const MaxUnmatchedListed = 100

// MatchReport is what a sync could not pair: the vendor records that
// matched no tailnet device and the tailnet devices no vendor record
// matched, each list at most MaxUnmatchedListed long, with the full
// counts. It answers "why has this device no posture?".
type MatchReport struct {
	Records     []UnmatchedRecord `json:"records"`
	RecordCount int               `json:"recordCount"`
	Devices     []UnmatchedDevice `json:"devices"`
	DeviceCount int               `json:"deviceCount"`
}

// UnmatchedRecord is a vendor record no tailnet device matched.
type UnmatchedRecord struct {
	VendorID string   `json:"vendorId"`
	Hostname string   `json:"hostname,omitempty"`
	Serials  []string `json:"serialNumbers,omitempty"`
	MACs     []string `json:"macAddresses,omitempty"`
}

// UnmatchedDevice is a tailnet device no vendor record matched.
// NoIdentity says it reported no serial number or MAC address to match
// on (Device Identity Collection off, or the client declined).
type UnmatchedDevice struct {
	NodeID     string   `json:"nodeId"`
	Name       string   `json:"name"`
	Serials    []string `json:"serialNumbers,omitempty"`
	NoIdentity bool     `json:"noIdentity,omitempty"`
}
