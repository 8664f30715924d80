// Package jamfpro is Postern's Jamf Pro client: it lists every computer
// of a Jamf Pro instance through the computer inventory
// (/api/v1/computers-inventory) and turns each into a posture record
// with the jamfPro:* attributes Tailscale's Jamf Pro integration writes.
//
// It authenticates as a Jamf Pro API client (OAuth 2.0 client
// credentials at /api/oauth/token), caches the access token until
// shortly before it expires, and fetches a new one once if Jamf answers
// 401 to a cached token. The inventory is read page by page (page is
// 0-based, sorted by id so that a computer enrolled meanwhile lands on
// the last page), asking only for the sections the attributes come
// from, until a page comes back empty or the pages read cover
// totalCount; a totalCount that changes between pages (a computer
// deleted, which would shift the next one onto a page already read)
// starts the listing again. A 403 means the API client's role lacks the Read
// Computers privilege: a configuration error said plainly, not a
// credential failure.
package jamfpro

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

// ID is the provider's id in the API; its attributes live under
// "jamfPro:", in camelCase unlike the id.
const ID = "jamfpro"

// The paths Postern calls, under the instance URL.
const (
	TokenPath     = "/api/oauth/token"
	InventoryPath = "/api/v1/computers-inventory"
)

// DefaultPageSize is how many computers a request asks for; Jamf Pro
// accepts up to 2000.
const DefaultPageSize = 1000

// maxComputers bounds a listing, so a server that never ends its pages
// cannot keep a sync running forever.
const maxComputers = 5_000_000

// msgNeedsRead is what a 403 on the inventory means, in the words of
// Jamf Pro's API Roles and Clients page.
const msgNeedsRead = "The Jamf Pro API client's role needs the Read Computers privilege."

// Client lists a Jamf Pro instance's computers. It implements
// integrations.Source and is safe for concurrent use.
type Client struct {
	cfg  integrations.Config
	base string // the instance URL, without a trailing slash or /api
	log  *slog.Logger
	now  func() time.Time

	// PageSize is how many computers each request asks for; zero (or
	// more than 2000) means DefaultPageSize. Set it before the first
	// Fetch.
	PageSize int

	auth *integrations.ClientCredentials
}

var _ integrations.Source = (*Client)(nil)

// New returns a client for the Jamf Pro instance at cfg.BaseURL (for
// example https://acme.jamfcloud.com; a trailing /api is ignored) that
// authenticates as the API client cfg.ClientID with secret cfg.Secret.
func New(cfg integrations.Config) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, postern.Errorf(postern.EINVALID, "jamfpro: an API client id and secret are required")
	}
	if err := cfg.Check("jamfpro", "Jamf Pro URL", "an API client id and secret"); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	base := strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/api")
	c := &Client{cfg: cfg, base: base, log: cfg.ProviderLogger(ID), now: now}
	c.auth = newAuth(c)
	return c, nil
}

// Fetch lists every computer, PageSize at a time. It returns records
// only if every page was read completely.
//
// Pages are offsets into the inventory, so a computer deleted while the
// pages are read would shift the next one back onto a page already
// read, and it would be missed. Jamf's totalCount tells: when it
// changes between pages, the listing starts again, up to maxRestarts
// times.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	size := c.PageSize
	if size <= 0 || size > 2000 {
		size = DefaultPageSize
	}
	start := time.Now()
	for restart := 0; ; restart++ {
		records, err := c.list(ctx, size)
		if !errors.Is(err, errChanged) {
			if err == nil {
				c.log.DebugContext(ctx, "listed computers", "records", len(records), "restarts", restart, "duration", time.Since(start))
			}
			return records, err
		}
		if restart == maxRestarts {
			return nil, fmt.Errorf("jamfpro: listing computers: %w %d times in a row; giving up until the next sync", errChanged, restart+1)
		}
		c.log.DebugContext(ctx, "the inventory changed while it was read; starting again", "error", err)
	}
}

// maxRestarts bounds how often Fetch starts a listing again because the
// inventory changed under it.
const maxRestarts = 3

// errChanged is a listing cut short because totalCount changed.
var errChanged = errors.New("the computer inventory changed while it was being read")

// list reads every page once. It fails with errChanged if totalCount
// changes between pages.
func (c *Client) list(ctx context.Context, size int) ([]integrations.Record, error) {
	var (
		records []integrations.Record
		byID    = make(map[string]int) // computer id -> index in records
		total   int
	)
	for page := 0; ; page++ {
		if page*size >= maxComputers {
			return nil, fmt.Errorf("jamfpro: listing computers: more than %d computers; giving up", maxComputers)
		}
		p, err := c.fetchPage(ctx, page, size)
		if err != nil {
			return nil, err
		}
		if page == 0 {
			total = p.TotalCount
			records = make([]integrations.Record, 0, min(max(total, 0), maxComputers))
		} else if p.TotalCount != total {
			return nil, fmt.Errorf("%w (page %d: totalCount %d, was %d)", errChanged, page, p.TotalCount, total)
		}
		for i := range *p.Results {
			comp := &(*p.Results)[i]
			rec := c.toRecord(comp)
			// Sorted by id, a computer cannot come round twice; should
			// Jamf ignore the sort, the later copy is the fresher one.
			if j, ok := byID[comp.ID]; ok && comp.ID != "" {
				records[j] = rec
				continue
			}
			byID[comp.ID] = len(records)
			records = append(records, rec)
		}
		c.log.DebugContext(ctx, "listed computers page", "page", page, "computers", len(*p.Results), "total_count", total)
		if len(*p.Results) == 0 || (page+1)*size >= total {
			return records, nil
		}
	}
}

// pageJSON is the inventory's envelope. Results is nil when the body has
// no list (missing or null), which is an error, not an empty page.
type pageJSON struct {
	TotalCount int             `json:"totalCount"`
	Results    *[]computerJSON `json:"results"`
}

func (c *Client) fetchPage(ctx context.Context, page, size int) (pageJSON, error) {
	q := url.Values{
		"section":   {"GENERAL", "HARDWARE", "OPERATING_SYSTEM", "SECURITY"},
		"page":      {strconv.Itoa(page)},
		"page-size": {strconv.Itoa(size)},
		"sort":      {"id:asc"},
	}
	u := c.base + InventoryPath + "?" + q.Encode()
	body, err := c.call(ctx, u)
	if err != nil {
		var (
			te *integrations.TokenError
			se *integrations.StatusError
		)
		switch {
		case errors.As(err, &te):
			return pageJSON{}, fmt.Errorf("jamfpro: listing computers (page %d): %w", page, err)
		case errors.As(err, &se) && se.Status == http.StatusForbidden:
			return pageJSON{}, c.needsRead(se, page)
		}
		return pageJSON{}, fmt.Errorf("jamfpro: listing computers (page %d): %w", page, withDetail(err))
	}
	var p pageJSON
	if err := json.Unmarshal(body, &p); err != nil {
		return pageJSON{}, fmt.Errorf("jamfpro: listing computers (page %d): decoding response: %w", page, err)
	}
	if p.Results == nil {
		return pageJSON{}, fmt.Errorf("jamfpro: listing computers (page %d): response has no list of computers (\"results\")", page)
	}
	return p, nil
}

// needsRead turns a 403 into the plain configuration error it is. The
// error carries neither ErrAuth nor the *StatusError, only a description
// of the response: both read as refused credentials, which would pause
// the integration for a day and hide the sentence that says what to fix.
func (c *Client) needsRead(se *integrations.StatusError, page int) error {
	d := detail(se.Body)
	c.log.Warn("jamf pro refused the computer inventory: the API client's role lacks the Read Computers privilege",
		"page", page, "status", se.Status, "detail", d)
	return &postern.Error{
		Code:    postern.EINVALID,
		Message: msgNeedsRead,
		Err:     fmt.Errorf("%s %s (page %d): HTTP %d: %q", se.Method, se.URL, page, se.Status, d),
	}
}
