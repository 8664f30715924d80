// Package sentinelone is a fake SentinelOne management console for tests
// and demos. It serves GET /web/api/v2.1/agents over real HTTP with the
// vendor's wire format: ApiToken authentication, cursor paging with
// pagination.nextCursor, and the vendor's {"errors":[...]} bodies. A Go
// API sets agents, flips their values and injects failures. A Server is
// safe for concurrent use.
package sentinelone

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
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
// Its URL, Close, SetToken, Inject and ClearFaults come from fakehttp.
type Server struct {
	fakehttp.Server
	fakehttp.Credential
	core *fakehttp.Core

	agents *records.Set[string, Agent]

	mu               sync.Mutex
	finalCursorEmpty bool
}

// NewServer starts a fake console that accepts the API token token.
func NewServer(token string) *Server {
	s := &Server{agents: newAgents()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AgentsPath, s.serveAgents)
	s.Server, s.core = fakehttp.Start(mux, token)
	s.Credential = s.core.Credential()
	return s
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
func (s *Server) Requests() int { return s.core.Total() }
