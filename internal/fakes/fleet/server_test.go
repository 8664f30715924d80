package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func get(t *testing.T, s *Server, pathQuery, auth string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+pathQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", pathQuery, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", pathQuery, err)
	}
	return resp.StatusCode, resp.Header, body
}

func hostsOf(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var p struct {
		Hosts []map[string]any `json:"hosts"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return p.Hosts
}

func TestServerWireFormat(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	hosts := make([]Host, 25)
	for i := range hosts {
		hosts[i] = Host{HardwareSerial: fmt.Sprintf("S%02d", i), Policies: []Policy{{Name: "p", Description: "Tailscale: fleetPolicy:p", Response: "pass"}}}
	}
	s.SetHosts(hosts)
	const auth = "Bearer tok"

	t.Run("auth", func(t *testing.T) {
		for _, tc := range []struct{ auth, wantMsg string }{
			{"", "Authorization header required"},
			{"Bearer nope", "Authentication required"},
			{"tok", "Authentication required"},
		} {
			code, _, body := get(t, s, HostsPath, tc.auth)
			if code != http.StatusUnauthorized {
				t.Errorf("auth %q: got status %d, want 401", tc.auth, code)
			}
			var e struct {
				Message string                          `json:"message"`
				Errors  []struct{ Name, Reason string } `json:"errors"`
				UUID    string                          `json:"uuid"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Message != tc.wantMsg || len(e.Errors) != 1 || e.Errors[0].Name != "base" || e.UUID == "" {
				t.Errorf("auth %q: got body %s, want Fleet's envelope with message %q", tc.auth, body, tc.wantMsg)
			}
		}
	})

	t.Run("paging", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  int
			first string
		}{
			{"", 25, "S00"},                   // neither page nor per_page: everything
			{"?page=0", 20, "S00"},            // page alone: 20 per page
			{"?page=1", 5, "S20"},             // 0-based
			{"?page=2&per_page=10", 5, "S20"}, // short last page
			{"?page=9&per_page=10", 0, ""},    // past the end
			{"?per_page=7", 7, "S00"},         // per_page alone: first page
		} {
			code, _, body := get(t, s, HostsPath+tc.query, auth)
			if code != http.StatusOK {
				t.Fatalf("%s: got status %d, want 200", tc.query, code)
			}
			hs := hostsOf(t, body)
			if len(hs) != tc.want {
				t.Errorf("%s: got %d hosts, want %d", tc.query, len(hs), tc.want)
			}
			if len(hs) > 0 && hs[0]["hardware_serial"] != tc.first {
				t.Errorf("%s: first host serial %v, want %s", tc.query, hs[0]["hardware_serial"], tc.first)
			}
			if strings.Contains(string(body), `"meta"`) {
				t.Errorf("%s: body has a meta object; Fleet's has none", tc.query)
			}
		}
		for _, q := range []string{"?page=0&per_page=0", "?page=-1", "?per_page=x"} {
			if code, _, _ := get(t, s, HostsPath+q, auth); code != http.StatusBadRequest {
				t.Errorf("%s: got status %d, want 400", q, code)
			}
		}
	})

	t.Run("populate_policies", func(t *testing.T) {
		_, _, body := get(t, s, HostsPath+"?per_page=1", auth)
		if _, ok := hostsOf(t, body)[0]["policies"]; ok {
			t.Errorf("without populate_policies: got a policies field, want none")
		}
		_, _, body = get(t, s, "/api/latest/fleet/hosts?per_page=1&populate_policies=true", auth)
		ps, ok := hostsOf(t, body)[0]["policies"].([]any)
		if !ok || len(ps) != 1 || ps[0].(map[string]any)["response"] != "pass" {
			t.Errorf("with populate_policies: got policies %v, want one passing policy", ps)
		}
	})
}

func TestServerFaults(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	s.SetHosts(make([]Host, 10))
	const auth = "Bearer tok"

	s.Inject(Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: 7 * time.Second, Times: 1})
	s.Inject(Fault{Page: 3, Truncate: true, Times: 1})
	s.Inject(Fault{Page: 4, Status: http.StatusInternalServerError})

	if code, _, _ := get(t, s, HostsPath+"?page=0&per_page=3", auth); code != http.StatusOK {
		t.Errorf("page 1: got status %d, want 200", code)
	}
	code, hdr, body := get(t, s, HostsPath+"?page=1&per_page=3", auth)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "7" || !strings.Contains(string(body), "limit exceeded, retry after: 7s") {
		t.Errorf("page 2: got %d, Retry-After %q, body %s; want 429, 7, Fleet's limit message", code, hdr.Get("Retry-After"), body)
	}
	if code, _, _ := get(t, s, HostsPath+"?page=1&per_page=3", auth); code != http.StatusOK {
		t.Errorf("page 2 again: got status %d, want 200 once the fault is spent", code)
	}
	code, _, body = get(t, s, HostsPath+"?page=2&per_page=3", auth)
	if code != http.StatusOK || json.Valid(body) {
		t.Errorf("page 3: got status %d, valid JSON %v; want 200 with truncated JSON", code, json.Valid(body))
	}
	for range 2 {
		if code, _, _ := get(t, s, HostsPath+"?page=3&per_page=3", auth); code != http.StatusInternalServerError {
			t.Errorf("page 4: got status %d, want 500 every time", code)
		}
	}
	if got := s.Requests(); got != 6 {
		t.Errorf("Requests: got %d, want 6", got)
	}
	s.ClearFaults()
	if code, _, _ := get(t, s, HostsPath+"?page=3&per_page=3", auth); code != http.StatusOK {
		t.Errorf("page 4 after ClearFaults: got status %d, want 200", code)
	}
}

func TestServerConcurrentUse(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	stored := s.SetHosts([]Host{{Policies: []Policy{{Name: "p", Response: "pass"}}}})
	id := stored[0].ID
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 20 {
				s.SetPolicyResponse(id, "p", []string{"pass", "fail"}[i%2])
				s.PutHost(Host{})
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+HostsPath+"?populate_policies=true", nil)
				req.Header.Set("Authorization", "Bearer tok")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("GET: %v", err) // not Fatal: this is not the test goroutine
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if got := s.Requests(); got != 80 {
		t.Errorf("Requests: got %d, want 80", got)
	}
	if !s.SetPolicyResponse(id, "p", "fail") {
		t.Errorf("SetPolicyResponse on an existing host and policy: got false, want true")
	}
	if s.SetPolicyResponse(id, "missing", "fail") {
		t.Errorf("SetPolicyResponse on a missing policy: got true, want false")
	}
}
