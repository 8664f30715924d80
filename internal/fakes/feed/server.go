// Package feed is a fake custom posture feed for tests and demos: the
// HTTPS endpoint a customer runs for Postern's generic "feed" provider.
// It serves GET /v1/devices in the feed wire format (documented in
// internal/integrations/feed/PROVIDER.md): a declared attribute schema
// repeated on every page, devices with serials, MACs, lastSeen and bare
// attribute names, and an opaque nextCursor that is null on the last
// page. It authenticates with a Bearer token, or with a client
// certificate (mTLS) when started by NewMTLSServer. Errors are
// {"error": "..."} bodies, with Retry-After on 429. A Go API sets the
// schema and devices, flips values and injects failures. A Server is safe
// for concurrent use.
package feed

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// DevicesPath is the path of the device listing.
const DevicesPath = "/v1/devices"

// DefaultPageSize is how many devices a page holds unless SetPageSize
// says otherwise.
const DefaultPageSize = 500

// Attr is one declared attribute: Type is "bool", "number", "string" or
// "version"; Values, for a string, lists the values it takes.
type Attr struct {
	Type   string   `json:"type"`
	Values []string `json:"values,omitempty"`
}

// Device is one device as the feed reports it. Attributes hold bare
// names and JSON values (bool, float64, string, or nil for null).
type Device struct {
	ID         string // empty means the server assigns one
	Serials    []string
	MACs       []string
	LastSeen   time.Time // zero is left out
	Attributes map[string]any
}

// Server is a fake feed listening on a loopback port. Its URL, Close,
// SetToken, Inject and ClearFaults come from fakehttp; the accepted
// token is "" for a server that authenticates by client certificate.
type Server struct {
	fakehttp.Server
	fakehttp.Credential
	core *fakehttp.Core

	devices *records.Set[string, Device]

	mu       sync.Mutex
	schema   map[string]Attr
	pageSize int
	pages    map[int]map[string]Attr // a page's schema, if it differs
}

// NewServer starts a fake feed over plain HTTP on loopback that accepts
// the Bearer token.
func NewServer(token string) *Server {
	s := newServer()
	s.Server, s.core = fakehttp.Start(s.mux(), token)
	s.Credential = s.core.Credential()
	return s
}

// NewMTLSServer starts a fake feed over HTTPS that requires a client
// certificate signed by clientCA and ignores the Authorization header.
// Client returns an HTTP client that trusts its certificate.
func NewMTLSServer(clientCA *x509.CertPool) *Server {
	s := newServer()
	cfg := &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA}
	s.Server, s.core = fakehttp.StartTLS(s.mux(), cfg, "")
	s.Credential = s.core.Credential()
	return s
}

func newServer() *Server {
	next := 1
	return &Server{
		pageSize: DefaultPageSize,
		schema:   map[string]Attr{},
		devices: records.New(func(d *Device) *string { return &d.ID }, func(d *Device, exists func(string) bool) {
			for d.ID == "" {
				if id := "dev-" + pad(next); !exists(id) {
					d.ID = id
				}
				next++
			}
		}),
	}
}

func (s *Server) mux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DevicesPath, s.serveDevices)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	return mux
}

// Client returns an HTTP client that trusts the server's certificate
// (for an mTLS server; it has no client certificate of its own).
func (s *Server) Client() *http.Client { return s.core.Client() }

// SetSchema replaces the declared schema sent on every page.
func (s *Server) SetSchema(schema map[string]Attr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schema = schema
}

// SetPageSchema makes page n (from 1) declare schema instead, to test a
// schema that changes between pages.
func (s *Server) SetPageSchema(n int, schema map[string]Attr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pages == nil {
		s.pages = map[int]map[string]Attr{}
	}
	s.pages[n] = schema
}

// SetPageSize sets how many devices a page holds.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetDevices replaces every device and returns them as stored.
func (s *Server) SetDevices(devices []Device) []Device { return s.devices.Replace(devices) }

// PutDevice adds d, or replaces the device with d's ID.
func (s *Server) PutDevice(d Device) Device { return s.devices.Put(d) }

// Update applies change to the device with id and reports whether it
// exists.
func (s *Server) Update(id string, change func(*Device)) bool { return s.devices.Update(id, change) }

// Requests returns how many requests reached the device listing.
func (s *Server) Requests() int { return s.core.Total() }

// Fault is a failure injected into the device pages: page n is the
// request for the n-th page. Status answers with {"error": "..."} (a 429
// with Retry-After in whole seconds); Truncate cuts the page's JSON in
// half; Delay holds the answer back.
type Fault = fault.Fault

func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	fakehttp.Write(w, status, fakehttp.JSON, b)
}

func pad(n int) string {
	const digits = "0000000000"
	s := strconv.Itoa(n)
	if len(s) < len(digits) {
		s = digits[:len(digits)-len(s)] + s
	}
	return s
}
