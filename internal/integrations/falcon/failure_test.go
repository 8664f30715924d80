package falcon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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
