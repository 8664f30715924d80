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
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/records"
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

// Server is a fake Falcon API listening on a loopback port. Its URL,
// Close, Inject, ClearFaults, SetTokenTTL and RevokeTokens (the next API
// call with a revoked token fails with 401 "access denied, invalid
// bearer token") come from fakehttp.
type Server struct {
	fakehttp.Server
	fakehttp.GrantAdmin
	core   *fakehttp.Core
	grants *fakehttp.Grants
	cid    string

	devices *records.Set[string, Device]

	mu       sync.Mutex
	clientID string
	secret   string
	region   string
	scrolls  map[string]*scroll
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
	cid := randomHex(16)
	s := &Server{
		cid:      cid,
		devices:  newDevices(cid),
		clientID: clientID,
		secret:   secret,
		region:   "us-1",
		grants:   fakehttp.NewGrants(DefaultTokenTTL),
		scrolls:  make(map[string]*scroll),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+string(EndpointToken), s.serveToken)
	mux.HandleFunc("GET "+string(EndpointScroll), s.authed(EndpointScroll, s.serveScroll))
	mux.HandleFunc("POST "+string(EndpointDetails), s.authed(EndpointDetails, s.serveDetails))
	mux.HandleFunc("GET "+string(EndpointZTA), s.authed(EndpointZTA, s.serveZTA))
	s.Server, s.core = fakehttp.Start(mux, "")
	s.GrantAdmin = s.grants.Admin()
	return s
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

// SetDevices replaces every device. It returns the devices as stored,
// with assigned AIDs.
func (s *Server) SetDevices(devices []Device) []Device { return s.devices.Replace(devices) }

// PutDevice adds d, or replaces the device with d's AID, and returns it
// as stored.
func (s *Server) PutDevice(d Device) Device { return s.devices.Put(d) }

// newDevices returns an empty device set that assigns AIDs unique to the
// server with customer id cid.
func newDevices(cid string) *records.Set[string, Device] {
	var nextID uint64
	return records.New(func(d *Device) *string { return &d.AID }, func(d *Device, _ func(string) bool) {
		if d.AID == "" {
			// Real AIDs are 32 lowercase hex digits.
			nextID++
			d.AID = hex.EncodeToString([]byte("aid-" + cid[:4]))[:16] + leftPad16(nextID)
		}
	})
}

// Update applies change to the device with aid, e.g. to flip its ZTA
// score, and reports whether it exists.
func (s *Server) Update(aid string, change func(*Device)) bool { return s.devices.Update(aid, change) }

// RemoveDevice deletes the device with aid.
func (s *Server) RemoveDevice(aid string) { s.devices.Remove(aid) }

// Requests returns how many requests reached ep, including refused and
// failed ones.
func (s *Server) Requests(ep Endpoint) int { return s.core.Requests(ep) }

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
