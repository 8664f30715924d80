package kandji

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// prismPage is Prism's wrapper as a client reads it; Offset and Cursor
// keep null apart from a value.
type prismPage struct {
	Offset *int             `json:"offset"`
	Limit  int              `json:"limit"`
	Total  int              `json:"total"`
	Data   []map[string]any `json:"data"`
	Cursor *string          `json:"cursor"`
}

func getPrism(t *testing.T, s *Server, query, auth string) prismPage {
	t.Helper()
	code, _, body := get(t, s, PrismPath+query, auth)
	if code != http.StatusOK {
		t.Fatalf("GET %s: got status %d %s, want 200", query, code, body)
	}
	var p prismPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("GET %s: body %s is not Prism's wrapper: %v", query, body, err)
	}
	return p
}

func TestPrismWireFormat(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	seen := time.Date(2024, 4, 2, 7, 20, 56, 341015000, time.UTC)
	stored := s.SetDevices([]Device{
		{Name: "mac", SerialNumber: "S1", LastCheckIn: seen, MDMEnabled: true, AgentInstalled: true,
			User: &User{Email: "a@example.com", Name: "A", ID: "31250"}},
		{Name: "ipad", Platform: "iPad", SerialNumber: "S2", MDMEnabled: true},
		{Name: "vm", SerialNumber: "S3", MDMEnabled: true, AgentNotReported: true},
	})
	const auth = "Bearer tok"

	t.Run("wrapper", func(t *testing.T) {
		_, _, body := get(t, s, PrismPath, auth)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"cursor", "data", "limit", "offset", "total"}; !slices.Equal(keys, want) {
			t.Errorf("wrapper keys: got %q, want %q", keys, want)
		}
		p := getPrism(t, s, "", auth)
		if p.Offset != nil || p.Limit != MaxLimit || p.Total != 3 || len(p.Data) != 3 || p.Cursor != nil {
			t.Errorf("no paging asked: got offset %v limit %d total %d data %d cursor %v, want null 300 3 3 null",
				p.Offset, p.Limit, p.Total, len(p.Data), p.Cursor)
		}
		if p := getPrism(t, s, "?limit=2&offset=0", auth); p.Offset == nil || *p.Offset != 0 || p.Limit != 2 {
			t.Errorf("offset=0: got offset %v limit %d, want 0 and 2", p.Offset, p.Limit)
		}
	})

	t.Run("rows", func(t *testing.T) {
		p := getPrism(t, s, "", auth)
		mac, ipad, vm := p.Data[0], p.Data[1], p.Data[2]
		for key, want := range map[string]any{
			"device_id": stored[0].ID, "device__name": "mac", "device__family": "Mac", "serial_number": "S1",
			"device__user_email": "a@example.com", "mdm_enabled": true, "agent_installed": true,
			"agent_version": "4.5.9 (5160)", "last_collected_at": "2024-04-02T07:20:56.341015+00:00",
			"updated_at": "2024-04-02T07:20:56.341015+00:00",
		} {
			if mac[key] != want {
				t.Errorf("mac %s: got %#v, want %#v", key, mac[key], want)
			}
		}
		if ipad["device__family"] != "iPad" || ipad["agent_installed"] != false || ipad["agent_version"] != nil || ipad["device__user_email"] != "" {
			t.Errorf("ipad: got family %v agent_installed %v agent_version %v user %v, want iPad false null \"\"",
				ipad["device__family"], ipad["agent_installed"], ipad["agent_version"], ipad["device__user_email"])
		}
		if v, ok := vm["agent_installed"]; !ok || v != nil {
			t.Errorf("agent not reported: got agent_installed %#v (present %v), want null", v, ok)
		}
		if _, err := time.Parse(time.RFC3339Nano, mac["first_enrollment_date"].(string)); err != nil {
			t.Errorf("first_enrollment_date: %v", err)
		}
	})
}

func TestPrismPaging(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	stored := s.SetDevices(make([]Device, 7))
	const auth = "Bearer tok"
	var want []string
	for _, d := range stored {
		want = append(want, d.ID)
	}
	ids := func(p prismPage) []string {
		var out []string
		for _, d := range p.Data {
			out = append(out, d["device_id"].(string))
		}
		return out
	}

	t.Run("cursor", func(t *testing.T) {
		var got []string
		query := "?limit=3"
		for n := 1; ; n++ {
			p := getPrism(t, s, query, auth)
			if p.Total != 7 {
				t.Errorf("page %d: got total %d, want 7", n, p.Total)
			}
			got = append(got, ids(p)...)
			if p.Cursor == nil {
				if n != 3 {
					t.Errorf("cursor null after page %d, want after page 3", n)
				}
				break
			}
			if p.Offset != nil {
				t.Errorf("page %d: got offset %d, want null with cursor paging", n, *p.Offset)
			}
			if n == 3 {
				t.Fatalf("page 3 of 7 devices by 3: got cursor %q, want null", *p.Cursor)
			}
			query = "?limit=3&cursor=" + url.QueryEscape(*p.Cursor)
		}
		if !slices.Equal(got, want) {
			t.Errorf("devices by cursor: got %q, want %q", got, want)
		}
	})

	t.Run("cursor survives a removal", func(t *testing.T) {
		p := getPrism(t, s, "?limit=3", auth)
		s.RemoveDevice(stored[1].ID) // already served
		defer s.PutDevice(stored[1])
		next := getPrism(t, s, "?limit=3&cursor="+url.QueryEscape(*p.Cursor), auth)
		if got := ids(next); !slices.Equal(got, want[3:6]) {
			t.Errorf("page after a removal: got %q, want %q", got, want[3:6])
		}
	})

	t.Run("offset", func(t *testing.T) {
		s.SetCursorPaging(false)
		defer s.SetCursorPaging(true)
		var got []string
		for offset := 0; ; offset += 3 {
			p := getPrism(t, s, fmt.Sprintf("?limit=3&offset=%d", offset), auth)
			if p.Cursor != nil {
				t.Errorf("offset %d: got cursor %q, want null with cursor paging off", offset, *p.Cursor)
			}
			if p.Offset == nil || *p.Offset != offset {
				t.Errorf("offset %d: got offset %v, want it echoed", offset, p.Offset)
			}
			if len(p.Data) == 0 {
				break
			}
			got = append(got, ids(p)...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("devices by offset: got %q, want %q", got, want)
		}
	})

	t.Run("bad paging", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			code  int
			body  string
		}{
			{"?limit=301", http.StatusBadRequest, "less than or equal to 300"},
			{"?limit=0", http.StatusBadRequest, "greater than 0"},
			{"?offset=-1", http.StatusBadRequest, "greater than or equal to 0"},
			{"?cursor=not-a-cursor", http.StatusNotFound, bodyInvalidCursor},
		} {
			if code, _, body := get(t, s, PrismPath+tc.query, auth); code != tc.code || !strings.Contains(string(body), tc.body) {
				t.Errorf("%s: got %d %s, want %d with %s", tc.query, code, body, tc.code, tc.body)
			}
		}
	})
}

func TestPermissions(t *testing.T) {
	s := NewServer("full")
	defer s.Close()
	s.SetDevices(make([]Device, 2))
	s.SetPermissions("prism-only", PrismPath)
	s.SetPermissions("devices-only", DevicesPath)
	s.SetPermissions("nothing")
	for _, tc := range []struct {
		token, path string
		code        int
		body        string
	}{
		{"full", PrismPath, http.StatusOK, ""},
		{"full", DevicesPath, http.StatusOK, ""},
		{"prism-only", PrismPath, http.StatusOK, ""},
		{"prism-only", DevicesPath, http.StatusForbidden, bodyForbidden},
		{"devices-only", PrismPath, http.StatusForbidden, bodyForbidden},
		{"devices-only", DevicesPath, http.StatusOK, ""},
		{"nothing", PrismPath, http.StatusForbidden, bodyForbidden},
		{"unknown", PrismPath, http.StatusUnauthorized, bodyInvalidToken},
		{"", PrismPath, http.StatusUnauthorized, bodyNoCredentials},
	} {
		auth := ""
		if tc.token != "" {
			auth = "Bearer " + tc.token
		}
		code, _, body := get(t, s, tc.path, auth)
		if code != tc.code || (tc.body != "" && string(body) != tc.body) {
			t.Errorf("%q on %s: got %d %s, want %d %s", tc.token, tc.path, code, body, tc.code, tc.body)
		}
	}
	if got := s.RequestsTo(DevicesPath); got != 3 {
		t.Errorf("RequestsTo(DevicesPath): got %d, want 3", got)
	}
	if got := s.Requests(); got != 9 {
		t.Errorf("Requests: got %d, want 9", got)
	}

	s.SetToken("rotated")
	for _, tok := range []string{"full", "prism-only"} {
		if code, _, _ := get(t, s, PrismPath, "Bearer "+tok); code != http.StatusUnauthorized {
			t.Errorf("%s after SetToken: got %d, want 401", tok, code)
		}
	}
	if code, _, _ := get(t, s, PrismPath, "Bearer rotated"); code != http.StatusOK {
		t.Errorf("rotated token: got %d, want 200", code)
	}
}

func TestPrismFaults(t *testing.T) {
	s := NewServer("tok")
	defer s.Close()
	s.SetDevices(make([]Device, 10))
	const auth = "Bearer tok"
	s.Inject(Fault{Endpoint: PrismPath, Page: 2, Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second, Times: 1})
	s.Inject(Fault{Endpoint: PrismPath, Page: 3, Truncate: true, Times: 1})
	s.Inject(Fault{Endpoint: DevicesPath, Status: http.StatusInternalServerError})

	first := getPrism(t, s, "?limit=3", auth)
	next := PrismPath + "?limit=3&cursor=" + url.QueryEscape(*first.Cursor)
	// Page 2 by cursor meets the page-2 fault, as page 2 by offset would.
	code, hdr, _ := get(t, s, next, auth)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "3" {
		t.Errorf("page 2 by cursor: got %d, Retry-After %q; want 429, 3", code, hdr.Get("Retry-After"))
	}
	second := getPrism(t, s, strings.TrimPrefix(next, PrismPath), auth)
	code, _, body := get(t, s, PrismPath+"?limit=3&cursor="+url.QueryEscape(*second.Cursor), auth)
	if code != http.StatusOK || json.Valid(body) {
		t.Errorf("page 3 by cursor: got %d, valid JSON %v; want 200 with truncated JSON", code, json.Valid(body))
	}
	if code, _, _ := get(t, s, DevicesPath, auth); code != http.StatusInternalServerError {
		t.Errorf("devices listing: got %d, want the 500 injected for it", code)
	}
	if got := s.RequestsTo(PrismPath); got != 4 {
		t.Errorf("RequestsTo(PrismPath): got %d, want 4", got)
	}
}
