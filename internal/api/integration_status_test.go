package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	tsclient "tailscale.com/client/tailscale/v2"

	fakefleet "github.com/postern/postern/internal/fakes/fleet"
)

// integrationOut is the raw JSON of an integration, Postern's fields
// included.
type integrationOut struct {
	ID                  string `json:"id"`
	SyncIntervalSeconds int64  `json:"syncIntervalSeconds"`
	Status              struct {
		LastSync          string `json:"lastSync"`
		Error             string `json:"error"`
		PausedUntil       string `json:"pausedUntil"`
		State             string `json:"state"`
		PausedReason      string `json:"pausedReason"`
		MatchedCount      int    `json:"matchedCount"`
		ProviderHostCount int    `json:"providerHostCount"`
		Unmatched         *struct {
			Records []struct {
				VendorID string   `json:"vendorId"`
				Serials  []string `json:"serialNumbers"`
			} `json:"records"`
			RecordCount int `json:"recordCount"`
			Devices     []struct {
				NodeID  string   `json:"nodeId"`
				Name    string   `json:"name"`
				Serials []string `json:"serialNumbers"`
			} `json:"devices"`
			DeviceCount int `json:"deviceCount"`
		} `json:"unmatched"`
	} `json:"status"`
}

func decodeIntegration(t *testing.T, body string) integrationOut {
	t.Helper()
	var out integrationOut
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return out
}

// Creating an integration whose first sync is refused answers with that
// outcome: never a bare success. The status says once what is wrong, and
// why and until when syncs are paused.
func TestCreateIntegrationReportsFailedFirstSync(t *testing.T) {
	e := newEnv(t)
	fake := fakefleet.NewServer("the-real-token")
	defer fake.Close()
	code, body := e.raw(t, "POST", "/api/v2/tailnet/-/posture/integrations",
		`{"provider":"fleet","cloudId":"`+fake.URL()+`","clientSecret":"a-wrong-token"}`)
	if code != http.StatusOK {
		t.Fatalf("create: got %d %s, want 200", code, body)
	}
	got := decodeIntegration(t, body)
	const refused = "Fleet refused the credentials: it answered 401 Unauthorized."
	if got.Status.State != "paused" || got.Status.Error != refused || got.Status.PausedUntil == "" {
		t.Errorf("create answer: got state %q error %q pausedUntil %q, want paused with %q", got.Status.State, got.Status.Error, got.Status.PausedUntil, refused)
	}
	until, _ := time.Parse(time.RFC3339, got.Status.PausedUntil)
	want := "Paused until " + until.UTC().Format("2006-01-02 15:04 UTC") + ". " + refused + " Save a new secret, or use Sync now, to try again before then."
	if got.Status.PausedReason != want {
		t.Errorf("pausedReason: got %q, want %q", got.Status.PausedReason, want)
	}
	if got.Status.LastSync != "" || got.Status.Unmatched != nil {
		t.Errorf("a refused first sync: got lastSync %q and a match report %v, want neither", got.Status.LastSync, got.Status.Unmatched)
	}
}

// A first sync that succeeds within the wait is in the answer, with the
// vendor records and devices it could not match; GET shows the same.
func TestCreateIntegrationReportsFirstSync(t *testing.T) {
	e := newEnv(t)
	fake := fakefleet.NewServer("tok")
	defer fake.Close()
	hosts := fake.SetHosts([]fakefleet.Host{{HardwareSerial: "SER-alpha"}, {HardwareSerial: "NOT-IN-TAILNET"}})
	// The official client creates it as before.
	in, err := e.client.DevicePosture().CreateIntegration(context.Background(), tsclient.CreatePostureIntegrationRequest{
		Provider: tsclient.PostureIntegrationProviderFleet, CloudID: fake.URL(), ClientSecret: "tok"})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	code, body := e.raw(t, "GET", "/api/v2/posture/integrations/"+in.ID, "")
	if code != http.StatusOK {
		t.Fatalf("get: got %d %s", code, body)
	}
	got := decodeIntegration(t, body)
	if got.Status.State != "ok" || got.Status.Error != "" || got.Status.MatchedCount != 1 || got.Status.ProviderHostCount != 2 {
		t.Fatalf("status right after create: got %+v, want ok with 1 of 2 matched", got.Status)
	}
	u := got.Status.Unmatched
	if u == nil || u.RecordCount != 1 || len(u.Records) != 1 || u.Records[0].Serials[0] != "NOT-IN-TAILNET" ||
		u.Records[0].VendorID != jsonNumber(hosts[1].ID) {
		t.Errorf("unmatched records: got %+v, want the one host not in the tailnet", u)
	}
	if u == nil || u.DeviceCount != 1 || len(u.Devices) != 1 || u.Devices[0].NodeID != e.devB.NodeID || u.Devices[0].Serials[0] != "SER-bravo" {
		t.Errorf("unmatched devices: got %+v, want bravo (%s)", u, e.devB.NodeID)
	}
	if !strings.Contains(body, `"state":"ok"`) {
		t.Errorf("body lacks the state: %s", body)
	}
}

func jsonNumber(n uint) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A first sync still running when the wait ends is said to be running.
func TestCreateIntegrationFirstSyncStillRunning(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	defer vendor.Close()
	defer close(release)
	start := time.Now()
	code, body := e.raw(t, "POST", "/api/v2/tailnet/-/posture/integrations",
		`{"provider":"fleet","cloudId":"`+vendor.URL+`","clientSecret":"tok"}`)
	if code != http.StatusOK {
		t.Fatalf("create: got %d %s, want 200", code, body)
	}
	if d := time.Since(start); d < 4*time.Second || d > 10*time.Second {
		t.Errorf("create answered after %v, want after about 5s", d)
	}
	got := decodeIntegration(t, body)
	if got.Status.State != "syncing" || got.Status.Error != "" || got.Status.LastSync != "" {
		t.Errorf("create answer: got %+v, want state syncing and no outcome yet", got.Status)
	}
}

// syncIntervalSeconds is stored, shown and audited; outside 60..86400
// (other than 0, the server's default) it is refused and nothing changes.
func TestIntegrationSyncInterval(t *testing.T) {
	e := newEnv(t)
	code, body := e.raw(t, "POST", "/api/v2/tailnet/-/posture/integrations",
		`{"provider":"fleet","cloudId":"https://fleet.invalid","clientSecret":"tok","syncIntervalSeconds":300}`)
	if code != http.StatusOK || decodeIntegration(t, body).SyncIntervalSeconds != 300 {
		t.Fatalf("create with 300s: got %d %s, want 200 and syncIntervalSeconds 300", code, body)
	}
	id := decodeIntegration(t, body).ID
	if got, _ := e.srv.Service().Store().Integration(context.Background(), id); got.SyncInterval != 5*time.Minute {
		t.Errorf("stored interval: got %v, want 5m", got.SyncInterval)
	}

	const msg = "syncIntervalSeconds must be from 60 (1 minute) to 86400 (24 hours), or 0 for the server's default; got "
	for _, n := range []string{"59", "86401", "-60", "9223372036854775807"} {
		t.Run("refused "+n, func(t *testing.T) {
			before := integrationRow(t, e, id)
			code, body := e.raw(t, "PATCH", "/api/v2/posture/integrations/"+id, `{"syncIntervalSeconds":`+n+`}`)
			var m struct{ Message string }
			json.Unmarshal([]byte(body), &m)
			if code != http.StatusBadRequest || m.Message != msg+n {
				t.Errorf("PATCH %s: got %d %q, want 400 %q", n, code, m.Message, msg+n)
			}
			if after := integrationRow(t, e, id); !reflect.DeepEqual(after, before) {
				t.Errorf("row after a refused PATCH: got %v, want unchanged %v", after, before)
			}
		})
	}
	t.Run("refused on create", func(t *testing.T) {
		code, body := e.raw(t, "POST", "/api/v2/tailnet/-/posture/integrations",
			`{"provider":"kandji","cloudId":"acme.api.kandji.io","clientSecret":"tok","syncIntervalSeconds":30}`)
		if code != http.StatusBadRequest || !strings.Contains(body, msg+"30") {
			t.Errorf("create with 30s: got %d %s, want 400 naming the bounds", code, body)
		}
		if list, err := e.client.DevicePosture().ListIntegrations(context.Background()); err != nil || len(list) != 1 {
			t.Errorf("integrations after a refused create: got %d, %v; want 1", len(list), err)
		}
	})

	for _, n := range []int64{86400, 60, 0} {
		code, body := e.raw(t, "PATCH", "/api/v2/posture/integrations/"+id, `{"syncIntervalSeconds":`+jsonNumber(uint(n))+`}`)
		if code != http.StatusOK || decodeIntegration(t, body).SyncIntervalSeconds != n {
			t.Errorf("PATCH %d: got %d %s, want 200 with it", n, code, body)
		}
	}
	_, body = e.raw(t, "GET", "/api/v2/tailnet/-/logging/configuration?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&event=POSTURE_INTEGRATION.UPDATE", "")
	if !strings.Contains(body, `"syncIntervalSeconds":"86400"`) || !strings.Contains(body, `"syncIntervalSeconds":"60"`) {
		t.Errorf("audit log lacks the interval changes: %s", body)
	}
}
