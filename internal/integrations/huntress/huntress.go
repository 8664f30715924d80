// Package huntress is Postern's Huntress client: it lists every agent of
// a Huntress account through GET /v1/agents and turns each into an
// integrations.Record with the huntress:* posture attributes Tailscale's
// Huntress integration writes: huntress:defenderStatus,
// huntress:defenderPolicyStatus and huntress:firewallStatus.
//
// Huntress authenticates with an API key pair sent as HTTP Basic
// (public key as the user, private key as the password) and pages with
// an opaque page_token: a listing ends on the page whose
// pagination.next_page_token is absent, null or empty. The client builds
// each page's URL itself rather than following next_page_url, which
// keeps only the token and the limit and would drop the optional
// organization_id filter. Huntress allows 60 requests a minute; a 429 is
// retried after its Retry-After by integrations.Config.Do.
//
// A 401 is refused credentials (ErrAuth). Huntress documents 403 as "an
// issue with your API credential or permissions" (most often an account
// without API access), and a 404 with an organization filter means the
// key cannot see that organization: both are configuration errors said
// plainly, not credential failures, so the sync engine shows them and
// retries on schedule instead of pausing.
package huntress

import (
	"context"
	"encoding/base64"
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

// ID is the provider's id in the API ("provider": "huntress").
const ID = "huntress"

// AgentsPath is the agent listing under the API's base URL.
const AgentsPath = "/v1/agents"

// MaxLimit is the largest page Huntress serves.
const MaxLimit = 500

// maxPages bounds a listing, so an API that hands out page tokens
// forever cannot keep a sync running forever (10 million agents).
const maxPages = 20_000

// Client lists a Huntress account's agents. It implements
// integrations.Source and is safe for concurrent use.
type Client struct {
	cfg    integrations.Config
	agents string // the agents endpoint's URL
	auth   string // the Authorization header; never logged
	org    string // organization_id filter; "" for every organization
	log    *slog.Logger

	limit int // agents per page; New sets MaxLimit, tests shrink it
}

var _ integrations.Source = (*Client)(nil)

// New returns a client for the Huntress API at cfg.BaseURL (normally
// https://api.huntress.io) that authenticates with the API key
// cfg.ClientID and its private key cfg.Secret, listing the agents of the
// organization cfg.TenantID if set and of the whole account otherwise.
func New(cfg integrations.Config) (*Client, error) {
	if err := cfg.Check(ID, "API host", "the API private key"); err != nil {
		return nil, err
	}
	public := strings.TrimSpace(cfg.ClientID)
	if public == "" {
		return nil, postern.Errorf(postern.EINVALID, "%s: the API key (the public key of the pair) is required", ID)
	}
	if strings.Contains(public, ":") {
		return nil, postern.Errorf(postern.EINVALID, "%s: the API key cannot contain a colon", ID)
	}
	org := strings.TrimSpace(cfg.TenantID)
	if org != "" {
		if n, err := strconv.ParseInt(org, 10, 32); err != nil || n <= 0 {
			return nil, postern.Errorf(postern.EINVALID, "%s: the Organization ID must be the number Huntress shows for the organization, not %q", ID, org)
		}
	}
	root := strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/v1")
	return &Client{
		cfg:    cfg,
		agents: root + AgentsPath,
		auth:   "Basic " + base64.StdEncoding.EncodeToString([]byte(public+":"+cfg.Secret)),
		org:    org,
		log:    cfg.ProviderLogger(ID),
		limit:  MaxLimit,
	}, nil
}

// Fetch lists every agent, following next_page_token to the end. It
// returns records only when every page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	start := time.Now()
	var (
		records  []integrations.Record
		byID     map[int64]int // agent id -> index in records
		repeated int
		token    string
		unknown  unknownValues
	)
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("huntress: listing agents: more than %d pages; giving up", maxPages)
		}
		p, err := c.page(ctx, page, token)
		if err != nil {
			return nil, err
		}
		if records == nil {
			records = make([]integrations.Record, 0, len(*p.Agents))
			byID = make(map[int64]int, len(*p.Agents))
		}
		for i := range *p.Agents {
			a := &(*p.Agents)[i]
			// Should a page token ever be a position in a list that
			// changes under it, an agent can come twice; the later copy
			// is the fresher.
			if j, ok := byID[a.ID]; ok {
				records[j] = a.record(&unknown)
				repeated++
				continue
			}
			byID[a.ID] = len(records)
			records = append(records, a.record(&unknown))
		}
		next := ""
		if p.Pagination.NextPageToken != nil {
			next = *p.Pagination.NextPageToken
		}
		if next == "" {
			break
		}
		if next == token {
			return nil, fmt.Errorf("huntress: listing agents, page %d: Huntress sent the same page token again; giving up", page)
		}
		token = next
	}
	if records == nil {
		records = []integrations.Record{}
	}
	unknown.log(ctx, c.log)
	c.log.DebugContext(ctx, "listed agents", "records", len(records), "repeated", repeated, "organization_id", c.org, "duration", time.Since(start))
	return records, nil
}

// page fetches the agents after token; n numbers the page from 1, for
// messages.
func (c *Client) page(ctx context.Context, n int, token string) (*agentsPage, error) {
	q := url.Values{"limit": {strconv.Itoa(c.limit)}}
	if c.org != "" {
		q.Set("organization_id", c.org)
	}
	if token != "" {
		q.Set("page_token", token)
	}
	u := c.agents + "?" + q.Encode()
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", c.auth)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return nil, c.explain(err, n)
	}
	p := agentsPage{}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("huntress: listing agents, page %d: decoding response: %w", n, err)
	}
	if p.Agents == nil {
		return nil, fmt.Errorf("huntress: listing agents, page %d: the response has no list of agents (\"agents\")", n)
	}
	return &p, nil
}

// The sentences a configuration problem is shown as.
const (
	msgNoAPIAccess = "Huntress refused the API key pair access to the agent list (403): check the API Key and API Secret Key, generated under API Credentials by an account with access to the Huntress API."
	msgNoOrg       = "Huntress has no organization %s that this API key can read (404): check the Organization ID, or leave it empty to list the whole account."
)

// explain turns a failed request into the error Fetch returns: a 403,
// and a 404 with an organization filter, become plain configuration
// errors (carrying neither ErrAuth nor the *StatusError, which read as
// refused credentials and would pause the integration for a day); other
// failures keep their chain, ErrAuth included, with Huntress's own
// message in front.
func (c *Client) explain(err error, page int) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return fmt.Errorf("huntress: listing agents, page %d: %w", page, err)
	}
	msg := vendorMessage(se.Body)
	var plain string
	switch {
	case se.Status == http.StatusForbidden:
		plain = msgNoAPIAccess
	case se.Status == http.StatusNotFound && c.org != "":
		plain = fmt.Sprintf(msgNoOrg, c.org)
	}
	if plain != "" {
		c.log.Warn("huntress refused the agent listing", "page", page, "status", se.Status, "organization_id", c.org, "detail", msg)
		return &postern.Error{
			Code:    postern.EINVALID,
			Message: plain,
			Err:     fmt.Errorf("%s %s (page %d): HTTP %d: %q", se.Method, se.URL, page, se.Status, msg),
		}
	}
	if msg != "" {
		return fmt.Errorf("huntress: listing agents, page %d: %s (HTTP %d): %w", page, msg, se.Status, err)
	}
	return fmt.Errorf("huntress: listing agents, page %d: %w", page, err)
}

// vendorMessage returns Huntress's own words in an error body: Grape's
// {"error": "..."}, or {"errors": [...]} of strings or of objects with
// a message; "" if the body is neither.
func vendorMessage(body string) string {
	var b struct {
		Error  json.RawMessage   `json:"error"`
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &b) != nil {
		return ""
	}
	if s := text(b.Error); s != "" {
		return s
	}
	var parts []string
	for _, e := range b.Errors {
		if s := text(e); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// text reads a JSON string, or the message (or detail, or title) of an
// object.
func text(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct{ Message, Detail, Title string }
	if json.Unmarshal(raw, &o) == nil {
		for _, v := range []string{o.Message, o.Detail, o.Title} {
			if v != "" {
				return v
			}
		}
	}
	return ""
}
