// Package fleet is Postern's client for Fleet (fleetdm): it lists every
// host with its policy results and turns each into a posture record with
// fleet:present and fleetPolicy:{name} = true for each passing policy that
// a Fleet admin tagged "Tailscale: fleetPolicy:{name}" in its description.
package fleet

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

// DefaultPerPage is how many hosts the client asks for per page.
const DefaultPerPage = 500

// maxHosts bounds a listing, so a server that never returns a short page
// cannot keep a sync running forever.
const maxHosts = 5_000_000

// Client lists a Fleet server's hosts. It implements integrations.Source.
type Client struct {
	cfg integrations.Config
	log *slog.Logger

	// PerPage is how many hosts each request asks for; zero means
	// DefaultPerPage. Set it before the first Fetch.
	PerPage int
}

// New returns a client for the Fleet server at cfg.BaseURL that
// authenticates with the API token cfg.Secret.
func New(cfg integrations.Config) (*Client, error) {
	if err := cfg.Check("fleet", "server URL", "an API token"); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, log: cfg.ProviderLogger(ID)}, nil
}

type hostsPage struct {
	Hosts *[]host `json:"hosts"`
}

type host struct {
	ID             uint     `json:"id"`
	Hostname       string   `json:"hostname"`
	HardwareSerial string   `json:"hardware_serial"`
	SeenTime       string   `json:"seen_time"`
	Policies       []policy `json:"policies"`
}

type policy struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Response    string `json:"response"`
}

// Fetch lists every host, page by page, until a page comes back shorter
// than asked. It returns records only if every page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	perPage := c.PerPage
	if perPage <= 0 {
		perPage = DefaultPerPage
	}
	var records []integrations.Record
	byID := make(map[uint]int) // host id -> index in records
	names := make(policyNames) // policies repeat on every host; parse each once
	for page := 0; ; page++ {
		if page*perPage >= maxHosts {
			return nil, fmt.Errorf("fleet: listing hosts: more than %d hosts; giving up", maxHosts)
		}
		hosts, err := c.fetchPage(ctx, page, perPage)
		if err != nil {
			return nil, err
		}
		for _, h := range hosts {
			rec := toRecord(h, names, c.log)
			// Offset paging over a changing host list can repeat a host;
			// the later copy is the fresher one.
			if i, ok := byID[h.ID]; ok {
				records[i] = rec
				continue
			}
			byID[h.ID] = len(records)
			records = append(records, rec)
		}
		c.log.Debug("listed hosts page", "page", page, "hosts", len(hosts))
		if len(hosts) < perPage {
			return records, nil
		}
	}
}

func (c *Client) fetchPage(ctx context.Context, page, perPage int) ([]host, error) {
	url := c.cfg.BaseURL + "/api/v1/fleet/hosts?populate_policies=true&page=" +
		strconv.Itoa(page) + "&per_page=" + strconv.Itoa(perPage)
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
		return nil, fmt.Errorf("fleet: listing hosts (page=%d): %w", page, withMessage(err))
	}
	var p hostsPage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("fleet: listing hosts (page=%d): decoding response: %w", page, err)
	}
	if p.Hosts == nil {
		return nil, fmt.Errorf("fleet: listing hosts (page=%d): response has no \"hosts\" list", page)
	}
	return *p.Hosts, nil
}

// withMessage adds Fleet's own error message, when the body has one, in
// front of a status error, keeping the chain (and ErrAuth) intact.
func withMessage(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return err
	}
	var e struct {
		Message string `json:"message"`
		Errors  []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(se.Body), &e) != nil || e.Message == "" {
		return err
	}
	msg := e.Message
	if len(e.Errors) > 0 && e.Errors[0].Reason != "" && e.Errors[0].Reason != e.Message {
		msg += ": " + e.Errors[0].Reason
	}
	return fmt.Errorf("%s (HTTP %d): %w", msg, se.Status, err)
}

func toRecord(h host, names policyNames, log *slog.Logger) integrations.Record {
	rec := integrations.Record{
		VendorID:   strconv.FormatUint(uint64(h.ID), 10),
		Hostname:   h.Hostname,
		Attributes: map[string]postern.Value{"fleet:present": postern.Bool(true)},
	}
	if h.HardwareSerial != "" {
		rec.Serials = []string{h.HardwareSerial}
	}
	if h.SeenTime != "" {
		t, err := time.Parse(time.RFC3339Nano, h.SeenTime)
		if err != nil {
			log.Debug("ignoring unparsable seen_time", "host_id", h.ID, "seen_time", h.SeenTime)
		} else {
			rec.LastSeen = t
		}
	}
	// Tailscale's setup document adds fleetPolicy:{name} "for each Fleet
	// policy a device passes" and has admins "check for the presence" of
	// it: a failing or not-yet-run policy leaves no attribute, since a false
	// value would satisfy "IS SET". When several policies carry one name, a
	// single failure withholds it.
	var failed map[string]bool
	for _, p := range h.Policies {
		if p.Response != "pass" && p.Response != "fail" {
			continue // not run yet
		}
		for _, name := range names.of(p.Description) {
			key := "fleetPolicy:" + name
			if p.Response == "fail" {
				if failed == nil {
					failed = make(map[string]bool)
				}
				failed[key] = true
				delete(rec.Attributes, key)
			} else if !failed[key] {
				rec.Attributes[key] = postern.Bool(true)
			}
		}
	}
	return rec
}
