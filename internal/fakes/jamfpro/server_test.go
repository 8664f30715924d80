package jamfpro

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	clientID = "8a1f0c5e-client"
	secret   = "s3cret"
)

func newTestServer(t *testing.T) *Server {
	t.Helper()
	s := NewServer(clientID, secret)
	t.Cleanup(s.Close)
	return s
}

func postToken(t *testing.T, s *Server, path string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := http.Post(s.URL()+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func token(t *testing.T, s *Server) string {
	t.Helper()
	code, body := postToken(t, s, TokenPath, url.Values{"client_id": {clientID}, "client_secret": {secret}, "grant_type": {"client_credentials"}})
	if code != http.StatusOK {
		t.Fatalf("token: got %d %s, want 200", code, body)
	}
	var tok tokenJSON
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func get(t *testing.T, s *Server, query, bearer string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+InventoryPath+query, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

func TestToken(t *testing.T) {
	s := newTestServer(t)
	good := url.Values{"client_id": {clientID}, "client_secret": {secret}, "grant_type": {"client_credentials"}}
	for _, path := range []string{TokenPath, TokenPathV1} {
		code, body := postToken(t, s, path, good)
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); code != http.StatusOK || err != nil {
			t.Fatalf("%s: got %d %s, want 200 with JSON", path, code, body)
		}
		if raw["token_type"] != "Bearer" || raw["scope"] != "api-role:1" || raw["expires_in"] != float64(1799) || raw["access_token"] == "" {
			t.Errorf("%s: got %s, want Bearer, api-role:1, expires_in 1799 and a token", path, body)
		}
	}
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		body string
	}{
		{"wrong secret", url.Values{"client_id": {clientID}, "client_secret": {"x"}, "grant_type": {"client_credentials"}}, 401, bodyInvalidClient},
		{"unknown client", url.Values{"client_id": {"other"}, "client_secret": {secret}, "grant_type": {"client_credentials"}}, 401, bodyInvalidClient},
		{"no grant type", url.Values{"client_id": {clientID}, "client_secret": {secret}}, 400, bodyUnsupportedGrant},
	} {
		if code, body := postToken(t, s, TokenPath, tc.form); code != tc.code || string(body) != tc.body {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, code, body, tc.code, tc.body)
		}
	}
	if got := s.Requests(EndpointToken); got != 5 {
		t.Errorf("token requests: got %d, want 5", got)
	}
}

func TestInventoryWireFormat(t *testing.T) {
	s := newTestServer(t)
	seen := time.Date(2026, 11, 30, 14, 2, 3, 456000000, time.UTC)
	stored := s.SetComputers([]Computer{
		{Name: "alice-mbp", SerialNumber: "C02ABC123", RemoteManaged: true, Supervised: true, FirewallEnabled: true,
			FileVaultStatus: "ALL_ENCRYPTED", SIPStatus: "ENABLED", LastContact: seen},
		{Name: "new-mac", SerialNumber: "C02NEW", NoInventory: true},
	})
	if stored[0].ID != 1 || stored[1].ID != 2 {
		t.Fatalf("ids: got %d, %d, want 1, 2", stored[0].ID, stored[1].ID)
	}
	tok := token(t, s)
	code, _, body := get(t, s, "?section=GENERAL&section=HARDWARE&section=SECURITY&section=OPERATING_SYSTEM&page=0&page-size=100&sort=id%3Aasc", tok)
	if code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", code, body)
	}
	var p struct {
		TotalCount int              `json:"totalCount"`
		Results    []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.TotalCount != 2 || len(p.Results) != 2 {
		t.Fatalf("got totalCount %d and %d results, want 2 and 2", p.TotalCount, len(p.Results))
	}
	alice := p.Results[0]
	general := alice["general"].(map[string]any)
	security := alice["security"].(map[string]any)
	checks := map[string][2]any{
		"id":                         {alice["id"], "1"},
		"general.name":               {general["name"], "alice-mbp"},
		"general.remoteManagement":   {general["remoteManagement"].(map[string]any)["managed"], true},
		"general.supervised":         {general["supervised"], true},
		"general.lastContactTime":    {general["lastContactTime"], "2026-11-30T14:02:03.456Z"},
		"hardware.serialNumber":      {alice["hardware"].(map[string]any)["serialNumber"], "C02ABC123"},
		"security.firewallEnabled":   {security["firewallEnabled"], true},
		"security.sipStatus":         {security["sipStatus"], "ENABLED"},
		"operatingSystem.fileVault2": {alice["operatingSystem"].(map[string]any)["fileVault2Status"], "ALL_ENCRYPTED"},
		"diskEncryption (not asked)": {alice["diskEncryption"], nil},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %#v, want %#v", name, c[0], c[1])
		}
	}
	fresh := p.Results[1]
	if v := fresh["security"].(map[string]any)["sipStatus"]; v != nil {
		t.Errorf("not inventoried: sipStatus got %#v, want null", v)
	}
	if v := fresh["operatingSystem"].(map[string]any)["fileVault2Status"]; v != nil {
		t.Errorf("not inventoried: fileVault2Status got %#v, want null", v)
	}
	if v := fresh["general"].(map[string]any)["lastContactTime"]; v != nil {
		t.Errorf("never contacted: lastContactTime got %#v, want null", v)
	}

	// Without sections Jamf Pro sends GENERAL only.
	_, _, body = get(t, s, "", tok)
	var def struct {
		Results []map[string]any `json:"results"`
	}
	json.Unmarshal(body, &def)
	if len(def.Results) != 2 || def.Results[0]["general"] == nil || def.Results[0]["hardware"] != nil {
		t.Errorf("default sections: got %s, want general only", body)
	}
}

func TestInventoryPaging(t *testing.T) {
	s := newTestServer(t)
	s.SetComputers(make([]Computer, 12))
	tok := token(t, s)
	var ids []string
	for page := 0; ; page++ {
		_, _, body := get(t, s, "?page-size=5&sort=id:asc&page="+strconv.Itoa(page), tok)
		var p struct {
			TotalCount int `json:"totalCount"`
			Results    []struct {
				ID string `json:"id"`
			} `json:"results"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if p.TotalCount != 12 {
			t.Errorf("page %d: totalCount got %d, want 12", page, p.TotalCount)
		}
		if len(p.Results) == 0 {
			if page != 3 {
				t.Errorf("first empty page: got %d, want 3", page)
			}
			break
		}
		for _, r := range p.Results {
			ids = append(ids, r.ID)
		}
	}
	want := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	if !slices.Equal(ids, want) {
		t.Errorf("ids by id:asc: got %q, want %q", ids, want)
	}
}

func TestInventoryErrors(t *testing.T) {
	s := newTestServer(t)
	s.SetComputers(make([]Computer, 3))
	tok := token(t, s)
	const (
		invalidToken = `{"httpStatus":401,"errors":[{"code":"INVALID_TOKEN","description":"Unauthorized","id":"0","field":null}]}`
		forbidden    = `{"httpStatus":403,"errors":[{"code":"INVALID_PRIVILEGE","description":"Forbidden","id":"0","field":null}]}`
	)
	for _, tc := range []struct {
		name, query, bearer string
		code                int
		body                string
	}{
		{"no token", "", "", 401, invalidToken},
		{"unknown token", "", "nope", 401, invalidToken},
		{"page-size too big", "?page-size=2001", tok, 400, `"field":"page-size"`},
		{"bad page", "?page=-1", tok, 400, `"field":"page"`},
		{"bad section", "?section=NOPE", tok, 400, `"field":"section"`},
		{"bad sort", "?sort=serial:asc", tok, 400, `"field":"sort"`},
	} {
		code, _, body := get(t, s, tc.query, tc.bearer)
		if code != tc.code || !strings.Contains(string(body), tc.body) {
			t.Errorf("%s: got %d %s, want %d with %s", tc.name, code, body, tc.code, tc.body)
		}
	}

	s.SetReadComputers(false)
	if code, _, body := get(t, s, "", tok); code != 403 || string(body) != forbidden {
		t.Errorf("without Read Computers: got %d %s, want 403 %s", code, body, forbidden)
	}
	s.SetReadComputers(true)

	s.RevokeTokens()
	if code, _, _ := get(t, s, "", tok); code != 401 {
		t.Errorf("revoked token: got %d, want 401", code)
	}
	s.SetTokenTTL(time.Millisecond)
	short := token(t, s)
	time.Sleep(5 * time.Millisecond)
	if code, _, body := get(t, s, "", short); code != 401 || string(body) != invalidToken {
		t.Errorf("expired token: got %d %s, want 401 %s", code, body, invalidToken)
	}
}

func TestFaults(t *testing.T) {
	s := newTestServer(t)
	s.SetComputers(make([]Computer, 10))
	tok := token(t, s)
	s.Inject(Fault{Endpoint: EndpointInventory, Page: 2, Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second, Times: 1})
	s.Inject(Fault{Endpoint: EndpointInventory, Page: 3, Truncate: true})
	s.Inject(Fault{Endpoint: EndpointToken, Status: http.StatusUnauthorized, Times: 1})

	if code, _, _ := get(t, s, "?page=0&page-size=3", tok); code != 200 {
		t.Errorf("page 0: got %d, want 200", code)
	}
	code, hdr, body := get(t, s, "?page=1&page-size=3", tok)
	if code != 429 || hdr.Get("Retry-After") != "3" || !strings.Contains(string(body), `"httpStatus":429`) {
		t.Errorf("page 1: got %d Retry-After %q %s, want 429, 3 and Jamf's body", code, hdr.Get("Retry-After"), body)
	}
	if code, _, _ := get(t, s, "?page=1&page-size=3", tok); code != 200 {
		t.Errorf("page 1 again: got %d, want 200 (Times: 1)", code)
	}
	if code, _, body := get(t, s, "?page=2&page-size=3", tok); code != 200 || json.Valid(body) {
		t.Errorf("page 2: got %d, valid JSON %v; want 200 with truncated JSON", code, json.Valid(body))
	}
	form := url.Values{"client_id": {clientID}, "client_secret": {secret}, "grant_type": {"client_credentials"}}
	if code, body := postToken(t, s, TokenPath, form); code != 401 || string(body) != bodyInvalidClient {
		t.Errorf("token fault: got %d %s, want 401 %s", code, body, bodyInvalidClient)
	}
	if got := s.Requests(EndpointInventory); got != 4 {
		t.Errorf("inventory requests: got %d, want 4", got)
	}
}
