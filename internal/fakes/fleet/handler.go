package fleet

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
)

// Fleet's defaults when page is given without per_page (transport.go).
const defaultPerPage = 20

type hostJSON struct {
	ID              uint          `json:"id"`
	CreatedAt       string        `json:"created_at"`
	UpdatedAt       string        `json:"updated_at"`
	SeenTime        string        `json:"seen_time"`
	PolicyUpdatedAt string        `json:"policy_updated_at"`
	Hostname        string        `json:"hostname"`
	UUID            string        `json:"uuid"`
	Platform        string        `json:"platform"`
	OsqueryVersion  string        `json:"osquery_version"`
	OSVersion       string        `json:"os_version"`
	HardwareSerial  string        `json:"hardware_serial"`
	HardwareModel   string        `json:"hardware_model"`
	HardwareVendor  string        `json:"hardware_vendor"`
	ComputerName    string        `json:"computer_name"`
	DisplayName     string        `json:"display_name"`
	PrimaryIP       string        `json:"primary_ip"`
	TeamID          *uint         `json:"team_id"`
	TeamName        *string       `json:"team_name"`
	Status          string        `json:"status"`
	Issues          issuesJSON    `json:"issues"`
	Policies        *[]policyJSON `json:"policies,omitempty"`
}

type issuesJSON struct {
	FailingPoliciesCount int `json:"failing_policies_count"`
	TotalIssuesCount     int `json:"total_issues_count"`
}

type policyJSON struct {
	ID          uint   `json:"id"`
	Name        string `json:"name"`
	Query       string `json:"query"`
	Critical    bool   `json:"critical"`
	Description string `json:"description"`
	AuthorID    uint   `json:"author_id"`
	AuthorName  string `json:"author_name"`
	AuthorEmail string `json:"author_email"`
	TeamID      *uint  `json:"team_id"`
	Resolution  string `json:"resolution,omitempty"`
	Platform    string `json:"platform"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	Response    string `json:"response"`
}

func (s *Server) serveHosts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, perPage, errMsg := paging(q.Get("page"), q.Get("per_page"))
	populate := false
	if v := q.Get("populate_policies"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil && errMsg == "" {
			errMsg = "invalid populate_policies value"
		}
		populate = b
	}

	s.core.Count(HostsPath)
	f := s.core.Faults().ForPage(HostsPath, page+1)

	if !s.core.Faults().Wait(r, f) {
		return
	}
	if !s.authorized(w, r) {
		return
	}
	if f != nil && f.Status != 0 {
		writeFault(w, f)
		return
	}
	if errMsg != "" {
		writeError(w, http.StatusBadRequest, "Bad request", errMsg)
		return
	}

	body, err := s.pageBody(page, perPage, populate)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Unknown Error", err.Error())
		return
	}
	fakehttp.Write(w, http.StatusOK, fakehttp.JSON, f.Cut(body))
}

// paging reads page and per_page the way Fleet does: page is 0-based;
// neither means every host; page alone means 20 per page.
func paging(pageArg, perPageArg string) (page, perPage int, errMsg string) {
	if pageArg != "" {
		n, err := strconv.Atoi(pageArg)
		if err != nil || n < 0 {
			return 0, 0, "invalid page value"
		}
		page = n
		perPage = defaultPerPage
	}
	if perPageArg != "" {
		n, err := strconv.Atoi(perPageArg)
		if err != nil || n <= 0 {
			return page, 0, "invalid per_page value"
		}
		perPage = n
	}
	return page, perPage, ""
}

// pageBody returns the JSON of one page of hosts; perPage 0 means all of
// them. Each host's JSON is cached until it changes, so that serving a
// large fleet costs the fake little next to the client it tests.
func (s *Server) pageBody(page, perPage int, populate bool) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	variant := 0
	if populate {
		variant = 1
	}
	size := len(`{"hosts":[]}`)
	var ids []uint
	var err error
	s.hosts.Read(func(all []uint, get func(uint) (Host, bool)) {
		start, end := 0, len(all)
		if perPage > 0 {
			start = min(page*perPage, len(all))
			end = min(start+perPage, len(all))
		}
		ids = slices.Clone(all[start:end])
		for _, id := range ids {
			e := s.encoded[id]
			if e == nil {
				e = new([2][]byte)
				s.encoded[id] = e
			}
			if e[variant] == nil {
				h, _ := get(id)
				b, merr := json.Marshal(toJSON(h, populate))
				if merr != nil {
					err = fmt.Errorf("encoding host %d: %w", id, merr)
					return
				}
				e[variant] = b
			}
			size += len(e[variant]) + 1
		}
	})
	if err != nil {
		return nil, err
	}
	body := make([]byte, 0, size)
	body = append(body, `{"hosts":[`...)
	for i, id := range ids {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, s.encoded[id][variant]...)
	}
	return append(body, "]}"...), nil
}

func toJSON(h Host, populate bool) hostJSON {
	ts := h.SeenTime.UTC().Format(time.RFC3339)
	j := hostJSON{
		ID:              h.ID,
		CreatedAt:       "2024-01-15T09:30:00Z",
		UpdatedAt:       ts,
		SeenTime:        ts,
		PolicyUpdatedAt: ts,
		Hostname:        or(h.Hostname, fmt.Sprintf("host-%d", h.ID)),
		UUID:            or(h.UUID, fmt.Sprintf("392547dc-0000-4000-8000-%012d", h.ID)),
		Platform:        or(h.Platform, "darwin"),
		OsqueryVersion:  "5.12.1",
		OSVersion:       or(h.OSVersion, "macOS 14.5"),
		HardwareSerial:  h.HardwareSerial,
		HardwareModel:   h.HardwareModel,
		HardwareVendor:  "Apple Inc.",
		PrimaryIP:       "192.168.1.10",
		Status:          or(h.Status, "online"),
	}
	j.ComputerName = j.Hostname
	j.DisplayName = j.Hostname
	if populate {
		j.Policies = &[]policyJSON{}
	}
	for i, p := range h.Policies {
		if p.Response == "fail" {
			j.Issues.FailingPoliciesCount++
		}
		if !populate {
			continue
		}
		pid := p.ID
		if pid == 0 {
			pid = uint(i + 1)
		}
		*j.Policies = append(*j.Policies, policyJSON{
			ID: pid, Name: p.Name, Query: or(p.Query, "SELECT 1;"), Critical: p.Critical,
			Description: p.Description, AuthorID: 1, AuthorName: "Admin", AuthorEmail: "admin@example.com",
			Platform: j.Platform, CreatedAt: "2024-01-15T09:30:00Z", UpdatedAt: "2024-01-15T09:30:00Z",
			Response: p.Response,
		})
	}
	j.Issues.TotalIssuesCount = j.Issues.FailingPoliciesCount
	return j
}

// authorized checks the Bearer token and answers 401 the way Fleet does
// when it is missing or wrong.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "" {
		writeError(w, http.StatusUnauthorized, "Authorization header required", "Authorization header required")
		return false
	}
	want := "Bearer " + s.core.Token()
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || h != want || tok == "" {
		writeError(w, http.StatusUnauthorized, "Authentication required", "Authentication required")
		return false
	}
	return true
}

func writeFault(w http.ResponseWriter, f *Fault) {
	switch f.Status {
	case http.StatusUnauthorized:
		writeError(w, f.Status, "Authentication required", "Authentication required")
	case http.StatusForbidden:
		writeError(w, f.Status, "Permission Denied", "forbidden")
	case http.StatusTooManyRequests:
		secs := f.RetrySeconds()
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		msg := fmt.Sprintf("limit exceeded, retry after: %ds", secs)
		writeError(w, f.Status, msg, msg)
	default:
		writeError(w, f.Status, "Unknown Error", "fake fleet: injected failure")
	}
}

func serveNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "Resource Not Found", "Resource Not Found")
}

// writeError writes Fleet's error envelope.
func writeError(w http.ResponseWriter, status int, message, reason string) {
	type errJSON struct {
		Name   string `json:"name"`
		Reason string `json:"reason"`
	}
	body, _ := json.Marshal(struct {
		Message string    `json:"message"`
		Errors  []errJSON `json:"errors"`
		UUID    string    `json:"uuid"`
	}{message, []errJSON{{"base", reason}}, newUUID()})
	fakehttp.Write(w, status, fakehttp.JSON, body)
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
