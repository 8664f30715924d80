package falcon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	ffake "github.com/postern/postern/internal/fakes/falcon"
	"github.com/postern/postern/internal/integrations"
)

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name      string
		fault     ffake.Fault
		badSecret bool
		wantAuth  bool
		wantText  string
	}{
		{name: "token refused", badSecret: true, wantAuth: true, wantText: "Failed to issue access token - Not Authorized"},
		{name: "token 403", fault: ffake.Fault{Endpoint: ffake.EndpointToken, Status: http.StatusForbidden}, wantAuth: true, wantText: "Failed to issue access token"},
		{name: "token truncated", fault: ffake.Fault{Endpoint: ffake.EndpointToken, Truncate: true}, wantText: "decoding the access token"},
		{name: "missing scope", fault: ffake.Fault{Endpoint: ffake.EndpointZTA, Status: http.StatusForbidden}, wantAuth: true, wantText: "access denied, authorization failed"},
		{name: "500 on scroll page 2", fault: ffake.Fault{Endpoint: ffake.EndpointScroll, Page: 2, Status: http.StatusInternalServerError}, wantText: "scroll page 2"},
		{name: "truncated scroll page 2", fault: ffake.Fault{Endpoint: ffake.EndpointScroll, Page: 2, Truncate: true}, wantText: "decoding scroll page 2"},
		{name: "500 on details 2", fault: ffake.Fault{Endpoint: ffake.EndpointDetails, Page: 2, Status: http.StatusInternalServerError}, wantText: "device details"},
		{name: "truncated details", fault: ffake.Fault{Endpoint: ffake.EndpointDetails, Truncate: true}, wantText: "decoding device details"},
		{name: "500 on ZTA 20", fault: ffake.Fault{Endpoint: ffake.EndpointZTA, Page: 20, Status: http.StatusInternalServerError}, wantText: "zero trust assessments"},
		{name: "truncated ZTA", fault: ffake.Fault{Endpoint: ffake.EndpointZTA, Page: 5, Truncate: true}, wantText: "decoding zero trust assessments"},
		{name: "429 persists", fault: ffake.Fault{Endpoint: ffake.EndpointZTA, Status: http.StatusTooManyRequests}, wantText: "API rate limit exceeded."},
		{name: "400", fault: ffake.Fault{Endpoint: ffake.EndpointDetails, Status: http.StatusBadRequest}, wantText: "400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(devices(550))
			srv.Inject(tt.fault)
			if tt.badSecret {
				srv.SetCredentials(clientID, "rotated")
			}
			err := fetchFails(t, newSmallClient(t, srv))
			if got := errors.Is(err, integrations.ErrAuth); got != tt.wantAuth {
				t.Errorf("errors.Is(err, ErrAuth) = %v, want %v (err: %v)", got, tt.wantAuth, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got error %q, want it to mention %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the client secret", err)
			}
		})
	}
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	tests := []struct {
		fault ffake.Fault
		extra int // requests the fault adds on its endpoint
	}{
		{ffake.Fault{Endpoint: ffake.EndpointScroll, Page: 2, Status: http.StatusInternalServerError, Times: 1}, 1},
		{ffake.Fault{Endpoint: ffake.EndpointDetails, Status: http.StatusServiceUnavailable, Times: 1}, 1},
		{ffake.Fault{Endpoint: ffake.EndpointZTA, Page: 3, Status: http.StatusTooManyRequests, Times: 2}, 2},
		{ffake.Fault{Endpoint: ffake.EndpointToken, Status: http.StatusTooManyRequests, Times: 1}, 1},
	}
	base := map[ffake.Endpoint]int{ffake.EndpointToken: 1, ffake.EndpointScroll: 4, ffake.EndpointDetails: 3, ffake.EndpointZTA: 22}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d on %s", tt.fault.Status, tt.fault.Endpoint), func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(devices(550))
			srv.Inject(tt.fault)
			c := newSmallClient(t, srv)
			recs, err := c.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != 550 {
				t.Fatalf("got %d records, want 550", len(recs))
			}
			ep := tt.fault.Endpoint
			if got, want := srv.Requests(ep), base[ep]+tt.extra; got != want {
				t.Errorf("%s: got %d requests, want %d", ep, got, want)
			}
		})
	}
}

func TestFetchContextTimeout(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(300))
	srv.Inject(ffake.Fault{Endpoint: ffake.EndpointZTA, Page: 2, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	recs, err := newClient(t, srv).Fetch(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v, want context.DeadlineExceeded", err)
	}
	if recs != nil {
		t.Errorf("got %d records, want none", len(recs))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Fetch took %v, want it to stop at the deadline", d)
	}
}

// TestScrollNotAdvancing guards against an API that hands back the same
// page forever.
func TestScrollNotAdvancing(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/token" {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"access_token":"t","token_type":"bearer","expires_in":1799}`)
			return
		}
		fmt.Fprint(w, `{"meta":{"pagination":{"total":2,"offset":"tok"}},"resources":["a","b"],"errors":null}`)
	}))
	defer ts.Close()
	c, err := New(integrations.Config{BaseURL: ts.URL, ClientID: "id", Secret: "s", Retry: quick})
	if err != nil {
		t.Fatal(err)
	}
	err = fetchFails(t, c)
	if !strings.Contains(err.Error(), "not advancing") {
		t.Errorf("got error %q, want it to say the scroll is not advancing", err)
	}
}

func TestNew(t *testing.T) {
	for _, cfg := range []integrations.Config{
		{BaseURL: "https://api.crowdstrike.com", Secret: "s"},
		{BaseURL: "https://api.crowdstrike.com", ClientID: "id"},
		{BaseURL: "api.crowdstrike.com", ClientID: "id", Secret: "s"},
	} {
		if _, err := New(cfg); postern.ErrorCode(err) != postern.EINVALID {
			t.Errorf("New(%+v): got error %v, want an EINVALID error", cfg, err)
		}
	}
}

// rawAPI serves a token, then answers each API path with its body in
// bodies: a scroll of one host "a", its details and no assessments unless
// bodies says otherwise.
func rawAPI(t *testing.T, bodies map[string]string, sawForm func(url.Values)) *httptest.Server {
	t.Helper()
	answer := map[string]string{
		"/devices/queries/devices-scroll/v1":             `{"meta":{"pagination":{"total":1,"offset":"x"}},"resources":["a"],"errors":[]}`,
		"/devices/entities/devices/v2":                   `{"meta":{},"resources":[{"device_id":"a","serial_number":"S"}],"errors":[]}`,
		"/zero-trust-assessment/entities/assessments/v1": `{"meta":{},"resources":[],"errors":null}`,
	}
	for path, b := range bodies {
		answer[path] = b
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/oauth2/token":
			r.ParseForm()
			if sawForm != nil {
				sawForm(r.PostForm)
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"access_token":"t","token_type":"bearer","expires_in":1799}`)
		case r.URL.Path == "/devices/queries/devices-scroll/v1" && r.URL.Query().Get("offset") != "":
			fmt.Fprint(w, `{"meta":{"pagination":{"total":0,"offset":""}},"resources":[],"errors":[]}`)
		default:
			fmt.Fprint(w, answer[r.URL.Path])
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestErrorsInSuccessfulResponse(t *testing.T) {
	const zta = "/zero-trust-assessment/entities/assessments/v1"
	t.Run("fatal", func(t *testing.T) {
		ts := rawAPI(t, map[string]string{zta: `{"meta":{},"resources":[],"errors":[{"code":500,"message":"partial failure"}]}`}, nil)
		c, _ := New(integrations.Config{BaseURL: ts.URL, ClientID: "id", Secret: "s", Retry: quick})
		err := fetchFails(t, c)
		if !strings.Contains(err.Error(), "partial failure") {
			t.Errorf("got error %q, want the API's message", err)
		}
	})
	t.Run("not found is ignored", func(t *testing.T) {
		ts := rawAPI(t, map[string]string{zta: `{"meta":{},"resources":[],"errors":[{"code":404,"message":"ID not found"}]}`}, nil)
		c, _ := New(integrations.Config{BaseURL: ts.URL, ClientID: "id", Secret: "s", Retry: quick})
		recs, err := c.Fetch(context.Background())
		if err != nil || len(recs) != 1 {
			t.Errorf("got %d records, error %v; want 1 record, 404 entries ignored", len(recs), err)
		}
	})
}

func TestMemberCID(t *testing.T) {
	var got url.Values
	ts := rawAPI(t, nil, func(v url.Values) { got = v })
	c, _ := New(integrations.Config{BaseURL: ts.URL, ClientID: "id", Secret: "s", TenantID: "child-cid", Retry: quick})
	if _, err := c.Fetch(context.Background()); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got.Get("member_cid") != "child-cid" || got.Get("client_id") != "id" || got.Get("client_secret") != "s" {
		t.Errorf("got token form %v, want client_id, client_secret and member_cid", got)
	}
}
