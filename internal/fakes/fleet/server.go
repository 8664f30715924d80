// Package fleet is a fake Fleet (fleetdm) server for tests and demos. It
// serves GET /api/v1/fleet/hosts over real HTTP in Fleet's wire format:
// Bearer token authentication, 0-based page/per_page paging with no total,
// policies only with populate_policies=true, and Fleet's
// {"message","errors","uuid"} error bodies. A Go API sets hosts, flips
// policy results and injects failures. A Server is safe for concurrent
// use.
package fleet

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/records"
)

// HostsPath is the path of the hosts listing the fake serves; Fleet's
// alias /api/latest/fleet/hosts is served too.
const HostsPath = "/api/v1/fleet/hosts"

// Host is one Fleet host as the fake reports it.
type Host struct {
	ID             uint   // 0 means the server assigns one
	Hostname       string // empty means "host-<ID>"
	UUID           string // empty means derived from ID
	Platform       string // empty means "darwin"
	OSVersion      string // empty means "macOS 14.5"
	HardwareSerial string // may be empty, as for Linux VMs
	HardwareModel  string
	Status         string    // empty means "online"
	SeenTime       time.Time // zero means when the host was stored
	Policies       []Policy
}

// Policy is a Fleet policy with this host's result.
type Policy struct {
	ID          uint // 0 means derived from the position in Host.Policies
	Name        string
	Description string // "Tailscale: fleetPolicy:{name}" maps it to an attribute
	Query       string // empty means "SELECT 1;"
	Critical    bool
	// Response is "pass", "fail" or "" (the policy has not run yet).
	Response string
}

// Server is a fake Fleet server listening on a loopback port. Its URL,
// Close, SetToken, Inject and ClearFaults come from fakehttp.
type Server struct {
	fakehttp.Server
	fakehttp.Credential
	core *fakehttp.Core

	hosts *records.Set[uint, Host]

	// mu guards encoded; it is held across every change to hosts too, so
	// that encoded never outlives the host it encodes.
	mu      sync.Mutex
	encoded map[uint]*[2][]byte // host JSON without and with policies, built on demand
}

// NewServer starts a fake Fleet server that accepts the API token token.
func NewServer(token string) *Server {
	s := &Server{
		hosts:   newHosts(),
		encoded: make(map[uint]*[2][]byte),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HostsPath, s.serveHosts)
	mux.HandleFunc("GET /api/latest/fleet/hosts", s.serveHosts)
	mux.HandleFunc("/", serveNotFound)
	s.Server, s.core = fakehttp.Start(mux, token)
	s.Credential = s.core.Credential()
	return s
}

// SetHosts replaces every host and returns them as stored, with assigned
// ids.
func (s *Server) SetHosts(hosts []Host) []Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.encoded = make(map[uint]*[2][]byte, len(hosts))
	return s.hosts.Replace(hosts)
}

// PutHost adds h, or replaces the host with h's ID, and returns it as
// stored.
func (s *Server) PutHost(h Host) Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	h = s.hosts.Put(h)
	delete(s.encoded, h.ID)
	return h
}

// newHosts returns an empty host set that assigns the lowest free ids
// counting up and fills defaults the way PutHost documents.
func newHosts() *records.Set[uint, Host] {
	nextID := uint(1)
	return records.New(func(h *Host) *uint { return &h.ID }, func(h *Host, exists func(uint) bool) {
		if h.ID == 0 {
			for exists(nextID) {
				nextID++
			}
			h.ID = nextID
			nextID++
		}
		h.Policies = slices.Clone(h.Policies)
		if h.SeenTime.IsZero() {
			h.SeenTime = time.Now().UTC().Truncate(time.Second)
		}
	})
}

// Update applies change to the host with id and reports whether it
// exists.
func (s *Server) Update(id uint, change func(*Host)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.encoded, id)
	return s.hosts.Update(id, func(h *Host) {
		h.Policies = slices.Clone(h.Policies)
		change(h)
	})
}

// SetPolicyResponse sets the response ("pass", "fail" or "") of the named
// policy on the host with id, and reports whether both exist.
func (s *Server) SetPolicyResponse(id uint, policy, response string) bool {
	found := false
	ok := s.Update(id, func(h *Host) {
		for i := range h.Policies {
			if h.Policies[i].Name == policy {
				h.Policies[i].Response = response
				found = true
			}
		}
	})
	return ok && found
}

// RemoveHost deletes the host with id.
func (s *Server) RemoveHost(id uint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts.Remove(id)
	delete(s.encoded, id)
}

// Requests returns how many requests reached the hosts endpoint, including
// refused and failed ones.
func (s *Server) Requests() int { return s.core.Total() }
