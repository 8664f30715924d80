package kandji_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/postern/postern"
	fakekandji "github.com/postern/postern/internal/fakes/kandji"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/kandji"
)

const token = "kandji-api-token"

var fastRetry = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newClient(t testing.TB, baseURL string, limit int) *kandji.Client {
	t.Helper()
	c, err := kandji.New(integrations.Config{BaseURL: baseURL, Secret: token, Retry: fastRetry})
	if err != nil {
		t.Fatalf("kandji.New: %v", err)
	}
	c.Limit = limit
	return c
}

// startFake starts a fake Kandji whose token has only the permission
// Tailscale's setup document grants: Prism > Device information.
func startFake(t *testing.T, devices []fakekandji.Device) (*fakekandji.Server, []fakekandji.Device) {
	t.Helper()
	fake := fakekandji.NewServer(token)
	t.Cleanup(fake.Close)
	fake.SetPermissions(token, fakekandji.PrismPath)
	return fake, fake.SetDevices(devices)
}

func TestNew(t *testing.T) {
	if _, err := kandji.New(integrations.Config{Secret: "x"}); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("New without BaseURL: got %v, want an EINVALID error", err)
	}
	if _, err := kandji.New(integrations.Config{BaseURL: "https://acme.api.kandji.io"}); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("New without token: got %v, want an EINVALID error", err)
	}
}

// TestFetchPrismOnlyToken syncs with a token set up as Tailscale's setup
// document says, which Kandji refuses on /api/v1/devices.
func TestFetchPrismOnlyToken(t *testing.T) {
	fake, stored := startFake(t, make([]fakekandji.Device, 5))
	recs, err := newClient(t, fake.URL(), 2).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch with a Prism-only token: %v", err)
	}
	if len(recs) != len(stored) {
		t.Errorf("records: got %d, want %d", len(recs), len(stored))
	}
	if got := fake.RequestsTo(fakekandji.DevicesPath); got != 0 {
		t.Errorf("requests to %s: got %d, want 0", fakekandji.DevicesPath, got)
	}
	if got := fake.RequestsTo(fakekandji.PrismPath); got != 3 {
		t.Errorf("requests to %s: got %d, want 3", fakekandji.PrismPath, got)
	}
}

func TestFetchAttributes(t *testing.T) {
	seen := time.Date(2024, 7, 23, 14, 11, 37, 150080000, time.UTC)
	fake, stored := startFake(t, []fakekandji.Device{
		{Name: "accuhive's MacBook Air", SerialNumber: "FVHHFKF7Q6L4", LastCheckIn: seen, MDMEnabled: true, AgentInstalled: true,
			User: &fakekandji.User{Email: "a@example.com", Name: "A", ID: "5344c996-0000-4000-8000-000000000001"}},
		{Name: "iPad", Platform: "iPad", SerialNumber: "DMPXK1ABCD", MDMEnabled: true, AgentInstalled: false},
		{Name: "no serial", MDMEnabled: false, AgentInstalled: false},
		{Name: "vm", SerialNumber: "ZGFRNNQGQD", MDMEnabled: true, AgentNotReported: true},
	})
	recs, err := newClient(t, fake.URL(), 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the vendor package really writes is what its catalogue declares.
	for _, r := range recs {
		if err := kandji.Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	if len(recs) != 4 {
		t.Fatalf("Fetch: got %d records, want 4", len(recs))
	}
	mac, ipad, bare, vm := recs[0], recs[1], recs[2], recs[3]

	t.Run("identity", func(t *testing.T) {
		if mac.VendorID != stored[0].ID || mac.Hostname != "accuhive's MacBook Air" {
			t.Errorf("VendorID, Hostname: got %q, %q, want %q, %q", mac.VendorID, mac.Hostname, stored[0].ID, "accuhive's MacBook Air")
		}
		if !slices.Equal(mac.Serials, []string{"FVHHFKF7Q6L4"}) {
			t.Errorf("Serials: got %q, want [FVHHFKF7Q6L4]", mac.Serials)
		}
		if !mac.LastSeen.Equal(seen) {
			t.Errorf("LastSeen: got %v, want %v (last_collected_at)", mac.LastSeen, seen)
		}
		if len(bare.Serials) != 0 {
			t.Errorf("device without serial: got Serials %q, want none", bare.Serials)
		}
	})
	t.Run("attributes", func(t *testing.T) {
		for _, tc := range []struct {
			rec  integrations.Record
			want map[string]postern.Value
		}{
			{mac, map[string]postern.Value{"kandji:mdmEnabled": postern.Bool(true), "kandji:agentInstalled": postern.Bool(true)}},
			{ipad, map[string]postern.Value{"kandji:mdmEnabled": postern.Bool(true), "kandji:agentInstalled": postern.Bool(false)}},
			{bare, map[string]postern.Value{"kandji:mdmEnabled": postern.Bool(false), "kandji:agentInstalled": postern.Bool(false)}},
			// agent_installed null: not reported, so no attribute at all.
			{vm, map[string]postern.Value{"kandji:mdmEnabled": postern.Bool(true)}},
		} {
			if !mapsEqual(tc.rec.Attributes, tc.want) {
				t.Errorf("%s: got attributes %v, want %v", tc.rec.Hostname, tc.rec.Attributes, tc.want)
			}
		}
	})
	t.Run("flip", func(t *testing.T) {
		if !fake.Update(stored[1].ID, func(d *fakekandji.Device) { d.MDMEnabled = false }) {
			t.Fatal("Update: got false, want true")
		}
		recs, err := newClient(t, fake.URL(), 0).Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if v := recs[1].Attributes["kandji:mdmEnabled"]; v != postern.Bool(false) {
			t.Errorf("kandji:mdmEnabled after flip: got %v, want false", v)
		}
	})
}

func mapsEqual(a, b map[string]postern.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestFetchQuirks serves Prism bodies the fake does not produce: the
// documented odd shapes, to show the client takes them.
func TestFetchQuirks(t *testing.T) {
	pages := map[string]string{
		"": `{"offset":null,"limit":2,"total":3,"cursor":null,"data":[
		  {"device_id":"d1","device__name":"a","serial_number":"S1","mdm_enabled":true,"agent_installed":null,"asset_tag":null,
		   "last_collected_at":"2024-05-13 20:09:27.374451+00:00","updated_at":"2024-01-26 16:15:36.087016+00:00"},
		  {"device_id":"d2","device__name":"b","serial_number":"S2","mdm_enabled":false,"agent_installed":true,
		   "last_collected_at":"2024-01-01T00:00:00Z","unknown_field":{"nested":[1,2]}}]}`,
		// Offset paging over a changing list repeats d2; its later copy wins.
		"2": `{"offset":2,"limit":2,"total":3,"cursor":"","data":[
		  {"device_id":"d2","device__name":"b","serial_number":"S2","mdm_enabled":true,"agent_installed":true,
		   "last_collected_at":null,"updated_at":"2024-04-02T07:20:56.341011+00:00"},
		  {"device_id":"d3","device__name":"c","serial_number":null,"mdm_enabled":null,"agent_installed":false,
		   "last_collected_at":"2024-06-01T10:00:00Z"}]}`,
		"4": `{"offset":4,"limit":2,"total":3,"data":[]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != kandji.PrismPath || r.URL.Query().Get("limit") != "2" {
			http.Error(w, `{"detail":"Not found."}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, pages[r.URL.Query().Get("offset")])
	}))
	defer srv.Close()
	recs, err := newClient(t, srv.URL, 2).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 3 {
		t.Fatalf("Fetch: got %d records, want 3 (d2 once)", len(recs))
	}
	d1, d2, d3 := recs[0], recs[1], recs[2]
	if want := time.Date(2024, 5, 13, 20, 9, 27, 374451000, time.UTC); !d1.LastSeen.Equal(want) {
		t.Errorf("space-separated last_collected_at: got %v, want %v", d1.LastSeen, want)
	}
	if _, ok := d1.Attributes["kandji:agentInstalled"]; ok {
		t.Errorf("agent_installed null: got kandji:agentInstalled set, want not set")
	}
	if want := time.Date(2024, 4, 2, 7, 20, 56, 341011000, time.UTC); !d2.LastSeen.Equal(want) {
		t.Errorf("last_collected_at null: got LastSeen %v, want updated_at %v", d2.LastSeen, want)
	}
	if d2.Attributes["kandji:mdmEnabled"] != postern.Bool(true) {
		t.Errorf("repeated device: got kandji:mdmEnabled %v, want the later copy's true", d2.Attributes["kandji:mdmEnabled"])
	}
	if _, ok := d3.Attributes["kandji:mdmEnabled"]; ok || len(d3.Serials) != 0 || d3.Attributes["kandji:agentInstalled"] != postern.Bool(false) {
		t.Errorf("d3: got attributes %v serials %q, want only kandji:agentInstalled false and no serial", d3.Attributes, d3.Serials)
	}
	if want := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC); !d3.LastSeen.Equal(want) {
		t.Errorf("last_collected_at with Z: got %v, want %v", d3.LastSeen, want)
	}
}

func TestFetchPaging(t *testing.T) {
	for _, tc := range []struct {
		name         string
		devices      int
		limit        int
		cursor       bool
		wantRequests int
	}{
		{"cursor: short last page", 7, 3, true, 3},
		{"cursor: full last page", 6, 3, true, 2},
		{"cursor: one page", 2, 3, true, 2}, // no cursor on page 1 reads as offset paging: one more, empty page
		{"cursor: no devices", 0, 3, true, 1},
		{"cursor: default limit", 301, 0, true, 2},
		{"offset: short last page then empty", 7, 3, false, 4},
		{"offset: full last page then empty", 6, 3, false, 3},
		{"offset: no devices", 0, 3, false, 1},
		{"offset: default limit", 301, 0, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, stored := startFake(t, make([]fakekandji.Device, tc.devices))
			fake.SetCursorPaging(tc.cursor)
			recs, err := newClient(t, fake.URL(), tc.limit).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != tc.devices {
				t.Errorf("records: got %d, want %d", len(recs), tc.devices)
			}
			if got := fake.Requests(); got != tc.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tc.wantRequests)
			}
			for i, r := range recs {
				if r.VendorID != stored[i].ID {
					t.Errorf("record %d: got VendorID %q, want %q", i, r.VendorID, stored[i].ID)
					break
				}
			}
		})
	}
}

// TestFetchFollowsCursor checks the requests themselves: the first asks
// for a limit only, the next ones send the cursor the previous answer
// carried, verbatim.
func TestFetchFollowsCursor(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RawQuery)
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"offset":null,"limit":1,"total":3,"data":[{"device_id":"d1"}],"cursor":"c/2+="}`)
		case "c/2+=":
			fmt.Fprint(w, `{"offset":null,"limit":1,"total":3,"data":[{"device_id":"d2"}],"cursor":"c3"}`)
		case "c3":
			fmt.Fprint(w, `{"offset":null,"limit":1,"total":3,"data":[{"device_id":"d3"}],"cursor":null}`)
		}
	}))
	defer srv.Close()
	recs, err := newClient(t, srv.URL, 1).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 3 || recs[2].VendorID != "d3" {
		t.Errorf("records: got %+v, want d1, d2, d3", recs)
	}
	if want := []string{"limit=1", "cursor=c%2F2%2B%3D&limit=1", "cursor=c3&limit=1"}; !slices.Equal(got, want) {
		t.Errorf("queries: got %q, want %q", got, want)
	}
}

// TestFetchCursorEnds shows a cursor listing ends on an empty page, as
// Kandji's own example does, and gives up on a cursor that does not move.
func TestFetchCursorEnds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		second  string
		wantErr bool
	}{
		{"empty page with a cursor", `{"data":[],"cursor":"c3"}`, false},
		{"the same cursor again", `{"data":[{"device_id":"d2"}],"cursor":"c2"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests++
				if r.URL.Query().Get("cursor") == "" {
					fmt.Fprint(w, `{"data":[{"device_id":"d1"}],"cursor":"c2"}`)
					return
				}
				fmt.Fprint(w, tc.second)
			}))
			defer srv.Close()
			recs, err := newClient(t, srv.URL, 1).Fetch(context.Background())
			if tc.wantErr {
				if err == nil || recs != nil {
					t.Errorf("Fetch: got %d records, error %v; want an error and no records", len(recs), err)
				}
			} else if err != nil || len(recs) != 1 {
				t.Errorf("Fetch: got %d records, error %v; want 1 record", len(recs), err)
			}
			if requests != 2 {
				t.Errorf("requests: got %d, want 2", requests)
			}
		})
	}
}
