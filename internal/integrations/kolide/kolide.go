// Package kolide is Postern's client for Kolide (1Password Device
// Trust, formerly 1Password XAM): it lists every device of a Kolide
// account through GET /devices and turns each into a posture record
// carrying kolide:authState, matched to tailnet devices by serial number.
//
// Every request sends the API key as a Bearer token and pins the API
// version in X-Kolide-Api-Version. Kolide pages by cursor: the client
// asks for 100 devices a page and follows pagination.next_cursor until it
// is blank. It builds each next request itself rather than following
// pagination.next, so that the API key only ever goes to the configured
// host.
package kolide

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// APIVersion is the Kolide API version the client is written against,
// sent in X-Kolide-Api-Version.
const APIVersion = "2023-05-26"

// devicesPath is the device listing, at the root of the API host.
const devicesPath = "/devices"

// maxPerPage is the largest page Kolide serves.
const maxPerPage = 100

// maxPages bounds a listing, so an API that hands out cursors forever
// cannot keep a sync running forever (10 million devices).
const maxPages = 100_000

// msgForbidden is what a 403 means: Kolide refused this key the device
// list, a matter of the key's permissions, not of a wrong key.
const msgForbidden = "Kolide refused this API key the device list (403 Forbidden): the key must be allowed to read Devices; check it under Settings > Developers > API Keys in Kolide, or create a new one there."

// Client lists a Kolide account's devices. It implements
// integrations.Source and is safe for concurrent use.
type Client struct {
	cfg     integrations.Config
	devices string // the device listing's URL
	log     *slog.Logger

	perPage int // devices per page; New sets maxPerPage, tests shrink it
}

var _ integrations.Source = (*Client)(nil)

// New returns a client for the Kolide API at cfg.BaseURL (normally
// https://api.kolide.com) that authenticates with the API key cfg.Secret.
func New(cfg integrations.Config) (*Client, error) {
	if err := cfg.Check(ID, "API URL", "an API key"); err != nil {
		return nil, err
	}
	return &Client{
		cfg:     cfg,
		devices: strings.TrimRight(cfg.BaseURL, "/") + devicesPath,
		log:     cfg.ProviderLogger(ID),
		perPage: maxPerPage,
	}, nil
}

// Fetch lists every device, following next_cursor until it is blank. It
// returns records only when every page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	start := time.Now()
	var (
		records []integrations.Record
		cursor  string
		unknown int // devices with an auth state outside Kolide's four
	)
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("kolide: listing devices: more than %d pages, giving up", maxPages)
		}
		p, err := c.page(ctx, page, cursor)
		if err != nil {
			return nil, err
		}
		if records == nil {
			records = make([]integrations.Record, 0, len(*p.Data))
		}
		for i := range *p.Data {
			d := &(*p.Data)[i]
			r := d.record()
			if _, ok := r.Attributes[AttrAuthState]; !ok && d.AuthState != nil && *d.AuthState != "" {
				unknown++
			}
			records = append(records, r)
		}
		next := p.Pagination.NextCursor
		if next == "" {
			break
		}
		if next == cursor {
			return nil, fmt.Errorf("kolide: listing devices, page %d: Kolide sent the same cursor again", page)
		}
		cursor = next
	}
	if unknown > 0 {
		c.log.WarnContext(ctx, "devices with an auth state Postern does not know get no kolide:authState", "devices", unknown)
	}
	c.log.DebugContext(ctx, "listed devices", "records", len(records), "duration", time.Since(start))
	return records, nil
}

// page fetches the page of devices after cursor; n numbers it from 1.
func (c *Client) page(ctx context.Context, n int, cursor string) (*devicesPage, error) {
	q := url.Values{"per_page": {strconv.Itoa(c.perPage)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	u := c.devices + "?" + q.Encode()
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.cfg.Secret)
		req.Header.Set("X-Kolide-Api-Version", APIVersion)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		var se *integrations.StatusError
		if errors.As(err, &se) && se.Status == http.StatusForbidden {
			return nil, c.forbidden(se, n)
		}
		return nil, fmt.Errorf("kolide: listing devices, page %d: %w", n, withMessage(err))
	}
	p := devicesPage{}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("kolide: listing devices, page %d: decoding response: %w", n, err)
	}
	if p.Data == nil {
		return nil, fmt.Errorf("kolide: listing devices, page %d: the response has no list of devices (\"data\")", n)
	}
	return &p, nil
}

// forbidden turns a 403 into the plain configuration error it is. It
// carries neither ErrAuth nor the *StatusError: both read as refused
// credentials, which would pause the integration for a day and hide the
// sentence that says what to fix. Kolide's own words go to the log.
func (c *Client) forbidden(se *integrations.StatusError, page int) error {
	msg := message(se)
	c.log.Warn("kolide refused the API key the device list", "page", page, "status", se.Status, "kolide_error", msg)
	return &postern.Error{
		Code:    postern.EINVALID,
		Message: msgForbidden,
		Err:     fmt.Errorf("%s %s (page %d): HTTP %d: %q", se.Method, se.URL, page, se.Status, msg),
	}
}

// message returns Kolide's own explanation in an error body
// ({"error": "...", "message": "..."}), or "".
func message(se *integrations.StatusError) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(se.Body), &e) != nil {
		return ""
	}
	switch {
	case e.Message != "" && e.Error != "":
		return e.Error + ": " + e.Message
	case e.Message != "":
		return e.Message
	}
	return e.Error
}

// withMessage puts Kolide's own explanation in front of a status error,
// keeping the chain (and ErrAuth) intact.
func withMessage(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return err
	}
	msg := message(se)
	if msg == "" {
		return err
	}
	return fmt.Errorf("Kolide said %q (HTTP %d): %w", msg, se.Status, err)
}
