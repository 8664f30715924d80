// Package huntress is a fake Huntress API for tests and demos. It serves
// GET /v1/agents over real HTTP in Huntress's wire format:
//
//   - HTTP Basic authentication with the account's API key pair
//     (base64(public_key:private_key)); anything else is 401;
//   - page_token paging: limit 1 to 500 (default 10), agents sorted by id,
//     newest first unless sort_direction=asc; each page carries
//     pagination.next_page_token and a next_page_url that, as Huntress's
//     documentation says, holds only the token and the limit (so a client
//     following it loses its organization_id filter); on the last page
//     both keys are left out (SetFinalPagination sends them null or "");
//   - the organization_id filter, answering 404 for an organization the
//     account does not have, as Huntress's docs describe 404;
//   - the agent fields Huntress documents, with defender_status,
//     defender_policy_status and firewall_status in Huntress's display
//     spelling ("Protected", "Non Compliant", "Pending Isolation") and null
//     where a host has no Defender;
//   - optionally, Huntress's sliding-window rate limit (60 requests a
//     minute; SetRateLimit), answered 429 with Retry-After;
//   - Grape's {"error": "..."} bodies for 400, 401, 403, 404, 429 (with
//     Retry-After in seconds) and 500. Huntress documents the statuses
//     but not their bodies; the shape is that of the Grape framework its
//     API is built with, the wording is the fake's own.
//
// A Go API sets agents, flips their values, withdraws API access (403)
// and injects failures. A Server is safe for concurrent use.
package huntress

import (
	"net/http"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// AgentsPath is the path of the agent listing the fake serves.
const AgentsPath = "/v1/agents"

// MaxLimit and DefaultLimit are Huntress's bounds on limit.
const (
	MaxLimit     = 500
	DefaultLimit = 10
)

// DefaultOrganization is the organization an agent without one belongs to.
const DefaultOrganization = 1

// Agent is one Huntress agent as the fake reports it.
type Agent struct {
	ID             int64  // empty (0) means the server assigns one
	OrganizationID int64  // 0 means DefaultOrganization
	Hostname       string // empty means "host-<ID>"
	SerialNumber   string // empty is sent as null
	Platform       string // "windows", "darwin" or "linux"; empty means "windows"
	MACAddresses   []string

	// Defender and firewall status, spelled as Huntress sends them
	// ("Protected", "Non Compliant", "Pending Isolation", ...). Empty is
	// sent as null, as for hosts without Defender (macOS, Linux).
	DefenderStatus       string
	DefenderPolicyStatus string
	DefenderSubstatus    string
	FirewallStatus       string

	LastCallbackAt time.Time // zero means when the agent was stored
	UpdatedAt      time.Time // zero means LastCallbackAt
}

// FinalPagination is how the last page's pagination object ends a listing.
type FinalPagination int

// The ways a last page says there is no next one.
const (
	FinalOmitted FinalPagination = iota // "pagination":{} (Huntress's documented form)
	FinalNull                           // next_page_token and next_page_url null
	FinalEmpty                          // next_page_token and next_page_url ""
)

// Server is a fake Huntress API listening on a loopback port. Its URL
// (Huntress's is https://api.huntress.io), Close, Inject and ClearFaults
// come from fakehttp.
type Server struct {
	fakehttp.Server
	core *fakehttp.Core

	agents *records.Set[int64, Agent]

	mu         sync.Mutex
	publicKey  string
	privateKey string
	noAccess   bool // the account has no API access: 403
	orgs       map[int64]bool
	final      FinalPagination
	queries    []string // raw queries of the agents requests, in order

	// The account's rate limit (SetRateLimit): at most rateN requests in
	// any rateWindow; rateN 0 means none. recent holds the times of the
	// requests inside the window, oldest first.
	rateN      int
	rateWindow time.Duration
	recent     []time.Time
}

// NewServer starts a fake Huntress API that accepts the key pair
// publicKey:privateKey and has one organization, DefaultOrganization.
func NewServer(publicKey, privateKey string) *Server {
	s := &Server{
		publicKey:  publicKey,
		privateKey: privateKey,
		agents:     newAgents(),
		orgs:       map[int64]bool{DefaultOrganization: true},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AgentsPath, s.serveAgents)
	s.Server, s.core = fakehttp.Start(mux, "")
	return s
}

func newAgents() *records.Set[int64, Agent] {
	var nextID int64 = 1001
	return records.New(func(a *Agent) *int64 { return &a.ID }, func(a *Agent, exists func(int64) bool) {
		if a.ID == 0 {
			for exists(nextID) {
				nextID++
			}
			a.ID = nextID
			nextID++
		}
		if a.OrganizationID == 0 {
			a.OrganizationID = DefaultOrganization
		}
		if a.LastCallbackAt.IsZero() {
			a.LastCallbackAt = time.Now().UTC().Truncate(time.Second)
		}
	})
}

// SetKeys replaces the accepted key pair; requests with the old one then
// fail with 401, as after regenerating API credentials.
func (s *Server) SetKeys(publicKey, privateKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publicKey, s.privateKey = publicKey, privateKey
}

// SetAPIAccess grants or withdraws the account's API access; without it
// every request with valid keys is answered 403.
func (s *Server) SetAPIAccess(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noAccess = !ok
}

// AddOrganization makes id an organization of the account, so that the
// organization_id filter accepts it. Storing an agent adds its
// organization too.
func (s *Server) AddOrganization(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgs[id] = true
}

// SetRateLimit makes the fake enforce Huntress's rate limit: at most n
// requests (of any kind, refused ones included) in any sliding window of
// the given length, answering the others 429 with a Retry-After of the
// whole seconds until the oldest request leaves the window. Huntress's
// own limit is 60 a minute; n 0 turns the limit off (the default).
func (s *Server) SetRateLimit(n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateN, s.rateWindow, s.recent = n, window, nil
}

// rateLimitedLocked records a request at now and returns how long the
// client must wait if the request is over the limit, or 0.
func (s *Server) rateLimitedLocked(now time.Time) time.Duration {
	if s.rateN == 0 {
		return 0
	}
	i := 0
	for i < len(s.recent) && now.Sub(s.recent[i]) >= s.rateWindow {
		i++
	}
	s.recent = s.recent[i:]
	if len(s.recent) >= s.rateN {
		return s.recent[0].Add(s.rateWindow).Sub(now)
	}
	s.recent = append(s.recent, now)
	return 0
}

// SetFinalPagination sets how the last page ends the listing.
func (s *Server) SetFinalPagination(f FinalPagination) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.final = f
}

// SetAgents replaces every agent and returns them as stored, with
// assigned ids.
func (s *Server) SetAgents(agents []Agent) []Agent {
	out := s.agents.Replace(agents)
	s.addOrgs(out...)
	return out
}

// PutAgent adds a, or replaces the agent with a's ID, and returns it as
// stored.
func (s *Server) PutAgent(a Agent) Agent {
	a = s.agents.Put(a)
	s.addOrgs(a)
	return a
}

func (s *Server) addOrgs(agents ...Agent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range agents {
		s.orgs[a.OrganizationID] = true
	}
}

// Update applies change to the agent with id, e.g. to flip a status, and
// reports whether it exists.
func (s *Server) Update(id int64, change func(*Agent)) bool { return s.agents.Update(id, change) }

// RemoveAgent deletes the agent with id.
func (s *Server) RemoveAgent(id int64) { s.agents.Remove(id) }

// Requests returns how many requests reached the agents endpoint,
// including refused and failed ones.
func (s *Server) Requests() int { return s.core.Total() }

// Queries returns the query strings of the requests to the agents
// endpoint, in the order they came.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// Fault is a failure the server injects into the agent pages it serves.
// Page n is the request whose first agent is the ((n-1)*limit)th of the
// listing, whether it came by page_token or not. Status answers with
// Huntress's status and a Grape {"error": ...} body: 401, 403, 404, 429
// (with Retry-After in whole seconds, rounded up), 500, ... Truncate
// answers 200 with the page's JSON cut in half. Faults apply only to
// requests with the right keys.
type Fault = fault.Fault
