package falcon

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

type scrollPaging struct {
	Total     int    `json:"total"`
	Offset    string `json:"offset"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
}

// serveScroll answers GET /devices/queries/devices-scroll/v1. Like the
// real API it returns the same offset token on every page and ends with
// an empty page whose pagination is {"total":0,"offset":""}.
func (s *Server) serveScroll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			s.writeError(w, EndpointScroll, http.StatusBadRequest, "Invalid limit value. Must be between 1 and 10000")
			return
		}
		limit = n
	}
	offset := q.Get("offset")

	s.mu.Lock()
	now := time.Now()
	for tok, sc := range s.scrolls {
		if now.After(sc.expires) {
			delete(s.scrolls, tok)
		}
	}
	sc, ok := s.scrolls[offset]
	if offset == "" {
		offset = randomHex(48)
		sc = &scroll{}
		s.devices.Read(func(ids []string, _ func(string) (Device, bool)) { sc.aids = slices.Clone(ids) })
		s.scrolls[offset] = sc
	} else if !ok {
		s.mu.Unlock()
		s.writeError(w, EndpointScroll, http.StatusBadRequest, "Invalid offset: scroll expired or unknown")
		return
	}
	// The token lives two minutes past its last use, as the API documents.
	sc.expires = now.Add(scrollTTL)
	page := sc.pos/limit + 1
	f := s.core.Faults().ForPage(EndpointScroll, page)
	s.mu.Unlock()
	if s.applyFault(w, r, EndpointScroll, f) {
		return
	}

	s.mu.Lock()
	start := min(sc.pos, len(sc.aids))
	end := min(start+limit, len(sc.aids))
	ids := sc.aids[start:end]
	sc.pos = end
	paging := scrollPaging{Total: len(sc.aids), Offset: offset, ExpiresAt: sc.expires.UnixNano()}
	if len(ids) == 0 {
		delete(s.scrolls, offset)
		paging = scrollPaging{}
	}
	s.mu.Unlock()

	m := newMeta("device-api")
	m.Pagination = paging
	s.writeJSON(w, http.StatusOK, struct {
		Meta      meta       `json:"meta"`
		Resources []string   `json:"resources"`
		Errors    []apiError `json:"errors"`
	}{m, ids, []apiError{}}, f != nil && f.Truncate)
}

type deviceJSON struct {
	DeviceID             string `json:"device_id"`
	CID                  string `json:"cid"`
	AgentVersion         string `json:"agent_version"`
	Hostname             string `json:"hostname"`
	SerialNumber         string `json:"serial_number,omitempty"`
	MACAddress           string `json:"mac_address,omitempty"`
	ConnectionMACAddress string `json:"connection_mac_address,omitempty"`
	PlatformName         string `json:"platform_name"`
	OSVersion            string `json:"os_version"`
	ProductTypeDesc      string `json:"product_type_desc"`
	FirstSeen            string `json:"first_seen"`
	LastSeen             string `json:"last_seen"`
	Status               string `json:"status"`
}

// serveDetails answers POST /devices/entities/devices/v2 {"ids":[...]}.
// Unknown AIDs are left out.
func (s *Server) serveDetails(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.writeError(w, EndpointDetails, http.StatusBadRequest, "Invalid request body: "+err.Error())
		return
	}
	if len(req.IDs) == 0 || len(req.IDs) > 5000 {
		s.writeError(w, EndpointDetails, http.StatusBadRequest, "ids: must contain between 1 and 5000 IDs")
		return
	}
	s.mu.Lock()
	f := s.core.Faults().ForBatch(EndpointDetails, batchKey(req.IDs))
	out := make([]deviceJSON, 0, len(req.IDs))
	now := time.Now().UTC()
	s.devices.Read(func(_ []string, get func(string) (Device, bool)) {
		for _, id := range req.IDs {
			if d, ok := get(id); ok {
				out = append(out, s.deviceJSON(d, now))
			}
		}
	})
	s.mu.Unlock()
	if s.applyFault(w, r, EndpointDetails, f) {
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		Meta      meta         `json:"meta"`
		Resources []deviceJSON `json:"resources"`
		Errors    []apiError   `json:"errors"`
	}{newMeta("device-api"), out, nil}, f != nil && f.Truncate)
}

func (s *Server) deviceJSON(d Device, now time.Time) deviceJSON {
	j := deviceJSON{
		DeviceID:             d.AID,
		CID:                  s.cid,
		AgentVersion:         "7.10.17706.0",
		Hostname:             d.Hostname,
		SerialNumber:         d.Serial,
		MACAddress:           d.MAC,
		ConnectionMACAddress: d.MAC,
		PlatformName:         d.Platform,
		OSVersion:            "Sonoma (14)",
		ProductTypeDesc:      "Workstation",
		FirstSeen:            "2024-01-15T10:00:00Z",
		Status:               "normal",
	}
	if d.ConnectionMAC != "" {
		j.ConnectionMACAddress = d.ConnectionMAC
	}
	if j.Hostname == "" {
		j.Hostname = "host-" + d.AID[:min(8, len(d.AID))]
	}
	if j.PlatformName == "" {
		j.PlatformName = "Mac"
	}
	seen := d.LastSeen
	if seen.IsZero() {
		seen = now
	}
	j.LastSeen = seen.UTC().Format(time.RFC3339)
	return j
}
