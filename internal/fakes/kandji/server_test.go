package kandji

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

func TestServerWireFormat(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	devices := make([]Device, 7)
	for i := range devices {
		devices[i] = Device{SerialNumber: fmt.Sprintf("S%02d", i), MDMEnabled: true}
	}
	devices[0].User = &User{Email: "a@example.com", Name: "A", ID: "u1"}
	stored := s.SetDevices(devices)
	const auth = "Bearer tok"

	t.Run("auth", func(t *testing.T) {
		for _, tc := range []struct{ auth, want string }{
			{"", bodyNoCredentials},
			{"Bearer nope", bodyInvalidToken},
			{"tok", bodyInvalidToken},
		} {
			code, _, body := get(t, s, DevicesPath, tc.auth)
			if code != http.StatusUnauthorized || string(body) != tc.want {
				t.Errorf("auth %q: got %d %s, want 401 %s", tc.auth, code, body, tc.want)
			}
		}
	})

	t.Run("paging", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"?limit=3&offset=0", 3},
			{"?limit=3&offset=6", 1},
			{"?limit=3&offset=7", 0},
			{"?limit=300", 7},
			{"", 7},
		} {
			code, _, body := get(t, s, DevicesPath+tc.query, auth)
			if code != http.StatusOK {
				t.Fatalf("%s: got status %d, want 200", tc.query, code)
			}
			var page []map[string]any
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatalf("%s: body %s is not a bare array: %v", tc.query, body, err)
			}
			if len(page) != tc.want {
				t.Errorf("%s: got %d devices, want %d", tc.query, len(page), tc.want)
			}
		}
		for _, q := range []string{"?limit=301", "?limit=0", "?limit=x", "?offset=-1"} {
			if code, _, _ := get(t, s, DevicesPath+q, auth); code != http.StatusBadRequest {
				t.Errorf("%s: got status %d, want 400", q, code)
			}
		}
	})

	t.Run("user is an object or empty string", func(t *testing.T) {
		_, _, body := get(t, s, DevicesPath+"?limit=2", auth)
		var page []map[string]any
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if u, ok := page[0]["user"].(map[string]any); !ok || u["email"] != "a@example.com" {
			t.Errorf("assigned device: got user %v, want an object with its email", page[0]["user"])
		}
		if u := page[1]["user"]; u != "" {
			t.Errorf("unassigned device: got user %#v, want \"\"", u)
		}
		if page[0]["device_id"] != stored[0].ID || page[0]["serial_number"] != "S00" {
			t.Errorf("first device: got id %v serial %v, want %s S00", page[0]["device_id"], page[0]["serial_number"], stored[0].ID)
		}
		if _, err := time.Parse(time.RFC3339Nano, page[0]["last_check_in"].(string)); err != nil {
			t.Errorf("last_check_in %v: %v", page[0]["last_check_in"], err)
		}
	})
}

func TestServerFaults(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	s.SetDevices(make([]Device, 10))
	const auth = "Bearer tok"

	s.Inject(Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: 7 * time.Second, Times: 1})
	s.Inject(Fault{Page: 3, Truncate: true, Times: 1})
	s.Inject(Fault{Page: 4, Status: http.StatusInternalServerError})
	s.Inject(Fault{Page: 5, Status: http.StatusForbidden})

	code, hdr, body := get(t, s, DevicesPath+"?limit=3&offset=3", auth)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "7" || !strings.Contains(string(body), `"detail":"Request was throttled. Expected available in 7 seconds."`) {
		t.Errorf("page 2: got %d, Retry-After %q, body %s; want 429, 7, a throttle detail", code, hdr.Get("Retry-After"), body)
	}
	if code, _, _ := get(t, s, DevicesPath+"?limit=3&offset=3", auth); code != http.StatusOK {
		t.Errorf("page 2 again: got status %d, want 200 once the fault is spent", code)
	}
	code, _, body = get(t, s, DevicesPath+"?limit=3&offset=6", auth)
	if code != http.StatusOK || json.Valid(body) {
		t.Errorf("page 3: got status %d, valid JSON %v; want 200 with truncated JSON", code, json.Valid(body))
	}
	code, hdr, body = get(t, s, DevicesPath+"?limit=3&offset=9", auth)
	if code != http.StatusInternalServerError || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "Server Error (500)") {
		t.Errorf("page 4: got %d %q %s, want 500 with Django's HTML page", code, hdr.Get("Content-Type"), body)
	}
	code, _, body = get(t, s, DevicesPath+"?limit=3&offset=12", auth)
	if code != http.StatusForbidden || string(body) != bodyForbidden {
		t.Errorf("page 5: got %d %s, want 403 %s", code, body, bodyForbidden)
	}
	if got := s.Requests(); got != 5 {
		t.Errorf("Requests: got %d, want 5", got)
	}
	s.ClearFaults()
	if code, _, _ := get(t, s, DevicesPath+"?limit=3&offset=9", auth); code != http.StatusOK {
		t.Errorf("page 4 after ClearFaults: got status %d, want 200", code)
	}
}

func TestServerConcurrentUse(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	stored := s.SetDevices([]Device{{MDMEnabled: true}})
	id := stored[0].ID
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 20 {
				s.Update(id, func(d *Device) { d.MDMEnabled = i%2 == 0 })
				s.PutDevice(Device{})
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+DevicesPath+"?limit=300", nil)
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
	if s.Update("missing", func(*Device) {}) {
		t.Errorf("Update of a missing device: got true, want false")
	}
}
