package huntress

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
)

// Grape {"error": ...} bodies. Huntress documents when it answers each
// status, not the words; these are the fake's.
const (
	bodyUnauthorized = `{"error":"Unauthorized"}`
	bodyForbidden    = `{"error":"Forbidden: this account does not have access to the Huntress API"}`
	bodyNotFound     = `{"error":"Not Found"}`
	bodyTooMany      = `{"error":"Too Many Requests: the rate limit is 60 requests per minute"}`
	bodyInternal     = `{"error":"Internal Server Error"}`
)

// timeLayout is how Huntress writes timestamps (ISO 8601, whole seconds, Z).
const timeLayout = "2006-01-02T15:04:05Z"

type agentJSON struct {
	ID                         int64    `json:"id"`
	AccountID                  int64    `json:"account_id"`
	Arch                       string   `json:"arch"`
	CreatedAt                  string   `json:"created_at"`
	DomainName                 string   `json:"domain_name"`
	EDRVersion                 *string  `json:"edr_version"`
	ExternalIP                 string   `json:"external_ip"`
	Hostname                   string   `json:"hostname"`
	DefenderPolicyStatus       *string  `json:"defender_policy_status"`
	DefenderStatus             *string  `json:"defender_status"`
	DefenderSubstatus          *string  `json:"defender_substatus"`
	FirewallStatus             *string  `json:"firewall_status"`
	TamperProtectionConfigured *bool    `json:"tamper_protection_configured"`
	TamperProtectionActual     *bool    `json:"tamper_protection_actual"`
	IPv4Address                string   `json:"ipv4_address"`
	LastCallbackAt             string   `json:"last_callback_at"`
	LastSurveyAt               *string  `json:"last_survey_at"`
	MACAddresses               []string `json:"mac_addresses"`
	OrganizationID             int64    `json:"organization_id"`
	OS                         string   `json:"os"`
	Platform                   string   `json:"platform"`
	SerialNumber               *string  `json:"serial_number"`
	Tags                       []string `json:"tags"`
	UpdatedAt                  string   `json:"updated_at"`
	Version                    string   `json:"version"`
}

type paginationJSON struct {
	NextPageURL   *string `json:"next_page_url,omitempty"`
	NextPageToken *string `json:"next_page_token,omitempty"`
}

// nullPagination is the FinalNull form, which omitempty cannot write.
type nullPagination struct {
	NextPageURL   *string `json:"next_page_url"`
	NextPageToken *string `json:"next_page_token"`
}

type pageJSON struct {
	Agents     []agentJSON `json:"agents"`
	Pagination any         `json:"pagination"`
}

// query is a validated agents request.
type query struct {
	limit int
	asc   bool
	after int64 // the last agent of the previous page; 0 for the first page
	org   int64 // 0: every organization
}

func (s *Server) serveAgents(w http.ResponseWriter, r *http.Request) {
	s.core.Count(AgentsPath)
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.RawQuery)
	okKeys := s.keysMatchLocked(r)
	noAccess := s.noAccess
	wait := s.rateLimitedLocked(time.Now())
	s.mu.Unlock()
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeError(w, http.StatusTooManyRequests, bodyTooMany)
		return
	}
	if !okKeys {
		w.Header().Set("WWW-Authenticate", `Basic realm="API Authorization"`)
		writeError(w, http.StatusUnauthorized, bodyUnauthorized)
		return
	}
	if noAccess {
		writeError(w, http.StatusForbidden, bodyForbidden)
		return
	}
	q, msg := parseQuery(r.URL.Query())
	if msg != "" {
		writeError(w, http.StatusBadRequest, errorJSON(msg))
		return
	}
	s.mu.Lock()
	orgKnown := q.org == 0 || s.orgs[q.org]
	final := s.final
	s.mu.Unlock()
	if !orgKnown {
		writeError(w, http.StatusNotFound, bodyNotFound)
		return
	}

	var (
		out   pageJSON
		pos   int
		known = true
		next  int64
	)
	s.agents.Read(func(ids []int64, get func(int64) (Agent, bool)) {
		order := listing(ids, get, q)
		if q.after != 0 {
			i := slices.Index(order, q.after)
			if i < 0 {
				known = false
				return
			}
			pos = i + 1
		}
		end := min(pos+q.limit, len(order))
		out.Agents = make([]agentJSON, 0, end-pos)
		for _, id := range order[pos:end] {
			a, _ := get(id)
			out.Agents = append(out.Agents, toJSON(a))
		}
		if end < len(order) {
			next = order[end-1]
		}
	})
	if !known {
		writeError(w, http.StatusBadRequest, errorJSON("page_token is invalid"))
		return
	}
	f := s.core.Faults().ForPage(AgentsPath, pos/q.limit+1)
	if s.core.Faults().Apply(w, r, f, writeFault) {
		return
	}
	switch {
	case next != 0:
		tok := encodeToken(next)
		u := "http://" + r.Host + AgentsPath + "?" + url.Values{"page_token": {tok}, "limit": {strconv.Itoa(q.limit)}}.Encode()
		out.Pagination = paginationJSON{NextPageURL: &u, NextPageToken: &tok}
	case final == FinalNull:
		out.Pagination = nullPagination{}
	case final == FinalEmpty:
		empty := ""
		out.Pagination = paginationJSON{NextPageURL: &empty, NextPageToken: &empty}
	default:
		out.Pagination = struct{}{}
	}

	if s.core.WriteJSON(w, http.StatusOK, fakehttp.JSON, out, f) != nil {
		writeError(w, http.StatusInternalServerError, bodyInternal)
	}
}

// listing returns the ids of the agents q lists, in its order. Without an
// organization filter it is ids itself (reversed for the default
// descending order), so a page costs no copy of the whole set when
// ascending.
func listing(ids []int64, get func(int64) (Agent, bool), q query) []int64 {
	if q.org == 0 && q.asc {
		return ids
	}
	order := make([]int64, 0, len(ids))
	for _, id := range ids {
		if q.org != 0 {
			if a, _ := get(id); a.OrganizationID != q.org {
				continue
			}
		}
		order = append(order, id)
	}
	if !q.asc {
		slices.Reverse(order)
	}
	return order
}

func (s *Server) keysMatchLocked(r *http.Request) bool {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return false
	}
	pub, priv, ok := strings.Cut(string(raw), ":")
	return ok && pub == s.publicKey && priv == s.privateKey
}

// parseQuery validates the parameters Huntress's agents listing takes,
// with Grape's messages for bad ones.
func parseQuery(v url.Values) (query, string) {
	q := query{limit: DefaultLimit}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, "limit is invalid"
		}
		if n < 1 || n > MaxLimit {
			return q, "limit does not have a valid value"
		}
		q.limit = n
	}
	// Agents are created in id order, so created_at sorts as id does;
	// the fake does not sort by updated_at.
	switch v.Get("sort_field") {
	case "", "id", "created_at":
	default:
		return q, "sort_field does not have a valid value"
	}
	switch v.Get("sort_direction") {
	case "", "desc":
	case "asc":
		q.asc = true
	default:
		return q, "sort_direction does not have a valid value"
	}
	if s := v.Get("organization_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return q, "organization_id is invalid"
		}
		q.org = n
	}
	if s := v.Get("page_token"); s != "" {
		id, ok := decodeToken(s)
		if !ok {
			return q, "page_token is invalid"
		}
		q.after = id
	}
	return q, ""
}

// Page tokens are opaque to clients; the fake's name the last agent of
// the previous page, unpadded base64 as Huntress's are.
func encodeToken(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeToken(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	return id, err == nil && id > 0
}

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetrySeconds()))
	}
	writeError(w, f.Status, errorBody(f.Status))
}

func errorBody(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return bodyUnauthorized
	case http.StatusForbidden:
		return bodyForbidden
	case http.StatusNotFound:
		return bodyNotFound
	case http.StatusTooManyRequests:
		return bodyTooMany
	case http.StatusInternalServerError:
		return bodyInternal
	}
	return errorJSON(http.StatusText(status))
}

func errorJSON(msg string) string {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	return string(b)
}

func writeError(w http.ResponseWriter, status int, body string) {
	fakehttp.WriteString(w, status, fakehttp.JSON, body)
}

func toJSON(a Agent) agentJSON {
	platform := or(a.Platform, "windows")
	upd := a.UpdatedAt
	if upd.IsZero() {
		upd = a.LastCallbackAt
	}
	created := a.LastCallbackAt.Add(-30 * 24 * time.Hour)
	j := agentJSON{
		ID:                   a.ID,
		AccountID:            5,
		Arch:                 "x86_64",
		CreatedAt:            created.UTC().Format(timeLayout),
		DomainName:           "WORKGROUP",
		ExternalIP:           "198.51.100.42",
		Hostname:             or(a.Hostname, fmt.Sprintf("host-%d", a.ID)),
		DefenderPolicyStatus: orNull(a.DefenderPolicyStatus),
		DefenderStatus:       orNull(a.DefenderStatus),
		DefenderSubstatus:    orNull(a.DefenderSubstatus),
		FirewallStatus:       orNull(a.FirewallStatus),
		IPv4Address:          "10.0.0.7",
		LastCallbackAt:       a.LastCallbackAt.UTC().Format(timeLayout),
		MACAddresses:         a.MACAddresses,
		OrganizationID:       a.OrganizationID,
		Platform:             platform,
		SerialNumber:         orNull(a.SerialNumber),
		Tags:                 []string{},
		UpdatedAt:            upd.UTC().Format(timeLayout),
		Version:              "0.13.220",
	}
	if j.MACAddresses == nil {
		j.MACAddresses = []string{}
	}
	switch platform {
	case "windows":
		j.OS = "Windows 11 Pro"
		edr := "0.3.20"
		j.EDRVersion = &edr
		t := true
		j.TamperProtectionConfigured, j.TamperProtectionActual = &t, &t
		if a.DefenderStatus != "" {
			survey := j.LastCallbackAt
			j.LastSurveyAt = &survey
		}
	case "darwin":
		j.OS = "macOS 14.5"
	default:
		j.OS = "Ubuntu 22.04"
	}
	return j
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
