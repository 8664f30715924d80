// Package jamfpro is a fake Jamf Pro server for tests and demos. It
// serves, over real HTTP and in Jamf Pro's wire format:
//
//   - POST /api/oauth/token (TokenPath, and its newer alias
//     /api/v1/oauth/token): OAuth 2.0 client credentials from a form
//     (client_id, client_secret, grant_type=client_credentials), answered
//     with {"access_token", "scope", "token_type": "Bearer", "expires_in"}
//     or an RFC 6749 error ({"error": "invalid_client"}, 401);
//   - GET /api/v1/computers-inventory (InventoryPath): the computer
//     inventory, paged by a 0-based page and page-size (at most 2000),
//     sorted by sort=id:asc, with only the sections the request names
//     (section=GENERAL&section=HARDWARE&...; the others are null), in a
//     {"totalCount", "results"} envelope.
//
// Errors carry Jamf's {"httpStatus", "errors": [{"code", "description",
// "id", "field"}]} body: 401 INVALID_TOKEN for a missing, unknown or
// expired bearer token, 403 INVALID_PRIVILEGE when the API client's role
// lacks Read Computers (SetReadComputers), 400 INVALID_FIELD for bad
// paging or sections. A Go API sets computers, flips their values,
// revokes tokens and injects failures. A Server is safe for concurrent
// use.
package jamfpro

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// The paths the fake serves.
const (
	TokenPath     = "/api/oauth/token"
	TokenPathV1   = "/api/v1/oauth/token" // the same endpoint under its newer name
	InventoryPath = "/api/v1/computers-inventory"
)

// The endpoints faults are injected into. EndpointToken covers both
// token paths.
const (
	EndpointToken     fault.Endpoint = TokenPath
	EndpointInventory fault.Endpoint = InventoryPath
)

// MaxPageSize is the largest page-size Jamf Pro accepts.
const MaxPageSize = 2000

// DefaultTokenTTL is the lifetime of the access tokens the fake issues
// (an API client's Access Token Lifetime).
const DefaultTokenTTL = 30 * time.Minute

// Computer is one computer as the fake reports it.
type Computer struct {
	ID           int    // the Jamf Pro id; zero means the server assigns the next one
	Name         string // general.name; empty means "Mac-<ID>"
	UDID         string // empty means derived from ID
	SerialNumber string // hardware.serialNumber; may be empty

	RemoteManaged   bool   // general.remoteManagement.managed
	Supervised      bool   // general.supervised
	FirewallEnabled bool   // security.firewallEnabled
	FileVaultStatus string // operatingSystem.fileVault2Status; empty is sent as null
	SIPStatus       string // security.sipStatus; empty is sent as null

	// NoInventory sends the security section's values and
	// operatingSystem.fileVault2Status as null, as Jamf Pro does for a
	// computer enrolled but not yet inventoried.
	NoInventory bool

	LastContact time.Time // general.lastContactTime; zero is sent as null
}

// Server is a fake Jamf Pro server listening on a loopback port. Its
// URL, Close, Inject, ClearFaults, SetTokenTTL and RevokeTokens (as
// disabling and re-enabling the API client does) come from fakehttp.
type Server struct {
	fakehttp.Server
	fakehttp.GrantAdmin
	core   *fakehttp.Core
	grants *fakehttp.Grants

	computers *records.Set[int, Computer]

	mu           sync.Mutex
	clientID     string
	secret       string
	readComputer bool
}

// NewServer starts a fake Jamf Pro server that issues access tokens to
// the API client clientID with secret.
func NewServer(clientID, secret string) *Server {
	s := &Server{
		computers:    newComputers(),
		clientID:     clientID,
		secret:       secret,
		grants:       fakehttp.NewGrants(DefaultTokenTTL),
		readComputer: true,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, s.serveToken)
	mux.HandleFunc("POST "+TokenPathV1, s.serveToken)
	mux.HandleFunc("GET "+InventoryPath, s.serveInventory)
	mux.HandleFunc("/", serveNotFound)
	s.Server, s.core = fakehttp.Start(mux, "")
	s.GrantAdmin = s.grants.Admin()
	return s
}

// SetCredentials replaces the accepted API client; token requests with
// others are refused with 401 invalid_client. Tokens already issued stay
// valid, as in Jamf Pro until they expire.
func (s *Server) SetCredentials(clientID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientID, s.secret = clientID, secret
}

// SetReadComputers grants or withdraws the Read Computers privilege of
// the API client's role; without it the inventory answers 403.
func (s *Server) SetReadComputers(granted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readComputer = granted
}

// SetComputers replaces every computer. It returns the computers as
// stored, with assigned ids.
func (s *Server) SetComputers(cs []Computer) []Computer { return s.computers.Replace(cs) }

// PutComputer adds c, or replaces the computer with c's ID, and returns
// it as stored.
func (s *Server) PutComputer(c Computer) Computer { return s.computers.Put(c) }

// Update applies change to the computer with id, e.g. to flip a value,
// and reports whether it exists.
func (s *Server) Update(id int, change func(*Computer)) bool { return s.computers.Update(id, change) }

// RemoveComputer deletes the computer with id.
func (s *Server) RemoveComputer(id int) { s.computers.Remove(id) }

// Requests returns how many requests reached ep (EndpointToken or
// EndpointInventory), refused and failed ones included.
func (s *Server) Requests(ep fault.Endpoint) int { return s.core.Requests(ep) }

// newComputers returns an empty computer set that numbers computers from
// 1 as Jamf Pro does.
func newComputers() *records.Set[int, Computer] {
	next := 1
	return records.New(func(c *Computer) *int { return &c.ID }, func(c *Computer, exists func(int) bool) {
		if c.ID == 0 {
			for exists(next) {
				next++
			}
			c.ID = next
		}
		next = max(next, c.ID+1)
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func udid(id int) string {
	return "55900BDC-347C-58B1-D249-" + leftPad(strconv.Itoa(id), 12)
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}
