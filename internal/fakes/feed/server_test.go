package feed

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, c *http.Client, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestWireFormat: pages carry the schema, devices with bare names and
// RFC 3339 lastSeen, and nextCursor, null on the last page.
func TestWireFormat(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	s.SetSchema(map[string]Attr{"diskEncrypted": {Type: "bool"}, "tier": {Type: "string", Values: []string{"gold"}}})
	s.SetPageSize(2)
	seen := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.SetDevices([]Device{
		{Serials: []string{"S1"}, LastSeen: seen, Attributes: map[string]any{"diskEncrypted": true}},
		{MACs: []string{"aa:bb:cc:dd:ee:ff"}},
		{Serials: []string{"S3"}, Attributes: map[string]any{"tier": "gold"}},
	})
	var pages []map[string]any
	url := s.URL() + DevicesPath
	for range 3 {
		resp, b := get(t, http.DefaultClient, url, "tok")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("got %s %q, want 200 application/json", resp.Status, resp.Header.Get("Content-Type"))
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		next, ok := p["nextCursor"]
		if !ok {
			t.Fatalf("page %d has no nextCursor: %s", len(pages), b)
		}
		if next == nil {
			break
		}
		url = s.URL() + DevicesPath + "?cursor=" + next.(string)
	}
	if len(pages) != 2 {
		t.Fatalf("got %d pages, want 2", len(pages))
	}
	d0 := pages[0]["devices"].([]any)[0].(map[string]any)
	if d0["id"] != "dev-0000000001" || d0["lastSeen"] != "2026-12-01T10:00:00Z" || d0["attributes"].(map[string]any)["diskEncrypted"] != true {
		t.Errorf("got first device %v", d0)
	}
	if got := pages[1]["schema"].(map[string]any)["attributes"].(map[string]any)["tier"]; got == nil {
		t.Errorf("page 2 has no schema of tier: %v", pages[1]["schema"])
	}
	if s.Requests() != 2 {
		t.Errorf("got %d requests, want 2", s.Requests())
	}
}

func TestErrors(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	for _, tt := range []struct {
		url, token string
		status     int
		body       string
	}{
		{DevicesPath, "", 401, `{"error":"invalid or missing bearer token"}`},
		{DevicesPath, "wrong", 401, `{"error":"invalid or missing bearer token"}`},
		{DevicesPath + "?cursor=!!", "tok", 400, `{"error":"invalid cursor"}`},
		{"/v2/devices", "tok", 404, `{"error":"not found"}`},
	} {
		resp, b := get(t, http.DefaultClient, s.URL()+tt.url, tt.token)
		if resp.StatusCode != tt.status || string(b) != tt.body {
			t.Errorf("%s: got %d %s, want %d %s", tt.url, resp.StatusCode, b, tt.status, tt.body)
		}
	}
	s.Inject(Fault{Status: 429, RetryAfter: 2 * time.Second, Times: 1})
	resp, b := get(t, http.DefaultClient, s.URL()+DevicesPath, "tok")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(string(b), "Too Many Requests") {
		t.Errorf("got %d %q %s, want 429 with Retry-After 2", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	s.Inject(Fault{Truncate: true, Times: 1})
	if _, b := get(t, http.DefaultClient, s.URL()+DevicesPath, "tok"); json.Valid(b) {
		t.Errorf("truncated page is valid JSON: %s", b)
	}
}

func TestMTLS(t *testing.T) {
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	s := NewMTLSServer(ca.Pool())
	defer s.Close()
	if _, err := s.Client().Get(s.URL() + DevicesPath); err == nil {
		t.Errorf("a request without a client certificate succeeded")
	}
}
