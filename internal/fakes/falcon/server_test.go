package falcon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	id     = "client-id"
	secret = "client-secret"
)

type response struct {
	Status int
	Header http.Header
	Body   string
}

func do(t *testing.T, method, u, auth, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func token(t *testing.T, srv *Server, id, secret string) response {
	t.Helper()
	form := url.Values{"client_id": {id}, "client_secret": {secret}}.Encode()
	return do(t, http.MethodPost, srv.URL()+string(EndpointToken), "", "application/x-www-form-urlencoded", form)
}

func bearer(t *testing.T, srv *Server) string {
	t.Helper()
	r := token(t, srv, id, secret)
	var tr tokenResponse
	if err := json.Unmarshal([]byte(r.Body), &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token response %d %s: %v", r.Status, r.Body, err)
	}
	return "Bearer " + tr.AccessToken
}

// envelope is the generic shape of a response, for checks.
type envelope struct {
	Meta struct {
		Pagination *struct {
			Total  int    `json:"total"`
			Offset string `json:"offset"`
		} `json:"pagination"`
		PoweredBy string `json:"powered_by"`
		TraceID   string `json:"trace_id"`
	} `json:"meta"`
	Resources json.RawMessage `json:"resources"`
	Errors    json.RawMessage `json:"errors"`
}

func parse(t *testing.T, r response) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
		t.Fatalf("decoding %q: %v", r.Body, err)
	}
	return e
}

func errorMessageOf(t *testing.T, r response) string {
	t.Helper()
	var e struct {
		Errors []apiError `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("error body %q: want one error (%v)", r.Body, err)
	}
	return e.Errors[0].Message
}

func TestToken(t *testing.T) {
	srv := NewServer(id, secret)
	defer srv.Close()
	srv.SetRegion("us-2")
	t.Run("201 with region", func(t *testing.T) {
		r := token(t, srv, id, secret)
		if r.Status != http.StatusCreated {
			t.Fatalf("got status %d, want 201", r.Status)
		}
		if got := r.Header.Get("X-Cs-Region"); got != "us-2" {
			t.Errorf("got X-Cs-Region %q, want us-2", got)
		}
		var tr tokenResponse
		json.Unmarshal([]byte(r.Body), &tr)
		if tr.AccessToken == "" || tr.TokenType != "bearer" || tr.ExpiresIn != 1799 {
			t.Errorf("got %+v, want a bearer token expiring in 1799", tr)
		}
	})
	t.Run("bad secret", func(t *testing.T) {
		r := token(t, srv, id, "nope")
		if r.Status != http.StatusForbidden {
			t.Errorf("got status %d, want 403", r.Status)
		}
		if got := errorMessageOf(t, r); got != "Failed to issue access token - Not Authorized" {
			t.Errorf("got message %q, want the vendor's", got)
		}
		if e := parse(t, r); e.Meta.PoweredBy != "csam" || e.Meta.TraceID == "" {
			t.Errorf("got meta %+v, want powered_by csam and a trace id", e.Meta)
		}
	})
}

func TestBearer(t *testing.T) {
	srv := NewServer(id, secret)
	defer srv.Close()
	scroll := srv.URL() + string(EndpointScroll)
	for _, auth := range []string{"", "Bearer nope", "Basic x"} {
		r := do(t, http.MethodGet, scroll, auth, "", "")
		if r.Status != http.StatusUnauthorized || errorMessageOf(t, r) != "access denied, invalid bearer token" {
			t.Errorf("Authorization %q: got %d %s, want 401 access denied, invalid bearer token", auth, r.Status, r.Body)
		}
	}
	auth := bearer(t, srv)
	if r := do(t, http.MethodGet, scroll, auth, "", ""); r.Status != http.StatusOK {
		t.Errorf("got %d %s, want 200", r.Status, r.Body)
	}
	srv.RevokeTokens()
	if r := do(t, http.MethodGet, scroll, auth, "", ""); r.Status != http.StatusUnauthorized {
		t.Errorf("after RevokeTokens: got %d, want 401", r.Status)
	}
	srv.SetTokenTTL(20 * time.Millisecond)
	auth = bearer(t, srv)
	time.Sleep(50 * time.Millisecond)
	if r := do(t, http.MethodGet, scroll, auth, "", ""); r.Status != http.StatusUnauthorized {
		t.Errorf("after expiry: got %d, want 401", r.Status)
	}
}

func TestScroll(t *testing.T) {
	srv := NewServer(id, secret)
	defer srv.Close()
	srv.SetDevices(make([]Device, 25))
	auth := bearer(t, srv)
	var (
		offsets []string
		aids    = map[string]bool{}
		q       = "?limit=10"
	)
	for range 10 {
		r := do(t, http.MethodGet, srv.URL()+string(EndpointScroll)+q, auth, "", "")
		e := parse(t, r)
		if string(e.Errors) != "[]" {
			t.Errorf("got errors %s, want []", e.Errors)
		}
		var ids []string
		json.Unmarshal(e.Resources, &ids)
		if len(ids) == 0 {
			if e.Meta.Pagination == nil || e.Meta.Pagination.Total != 0 || e.Meta.Pagination.Offset != "" {
				t.Errorf("last page pagination %+v, want total 0 and offset \"\"", e.Meta.Pagination)
			}
			if string(e.Resources) != "[]" {
				t.Errorf("last page resources %s, want []", e.Resources)
			}
			break
		}
		for _, aid := range ids {
			if len(aid) != 32 {
				t.Errorf("AID %q: want 32 hex digits", aid)
			}
			aids[aid] = true
		}
		offsets = append(offsets, e.Meta.Pagination.Offset)
		q = "?limit=10&offset=" + url.QueryEscape(e.Meta.Pagination.Offset)
	}
	if len(aids) != 25 || len(offsets) != 3 {
		t.Fatalf("got %d AIDs over %d pages, want 25 over 3", len(aids), len(offsets))
	}
	if offsets[0] == "" || offsets[1] != offsets[0] || offsets[2] != offsets[0] {
		t.Errorf("got offsets %q, want the same token on every page", offsets)
	}
	if r := do(t, http.MethodGet, srv.URL()+string(EndpointScroll)+"?limit=10001", auth, "", ""); r.Status != http.StatusBadRequest {
		t.Errorf("limit 10001: got %d, want 400", r.Status)
	}
}

func TestDetailsAndZTA(t *testing.T) {
	srv := NewServer(id, secret)
	defer srv.Close()
	ds := srv.SetDevices([]Device{
		{Serial: "C02D91CNPV4M", MAC: "08-00-27-51-56-d8", ZTAScore: 19},
		{NoAssessment: true},
	})
	auth := bearer(t, srv)

	body := fmt.Sprintf(`{"ids":[%q,%q,"unknown"]}`, ds[0].AID, ds[1].AID)
	r := do(t, http.MethodPost, srv.URL()+string(EndpointDetails), auth, "application/json", body)
	var details struct {
		Resources []deviceJSON `json:"resources"`
	}
	if err := json.Unmarshal([]byte(r.Body), &details); err != nil || r.Status != http.StatusOK {
		t.Fatalf("details: got %d %s (%v)", r.Status, r.Body, err)
	}
	if len(details.Resources) != 2 {
		t.Fatalf("got %d devices, want 2 (unknown left out)", len(details.Resources))
	}
	if d := details.Resources[0]; d.SerialNumber != "C02D91CNPV4M" || d.MACAddress != "08-00-27-51-56-d8" || d.LastSeen == "" {
		t.Errorf("got %+v, want serial, MAC and last_seen", d)
	}
	if strings.Contains(r.Body, `"serial_number":""`) {
		t.Errorf("got %s, want serial_number left out when empty", r.Body)
	}

	q := url.Values{"ids": {ds[0].AID, ds[1].AID, "unknown"}}.Encode()
	r = do(t, http.MethodGet, srv.URL()+string(EndpointZTA)+"?"+q, auth, "", "")
	e := parse(t, r)
	if string(e.Errors) != "null" {
		t.Errorf("ZTA errors %s, want null", e.Errors)
	}
	var as []assessmentJSON
	json.Unmarshal(e.Resources, &as)
	if len(as) != 1 || as[0].AID != ds[0].AID || as[0].Assessment.Overall != 19 || as[0].SystemSerialNumber != "C02D91CNPV4M" {
		t.Errorf("got %+v, want only the assessed host with overall 19", as)
	}

	tooMany := url.Values{}
	for i := range 101 {
		tooMany.Add("ids", strconv.Itoa(i))
	}
	if r := do(t, http.MethodGet, srv.URL()+string(EndpointZTA)+"?"+tooMany.Encode(), auth, "", ""); r.Status != http.StatusBadRequest {
		t.Errorf("101 ids: got %d, want 400", r.Status)
	}
	big, _ := json.Marshal(map[string][]string{"ids": make([]string, 5001)})
	if r := do(t, http.MethodPost, srv.URL()+string(EndpointDetails), auth, "application/json", string(big)); r.Status != http.StatusBadRequest {
		t.Errorf("5001 ids: got %d, want 400", r.Status)
	}
}

func TestFaults(t *testing.T) {
	srv := NewServer(id, secret)
	defer srv.Close()
	ds := srv.SetDevices(make([]Device, 3))
	auth := bearer(t, srv)
	zta := func(aid string) response {
		return do(t, http.MethodGet, srv.URL()+string(EndpointZTA)+"?ids="+aid, auth, "", "")
	}

	t.Run("429 with epoch retry header", func(t *testing.T) {
		srv.Inject(Fault{Endpoint: EndpointZTA, Status: http.StatusTooManyRequests, RetryAfter: 5 * time.Second, Times: 1})
		r := zta(ds[0].AID)
		epoch, err := strconv.ParseInt(r.Header.Get("X-RateLimit-RetryAfter"), 10, 64)
		if r.Status != http.StatusTooManyRequests || err != nil {
			t.Fatalf("got %d X-RateLimit-RetryAfter %q, want 429 with epoch seconds", r.Status, r.Header.Get("X-RateLimit-RetryAfter"))
		}
		if d := time.Until(time.Unix(epoch, 0)); d < 3*time.Second || d > 6*time.Second {
			t.Errorf("retry after %v, want about 5s", d)
		}
		if got := errorMessageOf(t, r); got != "API rate limit exceeded." {
			t.Errorf("got message %q, want API rate limit exceeded.", got)
		}
	})
	t.Run("batch page survives retries", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Endpoint: EndpointZTA, Page: 2, Status: http.StatusInternalServerError})
		for i, want := range []int{200, 500, 500, 200} {
			aid := ds[0].AID
			if i == 1 || i == 2 { // the second distinct batch, asked twice
				aid = ds[1].AID
			}
			if r := zta(aid); r.Status != want {
				t.Errorf("request %d: got %d, want %d", i+1, r.Status, want)
			}
		}
	})
	t.Run("token refusal", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Endpoint: EndpointToken, Status: http.StatusForbidden, Times: 1})
		r := token(t, srv, id, secret)
		if r.Status != http.StatusForbidden || errorMessageOf(t, r) != msgTokenRefused {
			t.Errorf("got %d %s, want 403 %s", r.Status, r.Body, msgTokenRefused)
		}
		if r := token(t, srv, id, secret); r.Status != http.StatusCreated {
			t.Errorf("after the fault: got %d, want 201", r.Status)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		srv.ClearFaults()
		srv.Inject(Fault{Truncate: true})
		r := zta(ds[0].AID)
		if r.Status != http.StatusOK || json.Valid([]byte(r.Body)) {
			t.Errorf("got %d, valid JSON %v; want 200 with broken JSON", r.Status, json.Valid([]byte(r.Body)))
		}
	})
	if got := srv.Requests(EndpointZTA); got != 6 {
		t.Errorf("got %d ZTA requests, want 6", got)
	}
}
