// Package kolide is a fake Kolide (1Password Device Trust) API for tests
// and demos. It serves GET /devices over real HTTP in Kolide's wire
// format: Bearer API key authentication, the X-Kolide-Api-Version header
// (optional, as in Kolide's OpenAPI; an unpublished version is refused),
// cursor paging with
// per_page (1-100, default 25) answered in a {"data": [...],
// "pagination": {"next", "next_cursor", "current_cursor", "count"}}
// wrapper whose blank next_cursor ends the listing, and Kolide's
// {"error": "..."} bodies, with Retry-After and RateLimit-* headers on
// 429. A Go API sets devices, flips their values and injects failures. A
// Server is safe for concurrent use.
package kolide

import (
	"net/http"
	"strconv"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/records"
)

// DevicesPath is the path of the device listing the fake serves.
const DevicesPath = "/devices"

// The API versions the fake accepts in X-Kolide-Api-Version: the ones
// Kolide publishes.
const (
	APIVersion2023 = "2023-05-26"
	APIVersion2026 = "2026-04-07"
)

// The auth states Kolide reports for a device.
const (
	Good      = "Good"
	Notified  = "Notified"
	WillBlock = "Will Block"
	Blocked   = "Blocked"
)

// Device is one Kolide device as the fake reports it.
type Device struct {
	ID     string // numeric id; empty means the server assigns one
	Name   string // empty means "Device-<ID>"
	Serial string // empty is sent as null, as for devices without one
	// AuthState is "Good", "Notified", "Will Block" or "Blocked" (or any
	// other string, to test clients); empty is sent as null.
	AuthState string
	// WillBlockAt is when a "Will Block" device is blocked; zero is sent as
	// null.
	WillBlockAt time.Time
	// LastSeenAt is when the agent last checked in; zero means when the
	// device was stored. OmitLastSeen leaves the field out, as older
	// answers do.
	LastSeenAt   time.Time
	OmitLastSeen bool
	// LastAuthenticatedAt is the last authentication; zero is sent as null.
	LastAuthenticatedAt time.Time
	DeviceType          string // "Mac", "Windows", "Linux", "iOS", "Android"; empty means "Mac"
	OperatingSystem     string // empty means "macOS 15.7.3 Sequoia"
	HardwareModel       string // empty means "MacBook Pro (14-inch, 2021)"
}

// Server is a fake Kolide API listening on a loopback port. Its URL,
// Close, SetToken (requests with the old key then fail with 401, as
// after the key is deleted in Kolide's console), Inject and ClearFaults
// come from fakehttp.
type Server struct {
	fakehttp.Server
	fakehttp.Credential
	core *fakehttp.Core

	devices *records.Set[string, Device]
}

// NewServer starts a fake Kolide API that accepts the API key token.
func NewServer(token string) *Server {
	s := &Server{devices: newDevices()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DevicesPath, s.serveDevices)
	mux.HandleFunc("GET "+DevicesPath+"/{$}", s.serveDevices) // Kolide tolerates the trailing slash
	mux.HandleFunc("/", serveNotFound)
	s.Server, s.core = fakehttp.Start(mux, token)
	s.Credential = s.core.Credential()
	return s
}

// SetDevices replaces every device and returns them as stored, with
// assigned ids.
func (s *Server) SetDevices(devices []Device) []Device { return s.devices.Replace(devices) }

// PutDevice adds d, or replaces the device with d's ID, and returns it as
// stored.
func (s *Server) PutDevice(d Device) Device { return s.devices.Put(d) }

// Update applies change to the device with id, e.g. to flip AuthState,
// and reports whether it exists.
func (s *Server) Update(id string, change func(*Device)) bool { return s.devices.Update(id, change) }

// RemoveDevice deletes the device with id.
func (s *Server) RemoveDevice(id string) { s.devices.Remove(id) }

// Requests returns how many requests reached the device listing,
// including refused and failed ones.
func (s *Server) Requests() int { return s.core.Total() }

// newDevices returns an empty device set that assigns numeric ids of one
// width (so that they sort as numbers) and stamps LastSeenAt.
func newDevices() *records.Set[string, Device] {
	next := uint64(1_000_000)
	return records.New(func(d *Device) *string { return &d.ID }, func(d *Device, exists func(string) bool) {
		if d.ID == "" {
			for d.ID == "" || exists(d.ID) {
				d.ID = strconv.FormatUint(next, 10)
				next++
			}
		}
		if d.LastSeenAt.IsZero() {
			d.LastSeenAt = time.Now().UTC()
		}
	})
}
