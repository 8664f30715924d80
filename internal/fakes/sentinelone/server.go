// Package sentinelone is a fake SentinelOne management console for tests
// and demos. It serves GET /web/api/v2.1/agents over real HTTP with the
// vendor's wire format: ApiToken authentication, cursor paging with
// pagination.nextCursor, and the vendor's {"errors":[...]} bodies. A Go
// API sets agents, flips their values and injects failures. A Server is
// safe for concurrent use.
package sentinelone

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// AgentsPath is the path of the agents listing the fake serves.
const AgentsPath = "/web/api/v2.1/agents"

// Agent is one SentinelOne agent as the fake reports it.
type Agent struct {
	ID           string // agent id; empty means the server assigns a numeric one
	UUID         string // empty means derived from ID
	ComputerName string // empty means "host-<ID>"
	SerialNumber string // empty is sent as null, as consoles do for machines without one

	IsActive              bool
	AgentVersion          string // empty means "23.4.2.14"
	ActiveThreats         int
	Infected              bool
	FirewallEnabled       bool
	EncryptedApplications bool
	OperationalState      string // empty means "na", the healthy state

	IsDecommissioned bool
	IsUninstalled    bool
	NetworkStatus    string // empty means "connected"
	OSType           string // empty means "macos"

	LastActiveDate time.Time // zero means the server's current time
	UpdatedAt      time.Time // zero means LastActiveDate
}

// Server is a fake SentinelOne console listening on a loopback port.
type Server struct {
	ts     *httptest.Server
	faults fault.Injector
	bufs   sync.Pool // of *bytes.Buffer, for responses

	agents *records.Set[string, Agent]

	mu               sync.Mutex
	token            string
	requests         int
	finalCursorEmpty bool
}

// NewServer starts a fake console that accepts the API token token.
func NewServer(token string) *Server {
	s := &Server{token: token, agents: newAgents()}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AgentsPath, s.serveAgents)
	s.ts = httptest.NewServer(mux)
	return s
}

// URL is the console's base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server, cutting short any injected delay.
func (s *Server) Close() {
	s.faults.Close()
	s.ts.Close()
}

// SetToken replaces the accepted API token; requests with the old one
// then fail with 401, as after a token rotation.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetAgents replaces every agent. It returns the agents as stored, with
// assigned ids.
func (s *Server) SetAgents(agents []Agent) []Agent { return s.agents.Replace(agents) }

// PutAgent adds a, or replaces the agent with a's ID, and returns it as
// stored.
func (s *Server) PutAgent(a Agent) Agent { return s.agents.Put(a) }

// newAgents returns an empty agent set that assigns numeric ids shaped
// like the console's.
func newAgents() *records.Set[string, Agent] {
	nextID := uint64(1091543256382296290)
	return records.New(func(a *Agent) *string { return &a.ID }, func(a *Agent, _ func(string) bool) {
		if a.ID == "" {
			a.ID = strconv.FormatUint(nextID, 10)
			nextID++
		}
	})
}

// Update applies change to the agent with id, e.g. to flip a value, and
// reports whether it exists.
func (s *Server) Update(id string, change func(*Agent)) bool { return s.agents.Update(id, change) }

// RemoveAgent deletes the agent with id.
func (s *Server) RemoveAgent(id string) { s.agents.Remove(id) }

// SetFinalCursorEmpty makes the last page carry nextCursor "" instead of
// null, a variant clients must also treat as the end.
func (s *Server) SetFinalCursorEmpty(empty bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finalCursorEmpty = empty
}

// Requests returns how many requests reached the agents endpoint,
// including refused and failed ones.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}
