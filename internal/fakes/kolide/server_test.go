package kolide

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const token = "k2sk_v1_testtoken"

// get sends GET path with the API key auth (if not "") and the version
// header version (if not "").
func get(t *testing.T, srv *Server, path, auth, version string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if version != "" {
		req.Header.Set("X-Kolide-Api-Version", version)
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

func list(t *testing.T, srv *Server, query string) (*http.Response, string) {
	t.Helper()
	return get(t, srv, DevicesPath+query, "Bearer "+token, APIVersion2023)
}

type page struct {
	Data []map[string]any `json:"data"`
	// Pointers, so a missing field is told from a blank one.
	Pagination struct {
		Next          *string `json:"next"`
		NextCursor    *string `json:"next_cursor"`
		CurrentCursor *string `json:"current_cursor"`
		Count         *int    `json:"count"`
	} `json:"pagination"`
}

func decode(t *testing.T, body string) page {
	t.Helper()
	var p page
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	if p.Pagination.Next == nil || p.Pagination.NextCursor == nil || p.Pagination.CurrentCursor == nil || p.Pagination.Count == nil {
		t.Fatalf("pagination %s: want next, next_cursor, current_cursor and count", body)
	}
	return p
}

func TestAuthAndVersion(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	tests := []struct {
		name, auth, version string
		wantStatus          int
		wantBody            string
	}{
		{"no key", "", APIVersion2023, 401, bodyUnauthorized},
		{"wrong key", "Bearer nope", APIVersion2023, 401, bodyUnauthorized},
		{"not bearer", token, APIVersion2023, 401, bodyUnauthorized},
		{"unknown version", "Bearer " + token, "2020-01-01", 400, bodyNoVersion},
		{"no version header: the default", "Bearer " + token, "", 200, ""},
		{"2023 version", "Bearer " + token, APIVersion2023, 200, ""},
		{"2026 version", "Bearer " + token, APIVersion2026, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv, DevicesPath, tt.auth, tt.version)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("got body %s, want %s", body, tt.wantBody)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("got Content-Type %q, want JSON", ct)
			}
		})
	}
	if got := srv.Requests(); got != len(tests) {
		t.Errorf("got %d requests counted, want %d", got, len(tests))
	}
}

func TestCursorPaging(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	srv.SetDevices(make([]Device, 60))

	// Default page: 25.
	resp, body := list(t, srv, "")
	p := decode(t, body)
	if resp.StatusCode != 200 || len(p.Data) != 25 || *p.Pagination.Count != 25 {
		t.Fatalf("default page: got %d with %d devices (count %d), want 200 with 25", resp.StatusCode, len(p.Data), *p.Pagination.Count)
	}
	// Follow next_cursor with per_page=20: 20, 20, 20 and a blank cursor.
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		pages++
		_, body := list(t, srv, "?per_page=20&cursor="+url.QueryEscape(cursor))
		p := decode(t, body)
		if *p.Pagination.CurrentCursor != cursor {
			t.Errorf("page %d: got current_cursor %q, want %q", pages, *p.Pagination.CurrentCursor, cursor)
		}
		for _, d := range p.Data {
			seen[d["id"].(string)] = true
		}
		next := *p.Pagination.NextCursor
		if next == "" {
			if *p.Pagination.Next != "" {
				t.Errorf("last page: got next %q, want blank", *p.Pagination.Next)
			}
			break
		}
		u, err := url.Parse(*p.Pagination.Next)
		if err != nil || u.Query().Get("cursor") != next || u.Query().Get("per_page") != "20" || u.Path != DevicesPath {
			t.Errorf("page %d: got next %q, want the devices URL with per_page=20 and cursor %q", pages, *p.Pagination.Next, next)
		}
		cursor = next
	}
	if pages != 3 || len(seen) != 60 {
		t.Errorf("got %d pages with %d distinct devices, want 3 with 60", pages, len(seen))
	}
}

func TestBadParameters(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	for _, q := range []string{"?per_page=0", "?per_page=101", "?per_page=x", "?cursor=%25%25", "?cursor=YWJj"} {
		resp, body := list(t, srv, q)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("%s: got %d %s, want 400 with an error body", q, resp.StatusCode, body)
		}
	}
	resp, body := get(t, srv, "/nope", "Bearer "+token, APIVersion2023)
	if resp.StatusCode != http.StatusNotFound || body != bodyNotFound {
		t.Errorf("unknown path: got %d %s, want 404 %s", resp.StatusCode, body, bodyNotFound)
	}
}

func TestDeviceJSON(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	seen := time.Date(2026, 11, 30, 8, 15, 2, 123000000, time.UTC)
	srv.SetDevices([]Device{
		{ID: "1000001", Name: "alice-mbp", Serial: "C02XL0GHJGH5", AuthState: WillBlock, LastSeenAt: seen, WillBlockAt: seen.Add(72 * time.Hour)},
		{ID: "1000002", OmitLastSeen: true},
	})
	_, body := list(t, srv, "")
	p := decode(t, body)
	a, b := p.Data[0], p.Data[1]
	for k, want := range map[string]any{
		"id": "1000001", "name": "alice-mbp", "serial": "C02XL0GHJGH5", "auth_state": "Will Block",
		"last_seen_at": "2026-11-30T08:15:02.123Z", "will_block_at": "2026-12-03T08:15:02.123Z", "device_type": "Mac",
	} {
		if a[k] != want {
			t.Errorf("%s: got %v, want %v", k, a[k], want)
		}
	}
	for _, k := range []string{"serial", "auth_state", "will_block_at", "last_authenticated_at", "note"} {
		if v, ok := b[k]; !ok || v != nil {
			t.Errorf("%s: got %v (present %v), want null", k, v, ok)
		}
	}
	if _, ok := b["last_seen_at"]; ok {
		t.Errorf("last_seen_at: got it, want it left out")
	}
}

func TestFaults(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	srv.SetDevices(make([]Device, 30))

	t.Run("429 on page 2 with Retry-After", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second, Times: 1})
		resp, body := list(t, srv, "?per_page=10")
		next := decode(t, body).Pagination.NextCursor
		resp, body = list(t, srv, "?per_page=10&cursor="+url.QueryEscape(*next))
		if resp.StatusCode != 429 || body != bodyTooMany || resp.Header.Get("Retry-After") != "3" || resp.Header.Get("RateLimit-Remaining") != "0" {
			t.Errorf("got %d %s Retry-After %q, want 429 %s with Retry-After 3", resp.StatusCode, body, resp.Header.Get("Retry-After"), bodyTooMany)
		}
		if resp, _ = list(t, srv, "?per_page=10&cursor="+url.QueryEscape(*next)); resp.StatusCode != 200 {
			t.Errorf("retry: got %d, want 200", resp.StatusCode)
		}
	})
	for status, want := range map[int]string{401: bodyUnauthorized, 403: bodyForbidden, 404: bodyNotFound, 500: bodyInternal, 502: `{"error":"Bad Gateway"}`} {
		srv.ClearFaults()
		srv.Inject(Fault{Status: status})
		if resp, body := list(t, srv, ""); resp.StatusCode != status || body != want {
			t.Errorf("injected %d: got %d %s, want %s", status, resp.StatusCode, body, want)
		}
	}
	t.Run("faults only after auth", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Status: 500})
		if resp, _ := get(t, srv, DevicesPath, "Bearer bad", APIVersion2023); resp.StatusCode != 401 {
			t.Errorf("bad key with a fault: got %d, want 401", resp.StatusCode)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Truncate: true})
		resp, body := list(t, srv, "")
		if resp.StatusCode != 200 || json.Valid([]byte(body)) {
			t.Errorf("got %d with valid JSON %v, want 200 with broken JSON", resp.StatusCode, json.Valid([]byte(body)))
		}
	})
}

func TestUpdateRemoveAndRotate(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	d := srv.PutDevice(Device{Serial: "S1", AuthState: Good})
	if !srv.Update(d.ID, func(d *Device) { d.AuthState = Blocked }) {
		t.Fatal("Update of a stored device: got false")
	}
	_, body := list(t, srv, "")
	if p := decode(t, body); len(p.Data) != 1 || p.Data[0]["auth_state"] != Blocked {
		t.Errorf("after Update: got %s, want one Blocked device", body)
	}
	srv.RemoveDevice(d.ID)
	_, body = list(t, srv, "")
	if p := decode(t, body); len(p.Data) != 0 {
		t.Errorf("after RemoveDevice: got %s, want no devices", body)
	}
	srv.SetToken("rotated")
	if resp, _ := list(t, srv, ""); resp.StatusCode != 401 {
		t.Errorf("old key after SetToken: got %d, want 401", resp.StatusCode)
	}
}

func TestCloseCutsDelayShort(t *testing.T) {
	srv := NewServer(token)
	srv.Inject(Fault{Delay: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+DevicesPath, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Kolide-Api-Version", APIVersion2023)
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
