package intune

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	tenant   = "contoso.onmicrosoft.com"
	clientID = "6731de76-14a6-49ae-97bc-6eba6914391e"
	secret   = "Wq78Q~s3cr3t"
)

func newServer(t *testing.T) *Server {
	t.Helper()
	s := NewServer(tenant, clientID, secret)
	t.Cleanup(s.Close)
	return s
}

func tokenForm() url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {GraphScope}}
}

func postToken(t *testing.T, s *Server, tenant string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func token(t *testing.T, s *Server) string {
	t.Helper()
	resp, body := postToken(t, s, tenant, tokenForm())
	var tr struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: got %d %s (%v), want 200", resp.StatusCode, body, err)
	}
	ttl := int(s.grants.TTL() / time.Second)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != ttl || tr.AccessToken == "" {
		t.Fatalf("token: got %+v, want a Bearer token for %d s", tr, ttl)
	}
	return tr.AccessToken
}

func get(t *testing.T, u, tok string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
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
	return resp, body
}

func TestTokenErrors(t *testing.T) {
	s := newServer(t)
	with := func(k, v string) url.Values {
		f := tokenForm()
		f.Set(k, v)
		return f
	}
	tests := []struct {
		name       string
		tenant     string
		form       url.Values
		wantStatus int
		wantError  string
		wantCode   int
	}{
		{"unknown tenant", "fabrikam.onmicrosoft.com", tokenForm(), 400, "invalid_request", CodeNoTenant},
		{"unknown app", tenant, with("client_id", "00000000-0000-0000-0000-000000000001"), 400, "unauthorized_client", CodeUnknownApp},
		{"wrong secret", tenant, with("client_secret", "nope"), 401, "invalid_client", CodeBadSecret},
		{"scope without .default", tenant, with("scope", "https://graph.microsoft.com/DeviceManagementManagedDevices.Read.All"), 400, "invalid_scope", CodeBadScope},
		{"password grant", tenant, with("grant_type", "password"), 400, "unsupported_grant_type", CodeBadGrant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postToken(t, s, tt.tenant, tt.form)
			var e aadError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("decoding %s: %v", body, err)
			}
			if resp.StatusCode != tt.wantStatus || e.Error != tt.wantError || len(e.Codes) != 1 || e.Codes[0] != tt.wantCode {
				t.Errorf("got %d %s %v, want %d %s [%d]", resp.StatusCode, e.Error, e.Codes, tt.wantStatus, tt.wantError, tt.wantCode)
			}
			if !strings.HasPrefix(e.Description, "AADSTS") || !strings.Contains(e.Description, "Trace ID: ") {
				t.Errorf("error_description %q: want AADSTS text with a trace id", e.Description)
			}
		})
	}
	t.Run("expired secret", func(t *testing.T) {
		s.ExpireSecret()
		defer s.SetSecret(secret)
		resp, body := postToken(t, s, tenant, tokenForm())
		if resp.StatusCode != 401 || !strings.Contains(string(body), "AADSTS7000222") {
			t.Errorf("got %d %s, want 401 AADSTS7000222", resp.StatusCode, body)
		}
	})
	if got := s.Requests(EndpointToken); got != len(tests)+1 {
		t.Errorf("token requests: got %d, want %d", got, len(tests)+1)
	}
}

type page struct {
	Context  string            `json:"@odata.context"`
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
}

func TestPagingAndSelect(t *testing.T) {
	s := newServer(t)
	devs := make([]Device, 25)
	devs[0] = Device{SerialNumber: "C02XL0GHJGH5", ComplianceState: "noncompliant", IsEncrypted: true, Omit: []string{"isSupervised"}}
	stored := s.SetDevices(devs)
	s.SetPageSize(7) // shorter than $top
	tok := token(t, s)
	sel := "id,serialNumber,complianceState,azureADRegistered,isSupervised,isEncrypted"
	u := s.URL() + DevicesPath + "?$select=" + sel + "&$top=10"
	var ids []string
	pages := 0
	for u != "" {
		resp, body := get(t, u, tok)
		if resp.StatusCode != 200 {
			t.Fatalf("page %d: got %d %s", pages+1, resp.StatusCode, body)
		}
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("decoding page %d: %v", pages+1, err)
		}
		pages++
		if pages == 1 {
			want := `{"id":"` + stored[0].ID + `","complianceState":"noncompliant","azureADRegistered":null,"isEncrypted":true,"serialNumber":"C02XL0GHJGH5"}`
			if got := string(p.Value[0]); got != want {
				t.Errorf("first device: got %s, want %s", got, want)
			}
			if !strings.HasSuffix(p.Context, "/v1.0/$metadata#deviceManagement/managedDevices("+sel+")") {
				t.Errorf("@odata.context: got %q", p.Context)
			}
		}
		for _, raw := range p.Value {
			var d struct{ ID string }
			json.Unmarshal(raw, &d)
			ids = append(ids, d.ID)
		}
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, s.URL()+DevicesPath+"?$select="+sel+"&$top=10&$skiptoken=") {
			t.Errorf("next link %q: want an absolute URL with $select, $top and $skiptoken", p.NextLink)
		}
		u = p.NextLink
	}
	if pages != 4 || len(ids) != 25 {
		t.Errorf("got %d devices in %d pages, want 25 in 4 (pages of 7)", len(ids), pages)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	if len(seen) != 25 {
		t.Errorf("got %d distinct ids, want 25", len(seen))
	}
}

func TestNextLinkBase(t *testing.T) {
	s := newServer(t)
	s.SetDevices(make([]Device, 3))
	s.SetNextLinkBase("https://graph.example.net")
	_, body := get(t, s.URL()+DevicesPath+"?$top=1", token(t, s))
	var p page
	json.Unmarshal(body, &p)
	if !strings.HasPrefix(p.NextLink, "https://graph.example.net"+DevicesPath+"?$top=1&$skiptoken=") {
		t.Errorf("next link: got %q, want it on https://graph.example.net", p.NextLink)
	}
}

func graphErr(t *testing.T, body []byte) graphError {
	t.Helper()
	var e graphError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	if e.Error.InnerError.RequestID == "" {
		t.Errorf("error %s has no innerError.request-id", body)
	}
	return e
}

func TestGraphErrors(t *testing.T) {
	s := newServer(t)
	s.SetDevices(make([]Device, 3))
	tok := token(t, s)
	t.Run("no token", func(t *testing.T) {
		resp, body := get(t, s.URL()+DevicesPath, "")
		if e := graphErr(t, body); resp.StatusCode != 401 || e.Error.Code != "InvalidAuthenticationToken" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("got %d %s, want 401 InvalidAuthenticationToken with WWW-Authenticate", resp.StatusCode, body)
		}
	})
	t.Run("bad $select", func(t *testing.T) {
		resp, body := get(t, s.URL()+DevicesPath+"?$select=id,nope", tok)
		if e := graphErr(t, body); resp.StatusCode != 400 || !strings.Contains(e.Error.Message, "'nope'") {
			t.Errorf("got %d %s, want 400 naming the property", resp.StatusCode, body)
		}
	})
	t.Run("$top over 1000", func(t *testing.T) {
		resp, body := get(t, s.URL()+DevicesPath+"?$top=5000", tok)
		if resp.StatusCode != 400 {
			t.Errorf("got %d %s, want 400", resp.StatusCode, body)
		}
	})
	t.Run("no permission", func(t *testing.T) {
		s.SetPermissions("User.Read.All")
		defer s.SetPermissions(PermRead)
		resp, body := get(t, s.URL()+DevicesPath, tok)
		e := graphErr(t, body)
		if resp.StatusCode != 403 || e.Error.Code != "Forbidden" || !strings.Contains(e.Error.Message, "Application must have one of the following scopes: DeviceManagementManagedDevices.Read.All") {
			t.Errorf("got %d %s, want 403 naming the permission", resp.StatusCode, body)
		}
	})
	t.Run("revoked token", func(t *testing.T) {
		s.RevokeTokens()
		if resp, body := get(t, s.URL()+DevicesPath, tok); resp.StatusCode != 401 {
			t.Errorf("got %d %s, want 401", resp.StatusCode, body)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		s.SetTokenTTL(time.Millisecond)
		tok := token(t, s)
		time.Sleep(5 * time.Millisecond)
		resp, body := get(t, s.URL()+DevicesPath, tok)
		if e := graphErr(t, body); resp.StatusCode != 401 || !strings.Contains(e.Error.Message, "expired") {
			t.Errorf("got %d %s, want 401 expired", resp.StatusCode, body)
		}
	})
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	s.SetDevices(make([]Device, 5))
	tok := token(t, s)
	first := s.URL() + DevicesPath + "?$top=2"
	_, body := get(t, first, tok)
	var p page
	json.Unmarshal(body, &p)

	s.Inject(Fault{Endpoint: EndpointDevices, Page: 2, Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second, Times: 1})
	resp, body := get(t, p.NextLink, tok)
	if e := graphErr(t, body); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || e.Error.Code != "TooManyRequests" {
		t.Errorf("429: got %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := get(t, p.NextLink, tok); resp.StatusCode != 200 {
		t.Errorf("after Times: got %d, want 200", resp.StatusCode)
	}

	s.Inject(Fault{Endpoint: EndpointDevices, Page: 1, Truncate: true, Times: 1})
	resp, body = get(t, first, tok)
	if resp.StatusCode != 200 || json.Valid(body) {
		t.Errorf("truncate: got %d with valid JSON %v, want 200 and a cut body", resp.StatusCode, json.Valid(body))
	}

	s.Inject(Fault{Endpoint: EndpointToken, Status: http.StatusServiceUnavailable, Times: 1})
	resp, body = postToken(t, s, tenant, tokenForm())
	if resp.StatusCode != 503 || !strings.Contains(string(body), "temporarily_unavailable") {
		t.Errorf("token 503: got %d %s", resp.StatusCode, body)
	}
	if got := s.Requests(EndpointDevices); got != 4 {
		t.Errorf("device requests: got %d, want 4", got)
	}
}

func TestFlipValue(t *testing.T) {
	s := newServer(t)
	d := s.PutDevice(Device{SerialNumber: "S1"})
	if d.ComplianceState != "compliant" || d.ManagedDeviceOwnerType != "company" || d.DeviceRegistrationState != "registered" {
		t.Errorf("defaults: got %+v", d)
	}
	s.Update(d.ID, func(d *Device) { d.ComplianceState = "inGracePeriod" })
	_, body := get(t, s.URL()+DevicesPath+"?$select=complianceState", token(t, s))
	if want := `"value":[{"complianceState":"inGracePeriod"}]`; !strings.Contains(string(body), want) {
		t.Errorf("got %s, want it to contain %s", body, want)
	}
}
