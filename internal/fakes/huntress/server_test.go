package huntress

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const pub, priv = "pk_test", "sk_test"

func basic(p, s string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(p+":"+s))
}

func get(t *testing.T, srv *Server, target, auth string) (*http.Response, string) {
	t.Helper()
	if strings.HasPrefix(target, "?") {
		target = srv.URL() + AgentsPath + target
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

type page struct {
	Agents []struct {
		ID             int64   `json:"id"`
		OrganizationID int64   `json:"organization_id"`
		SerialNumber   *string `json:"serial_number"`
		DefenderStatus *string `json:"defender_status"`
		FirewallStatus *string `json:"firewall_status"`
		LastCallbackAt string  `json:"last_callback_at"`
	} `json:"agents"`
	Pagination map[string]*string `json:"pagination"`
}

func decode(t *testing.T, body string) page {
	t.Helper()
	var p page
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return p
}

func newServer(t *testing.T) *Server {
	t.Helper()
	srv := NewServer(pub, priv)
	t.Cleanup(srv.Close)
	return srv
}

func TestAuth(t *testing.T) {
	srv := newServer(t)
	for _, auth := range []string{"", "Bearer " + priv, basic(pub, "wrong"), basic("wrong", priv), "Basic !!!"} {
		resp, body := get(t, srv, "?limit=1", auth)
		if resp.StatusCode != http.StatusUnauthorized || body != bodyUnauthorized {
			t.Errorf("Authorization %q: got %d %s, want 401 %s", auth, resp.StatusCode, body, bodyUnauthorized)
		}
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
			t.Errorf("Authorization %q: got WWW-Authenticate %q, want a Basic challenge", auth, got)
		}
	}
	if resp, body := get(t, srv, "?limit=1", basic(pub, priv)); resp.StatusCode != http.StatusOK {
		t.Errorf("right keys: got %d %s, want 200", resp.StatusCode, body)
	}
	srv.SetKeys(pub, "rotated")
	if resp, _ := get(t, srv, "?limit=1", basic(pub, priv)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after SetKeys: got %d, want 401", resp.StatusCode)
	}
	if got := srv.Requests(); got != 7 {
		t.Errorf("got %d requests counted, want 7", got)
	}
}

func TestAPIAccess(t *testing.T) {
	srv := newServer(t)
	srv.SetAPIAccess(false)
	resp, body := get(t, srv, "?limit=1", basic(pub, priv))
	if resp.StatusCode != http.StatusForbidden || body != bodyForbidden {
		t.Errorf("got %d %s, want 403 %s", resp.StatusCode, body, bodyForbidden)
	}
}

func TestPaging(t *testing.T) {
	srv := newServer(t)
	agents := make([]Agent, 25)
	agents[0].SerialNumber = "SER0"
	agents[0].DefenderStatus = "Protected"
	stored := srv.SetAgents(agents)

	resp, body := get(t, srv, "?", basic(pub, priv))
	p := decode(t, body)
	if resp.StatusCode != http.StatusOK || len(p.Agents) != DefaultLimit {
		t.Fatalf("default limit: got %d with %d agents, want 200 with %d", resp.StatusCode, len(p.Agents), DefaultLimit)
	}
	if p.Agents[0].ID != stored[24].ID {
		t.Errorf("first agent: got id %d, want %d (newest first)", p.Agents[0].ID, stored[24].ID)
	}

	seen := map[int64]bool{}
	token, pages := "", 0
	var last page
	for {
		q := "?limit=10&organization_id=1"
		if token != "" {
			q += "&page_token=" + token
		}
		_, body := get(t, srv, q, basic(pub, priv))
		last = decode(t, body)
		pages++
		for _, a := range last.Agents {
			seen[a.ID] = true
		}
		next := last.Pagination["next_page_token"]
		if next == nil {
			if len(last.Pagination) != 0 || !strings.Contains(body, `"pagination":{}`) {
				t.Errorf("last page %s: want an empty pagination object", body)
			}
			break
		}
		u := last.Pagination["next_page_url"]
		if u == nil || !strings.Contains(*u, "page_token="+*next) || !strings.Contains(*u, "limit=10") || strings.Contains(*u, "organization_id") {
			t.Errorf("next_page_url %v: want the token and limit only", u)
		}
		token = *next
	}
	if pages != 3 || len(seen) != 25 {
		t.Errorf("got %d pages and %d agents, want 3 and 25", pages, len(seen))
	}
	for _, a := range last.Agents {
		if a.ID == stored[0].ID {
			if a.SerialNumber == nil || *a.SerialNumber != "SER0" || a.DefenderStatus == nil || *a.DefenderStatus != "Protected" {
				t.Errorf("agent %d: got serial %v, defender %v; want SER0, Protected", a.ID, a.SerialNumber, a.DefenderStatus)
			}
			if a.FirewallStatus != nil {
				t.Errorf("agent %d: got firewall_status %q, want null", a.ID, *a.FirewallStatus)
			}
			if _, err := time.Parse(time.RFC3339, a.LastCallbackAt); err != nil {
				t.Errorf("last_callback_at %q: %v", a.LastCallbackAt, err)
			}
		}
	}
}

func TestFinalPagination(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(make([]Agent, 2))
	for f, want := range map[FinalPagination]string{
		FinalNull:  `"pagination":{"next_page_url":null,"next_page_token":null}`,
		FinalEmpty: `"pagination":{"next_page_url":"","next_page_token":""}`,
	} {
		srv.SetFinalPagination(f)
		if _, body := get(t, srv, "?limit=5", basic(pub, priv)); !strings.Contains(body, want) {
			t.Errorf("final pagination %d: got %s, want %s", f, body, want)
		}
	}
}

func TestOrganizationFilter(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents([]Agent{{OrganizationID: 7}, {OrganizationID: 8}, {OrganizationID: 7}})
	_, body := get(t, srv, "?limit=10&organization_id=7", basic(pub, priv))
	p := decode(t, body)
	if len(p.Agents) != 2 || p.Agents[0].OrganizationID != 7 || p.Agents[1].OrganizationID != 7 {
		t.Errorf("organization 7: got %s, want its two agents", body)
	}
	resp, body := get(t, srv, "?organization_id=99", basic(pub, priv))
	if resp.StatusCode != http.StatusNotFound || body != bodyNotFound {
		t.Errorf("unknown organization: got %d %s, want 404 %s", resp.StatusCode, body, bodyNotFound)
	}
}

func TestBadRequests(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(make([]Agent, 3))
	for q, want := range map[string]string{
		"?limit=501":               "limit does not have a valid value",
		"?limit=0":                 "limit does not have a valid value",
		"?limit=x":                 "limit is invalid",
		"?page_token=!!":           "page_token is invalid",
		"?page_token=OTk5OTk":      "page_token is invalid", // an agent that is not there
		"?organization_id=acme":    "organization_id is invalid",
		"?sort_direction=sideways": "sort_direction does not have a valid value",
		"?sort_field=hostname":     "sort_field does not have a valid value",
	} {
		resp, body := get(t, srv, q, basic(pub, priv))
		if resp.StatusCode != http.StatusBadRequest || body != errorJSON(want) {
			t.Errorf("%s: got %d %s, want 400 %s", q, resp.StatusCode, body, errorJSON(want))
		}
	}
}

func TestFaults(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(make([]Agent, 30))
	t.Run("429 with Retry-After", func(t *testing.T) {
		srv.Inject(Fault{Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond, Times: 1})
		resp, body := get(t, srv, "?limit=10", basic(pub, priv))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" || body != bodyTooMany {
			t.Errorf("got %d Retry-After %q %s, want 429 with 2 and %s", resp.StatusCode, resp.Header.Get("Retry-After"), body, bodyTooMany)
		}
		if resp, _ := get(t, srv, "?limit=10", basic(pub, priv)); resp.StatusCode != http.StatusOK {
			t.Errorf("after Times ran out: got %d, want 200", resp.StatusCode)
		}
	})
	t.Run("500 on page 2 only", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Page: 2, Status: http.StatusInternalServerError})
		resp, body := get(t, srv, "?limit=10", basic(pub, priv))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page 1: got %d, want 200", resp.StatusCode)
		}
		p := decode(t, body)
		resp, body = get(t, srv, "?limit=10&page_token="+*p.Pagination["next_page_token"], basic(pub, priv))
		if resp.StatusCode != http.StatusInternalServerError || body != bodyInternal {
			t.Errorf("page 2: got %d %s, want 500 %s", resp.StatusCode, body, bodyInternal)
		}
	})
	t.Run("not before authentication", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Status: http.StatusInternalServerError})
		if resp, _ := get(t, srv, "?limit=10", basic(pub, "wrong")); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong keys: got %d, want 401", resp.StatusCode)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Truncate: true})
		resp, body := get(t, srv, "?limit=10", basic(pub, priv))
		if resp.StatusCode != http.StatusOK || json.Valid([]byte(body)) {
			t.Errorf("got %d with valid JSON %v, want 200 with broken JSON", resp.StatusCode, json.Valid([]byte(body)))
		}
	})
}

func TestUpdateAndRemove(t *testing.T) {
	srv := newServer(t)
	a := srv.PutAgent(Agent{SerialNumber: "S", FirewallStatus: "Enabled"})
	if !srv.Update(a.ID, func(a *Agent) { a.FirewallStatus = "Isolated" }) {
		t.Fatal("Update of an existing agent returned false")
	}
	_, body := get(t, srv, "?limit=5", basic(pub, priv))
	if p := decode(t, body); len(p.Agents) != 1 || p.Agents[0].FirewallStatus == nil || *p.Agents[0].FirewallStatus != "Isolated" {
		t.Errorf("got %s, want one isolated agent", body)
	}
	srv.RemoveAgent(a.ID)
	_, body = get(t, srv, "?limit=5", basic(pub, priv))
	if p := decode(t, body); len(p.Agents) != 0 {
		t.Errorf("got %s, want no agents", body)
	}
}

func TestCloseCutsDelayShort(t *testing.T) {
	srv := NewServer(pub, priv)
	srv.Inject(Fault{Delay: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+AgentsPath, nil)
		req.Header.Set("Authorization", basic(pub, priv))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for srv.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still blocked after 10s, want it to cut the delay short")
	}
	<-done
}

func TestRateLimit(t *testing.T) {
	srv := newServer(t)
	srv.SetRateLimit(2, time.Minute)
	for i, want := range []int{200, 401, 429} {
		auth := basic(pub, priv)
		if i == 1 {
			auth = basic(pub, "wrong") // refused requests count too
		}
		resp, body := get(t, srv, "?limit=1", auth)
		if resp.StatusCode != want {
			t.Fatalf("request %d: got %d %s, want %d", i+1, resp.StatusCode, body, want)
		}
		if want == 429 {
			if ra := resp.Header.Get("Retry-After"); ra != "60" && ra != "59" {
				t.Errorf("got Retry-After %q, want about 60", ra)
			}
			if body != bodyTooMany {
				t.Errorf("got body %s, want %s", body, bodyTooMany)
			}
		}
	}
	srv.SetRateLimit(0, 0)
	if resp, _ := get(t, srv, "?limit=1", basic(pub, priv)); resp.StatusCode != http.StatusOK {
		t.Errorf("without a limit: got %d, want 200", resp.StatusCode)
	}
}

func TestSortAscending(t *testing.T) {
	srv := newServer(t)
	stored := srv.SetAgents(make([]Agent, 3))
	_, body := get(t, srv, "?sort_field=created_at&sort_direction=asc", basic(pub, priv))
	p := decode(t, body)
	if len(p.Agents) != 3 || p.Agents[0].ID != stored[0].ID || p.Agents[2].ID != stored[2].ID {
		t.Errorf("got %s, want the agents oldest first", body)
	}
}
