package sentinelone

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
	"github.com/postern/postern/internal/fakes/records"
)

// Verbatim error bodies. The 401 and 500 bodies are copied from real
// consoles (see provider-apis.md §3); the others follow the same schema.
const (
	bodyAuthFailed = `{"errors":[{"code":4010010,"detail":null,"title":"Authentication Failed"}]}`
	bodyForbidden  = `{"errors":[{"code":4030010,"detail":"Insufficient permissions","title":"Forbidden"}]}`
	bodyTooMany    = `{"errors":[{"code":4290010,"detail":"Too many requests","title":"Rate limit exceeded"}]}`
	bodyInternal   = `{"errors":[{"code":5000010,"detail":"Server could not process the request.","title":"Internal server error"}]}`
)

type agentJSON struct {
	ID                    string  `json:"id"`
	UUID                  string  `json:"uuid"`
	ComputerName          string  `json:"computerName"`
	SerialNumber          *string `json:"serialNumber"`
	IsActive              bool    `json:"isActive"`
	AgentVersion          string  `json:"agentVersion"`
	ActiveThreats         int     `json:"activeThreats"`
	Infected              bool    `json:"infected"`
	FirewallEnabled       bool    `json:"firewallEnabled"`
	EncryptedApplications bool    `json:"encryptedApplications"`
	OperationalState      string  `json:"operationalState"`
	IsDecommissioned      bool    `json:"isDecommissioned"`
	IsUninstalled         bool    `json:"isUninstalled"`
	NetworkStatus         string  `json:"networkStatus"`
	OSType                string  `json:"osType"`
	MachineType           string  `json:"machineType"`
	LastActiveDate        string  `json:"lastActiveDate"`
	UpdatedAt             string  `json:"updatedAt"`
	SiteID                string  `json:"siteId"`
	AccountID             string  `json:"accountId"`
}

type pageJSON struct {
	Data       []agentJSON `json:"data"`
	Pagination struct {
		TotalItems *int    `json:"totalItems"`
		NextCursor *string `json:"nextCursor"`
	} `json:"pagination"`
}

func (s *Server) serveAgents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, `{"errors":[{"code":4000010,"detail":"limit: Must be between 1 and 1000.","title":"Validation Error"}]}`)
			return
		}
		limit = n
	}
	after, ok := decodeCursor(q.Get("cursor"))
	if !ok {
		writeError(w, http.StatusBadRequest, `{"errors":[{"code":4000010,"detail":"cursor: Invalid cursor.","title":"Validation Error"}]}`)
		return
	}

	s.core.Count(AgentsPath)
	if r.Header.Get("Authorization") != "ApiToken "+s.core.Token() {
		writeError(w, http.StatusUnauthorized, bodyAuthFailed)
		return
	}
	s.mu.Lock()
	var f *fault.Fault
	var out pageJSON
	s.agents.Read(func(ids []string, get func(string) (Agent, bool)) {
		start := 0
		if after != "" {
			start = records.After(ids, after)
		}
		page := start/limit + 1
		f = s.core.Faults().ForPage(AgentsPath, page)
		end := min(start+limit, len(ids))
		out.Data = make([]agentJSON, 0, end-start)
		now := time.Now().UTC()
		for _, id := range ids[start:end] {
			a, _ := get(id)
			out.Data = append(out.Data, toJSON(a, now))
		}
		if q.Get("skipCount") != "true" {
			n := len(ids)
			out.Pagination.TotalItems = &n
		}
		if end < len(ids) {
			c := encodeCursor(ids[end-1])
			out.Pagination.NextCursor = &c
		} else if s.finalCursorEmpty {
			c := ""
			out.Pagination.NextCursor = &c
		}
	})
	s.mu.Unlock()

	if s.core.Faults().Apply(w, r, f, writeFault) {
		return
	}
	if s.core.WriteJSON(w, http.StatusOK, fakehttp.JSON, out, f) != nil {
		writeError(w, http.StatusInternalServerError, bodyInternal)
	}
}

// writeFault answers with an injected status.
func writeFault(w http.ResponseWriter, f *Fault) {
	if f.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetrySeconds()))
	}
	writeError(w, f.Status, errorBody(f.Status))
}

func errorBody(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return bodyAuthFailed
	case http.StatusForbidden:
		return bodyForbidden
	case http.StatusTooManyRequests:
		return bodyTooMany
	case http.StatusInternalServerError:
		return bodyInternal
	}
	return fmt.Sprintf(`{"errors":[{"code":%d0010,"detail":null,"title":%q}]}`, status, http.StatusText(status))
}

func writeError(w http.ResponseWriter, status int, body string) {
	fakehttp.WriteString(w, status, fakehttp.JSON, body)
}

func toJSON(a Agent, now time.Time) agentJSON {
	j := agentJSON{
		ID:                    a.ID,
		UUID:                  a.UUID,
		ComputerName:          a.ComputerName,
		IsActive:              a.IsActive,
		AgentVersion:          a.AgentVersion,
		ActiveThreats:         a.ActiveThreats,
		Infected:              a.Infected,
		FirewallEnabled:       a.FirewallEnabled,
		EncryptedApplications: a.EncryptedApplications,
		OperationalState:      a.OperationalState,
		IsDecommissioned:      a.IsDecommissioned,
		IsUninstalled:         a.IsUninstalled,
		NetworkStatus:         a.NetworkStatus,
		OSType:                a.OSType,
		MachineType:           "laptop",
		SiteID:                "225494730938493804",
		AccountID:             "225494730930105195",
	}
	if a.SerialNumber != "" {
		j.SerialNumber = &a.SerialNumber
	}
	if j.UUID == "" {
		j.UUID = fmt.Sprintf("%032x", a.ID)[:32]
	}
	if j.ComputerName == "" {
		j.ComputerName = "host-" + a.ID
	}
	if j.AgentVersion == "" {
		j.AgentVersion = "23.4.2.14"
	}
	if j.OperationalState == "" {
		j.OperationalState = "na"
	}
	if j.NetworkStatus == "" {
		j.NetworkStatus = "connected"
	}
	if j.OSType == "" {
		j.OSType = "macos"
	}
	last := a.LastActiveDate
	if last.IsZero() {
		last = now
	}
	upd := a.UpdatedAt
	if upd.IsZero() {
		upd = last
	}
	j.LastActiveDate = last.UTC().Format("2006-01-02T15:04:05.000000Z")
	j.UpdatedAt = upd.UTC().Format("2006-01-02T15:04:05.000000Z")
	return j
}

// Cursors name the last agent served, base64-encoded as consoles do
// ("agent_id:<id>").
func encodeCursor(lastID string) string {
	return base64.StdEncoding.EncodeToString([]byte("agent_id:" + lastID))
}

func decodeCursor(c string) (string, bool) {
	if c == "" {
		return "", true
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(b), "agent_id:")
	return id, ok && id != ""
}
