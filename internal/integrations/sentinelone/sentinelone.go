// Package sentinelone is Postern's SentinelOne client: it lists every
// agent of a management console through GET /web/api/v2.1/agents and
// turns each into an integrations.Record carrying the sentinelOne:*
// posture attributes.
//
// Decommissioned and uninstalled agents are skipped: they no longer
// protect their machine, so they must neither grant posture nor compete
// with a machine's current agent when records are matched. The device
// they belonged to then loses its sentinelOne:* attributes at the next
// complete sync, as if the vendor no longer reported it.
package sentinelone

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

	"github.com/postern/postern/internal/integrations"
)

// apiPrefix is where the v2.1 API lives under a console's URL.
const apiPrefix = "/web/api/v2.1"

// pageSize is the largest page the agents endpoint serves.
const pageSize = 1000

// maxPages bounds a listing, so a console that hands out cursors forever
// cannot keep a sync running forever (10 million agents).
const maxPages = 10000

// Attribute keys this integration writes.
const (
	AttrIsActive              = "sentinelOne:isActive"
	AttrAgentVersion          = "sentinelOne:agentVersion"
	AttrActiveThreats         = "sentinelOne:activeThreats"
	AttrInfected              = "sentinelOne:infected"
	AttrFirewallEnabled       = "sentinelOne:firewallEnabled"
	AttrEncryptedApplications = "sentinelOne:encryptedApplications"
	AttrOperationalState      = "sentinelOne:operationalState"
)

// Client lists a SentinelOne console's agents. It implements
// integrations.Source and is safe for concurrent use.
type Client struct {
	cfg    integrations.Config
	agents string // the agents endpoint's URL
	log    *slog.Logger

	pageSize int // agents per page; New sets pageSize, tests shrink it
}

var _ integrations.Source = (*Client)(nil)

// New returns a client for the console at cfg.BaseURL, authenticating
// with the API token cfg.Secret.
func New(cfg integrations.Config) (*Client, error) {
	if err := cfg.Check("sentinelone", "console URL", "an API token"); err != nil {
		return nil, err
	}
	root := strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), apiPrefix)
	return &Client{
		cfg:      cfg,
		agents:   root + apiPrefix + "/agents",
		log:      cfg.ProviderLogger(ID),
		pageSize: pageSize,
	}, nil
}

// Fetch lists every agent, following pagination.nextCursor to the end.
// It returns records only when every page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	start := time.Now()
	var (
		pages   [][]integrations.Record // one slice per page, joined at the end
		total   int
		cursor  string
		skipped int
	)
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("sentinelone: listing agents: more than %d pages, giving up", maxPages)
		}
		p, err := c.page(ctx, cursor)
		if err != nil {
			return nil, fmt.Errorf("sentinelone: listing agents, page %d: %w", page, err)
		}
		recs := make([]integrations.Record, 0, len(p.Data))
		for i := range p.Data {
			a := &p.Data[i]
			if a.IsDecommissioned || a.IsUninstalled {
				skipped++
				continue
			}
			recs = append(recs, a.record())
		}
		pages = append(pages, recs)
		total += len(recs)
		next := ""
		if p.Pagination.NextCursor != nil {
			next = *p.Pagination.NextCursor
		}
		if next == "" {
			break
		}
		if next == cursor {
			return nil, fmt.Errorf("sentinelone: listing agents, page %d: the console returned the same cursor again", page)
		}
		cursor = next
	}
	records := make([]integrations.Record, 0, total)
	for _, p := range pages {
		records = append(records, p...)
	}
	c.log.DebugContext(ctx, "listed agents", "records", len(records), "skipped_decommissioned", skipped, "duration", time.Since(start))
	return records, nil
}

// page fetches one page of agents after cursor.
func (c *Client) page(ctx context.Context, cursor string) (*agentsPage, error) {
	q := url.Values{"limit": {strconv.Itoa(c.pageSize)}, "skipCount": {"true"}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	u := c.agents + "?" + q.Encode()
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "ApiToken "+c.cfg.Secret)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return nil, explain(err)
	}
	p := agentsPage{Data: make([]agent, 0, c.pageSize)}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decoding agents: %w", err)
	}
	if len(p.Errors) > 0 {
		return nil, fmt.Errorf("console reported: %s", p.Errors[0])
	}
	return &p, nil
}

// explain puts the console's own explanation of a failed request (its
// errors[0] title and detail) in front of err.
func explain(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return err
	}
	var body struct {
		Errors []apiError `json:"errors"`
	}
	if json.Unmarshal([]byte(se.Body), &body) != nil || len(body.Errors) == 0 {
		return err
	}
	return fmt.Errorf("%s: %w", body.Errors[0], err)
}
