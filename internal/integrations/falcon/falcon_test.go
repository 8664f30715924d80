package falcon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	ffake "github.com/postern/postern/internal/fakes/falcon"
	"github.com/postern/postern/internal/integrations"
)

const (
	clientID = "falcon-client-id"
	secret   = "falcon-client-secret"
)

// quick retries keep failure tests fast.
var quick = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newServer(t testing.TB) *ffake.Server {
	t.Helper()
	srv := ffake.NewServer(clientID, secret)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t testing.TB, srv *ffake.Server, edit ...func(*integrations.Config)) *Client {
	t.Helper()
	cfg := integrations.Config{BaseURL: srv.URL(), ClientID: clientID, Secret: secret, Retry: quick}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// newSmallClient is newClient with batches a tenth of the real sizes,
// so that paging is exercised with few hosts.
func newSmallClient(t testing.TB, srv *ffake.Server) *Client {
	c := newClient(t, srv)
	c.scrollLimit, c.detailsBatch, c.ztaBatch = 250, 250, 25
	return c
}

func devices(n int) []ffake.Device {
	out := make([]ffake.Device, n)
	for i := range out {
		out[i] = ffake.Device{
			Serial:   fmt.Sprintf("SER%06d", i),
			MAC:      fmt.Sprintf("08-00-27-%02x-%02x-%02x", i>>16&0xff, i>>8&0xff, i&0xff),
			ZTAScore: i % 101,
		}
	}
	return out
}

func byVendorID(recs []integrations.Record) map[string]integrations.Record {
	m := make(map[string]integrations.Record, len(recs))
	for _, r := range recs {
		m[r.VendorID] = r
	}
	return m
}

func TestFetchRecords(t *testing.T) {
	srv := newServer(t)
	seen := time.Date(2026, 11, 21, 8, 15, 0, 0, time.UTC)
	ds := srv.SetDevices([]ffake.Device{
		{Serial: "C02D91CNPV4M", MAC: "08-00-27-51-56-d8", Hostname: "alice-mbp", LastSeen: seen, ZTAScore: 87},
		{MAC: "0a-1b-2c-3d-4e-5f", ConnectionMAC: "0A-1B-2C-3D-4E-60", ZTAScore: 0}, // a VM: no serial, score 0
		{Serial: "NEW-HOST", NoAssessment: true},
	})
	recs, err := newClient(t, srv).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the vendor package really writes is what its catalogue declares.
	for _, r := range recs {
		if err := Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	m := byVendorID(recs)

	t.Run("serial, MAC, score", func(t *testing.T) {
		r := m[ds[0].AID]
		if got := r.Attributes[AttrZTAScore]; got != postern.Number(87) {
			t.Errorf("got %s %v (%v), want number 87", AttrZTAScore, got, got.Kind())
		}
		if len(r.Attributes) != 1 {
			t.Errorf("got attributes %v, want only %s", r.Attributes, AttrZTAScore)
		}
		if !slices.Equal(r.Serials, []string{"C02D91CNPV4M"}) {
			t.Errorf("got serials %q, want [C02D91CNPV4M]", r.Serials)
		}
		if !slices.Equal(r.MACs, []string{"08-00-27-51-56-d8"}) {
			t.Errorf("got MACs %q, want [08-00-27-51-56-d8]", r.MACs)
		}
		if r.Hostname != "alice-mbp" {
			t.Errorf("got hostname %q, want alice-mbp", r.Hostname)
		}
		if !r.LastSeen.Equal(seen) {
			t.Errorf("got LastSeen %v, want %v", r.LastSeen, seen)
		}
	})
	t.Run("score zero without serial", func(t *testing.T) {
		r := m[ds[1].AID]
		if got := r.Attributes[AttrZTAScore]; got != postern.Number(0) {
			t.Errorf("got %s %v, want number 0", AttrZTAScore, got)
		}
		if len(r.Serials) != 0 {
			t.Errorf("got serials %q, want none", r.Serials)
		}
		if want := []string{"0a-1b-2c-3d-4e-5f", "0A-1B-2C-3D-4E-60"}; !slices.Equal(r.MACs, want) {
			t.Errorf("got MACs %q, want %q", r.MACs, want)
		}
	})
	t.Run("not assessed", func(t *testing.T) {
		r, ok := m[ds[2].AID]
		if !ok {
			t.Fatal("host without an assessment is missing; want it listed without attributes")
		}
		if len(r.Attributes) != 0 {
			t.Errorf("got attributes %v, want none", r.Attributes)
		}
	})
}

func TestFetchFlippedScore(t *testing.T) {
	srv := newServer(t)
	d := srv.PutDevice(ffake.Device{Serial: "S1", ZTAScore: 90})
	c := newClient(t, srv)
	for _, want := range []float64{90, 12} {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if got := recs[0].Attributes[AttrZTAScore]; got != postern.Number(want) {
			t.Errorf("got %s %v, want %v", AttrZTAScore, got, want)
		}
		srv.Update(d.AID, func(d *ffake.Device) { d.ZTAScore = 12 })
	}
}

func TestFetchPaging(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(1100))
	recs, err := newSmallClient(t, srv).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 1100 {
		t.Fatalf("got %d records, want 1100", len(recs))
	}
	serials := map[string]bool{}
	for _, r := range recs {
		var i int
		fmt.Sscanf(r.Serials[0], "SER%d", &i)
		serials[r.Serials[0]] = true
		if got, want := r.Attributes[AttrZTAScore], postern.Number(float64(i%101)); got != want {
			t.Fatalf("%s: got score %v, want %v", r.Serials[0], got, want)
		}
	}
	if len(serials) != 1100 {
		t.Errorf("got %d distinct serials, want 1100", len(serials))
	}
	for _, tt := range []struct {
		ep   ffake.Endpoint
		want int
	}{
		{ffake.EndpointToken, 1},
		{ffake.EndpointScroll, 6}, // 4 x 250 + 100, then the empty page
		{ffake.EndpointDetails, 5},
		{ffake.EndpointZTA, 44},
	} {
		if got := srv.Requests(tt.ep); got != tt.want {
			t.Errorf("%s: got %d requests, want %d", tt.ep, got, tt.want)
		}
	}
}

// TestFetchFullBatches runs the real batch sizes once: more than one
// scroll page and details batch of 5000.
func TestFetchFullBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 5,500 hosts")
	}
	srv := newServer(t)
	srv.SetDevices(devices(5500))
	fetch(t, newClient(t, srv), 5500)
	if got, want := srv.Requests(ffake.EndpointScroll), 3; got != want {
		t.Errorf("got %d scroll requests, want %d", got, want)
	}
	if got, want := srv.Requests(ffake.EndpointDetails), 2; got != want {
		t.Errorf("got %d details requests, want %d", got, want)
	}
	if got, want := srv.Requests(ffake.EndpointZTA), 55; got != want {
		t.Errorf("got %d ZTA requests, want %d", got, want)
	}
}

func TestFetchNoHosts(t *testing.T) {
	srv := newServer(t)
	recs, err := newClient(t, srv).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 0 {
		t.Errorf("got %d records, want 0", len(recs))
	}
}

// clock is a settable clock for token expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func TestToken(t *testing.T) {
	t.Run("cached between fetches", func(t *testing.T) {
		srv := newServer(t)
		srv.SetDevices(devices(3))
		clk := &clock{t: time.Now()}
		c := newClient(t, srv, func(cfg *integrations.Config) { cfg.Now = clk.now })
		fetch(t, c, 3)
		clk.advance(20 * time.Minute)
		fetch(t, c, 3)
		if got := srv.Requests(ffake.EndpointToken); got != 1 {
			t.Errorf("got %d token requests, want 1", got)
		}
		clk.advance(9 * time.Minute) // 29 min: within a minute of the 1799 s expiry
		fetch(t, c, 3)
		if got := srv.Requests(ffake.EndpointToken); got != 2 {
			t.Errorf("got %d token requests, want 2 after the token neared expiry", got)
		}
	})
	t.Run("refreshed once on 401", func(t *testing.T) {
		srv := newServer(t)
		srv.SetDevices(devices(3))
		c := newClient(t, srv)
		fetch(t, c, 3)
		srv.RevokeTokens()
		fetch(t, c, 3)
		if got := srv.Requests(ffake.EndpointToken); got != 2 {
			t.Errorf("got %d token requests, want 2", got)
		}
	})
	t.Run("401 mid-listing", func(t *testing.T) {
		srv := newServer(t)
		srv.SetDevices(devices(250))
		srv.Inject(ffake.Fault{Endpoint: ffake.EndpointZTA, Page: 2, Status: http.StatusUnauthorized, Times: 1})
		fetch(t, newClient(t, srv), 250)
		if got := srv.Requests(ffake.EndpointToken); got != 2 {
			t.Errorf("got %d token requests, want 2", got)
		}
	})
	t.Run("401 again after refresh", func(t *testing.T) {
		srv := newServer(t)
		srv.SetDevices(devices(3))
		srv.Inject(ffake.Fault{Endpoint: ffake.EndpointScroll, Status: http.StatusUnauthorized})
		err := fetchFails(t, newClient(t, srv))
		if !errors.Is(err, integrations.ErrAuth) {
			t.Errorf("got error %v, want ErrAuth", err)
		}
		if !strings.Contains(err.Error(), "access denied, invalid bearer token") {
			t.Errorf("got error %q, want the API's message", err)
		}
		if got := srv.Requests(ffake.EndpointToken); got != 2 {
			t.Errorf("got %d token requests, want 2 (one refresh, no more)", got)
		}
	})
	t.Run("short-lived tokens", func(t *testing.T) {
		srv := newServer(t)
		srv.SetDevices(devices(3))
		srv.SetTokenTTL(2 * time.Second)
		clk := &clock{t: time.Now()}
		c := newClient(t, srv, func(cfg *integrations.Config) { cfg.Now = clk.now })
		fetch(t, c, 3)
		clk.advance(1500 * time.Millisecond) // past half-life
		fetch(t, c, 3)
		if got := srv.Requests(ffake.EndpointToken); got != 2 {
			t.Errorf("got %d token requests, want 2", got)
		}
	})
}

func fetch(t *testing.T, c *Client, want int) []integrations.Record {
	t.Helper()
	recs, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != want {
		t.Fatalf("got %d records, want %d", len(recs), want)
	}
	return recs
}

func fetchFails(t *testing.T, c *Client) error {
	t.Helper()
	recs, err := c.Fetch(context.Background())
	if err == nil {
		t.Fatalf("got %d records and no error, want an error", len(recs))
	}
	if recs != nil {
		t.Errorf("got %d records with the error, want none", len(recs))
	}
	return err
}
