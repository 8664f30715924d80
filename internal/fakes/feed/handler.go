package feed

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/records"
)

type pageJSON struct {
	Schema     schemaJSON   `json:"schema"`
	Devices    []deviceJSON `json:"devices"`
	NextCursor *string      `json:"nextCursor"`
}

type schemaJSON struct {
	Attributes map[string]Attr `json:"attributes"`
}

type deviceJSON struct {
	ID         string         `json:"id"`
	Serials    []string       `json:"serials,omitempty"`
	MACs       []string       `json:"macs,omitempty"`
	LastSeen   string         `json:"lastSeen,omitempty"`
	Attributes map[string]any `json:"attributes"`
}

func (s *Server) serveDevices(w http.ResponseWriter, r *http.Request) {
	s.core.Count(DevicesPath)
	token := s.core.Token()
	s.mu.Lock()
	schema, size, pages := s.schema, s.pageSize, s.pages
	s.mu.Unlock()
	// An mTLS server has verified the client certificate in the handshake.
	if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
		w.Header().Set("WWW-Authenticate", `Bearer realm="feed"`)
		writeError(w, http.StatusUnauthorized, "invalid or missing bearer token")
		return
	}
	after, ok := decodeCursor(r.URL.Query().Get("cursor"))
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid cursor")
		return
	}
	var out pageJSON
	var page int
	s.devices.Read(func(ids []string, get func(string) (Device, bool)) {
		start := 0
		if after != "" {
			start = records.After(ids, after)
		}
		page = start/size + 1
		end := min(start+size, len(ids))
		out.Devices = make([]deviceJSON, 0, end-start)
		for _, id := range ids[start:end] {
			d, _ := get(id)
			out.Devices = append(out.Devices, toJSON(d))
		}
		if end < len(ids) {
			c := encodeCursor(ids[end-1])
			out.NextCursor = &c
		}
	})
	out.Schema.Attributes = schema
	if ps, ok := pages[page]; ok {
		out.Schema.Attributes = ps
	}
	if out.Schema.Attributes == nil {
		out.Schema.Attributes = map[string]Attr{}
	}
	f := s.core.Faults().ForPage(DevicesPath, page)
	if s.core.Faults().Apply(w, r, f, writeFault) {
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	fakehttp.Write(w, http.StatusOK, fakehttp.JSON, f.Cut(body))
}

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetrySeconds()))
	}
	writeError(w, f.Status, http.StatusText(f.Status))
}

func toJSON(d Device) deviceJSON {
	j := deviceJSON{ID: d.ID, Serials: d.Serials, MACs: d.MACs, Attributes: d.Attributes}
	if j.Attributes == nil {
		j.Attributes = map[string]any{}
	}
	if !d.LastSeen.IsZero() {
		j.LastSeen = d.LastSeen.UTC().Format(time.RFC3339)
	}
	return j
}

// Cursors are opaque: the base64 of the last id served.
func encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

func decodeCursor(c string) (string, bool) {
	if c == "" {
		return "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	return string(b), err == nil && len(b) > 0
}
