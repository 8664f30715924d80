// Package kandji is a fake Kandji (Iru) API for tests and demos. It serves
// GET /api/v1/devices over real HTTP in Kandji's wire format: Bearer token
// authentication, limit/offset paging over a bare JSON array that ends
// with an empty one, "user" as an object or the empty string, and
// Django REST framework {"detail": "..."} error bodies. A Go API sets
// devices, flips their values and injects failures. A Server is safe for
// concurrent use.
package kandji

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// DevicesPath is the path of the device listing the fake serves.
const DevicesPath = "/api/v1/devices"

// MaxLimit is Kandji's documented hard upper limit on limit.
const MaxLimit = 300

// Device is one Kandji device as the fake reports it.
type Device struct {
	ID             string    // device_id; empty means the server assigns a UUID
	Name           string    // device_name; empty means "Device <ID>"
	SerialNumber   string    // may be empty
	Platform       string    // "Mac", "iPad", "iPhone" or "AppleTV"; empty means "Mac"
	Model          string    // empty means "MacBook Air (M1, 2020)"
	OSVersion      string    // empty means "14.4.1"
	LastCheckIn    time.Time // zero means when the device was stored
	User           *User     // nil is sent as "", as Kandji does for unassigned devices
	MDMEnabled     bool
	AgentInstalled bool
	AgentVersion   string // empty means "4.5.9 (5160)" when the agent is installed
	IsMissing      bool
	IsRemoved      bool
	Tags           []string
}

// User is the person a device is assigned to.
type User struct {
	Email      string
	Name       string
	ID         string
	IsArchived bool
}

// Server is a fake Kandji API listening on a loopback port.
type Server struct {
	ts     *httptest.Server
	faults fault.Injector

	devices *records.Set[string, Device]

	mu       sync.Mutex
	token    string
	requests int
}

// NewServer starts a fake Kandji API that accepts the API token token.
func NewServer(token string) *Server {
	s := &Server{token: token, devices: newDevices()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DevicesPath, s.serveDevices)
	mux.HandleFunc("GET "+DevicesPath+"/{$}", s.serveDevices) // tolerate a trailing slash
	mux.HandleFunc("/", serveNotFound)
	s.ts = httptest.NewServer(mux)
	return s
}

// URL is the API's base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server, cutting short any injected delay.
func (s *Server) Close() {
	s.faults.Close()
	s.ts.Close()
}

// SetToken replaces the accepted API token; requests with the old one then
// fail with 401, as after a token is revoked.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetDevices replaces every device and returns them as stored, with
// assigned ids.
func (s *Server) SetDevices(devices []Device) []Device { return s.devices.Replace(devices) }

// PutDevice adds d, or replaces the device with d's ID, and returns it as
// stored.
func (s *Server) PutDevice(d Device) Device { return s.devices.Put(d) }

// newDevices returns an empty device set that assigns UUID-shaped ids and
// fills defaults the way PutDevice documents.
func newDevices() *records.Set[string, Device] {
	nextID := uint64(1)
	return records.New(func(d *Device) *string { return &d.ID }, func(d *Device, _ func(string) bool) {
		if d.ID == "" {
			d.ID = fmt.Sprintf("%08x-2b6a-4a77-81f5-cf1633bcfb95", nextID)
			nextID++
		}
		if d.LastCheckIn.IsZero() {
			d.LastCheckIn = time.Now().UTC()
		}
		if d.User != nil {
			u := *d.User
			d.User = &u
		}
		d.Tags = slices.Clone(d.Tags)
	})
}

// Update applies change to the device with id, e.g. to flip MDMEnabled,
// and reports whether it exists.
func (s *Server) Update(id string, change func(*Device)) bool { return s.devices.Update(id, change) }

// RemoveDevice deletes the device with id.
func (s *Server) RemoveDevice(id string) { s.devices.Remove(id) }

// Requests returns how many requests reached the devices endpoint,
// including refused and failed ones.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}
