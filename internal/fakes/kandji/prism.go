package kandji

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/records"
)

// prismTimeLayout is how Prism writes its timestamps: ISO 8601 with
// microseconds and a numeric offset, "2024-04-02T07:20:56.341015+00:00".
const prismTimeLayout = "2006-01-02T15:04:05.000000-07:00"

// bodyInvalidCursor is Django REST framework's answer (404) to a cursor
// it cannot read.
const bodyInvalidCursor = `{"detail":"Invalid cursor"}`

// prismPageJSON is Prism's wrapper, its fields in Kandji's order. Offset
// echoes the request's offset and is null when it sent none; Cursor is
// null on the last page.
type prismPageJSON struct {
	Offset *int              `json:"offset"`
	Limit  int               `json:"limit"`
	Total  int               `json:"total"`
	Data   []prismDeviceJSON `json:"data"`
	Cursor *string           `json:"cursor"`
}

// prismDeviceJSON is one row of Prism's device information, as in
// Kandji's Postman example.
type prismDeviceJSON struct {
	BlueprintID      string  `json:"blueprint_id"`
	BlueprintName    string  `json:"blueprint_name"`
	UserID           string  `json:"device__user_id"`
	UserName         string  `json:"device__user_name"`
	UserEmail        string  `json:"device__user_email"`
	Name             string  `json:"device__name"`
	Family           string  `json:"device__family"`
	AssetTag         *string `json:"asset_tag"`
	SerialNumber     string  `json:"serial_number"`
	DeviceID         string  `json:"device_id"`
	Model            string  `json:"model"`
	ModelName        string  `json:"model_name"`
	FirstEnrollment  string  `json:"first_enrollment_date"`
	LastEnrollment   string  `json:"last_enrollment_date"`
	AgentVersion     *string `json:"agent_version"`
	MDMEnabled       bool    `json:"mdm_enabled"`
	AgentInstalled   *bool   `json:"agent_installed"`
	UpdatedAt        string  `json:"updated_at"`
	LastCollectedAt  string  `json:"last_collected_at"`
	OSVersion        string  `json:"os_version"`
	OSBuild          string  `json:"os_build"`
	DisplayOSVersion string  `json:"display_os_version"`
}

// cursorJSON is what the fake's opaque cursor holds: the id of the last
// device served, so a page found by cursor neither repeats nor skips a
// device when others are added or removed meanwhile.
type cursorJSON struct {
	After string `json:"after"`
}

func (s *Server) servePrism(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, errBody := paging(q.Get("limit"), q.Get("offset"))
	errStatus := http.StatusBadRequest
	var echo *int
	if q.Get("offset") != "" && errBody == "" {
		echo = &offset
	}
	if c := q.Get("cursor"); c != "" && errBody == "" {
		after, ok := decodeCursor(c)
		if ok {
			offset, echo = s.positionAfter(after), nil
		} else {
			errStatus, errBody = http.StatusNotFound, bodyInvalidCursor
		}
	}
	f, ok := s.admit(w, r, PrismPath, offset/max(limit, 1)+1)
	if !ok {
		return
	}
	if errBody != "" {
		fakehttp.WriteString(w, errStatus, fakehttp.JSON, errBody)
		return
	}
	body, err := json.Marshal(s.prismPage(limit, offset, echo))
	if err != nil {
		fakehttp.WriteString(w, http.StatusInternalServerError, fakehttp.HTML, bodyServerError)
		return
	}
	fakehttp.Write(w, http.StatusOK, fakehttp.JSON, f.Cut(body))
}

// positionAfter returns the index of the first device whose id sorts
// after id.
func (s *Server) positionAfter(id string) int {
	var pos int
	s.devices.Read(func(ids []string, _ func(string) (Device, bool)) {
		pos = records.After(ids, id)
	})
	return pos
}

// prismPage returns the devices from offset on, at most limit of them, in
// Prism's wrapper, with a cursor while more devices remain unless cursor
// paging is off.
func (s *Server) prismPage(limit, offset int, echo *int) prismPageJSON {
	devices, total := s.devices.Page(offset, limit)
	p := prismPageJSON{Offset: echo, Limit: limit, Total: total, Data: make([]prismDeviceJSON, 0, len(devices))}
	for _, d := range devices {
		p.Data = append(p.Data, toPrismJSON(d))
	}
	s.mu.Lock()
	noCursor := s.noCursor
	s.mu.Unlock()
	if !noCursor && len(devices) > 0 && offset+len(devices) < total {
		c := encodeCursor(devices[len(devices)-1].ID)
		p.Cursor = &c
	}
	return p
}

func encodeCursor(after string) string {
	b, _ := json.Marshal(cursorJSON{After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (after string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	var cj cursorJSON
	if json.Unmarshal(b, &cj) != nil || cj.After == "" {
		return "", false
	}
	return cj.After, true
}

func toPrismJSON(d Device) prismDeviceJSON {
	seen := d.LastCheckIn.UTC()
	enrolled := seen.Add(-90 * 24 * time.Hour).Format(prismTimeLayout)
	family := or(d.Platform, "Mac")
	j := prismDeviceJSON{
		BlueprintID:      "ab102b9d-4b8c-4f9e-9c9e-4c1c1b0e8f11",
		BlueprintName:    "main",
		Name:             or(d.Name, "Device "+d.ID),
		Family:           family,
		SerialNumber:     d.SerialNumber,
		DeviceID:         d.ID,
		Model:            family,
		ModelName:        or(d.Model, "MacBook Air (M1, 2020)"),
		FirstEnrollment:  enrolled,
		LastEnrollment:   enrolled,
		MDMEnabled:       d.MDMEnabled,
		UpdatedAt:        seen.Format(prismTimeLayout),
		LastCollectedAt:  seen.Format(prismTimeLayout),
		OSVersion:        or(d.OSVersion, "14.4.1"),
		OSBuild:          "23E224",
		DisplayOSVersion: or(d.OSVersion, "14.4.1"),
	}
	if d.User != nil {
		j.UserID, j.UserName, j.UserEmail = d.User.ID, d.User.Name, d.User.Email
	}
	if !d.AgentNotReported {
		installed := d.AgentInstalled
		j.AgentInstalled = &installed
	}
	if d.AgentInstalled && !d.AgentNotReported {
		v := or(d.AgentVersion, "4.5.9 (5160)")
		j.AgentVersion = &v
	}
	return j
}
