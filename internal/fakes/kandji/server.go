// Package kandji is a fake Kandji (Iru) API for tests and demos. It serves
// two device listings over real HTTP in Kandji's wire format, with Bearer
// token authentication and Django REST framework {"detail": "..."} error
// bodies:
//
//   - GET /api/v1/prism/device_information (PrismPath), Prism's device
//     information: a {"offset", "limit", "total", "data", "cursor"}
//     wrapper, paged by an opaque cursor the response carries while more
//     devices remain (null at the end), or by offset when the request
//     sends none (offset += limit until data is empty); agent_installed
//     may be null.
//   - GET /api/v1/devices (DevicesPath), the device list: limit/offset
//     paging over a bare JSON array that ends with an empty one, "user" as
//     an object or the empty string.
//
// Kandji grants an API token each endpoint separately; Tailscale's setup
// document grants Prism > Device information only. The fake keeps, per
// token, which listings it may read (SetPermissions) and answers 403 on
// the others, as Kandji does. A Go API sets devices, flips their values
// and injects failures. A Server is safe for concurrent use.
package kandji

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// The device listings the fake serves.
const (
	PrismPath   = "/api/v1/prism/device_information" // Prism > Device information
	DevicesPath = "/api/v1/devices"                  // Devices > Device list
)

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
	LastCheckIn    time.Time // zero means when the device was stored; also Prism's last_collected_at
	User           *User     // nil is sent as "", as Kandji does for unassigned devices
	MDMEnabled     bool
	AgentInstalled bool
	// AgentNotReported sends Prism's agent_installed as null, as Prism
	// does for devices whose agent status it has not collected.
	AgentNotReported bool
	AgentVersion     string // empty means "4.5.9 (5160)" when the agent is installed
	IsMissing        bool
	IsRemoved        bool
	Tags             []string
}

// User is the person a device is assigned to.
type User struct {
	Email      string
	Name       string
	ID         string
	IsArchived bool
}

// Server is a fake Kandji API listening on a loopback port. Its URL,
// Close, Inject and ClearFaults come from fakehttp.
type Server struct {
	fakehttp.Server
	core *fakehttp.Core

	devices *records.Set[string, Device]

	mu sync.Mutex
	// tokens maps each accepted API token to the listing paths it may
	// read; a token missing here gets 401, a path missing from its set 403.
	tokens map[string]map[string]bool
	// noCursor makes Prism page by offset only, leaving cursor null.
	noCursor bool
}

// NewServer starts a fake Kandji API that accepts the API token token and
// lets it read both listings.
func NewServer(token string) *Server {
	s := &Server{devices: newDevices()}
	s.tokens = map[string]map[string]bool{token: allPaths()}
	mux := http.NewServeMux()
	for path, serve := range map[string]http.HandlerFunc{PrismPath: s.servePrism, DevicesPath: s.serveDevices} {
		mux.HandleFunc("GET "+path, serve)
		mux.HandleFunc("GET "+path+"/{$}", serve) // tolerate a trailing slash
	}
	mux.HandleFunc("/", serveNotFound)
	s.Server, s.core = fakehttp.Start(mux, "")
	return s
}

// SetToken replaces every accepted API token with token, which may read
// both listings; requests with an old one then fail with 401, as after a
// token is revoked.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]map[string]bool{token: allPaths()}
}

// SetPermissions accepts token, in addition to the tokens already
// accepted, and lets it read exactly the listings paths (PrismPath,
// DevicesPath), replacing what it could read before. A token set up as
// Tailscale's setup document says reads PrismPath only; with no paths,
// the token authenticates but may read nothing.
func (s *Server) SetPermissions(token string, paths ...string) {
	grant := make(map[string]bool, len(paths))
	for _, p := range paths {
		grant[p] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = grant
}

// SetCursorPaging turns Prism's cursor on (the default) or off. Off, the
// response's cursor is always null and clients page by offset, as with a
// Kandji that predates cursors.
func (s *Server) SetCursorPaging(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noCursor = !on
}

func allPaths() map[string]bool { return map[string]bool{PrismPath: true, DevicesPath: true} }

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

// Requests returns how many requests reached either listing, including
// refused and failed ones.
func (s *Server) Requests() int { return s.core.Total() }

// RequestsTo returns how many requests reached the listing at path
// (PrismPath or DevicesPath), including refused and failed ones.
func (s *Server) RequestsTo(path string) int { return s.core.Requests(fault.Endpoint(path)) }
