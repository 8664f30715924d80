// Package kandji is Postern's client for Kandji (now Iru): it lists every
// device through Prism's device information (/api/v1/prism/device_information)
// and turns each into a posture record with kandji:mdmEnabled and
// kandji:agentInstalled.
//
// Prism is the one permission Tailscale's setup document grants the API
// token (Prism > Device information); such a token may not read
// /api/v1/devices, so Postern never asks it. Prism answers in a wrapper,
// {"offset", "limit", "total", "data", "cursor"}: the client follows the
// cursor while the response carries one, and otherwise pages by offset
// until data comes back empty. A 403 means the token lacks that
// permission: a configuration error said plainly, not a credential
// failure, so the sync engine retries on schedule rather than pausing.
package kandji

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// PrismPath is the device listing Postern reads: Prism's device
// information.
const PrismPath = "/api/v1/prism/device_information"

// MaxLimit is Kandji's hard upper limit on devices per page.
const MaxLimit = 300

// maxDevices bounds a listing, so a server that never returns an empty
// page cannot keep a sync running forever.
const maxDevices = 5_000_000

// msgNeedsPrism is what a 403 on PrismPath means, in the setup
// document's words.
const msgNeedsPrism = "The Kandji API token needs the Prism > Device information permission."

// Client lists a Kandji tenant's devices. It implements
// integrations.Source.
type Client struct {
	cfg integrations.Config
	log *slog.Logger

	// Limit is how many devices each request asks for; zero (or more than
	// MaxLimit) means MaxLimit. Set it before the first Fetch.
	Limit int
}

// New returns a client for the Kandji API at cfg.BaseURL (for example
// https://acme.api.kandji.io) that authenticates with the API token
// cfg.Secret.
func New(cfg integrations.Config) (*Client, error) {
	if err := cfg.Check("kandji", "API URL", "an API token"); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, log: cfg.ProviderLogger(ID)}, nil
}

// page is Prism's wrapper. Data is nil when the body has no list of
// devices (missing or null), which is an error, not an empty page.
type page struct {
	Data   *[]device `json:"data"`
	Cursor *string   `json:"cursor"` // null or "" on the last page, and when Prism pages by offset
}

// device is the part of a Prism device information row Postern uses. A
// JSON null leaves a string empty and a *bool nil: agent_installed is
// null for devices whose agent status Prism has not collected.
type device struct {
	DeviceID        string `json:"device_id"`
	Name            string `json:"device__name"`
	SerialNumber    string `json:"serial_number"`
	MDMEnabled      *bool  `json:"mdm_enabled"`
	AgentInstalled  *bool  `json:"agent_installed"`
	LastCollectedAt string `json:"last_collected_at"`
	UpdatedAt       string `json:"updated_at"`
}

// position is where a request starts: after a cursor, or at an offset
// when there is none. n numbers the request from 1, for messages.
type position struct {
	n      int
	cursor string
	offset int
}

func (p position) String() string {
	if p.cursor != "" {
		return fmt.Sprintf("page %d, by cursor", p.n)
	}
	return fmt.Sprintf("page %d, offset %d", p.n, p.offset)
}

// Fetch lists every device, limit at a time, following Prism's cursor
// while it sends one and paging by offset otherwise, until a page comes
// back empty or a cursor listing ends. It returns records only if every
// page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	limit := c.Limit
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	var records []integrations.Record
	byID := make(map[string]int) // device id -> index in records
	seen := 0
	for pos := (position{n: 1}); ; pos.n++ {
		if seen >= maxDevices {
			return nil, fmt.Errorf("kandji: listing devices: more than %d devices; giving up", maxDevices)
		}
		p, err := c.fetchPage(ctx, limit, pos)
		if err != nil {
			return nil, err
		}
		devices := *p.Data
		seen += len(devices)
		for _, d := range devices {
			rec := c.toRecord(d)
			// Offset paging over a changing list can repeat a device; the
			// later copy is the fresher one.
			if i, ok := byID[d.DeviceID]; ok && d.DeviceID != "" {
				records[i] = rec
				continue
			}
			byID[d.DeviceID] = len(records)
			records = append(records, rec)
		}
		c.log.Debug("listed devices page", "page", pos.n, "by_cursor", pos.cursor != "", "offset", pos.offset, "devices", len(devices))

		var next string
		if p.Cursor != nil {
			next = *p.Cursor
		}
		switch {
		case len(devices) == 0:
			return records, nil
		case next != "" && next == pos.cursor:
			return nil, fmt.Errorf("kandji: listing devices (%s): Kandji sent the same cursor again; giving up", pos)
		case next != "":
			pos.cursor = next
		case pos.cursor != "": // the last page of a cursor listing
			return records, nil
		default:
			pos.offset += limit
		}
	}
}

func (c *Client) fetchPage(ctx context.Context, limit int, pos position) (page, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if pos.cursor != "" {
		q.Set("cursor", pos.cursor)
	} else if pos.offset > 0 {
		q.Set("offset", strconv.Itoa(pos.offset))
	}
	u := c.cfg.BaseURL + PrismPath + "?" + q.Encode()
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.cfg.Secret)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		var se *integrations.StatusError
		if errors.As(err, &se) && se.Status == http.StatusForbidden {
			return page{}, c.needsPrism(se, pos)
		}
		return page{}, fmt.Errorf("kandji: listing devices (%s): %w", pos, withDetail(err))
	}
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		return page{}, fmt.Errorf("kandji: listing devices (%s): decoding response: %w", pos, err)
	}
	if p.Data == nil {
		return page{}, fmt.Errorf("kandji: listing devices (%s): response has no list of devices (\"data\")", pos)
	}
	return p, nil
}

// needsPrism turns a 403 into the plain configuration error it is. The
// error deliberately carries neither ErrAuth nor the *StatusError, only a
// description of the response: both read as refused credentials, which
// would pause the integration for a day and hide the sentence that says
// what to fix. Kandji's own words go to the log.
func (c *Client) needsPrism(se *integrations.StatusError, pos position) error {
	d := detail(se)
	c.log.Warn("kandji refused the device listing: the API token lacks the Prism > Device information permission",
		"page", pos.n, "status", se.Status, "detail", d)
	return &postern.Error{
		Code:    postern.EINVALID,
		Message: msgNeedsPrism,
		Err:     fmt.Errorf("%s %s (%s): HTTP %d: %q", se.Method, se.URL, pos, se.Status, d),
	}
}

// detail returns Kandji's own message ({"detail": "..."}) in a status
// error's body, or "".
func detail(se *integrations.StatusError) string {
	var e struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal([]byte(se.Body), &e) != nil {
		return ""
	}
	return e.Detail
}

// withDetail puts Kandji's own message ({"detail": "..."}) in front of a
// status error, keeping the chain (and ErrAuth) intact.
func withDetail(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return err
	}
	d := detail(se)
	if d == "" {
		return err
	}
	return fmt.Errorf("%s (HTTP %d): %w", d, se.Status, err)
}

func (c *Client) toRecord(d device) integrations.Record {
	rec := integrations.Record{
		VendorID:   d.DeviceID,
		Hostname:   d.Name,
		Attributes: make(map[string]postern.Value, 2),
	}
	if d.SerialNumber != "" {
		rec.Serials = []string{d.SerialNumber}
	}
	if d.MDMEnabled != nil {
		rec.Attributes["kandji:mdmEnabled"] = postern.Bool(*d.MDMEnabled)
	}
	if d.AgentInstalled != nil {
		rec.Attributes["kandji:agentInstalled"] = postern.Bool(*d.AgentInstalled)
	}
	// Prism's snapshot time; updated_at when a row has none.
	for _, s := range []string{d.LastCollectedAt, d.UpdatedAt} {
		if s == "" {
			continue
		}
		if t, ok := parseTime(s); ok {
			rec.LastSeen = t
			break
		}
		c.log.Debug("ignoring unparsable timestamp", "device_id", d.DeviceID, "timestamp", s)
	}
	return rec
}

// parseTime reads Kandji's timestamps: ISO 8601 with a T and either Z or
// a numeric offset (Prism's "2024-04-02T07:20:56.341015+00:00"), or with
// a space in place of the T, with or without an offset.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
