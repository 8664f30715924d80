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
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fault"
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

// Server is a fake Fleet server listening on a loopback port.
type Server struct {
	ts     *httptest.Server
	faults fault.Injector

	mu       sync.Mutex
	token    string
	hosts    map[uint]Host
	order    []uint // host ids, sorted; nil when the set of hosts changed
	nextID   uint
	encoded  map[uint]*[2][]byte // host JSON without and with policies, built on demand
	requests int
}

// NewServer starts a fake Fleet server that accepts the API token token.
func NewServer(token string) *Server {
	s := &Server{
		token:   token,
		hosts:   make(map[uint]Host),
		encoded: make(map[uint]*[2][]byte),
		nextID:  1,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HostsPath, s.serveHosts)
	mux.HandleFunc("GET /api/latest/fleet/hosts", s.serveHosts)
	mux.HandleFunc("/", serveNotFound)
	s.ts = httptest.NewServer(mux)
	return s
}

// URL is the server's base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server, cutting short any injected delay.
func (s *Server) Close() {
	s.faults.Close()
	s.ts.Close()
}

// SetToken replaces the accepted API token; requests with the old one then
// fail with 401, as after a token rotation.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetHosts replaces every host and returns them as stored, with assigned
// ids.
func (s *Server) SetHosts(hosts []Host) []Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts = make(map[uint]Host, len(hosts))
	s.encoded = make(map[uint]*[2][]byte, len(hosts))
	s.order = nil
	out := make([]Host, len(hosts))
	for i, h := range hosts {
		out[i] = s.putLocked(h)
	}
	return out
}

// PutHost adds h, or replaces the host with h's ID, and returns it as
// stored.
func (s *Server) PutHost(h Host) Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(h)
}

func (s *Server) putLocked(h Host) Host {
	if h.ID == 0 {
		for s.hosts[s.nextID].ID != 0 {
			s.nextID++
		}
		h.ID = s.nextID
		s.nextID++
	}
	h.Policies = slices.Clone(h.Policies)
	if h.SeenTime.IsZero() {
		h.SeenTime = time.Now().UTC().Truncate(time.Second)
	}
	if _, ok := s.hosts[h.ID]; !ok {
		s.order = nil
	}
	s.hosts[h.ID] = h
	delete(s.encoded, h.ID)
	return h
}

// Update applies change to the host with id and reports whether it
// exists.
func (s *Server) Update(id uint, change func(*Host)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hosts[id]
	if !ok {
		return false
	}
	h.Policies = slices.Clone(h.Policies)
	change(&h)
	h.ID = id
	s.hosts[id] = h
	delete(s.encoded, id)
	return true
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
	if _, ok := s.hosts[id]; ok {
		delete(s.hosts, id)
		delete(s.encoded, id)
		s.order = nil
	}
}

// Requests returns how many requests reached the hosts endpoint, including
// refused and failed ones.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// sortedLocked returns the host ids in listing order.
func (s *Server) sortedLocked() []uint {
	if s.order == nil {
		s.order = make([]uint, 0, len(s.hosts))
		for id := range s.hosts {
			s.order = append(s.order, id)
		}
		slices.Sort(s.order)
	}
	return s.order
}
