package sentinelone

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

const token = "tok"

func get(t *testing.T, srv *Server, query, auth string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+AgentsPath+query, nil)
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
	Data []struct {
		ID           string  `json:"id"`
		SerialNumber *string `json:"serialNumber"`
		IsActive     bool    `json:"isActive"`
	} `json:"data"`
	Pagination struct {
		TotalItems *int    `json:"totalItems"`
		NextCursor *string `json:"nextCursor"`
	} `json:"pagination"`
}

func decodePage(t *testing.T, body string) page {
	t.Helper()
	var p page
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return p
}

func TestAuth(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	for _, auth := range []string{"", "Bearer " + token, "ApiToken wrong"} {
		resp, body := get(t, srv, "", auth)
		if resp.StatusCode != http.StatusUnauthorized || body != bodyAuthFailed {
			t.Errorf("Authorization %q: got %d %s, want 401 %s", auth, resp.StatusCode, body, bodyAuthFailed)
		}
	}
	if resp, body := get(t, srv, "", "ApiToken "+token); resp.StatusCode != http.StatusOK {
		t.Errorf("got %d %s, want 200", resp.StatusCode, body)
	}
	if got := srv.Requests(); got != 4 {
		t.Errorf("got %d requests counted, want 4", got)
	}
}

func TestCursorPaging(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	agents := make([]Agent, 25)
	agents[3].SerialNumber = "SER3"
	srv.SetAgents(agents)

	resp, body := get(t, srv, "", "ApiToken "+token)
	p := decodePage(t, body)
	if resp.StatusCode != http.StatusOK || len(p.Data) != 10 {
		t.Fatalf("default limit: got %d with %d agents, want 200 with 10", resp.StatusCode, len(p.Data))
	}
	if p.Pagination.TotalItems == nil || *p.Pagination.TotalItems != 25 {
		t.Errorf("got totalItems %v, want 25", p.Pagination.TotalItems)
	}
	if p.Data[3].SerialNumber == nil || *p.Data[3].SerialNumber != "SER3" || p.Data[0].SerialNumber != nil {
		t.Errorf("got serials %v, %v; want null and SER3", p.Data[0].SerialNumber, p.Data[3].SerialNumber)
	}

	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		q := "?limit=10&skipCount=true"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		_, body := get(t, srv, q, "ApiToken "+token)
		p := decodePage(t, body)
		pages++
		for _, a := range p.Data {
			seen[a.ID] = true
		}
		if p.Pagination.TotalItems != nil {
			t.Errorf("got totalItems %d with skipCount=true, want null", *p.Pagination.TotalItems)
		}
		if p.Pagination.NextCursor == nil {
			if !strings.Contains(body, `"nextCursor":null`) {
				t.Errorf("last page %s: want nextCursor null", body)
			}
			break
		}
		cursor = *p.Pagination.NextCursor
	}
	if pages != 3 || len(seen) != 25 {
		t.Errorf("got %d pages and %d agents, want 3 and 25", pages, len(seen))
	}
}

func TestFinalCursorEmpty(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	srv.SetAgents(make([]Agent, 3))
	srv.SetFinalCursorEmpty(true)
	_, body := get(t, srv, "?limit=10", "ApiToken "+token)
	if !strings.Contains(body, `"nextCursor":""`) {
		t.Errorf("got %s, want nextCursor \"\"", body)
	}
}

func TestBadRequests(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	for _, q := range []string{"?limit=1001", "?limit=0", "?cursor=!!!", "?cursor=" + "Zm9vOmJhcg=="} {
		resp, body := get(t, srv, q, "ApiToken "+token)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Validation Error") {
			t.Errorf("%s: got %d %s, want 400 Validation Error", q, resp.StatusCode, body)
		}
	}
}

func TestFaults(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	srv.SetAgents(make([]Agent, 30))
	t.Run("429 with Retry-After", func(t *testing.T) {
		srv.Inject(Fault{Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond, Times: 1})
		resp, body := get(t, srv, "?limit=10", "ApiToken "+token)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
			t.Errorf("got %d Retry-After %q, want 429 with 2", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if body != bodyTooMany {
			t.Errorf("got body %s, want %s", body, bodyTooMany)
		}
		if resp, _ := get(t, srv, "?limit=10", "ApiToken "+token); resp.StatusCode != http.StatusOK {
			t.Errorf("after Times ran out: got %d, want 200", resp.StatusCode)
		}
	})
	t.Run("500 on page 2 only", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Page: 2, Status: http.StatusInternalServerError})
		_, body := get(t, srv, "?limit=10", "ApiToken "+token)
		p := decodePage(t, body)
		resp, body := get(t, srv, "?limit=10&cursor="+*p.Pagination.NextCursor, "ApiToken "+token)
		if resp.StatusCode != http.StatusInternalServerError || body != bodyInternal {
			t.Errorf("page 2: got %d %s, want 500 %s", resp.StatusCode, body, bodyInternal)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Truncate: true})
		resp, body := get(t, srv, "?limit=10", "ApiToken "+token)
		if resp.StatusCode != http.StatusOK || json.Valid([]byte(body)) {
			t.Errorf("got %d with valid JSON %v, want 200 with broken JSON", resp.StatusCode, json.Valid([]byte(body)))
		}
	})
}

func TestCloseCutsDelayShort(t *testing.T) {
	srv := NewServer(token)
	srv.Inject(Fault{Delay: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get(srv.URL() + AgentsPath)
		if err == nil {
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

func TestUpdateAndRemove(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	a := srv.PutAgent(Agent{SerialNumber: "S"})
	if ok := srv.Update(a.ID, func(a *Agent) { a.IsActive = true }); !ok {
		t.Fatal("Update of an existing agent returned false")
	}
	_, body := get(t, srv, "", "ApiToken "+token)
	if p := decodePage(t, body); len(p.Data) != 1 || !p.Data[0].IsActive {
		t.Errorf("got %s, want one active agent", body)
	}
	srv.RemoveAgent(a.ID)
	if srv.Update(a.ID, func(*Agent) {}) {
		t.Error("Update of a removed agent returned true")
	}
	_, body = get(t, srv, "", "ApiToken "+token)
	if p := decodePage(t, body); len(p.Data) != 0 {
		t.Errorf("got %s, want no agents", body)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	srv.SetAgents(make([]Agent, 50))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 10 {
				srv.PutAgent(Agent{ID: fmt.Sprint(i*100 + j)})
				srv.Update(fmt.Sprint(i*100+j), func(a *Agent) { a.Infected = true })
				if resp, _ := get(t, srv, "?limit=20", "ApiToken "+token); resp.StatusCode != http.StatusOK {
					t.Errorf("got %d, want 200", resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	if got := srv.Requests(); got != 40 {
		t.Errorf("got %d requests, want 40", got)
	}
}
