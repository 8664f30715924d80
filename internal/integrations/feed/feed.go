// Package feed is Postern's generic posture provider: a client for an
// HTTPS endpoint the customer runs (an in-house inventory or EDR) that
// lists devices with their serials or MACs and attributes, in the wire
// format PROVIDER.md documents. Each page declares the feed's attribute
// schema (bare names and types); Postern writes the attributes under the
// namespace the integration's tenantId names ("acme:diskEncrypted"), and
// the schema of the last successful sync becomes that namespace's
// catalogue for policy checks (Declared).
//
// The client authenticates with a Bearer token, or with a client
// certificate (mTLS) when the secret is a PEM certificate followed by its
// PEM private key. It follows nextCursor until it is null, and checks
// everything against the schema: one violation fails the whole listing,
// so nothing is written from a feed that breaks its own declaration.
package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// devicesPath is the device listing, under the feed's base URL.
const devicesPath = "/v1/devices"

// maxPages bounds a listing, so a feed that hands out cursors forever
// cannot keep a sync running forever.
const maxPages = 1_000_000

// msgForbidden is what a 403 means: the feed refused this credential the
// device list, a matter of the feed's own configuration.
const msgForbidden = "The feed refused this credential the device list (403 Forbidden): allow the token or client certificate to read /v1/devices on the feed."

// Client lists a feed's devices. It implements integrations.Source and
// integrations.Declarer; it is safe for concurrent use.
type Client struct {
	cfg     integrations.Config
	devices string // the device listing's URL
	ns      string
	bearer  string // "" when authenticating with a client certificate
	log     *slog.Logger

	mu     sync.Mutex
	schema string // the last successful listing's schema, encoded
}

var (
	_ integrations.Source   = (*Client)(nil)
	_ integrations.Declarer = (*Client)(nil)
)

// New returns a client for the feed at cfg.BaseURL writing under the
// namespace cfg.TenantID, authenticating with cfg.Secret: a Bearer token,
// or a PEM client certificate followed by its PEM private key. Errors are
// EINVALID and say what is wrong.
func New(cfg integrations.Config) (*Client, error) {
	if err := cfg.Check(ID, "feed URL", "a bearer token or a client certificate and key"); err != nil {
		return nil, err
	}
	if err := CheckNamespace(cfg.TenantID); err != nil {
		return nil, err
	}
	c := &Client{
		devices: strings.TrimRight(cfg.BaseURL, "/") + devicesPath,
		ns:      cfg.TenantID,
		log:     cfg.ProviderLogger(ID),
	}
	if strings.Contains(cfg.Secret, "-----BEGIN") {
		hc, err := mtlsClient(cfg.HTTP, cfg.Secret)
		if err != nil {
			return nil, err
		}
		cfg.HTTP = hc
	} else {
		tok := strings.TrimSpace(cfg.Secret)
		if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return nil, postern.Errorf(postern.EINVALID, "feed: the bearer token must be one word without spaces or control characters")
		}
		c.bearer = tok
	}
	c.cfg = cfg
	return c, nil
}

// Schema returns the schema the last successful Fetch read, encoded for
// storage with the integration (see Declared); "" before one.
func (c *Client) Schema() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.schema
}

// Fetch lists every device, following nextCursor until it is null. It
// returns records only when every page was read completely and agrees
// with the schema the first page declared.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	start := time.Now()
	var (
		records []integrations.Record
		schema  *wireSchema
		cursor  string
	)
	for n := 1; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("feed: listing devices: more than %d pages, giving up", maxPages)
		}
		p, err := c.page(ctx, n, cursor)
		if err != nil {
			return nil, err
		}
		if schema == nil {
			if err := p.Schema.check(); err != nil {
				return nil, invalid(n, err)
			}
			schema = p.Schema
		} else if !schema.equal(p.Schema) {
			return nil, invalid(n, errors.New("the schema differs from the one page 1 declared"))
		}
		if len(records)+len(*p.Devices) > maxRecords {
			return nil, invalid(n, fmt.Errorf("the feed lists more than %d devices", maxRecords))
		}
		if records == nil {
			records = make([]integrations.Record, 0, len(*p.Devices))
		}
		for i := range *p.Devices {
			r, err := (*p.Devices)[i].record(c.ns, schema)
			if err != nil {
				return nil, invalid(n, err)
			}
			records = append(records, r)
		}
		if p.NextCursor == nil {
			break
		}
		next := *p.NextCursor
		switch {
		case next == "" || len(next) > maxCursor:
			return nil, invalid(n, fmt.Errorf("nextCursor is empty or longer than %d bytes (null ends the listing)", maxCursor))
		case next == cursor:
			return nil, invalid(n, errors.New("nextCursor repeats the cursor of the request"))
		}
		cursor = next
	}
	enc, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("feed: encoding the schema: %w", err)
	}
	c.mu.Lock()
	c.schema = string(enc)
	c.mu.Unlock()
	c.log.DebugContext(ctx, "listed devices", "records", len(records), "attributes", len(schema.Attributes), "duration", time.Since(start))
	return records, nil
}

// invalid is a listing that breaks the wire format: an EINVALID error
// whose message is the one sentence a status shows.
func invalid(page int, err error) error {
	msg := fmt.Sprintf("The feed's page %d is invalid: %v.", page, err)
	return &postern.Error{Code: postern.EINVALID, Message: msg, Err: err}
}

// page fetches the page after cursor; n numbers it from 1.
func (c *Client) page(ctx context.Context, n int, cursor string) (*wirePage, error) {
	u := c.devices
	if cursor != "" {
		u += "?" + url.Values{"cursor": {cursor}}.Encode()
	}
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		}
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		var se *integrations.StatusError
		if errors.As(err, &se) && se.Status == http.StatusForbidden {
			c.log.WarnContext(ctx, "the feed refused the credential the device list", "page", n, "status", se.Status)
			return nil, &postern.Error{Code: postern.EINVALID, Message: msgForbidden,
				Err: fmt.Errorf("%s %s (page %d): HTTP %d", se.Method, se.URL, n, se.Status)}
		}
		return nil, fmt.Errorf("feed: listing devices, page %d: %w", n, err)
	}
	var p wirePage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("feed: listing devices, page %d: decoding response: %w", n, err)
	}
	switch {
	case p.Schema == nil:
		return nil, invalid(n, errors.New(`it has no "schema"`))
	case p.Devices == nil:
		return nil, invalid(n, errors.New(`it has no list of "devices"`))
	case len(*p.Devices) > maxPageDevices:
		return nil, invalid(n, fmt.Errorf("it lists more than %d devices", maxPageDevices))
	}
	return &p, nil
}
