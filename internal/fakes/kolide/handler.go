package kolide

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/records"
)

// Error bodies in Kolide's {"error": "..."} shape. The 403 body is the
// example of Kolide's OpenAPI document; the others follow its shape.
const (
	bodyUnauthorized  = `{"error":"Unauthorized"}`
	bodyForbidden     = `{"error":"Forbidden","message":"The API key used is not authorized to perform this action"}`
	bodyNoVersion     = `{"error":"Unsupported X-Kolide-Api-Version; the current API version is 2023-05-26"}`
	bodyTooMany       = `{"error":"Too Many Requests"}`
	bodyInternal      = `{"error":"Internal Server Error"}`
	bodyNotFound      = `{"error":"Not Found"}`
	bodyInvalidCursor = `{"error":"Invalid cursor"}`
	bodyPerPage       = `{"error":"per_page must be between 1 and 100"}`
)

// rateLimit is Kolide's documented throughput ceiling, sent in
// RateLimit-Limit.
const rateLimit = 270

// timeLayout is how Kolide writes timestamps: UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

type linkJSON struct {
	Identifier string  `json:"identifier"`
	Link       *string `json:"link"`
}

type deviceJSON struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	RegisteredAt        *string   `json:"registered_at"`
	LastAuthenticatedAt *string   `json:"last_authenticated_at"`
	LastSeenAt          *string   `json:"last_seen_at,omitempty"`
	RegisteredOwnerInfo linkJSON  `json:"registered_owner_info"`
	OperatingSystem     string    `json:"operating_system"`
	HardwareModel       string    `json:"hardware_model"`
	Serial              *string   `json:"serial"`
	HardwareUUID        string    `json:"hardware_uuid"`
	Note                *string   `json:"note"`
	AuthState           *string   `json:"auth_state"`
	WillBlockAt         *string   `json:"will_block_at"`
	ProductImageURL     string    `json:"product_image_url"`
	AuthConfiguration   *struct{} `json:"auth_configuration"`
	DeviceType          string    `json:"device_type"`
	FormFactor          string    `json:"form_factor"`
}

type paginationJSON struct {
	Next          string `json:"next"`
	NextCursor    string `json:"next_cursor"`
	CurrentCursor string `json:"current_cursor"`
	Count         int    `json:"count"`
}

type pageJSON struct {
	Data       []deviceJSON   `json:"data"`
	Pagination paginationJSON `json:"pagination"`
}

func (s *Server) serveDevices(w http.ResponseWriter, r *http.Request) {
	s.core.Count(DevicesPath)
	if r.Header.Get("Authorization") != "Bearer "+s.core.Token() {
		writeError(w, http.StatusUnauthorized, bodyUnauthorized)
		return
	}
	// Kolide's OpenAPI marks the header optional, with a default version;
	// a version it does not publish is refused.
	switch r.Header.Get("X-Kolide-Api-Version") {
	case "", APIVersion2023, APIVersion2026:
	default:
		writeError(w, http.StatusBadRequest, bodyNoVersion)
		return
	}
	q := r.URL.Query()
	perPage := 25
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, bodyPerPage)
			return
		}
		perPage = n
	}
	cursor := q.Get("cursor")
	after, ok := decodeCursor(cursor)
	if !ok {
		writeError(w, http.StatusBadRequest, bodyInvalidCursor)
		return
	}

	var out pageJSON
	var page int
	s.devices.Read(func(ids []string, get func(string) (Device, bool)) {
		start := 0
		if after != "" {
			start = records.After(ids, after)
		}
		page = start/perPage + 1
		end := min(start+perPage, len(ids))
		out.Data = make([]deviceJSON, 0, end-start)
		for _, id := range ids[start:end] {
			d, _ := get(id)
			out.Data = append(out.Data, toJSON(d))
		}
		out.Pagination = paginationJSON{CurrentCursor: cursor, Count: end - start}
		if end < len(ids) {
			next := encodeCursor(ids[end-1])
			out.Pagination.NextCursor = next
			out.Pagination.Next = nextURL(r, perPage, next)
		}
	})
	f := s.core.Faults().ForPage(DevicesPath, page)
	if s.core.Faults().Apply(w, r, f, writeFault) {
		return
	}
	w.Header().Set("RateLimit-Limit", strconv.Itoa(rateLimit))
	if s.core.WriteJSON(w, http.StatusOK, fakehttp.JSONUTF8, out, f) != nil {
		writeError(w, http.StatusInternalServerError, bodyInternal)
	}
}

// nextURL is the pre-built link to the next page Kolide includes, on the
// host the request was sent to.
func nextURL(r *http.Request, perPage int, cursor string) string {
	q := url.Values{"per_page": {strconv.Itoa(perPage)}, "cursor": {cursor}}
	return "http://" + r.Host + DevicesPath + "?" + q.Encode()
}

// writeFault answers with an injected status in Kolide's shape; a 429
// carries Retry-After and the RateLimit-* headers.
func writeFault(w http.ResponseWriter, f *Fault) {
	switch f.Status {
	case http.StatusUnauthorized:
		writeError(w, f.Status, bodyUnauthorized)
	case http.StatusForbidden:
		writeError(w, f.Status, bodyForbidden)
	case http.StatusTooManyRequests:
		secs := strconv.Itoa(f.RetrySeconds())
		w.Header().Set("Retry-After", secs)
		w.Header().Set("RateLimit-Limit", strconv.Itoa(rateLimit))
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", secs)
		writeError(w, f.Status, bodyTooMany)
	case http.StatusNotFound:
		writeError(w, f.Status, bodyNotFound)
	case http.StatusInternalServerError:
		writeError(w, f.Status, bodyInternal)
	default:
		writeError(w, f.Status, fmt.Sprintf(`{"error":%q}`, http.StatusText(f.Status)))
	}
}

func serveNotFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, bodyNotFound)
}

func writeError(w http.ResponseWriter, status int, body string) {
	fakehttp.WriteString(w, status, fakehttp.JSONUTF8, body)
}

func toJSON(d Device) deviceJSON {
	j := deviceJSON{
		ID:                  d.ID,
		Name:                or(d.Name, "Device-"+d.ID),
		RegisteredOwnerInfo: linkJSON{Identifier: ""},
		OperatingSystem:     or(d.OperatingSystem, "macOS 15.7.3 Sequoia"),
		HardwareModel:       or(d.HardwareModel, "MacBook Pro (14-inch, 2021)"),
		HardwareUUID:        fmt.Sprintf("00000000-0000-4000-8000-%012s", d.ID),
		ProductImageURL:     "https://assets.kolide.com/assets/devices/macbook-pro.png",
		DeviceType:          or(d.DeviceType, "Mac"),
		FormFactor:          "Computer",
		LastAuthenticatedAt: stamp(d.LastAuthenticatedAt),
		WillBlockAt:         stamp(d.WillBlockAt),
	}
	if d.Serial != "" {
		j.Serial = &d.Serial
	}
	if d.AuthState != "" {
		j.AuthState = &d.AuthState
	}
	if !d.OmitLastSeen {
		j.LastSeenAt = stamp(d.LastSeenAt)
	}
	switch j.DeviceType {
	case "iOS", "Android":
		j.FormFactor = "Phone"
	}
	return j
}

// stamp formats t as Kolide does, or nil (null) when t is zero.
func stamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(timeLayout)
	return &s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Cursors are opaque to clients: here, the base64 of the last device id
// served, so a page found by cursor neither repeats nor skips a device
// when others are added or removed meanwhile.
func encodeCursor(lastID string) string {
	return base64.StdEncoding.EncodeToString([]byte(lastID))
}

func decodeCursor(c string) (string, bool) {
	if c == "" {
		return "", true
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || strings.ContainsFunc(string(b), func(r rune) bool { return r < '0' || r > '9' }) {
		return "", false
	}
	return string(b), true
}
