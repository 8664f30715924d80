// Package kandji is Postern's client for Kandji (now Iru): it lists every
// device through /api/v1/devices and turns each into a posture record
// with kandji:mdmEnabled and kandji:agentInstalled.
package kandji

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// MaxLimit is Kandji's hard upper limit on devices per page.
const MaxLimit = 300

// maxDevices bounds a listing, so a server that never returns an empty
// page cannot keep a sync running forever.
const maxDevices = 5_000_000

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
	return &Client{cfg: cfg, log: cfg.ProviderLogger(postern.ProviderKandji)}, nil
}

// device is the part of a Kandji device Postern uses. "user" is left out
// on purpose: Kandji sends an object for assigned devices and "" for the
// others, and not decoding it lets both through.
type device struct {
	DeviceID       string `json:"device_id"`
	DeviceName     string `json:"device_name"`
	SerialNumber   string `json:"serial_number"`
	LastCheckIn    string `json:"last_check_in"`
	MDMEnabled     *bool  `json:"mdm_enabled"`
	AgentInstalled *bool  `json:"agent_installed"`
}

// Fetch lists every device, limit at a time, until a page comes back
// empty. It returns records only if every page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	limit := c.Limit
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	var records []integrations.Record
	byID := make(map[string]int) // device id -> index in records
	for offset := 0; ; offset += limit {
		if offset >= maxDevices {
			return nil, fmt.Errorf("kandji: listing devices: more than %d devices; giving up", maxDevices)
		}
		devices, err := c.fetchPage(ctx, limit, offset)
		if err != nil {
			return nil, err
		}
		if len(devices) == 0 {
			return records, nil
		}
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
		c.log.Debug("listed devices page", "offset", offset, "devices", len(devices))
	}
}

func (c *Client) fetchPage(ctx context.Context, limit, offset int) ([]device, error) {
	url := c.cfg.BaseURL + "/api/v1/devices?limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(offset)
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.cfg.Secret)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return nil, fmt.Errorf("kandji: listing devices (offset=%d): %w", offset, withDetail(err))
	}
	var devices []device
	if err := json.Unmarshal(body, &devices); err != nil {
		return nil, fmt.Errorf("kandji: listing devices (offset=%d): decoding response: %w", offset, err)
	}
	if devices == nil { // "null"; "[]" decodes to an empty, non-nil slice
		return nil, fmt.Errorf("kandji: listing devices (offset=%d): response is null, not a list of devices", offset)
	}
	return devices, nil
}

// withDetail puts Kandji's own message ({"detail": "..."}) in front of a
// status error, keeping the chain (and ErrAuth) intact.
func withDetail(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return err
	}
	var e struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal([]byte(se.Body), &e) != nil || e.Detail == "" {
		return err
	}
	return fmt.Errorf("%s (HTTP %d): %w", e.Detail, se.Status, err)
}

func (c *Client) toRecord(d device) integrations.Record {
	rec := integrations.Record{
		VendorID:   d.DeviceID,
		Hostname:   d.DeviceName,
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
	if d.LastCheckIn != "" {
		t, ok := parseTime(d.LastCheckIn)
		if !ok {
			c.log.Debug("ignoring unparsable last_check_in", "device_id", d.DeviceID, "last_check_in", d.LastCheckIn)
		}
		rec.LastSeen = t
	}
	return rec
}

// parseTime reads Kandji's timestamps: ISO 8601 with a T and Z
// (last_check_in), or with a space and a numeric offset (the enrollment
// dates).
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
