// Package intune is a fake Microsoft Intune for tests and demos: the two
// Microsoft services an Intune sync talks to, on one loopback server.
//
//   - POST /{tenant}/oauth2/v2.0/token, Microsoft Entra ID's token
//     endpoint: the OAuth2 client-credentials grant (form grant_type,
//     client_id, client_secret, scope=https://graph.microsoft.com/.default),
//     answering {"token_type":"Bearer","expires_in":3599,...} or an
//     AADSTS error body ({"error":"invalid_client","error_description":
//     "AADSTS7000215: ...","error_codes":[7000215],...}).
//   - GET /v1.0/deviceManagement/managedDevices, Microsoft Graph's list of
//     Intune managed devices: Bearer tokens from the endpoint above,
//     $select and $top, pages of {"@odata.context", "value",
//     "@odata.nextLink"} where the next link is an absolute URL carrying
//     $skiptoken, and Graph's {"error":{"code","message","innerError"}}
//     bodies (403 with Intune's "Application is not authorized" message
//     when the app lacks DeviceManagementManagedDevices.Read.All, 429 with
//     Retry-After).
//
// A Go API sets devices, flips their values, rotates the secret, revokes
// tokens, takes the app's Graph permission away and injects failures. A
// Server is safe for concurrent use.
package intune

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// Endpoint names one of the paths the fake serves, for faults and
// request counts.
type Endpoint = fault.Endpoint

// The endpoints the fake serves. The token endpoint's path starts with
// the tenant: /{tenant}/oauth2/v2.0/token.
const (
	EndpointToken   Endpoint = "/oauth2/v2.0/token"
	EndpointDevices Endpoint = DevicesPath
)

// DevicesPath is the Graph listing of Intune managed devices.
const DevicesPath = "/v1.0/deviceManagement/managedDevices"

// GraphScope is the scope a client-credentials request for Graph asks for.
const GraphScope = "https://graph.microsoft.com/.default"

// Graph application permissions that may list managed devices.
const (
	PermRead      = "DeviceManagementManagedDevices.Read.All"
	PermReadWrite = "DeviceManagementManagedDevices.ReadWrite.All"
)

// MaxPage is the most devices Intune returns in one page, whatever $top
// asks for.
const MaxPage = 1000

// DefaultTokenTTL is the lifetime of the tokens the fake issues, as
// Entra ID's expires_in.
const DefaultTokenTTL = 3599 * time.Second

// Device is one Intune managed device as the fake reports it.
type Device struct {
	ID              string // managed device id, a GUID; empty means the server assigns one
	DeviceName      string // empty means "DESKTOP-" and the id's first 7 hex digits
	SerialNumber    string // sent as given; Intune sends "" when it has none
	OperatingSystem string // empty means "Windows"

	ComplianceState         string // empty means "compliant"
	AzureADRegistered       *bool  // nil is sent as null, as Graph does for devices it has not registered
	DeviceRegistrationState string // empty means "registered"
	IsSupervised            bool
	IsEncrypted             bool
	ManagedDeviceOwnerType  string // empty means "company"

	LastSyncDateTime time.Time // zero means when the device was stored
	// NeverSynced sends lastSyncDateTime as 0001-01-01T00:00:00Z, as
	// Graph does for a device that has not checked in.
	NeverSynced bool

	// Omit lists properties (Graph's names, e.g. "isEncrypted") left out
	// of this device's JSON even when selected, for a value Intune does
	// not report.
	Omit []string
}

// Server is a fake Entra ID token endpoint and Graph on a loopback port.
// Its URL (the base URL for both services: the token endpoint is
// URL()+"/"+tenant+"/oauth2/v2.0/token" and Graph is URL()+"/v1.0/..."),
// Close, Inject, ClearFaults, SetTokenTTL and RevokeTokens (the next
// Graph call with a revoked token fails with 401
// InvalidAuthenticationToken) come from fakehttp.
type Server struct {
	fakehttp.Server
	fakehttp.GrantAdmin
	core   *fakehttp.Core
	grants *fakehttp.Grants

	devices *records.Set[string, Device]

	mu            sync.Mutex
	tenant        string
	clientID      string
	secret        string
	secretExpired bool
	perms         []string // the app's Graph application permissions
	pageSize      int      // the server's own page cap
	linkBase      string   // the origin next links name; empty means the server's
	scopes        []string // scope of each token request, in order
}

// NewServer starts a fake for the Entra ID tenant tenant (its directory
// id or a domain), issuing tokens to the app clientID with the client
// secret secret. The app holds DeviceManagementManagedDevices.Read.All.
func NewServer(tenant, clientID, secret string) *Server {
	s := &Server{
		devices:  newDevices(),
		tenant:   tenant,
		clientID: clientID,
		secret:   secret,
		perms:    []string{PermRead},
		grants:   fakehttp.NewGrants(DefaultTokenTTL),
		pageSize: MaxPage,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.serveToken)
	mux.HandleFunc("GET "+DevicesPath, s.serveDevices)
	mux.HandleFunc("/", s.serveNotFound)
	s.Server, s.core = fakehttp.Start(mux, "")
	s.GrantAdmin = s.grants.Admin()
	return s
}

// SetSecret replaces the app's client secret; token requests with the old
// one are refused with AADSTS7000215, as after a secret rotation.
func (s *Server) SetSecret(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secret, s.secretExpired = secret, false
}

// ExpireSecret makes token requests with the current secret fail with
// AADSTS7000222, as when the secret's expiry date has passed.
func (s *Server) ExpireSecret() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secretExpired = true
}

// SetPermissions replaces the app's Graph application permissions (with
// admin consent), e.g. none or only "User.Read.All". Tokens carry the
// permissions the app had when they were issued in Entra ID; the fake
// checks the current ones, as if every token were new.
func (s *Server) SetPermissions(perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perms = slices.Clone(perms)
}

// SetPageSize caps the devices in one page below what $top asks for
// (MaxPage at most), as Intune does: a page may be shorter than $top and
// still have a next link.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = min(max(n, 1), MaxPage)
}

// SetNextLinkBase makes next links name base (e.g. "https://evil.example")
// instead of the server's own URL, to test that clients refuse to send
// their token elsewhere. Empty restores the server's URL.
func (s *Server) SetNextLinkBase(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.linkBase = base
}

// SetDevices replaces every device. It returns the devices as stored,
// with assigned ids and defaults.
func (s *Server) SetDevices(devices []Device) []Device { return s.devices.Replace(devices) }

// PutDevice adds d, or replaces the device with d's ID, and returns it as
// stored.
func (s *Server) PutDevice(d Device) Device { return s.devices.Put(d) }

// Update applies change to the device with id, e.g. to flip its
// compliance state, and reports whether it exists.
func (s *Server) Update(id string, change func(*Device)) bool { return s.devices.Update(id, change) }

// RemoveDevice deletes the device with id.
func (s *Server) RemoveDevice(id string) { s.devices.Remove(id) }

// Requests returns how many requests reached ep, including refused and
// failed ones.
func (s *Server) Requests(ep Endpoint) int { return s.core.Requests(ep) }

// Scopes returns the scope of every token request so far, in order.
func (s *Server) Scopes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.scopes)
}

// newDevices returns an empty device set that assigns GUIDs in order and
// fills defaults.
func newDevices() *records.Set[string, Device] {
	var next uint64
	return records.New(func(d *Device) *string { return &d.ID }, func(d *Device, exists func(string) bool) {
		for d.ID == "" {
			next++
			id := fmt.Sprintf("%08x-0000-4000-8000-%012x", next, next)
			if !exists(id) {
				d.ID = id
			}
		}
		if d.DeviceName == "" {
			d.DeviceName = "DESKTOP-" + d.ID[:7]
		}
		if d.OperatingSystem == "" {
			d.OperatingSystem = "Windows"
		}
		if d.ComplianceState == "" {
			d.ComplianceState = "compliant"
		}
		if d.DeviceRegistrationState == "" {
			d.DeviceRegistrationState = "registered"
		}
		if d.ManagedDeviceOwnerType == "" {
			d.ManagedDeviceOwnerType = "company"
		}
		if d.LastSyncDateTime.IsZero() {
			d.LastSyncDateTime = time.Now().UTC().Truncate(time.Second)
		}
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// guid returns a random GUID, as Microsoft's request and trace ids are.
func guid() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
