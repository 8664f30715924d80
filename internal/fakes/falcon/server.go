// Package falcon is a fake CrowdStrike Falcon API for tests and demos. It
// serves, over real HTTP and in the vendor's wire format, the OAuth2 token
// endpoint (201 with X-Cs-Region), the devices-scroll query (the same
// offset token on every page, then an empty page), device details and
// Zero Trust Assessments (unknown AIDs silently left out), with the
// vendor's error bodies. A Go API sets devices, flips their values,
// revokes tokens and injects failures. A Server is safe for concurrent
// use.
package falcon

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fault"
)

// Device is one host as the fake reports it.
type Device struct {
	AID    string // device_id; empty means the server assigns one
	Serial string // serial_number; empty is left out, as the API does
	MAC    string // mac_address, e.g. "08-00-27-51-56-d8"; empty is left out
	// ConnectionMAC is connection_mac_address, the interface the sensor
	// last connected over; empty means the same as MAC.
	ConnectionMAC string
	Hostname      string // empty means "host-" + the first 8 characters of AID
	Platform      string // platform_name; empty means "Mac"

	LastSeen time.Time // zero means the server's current time

	ZTAScore     int  // assessment.overall, 0-100
	NoAssessment bool // the ZTA endpoint leaves this host out, as for one not yet assessed
}

// DefaultTokenTTL is the lifetime of the tokens the fake issues, as the
// real API's expires_in.
const DefaultTokenTTL = 1799 * time.Second

// Server is a fake Falcon API listening on a loopback port.
type Server struct {
	ts     *httptest.Server
	faults fault.Injector
	cid    string
	bufs   sync.Pool // of *bytes.Buffer, for responses

	mu       sync.Mutex
	clientID string
	secret   string
	region   string
	tokenTTL time.Duration
	tokens   map[string]time.Time // bearer token -> expiry
	devices  map[string]Device
	order    []string // AIDs, sorted; nil when devices changed
	nextID   uint64
	scrolls  map[string]*scroll
	requests map[Endpoint]int
}

// scroll is one devices-scroll session: a snapshot of the AIDs and how
// far the client has read.
type scroll struct {
	aids    []string
	pos     int
	expires time.Time
}

// scrollTTL is how long a scroll's offset token lives after its last use.
const scrollTTL = 2 * time.Minute

// NewServer starts a fake Falcon API that issues tokens to the given API
// client credentials.
func NewServer(clientID, secret string) *Server {
	s := &Server{
		cid:      randomHex(16),
		clientID: clientID,
		secret:   secret,
		region:   "us-1",
		tokenTTL: DefaultTokenTTL,
		tokens:   make(map[string]time.Time),
		devices:  make(map[string]Device),
		scrolls:  make(map[string]*scroll),
		requests: make(map[Endpoint]int),
	}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+string(EndpointToken), s.serveToken)
	mux.HandleFunc("GET "+string(EndpointScroll), s.authed(EndpointScroll, s.serveScroll))
	mux.HandleFunc("POST "+string(EndpointDetails), s.authed(EndpointDetails, s.serveDetails))
	mux.HandleFunc("GET "+string(EndpointZTA), s.authed(EndpointZTA, s.serveZTA))
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

// SetCredentials replaces the accepted client id and secret; token
// requests with others are refused with 403.
func (s *Server) SetCredentials(clientID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientID, s.secret = clientID, secret
}

// SetRegion sets the cloud the token response names in X-Cs-Region;
// the default is "us-1".
func (s *Server) SetRegion(region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.region = region
}

// SetTokenTTL sets the lifetime of tokens issued from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenTTL = d
}

// RevokeTokens invalidates every issued token, so the next API call with
// one fails with 401 "access denied, invalid bearer token".
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// SetDevices replaces every device. It returns the devices as stored,
// with assigned AIDs.
func (s *Server) SetDevices(devices []Device) []Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices = make(map[string]Device, len(devices))
	s.order = nil
	out := make([]Device, len(devices))
	for i, d := range devices {
		out[i] = s.putLocked(d)
	}
	return out
}

// PutDevice adds d, or replaces the device with d's AID, and returns it
// as stored.
func (s *Server) PutDevice(d Device) Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(d)
}

func (s *Server) putLocked(d Device) Device {
	if d.AID == "" {
		// Real AIDs are 32 lowercase hex digits.
		s.nextID++
		d.AID = hex.EncodeToString([]byte("aid-" + s.cid[:4]))[:16] + leftPad16(s.nextID)
	}
	if _, ok := s.devices[d.AID]; !ok {
		s.order = nil
	}
	s.devices[d.AID] = d
	return d
}

// Update applies change to the device with aid, e.g. to flip its ZTA
// score, and reports whether it exists.
func (s *Server) Update(aid string, change func(*Device)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[aid]
	if !ok {
		return false
	}
	change(&d)
	d.AID = aid
	s.devices[aid] = d
	return true
}

// RemoveDevice deletes the device with aid.
func (s *Server) RemoveDevice(aid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.devices[aid]; ok {
		delete(s.devices, aid)
		s.order = nil
	}
}

// Requests returns how many requests reached ep, including refused and
// failed ones.
func (s *Server) Requests(ep Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[ep]
}

func (s *Server) sortedLocked() []string {
	if s.order == nil {
		s.order = make([]string, 0, len(s.devices))
		for aid := range s.devices {
			s.order = append(s.order, aid)
		}
		slices.Sort(s.order)
	}
	return s.order
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func leftPad16(n uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b[:])
}
