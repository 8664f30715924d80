package kandji

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
)

// Error bodies in the Django REST framework shape Kandji uses
// ({"detail": ...}); the exact wording of 401/403 is DRF's default, as
// Kandji's own is undocumented. Its 500 and 404 pages are HTML.
const (
	bodyNoCredentials = `{"detail":"Authentication credentials were not provided."}`
	bodyInvalidToken  = `{"detail":"Invalid token."}`
	bodyForbidden     = `{"detail":"You do not have permission to perform this action."}`
	bodyServerError   = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
	bodyNotFound      = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"
)

// Kandji's odd timestamp formats: last_check_in is ISO 8601 with
// microseconds; the enrollment dates use a space and a +00:00 offset.
const (
	checkInLayout    = "2006-01-02T15:04:05.000000Z"
	enrollmentLayout = "2006-01-02 15:04:05.000000-07:00"
)

type deviceJSON struct {
	DeviceID                   string          `json:"device_id"`
	DeviceName                 string          `json:"device_name"`
	Model                      string          `json:"model"`
	SerialNumber               string          `json:"serial_number"`
	Platform                   string          `json:"platform"`
	OSVersion                  string          `json:"os_version"`
	SupplementalBuildVersion   string          `json:"supplemental_build_version"`
	SupplementalOSVersionExtra string          `json:"supplemental_os_version_extra"`
	LastCheckIn                string          `json:"last_check_in"`
	User                       json.RawMessage `json:"user"`
	AssetTag                   string          `json:"asset_tag"`
	BlueprintID                string          `json:"blueprint_id"`
	BlueprintName              string          `json:"blueprint_name"`
	MDMEnabled                 bool            `json:"mdm_enabled"`
	AgentInstalled             bool            `json:"agent_installed"`
	IsMissing                  bool            `json:"is_missing"`
	IsRemoved                  bool            `json:"is_removed"`
	AgentVersion               string          `json:"agent_version"`
	FirstEnrollment            string          `json:"first_enrollment"`
	LastEnrollment             string          `json:"last_enrollment"`
	LostModeStatus             string          `json:"lost_mode_status"`
	Tags                       []string        `json:"tags"`
}

type userJSON struct {
	Email      string `json:"email"`
	Name       string `json:"name"`
	ID         string `json:"id"`
	IsArchived bool   `json:"is_archived"`
}

func (s *Server) serveDevices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, errBody := paging(q.Get("limit"), q.Get("offset"))
	f, ok := s.admit(w, r, DevicesPath, offset/max(limit, 1)+1)
	if !ok {
		return
	}
	if errBody != "" {
		fakehttp.WriteString(w, http.StatusBadRequest, fakehttp.JSON, errBody)
		return
	}
	body, err := json.Marshal(s.page(limit, offset))
	if err != nil {
		fakehttp.WriteString(w, http.StatusInternalServerError, fakehttp.HTML, bodyServerError)
		return
	}
	fakehttp.Write(w, http.StatusOK, fakehttp.JSON, f.Cut(body))
}

// admit counts a request to the listing at path and decides whether it
// goes on, answering it otherwise: it waits out the delay of the fault
// for page, then refuses a missing or unknown token (401), a token not
// granted path (403), and answers the fault's status. It returns the
// fault, nil if none, for the caller to cut the body with.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, path string, page int) (*Fault, bool) {
	s.core.Count(fault.Endpoint(path))
	f := s.core.Faults().ForPage(fault.Endpoint(path), page)
	if !s.core.Faults().Wait(r, f) {
		return nil, false
	}
	if !s.authorized(w, r, path) {
		return nil, false
	}
	if f != nil && f.Status != 0 {
		writeFault(w, f)
		return nil, false
	}
	return f, true
}

// paging reads limit and offset. limit is required by Kandji's spec and
// capped at MaxLimit; a missing one is taken as MaxLimit.
func paging(limitArg, offsetArg string) (limit, offset int, errBody string) {
	limit = MaxLimit
	if limitArg != "" {
		n, err := strconv.Atoi(limitArg)
		if err != nil || n < 1 {
			return 0, 0, `{"limit":["A valid integer greater than 0 is required."]}`
		}
		if n > MaxLimit {
			return 0, 0, fmt.Sprintf(`{"limit":["Ensure this value is less than or equal to %d."]}`, MaxLimit)
		}
		limit = n
	}
	if offsetArg != "" {
		n, err := strconv.Atoi(offsetArg)
		if err != nil || n < 0 {
			return limit, 0, `{"offset":["A valid integer greater than or equal to 0 is required."]}`
		}
		offset = n
	}
	return limit, offset, ""
}

// page returns the devices from offset on, at most limit of them: a bare
// array, empty past the end.
func (s *Server) page(limit, offset int) []deviceJSON {
	devices, _ := s.devices.Page(offset, limit)
	out := make([]deviceJSON, 0, len(devices))
	for _, d := range devices {
		out = append(out, toJSON(d))
	}
	return out
}

func toJSON(d Device) deviceJSON {
	enrolled := d.LastCheckIn.Add(-90 * 24 * time.Hour).UTC()
	j := deviceJSON{
		DeviceID:                 d.ID,
		DeviceName:               or(d.Name, "Device "+d.ID),
		Model:                    or(d.Model, "MacBook Air (M1, 2020)"),
		SerialNumber:             d.SerialNumber,
		Platform:                 or(d.Platform, "Mac"),
		OSVersion:                or(d.OSVersion, "14.4.1"),
		SupplementalBuildVersion: "23E224",
		LastCheckIn:              d.LastCheckIn.UTC().Format(checkInLayout),
		User:                     json.RawMessage(`""`),
		BlueprintID:              "ab102b9d-4b8c-4f9e-9c9e-4c1c1b0e8f11",
		BlueprintName:            "main",
		MDMEnabled:               d.MDMEnabled,
		AgentInstalled:           d.AgentInstalled,
		IsMissing:                d.IsMissing,
		IsRemoved:                d.IsRemoved,
		FirstEnrollment:          enrolled.Format(enrollmentLayout),
		LastEnrollment:           enrolled.Format(enrollmentLayout),
		Tags:                     d.Tags,
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if d.AgentInstalled {
		j.AgentVersion = or(d.AgentVersion, "4.5.9 (5160)")
	}
	if d.User != nil {
		u, _ := json.Marshal(userJSON{Email: d.User.Email, Name: d.User.Name, ID: d.User.ID, IsArchived: d.User.IsArchived})
		j.User = u
	}
	return j
}

// authorized checks the Bearer token and its permission to read path,
// and answers the way Django REST framework does: 401 when the token is
// missing or unknown, 403 when it lacks the permission.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, path string) bool {
	h := r.Header.Get("Authorization")
	if h == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		fakehttp.WriteString(w, http.StatusUnauthorized, fakehttp.JSON, bodyNoCredentials)
		return false
	}
	token, isBearer := strings.CutPrefix(h, "Bearer ")
	s.mu.Lock()
	grant, known := s.tokens[token]
	s.mu.Unlock()
	if !isBearer || !known {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		fakehttp.WriteString(w, http.StatusUnauthorized, fakehttp.JSON, bodyInvalidToken)
		return false
	}
	if !grant[path] {
		fakehttp.WriteString(w, http.StatusForbidden, fakehttp.JSON, bodyForbidden)
		return false
	}
	return true
}

func writeFault(w http.ResponseWriter, f *Fault) {
	switch {
	case f.Status == http.StatusUnauthorized:
		fakehttp.WriteString(w, f.Status, fakehttp.JSON, bodyInvalidToken)
	case f.Status == http.StatusForbidden:
		fakehttp.WriteString(w, f.Status, fakehttp.JSON, bodyForbidden)
	case f.Status == http.StatusTooManyRequests:
		secs := f.RetrySeconds()
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		fakehttp.WriteString(w, f.Status, fakehttp.JSON, fmt.Sprintf(`{"detail":"Request was throttled. Expected available in %d seconds."}`, secs))
	case f.Status >= 500:
		fakehttp.WriteString(w, f.Status, fakehttp.HTML, bodyServerError)
	default:
		fakehttp.WriteString(w, f.Status, fakehttp.JSON, fmt.Sprintf(`{"detail":"Injected failure (HTTP %d)."}`, f.Status))
	}
}

func serveNotFound(w http.ResponseWriter, r *http.Request) {
	fakehttp.WriteString(w, http.StatusNotFound, fakehttp.HTML, bodyNotFound)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
