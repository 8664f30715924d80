// Package intune is Postern's Microsoft Intune client: it lists every
// Intune managed device through Microsoft Graph
// (GET /v1.0/deviceManagement/managedDevices) and turns each into a
// posture record with the intune:* attributes, matched by serial number.
//
// It authenticates as a Microsoft Entra app with the OAuth2
// client-credentials grant: the app's client id and secret are exchanged
// at the tenant's token endpoint for a Graph access token, cached until
// shortly before it expires. The app needs the Graph application
// permission DeviceManagementManagedDevices.Read.All; Intune answers 403
// without it, which is a configuration error said plainly (not a
// credential failure, so the integration is not paused for a day). A
// refused token request is a credential failure (ErrAuth).
//
// One base URL stands for both services. The public cloud's Graph
// (https://graph.microsoft.com, the default) and the national clouds'
// (graph.microsoft.us, dod-graph.microsoft.us,
// microsoftgraph.chinacloudapi.cn) get their own Entra ID host for
// tokens; any other base URL, such as a test fake's, serves both:
// tokens at {base}/{tenant}/oauth2/v2.0/token and Graph at {base}/v1.0/.
//
// Graph pages by @odata.nextLink, an absolute URL. The client follows it
// only on the origin and path it asked, since it carries the access
// token; a page shorter than $top is not the end, only a page without a
// next link is.
package intune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// ID is the provider's id, as the API's "provider" value.
const ID = "intune"

// DevicesPath is where Graph lists Intune managed devices.
const DevicesPath = "/v1.0/deviceManagement/managedDevices"

// PublicGraph is Graph in Microsoft's global cloud, the base URL when
// cloudId is empty.
const PublicGraph = "https://graph.microsoft.com"

// pageSize is the most devices Intune returns in one page.
const pageSize = 1000

// maxPages bounds a listing, so that a Graph that hands out next links
// forever cannot keep a sync running forever (10 million devices).
const maxPages = 10_000

// selectFields are the managedDevice properties Postern reads.
const selectFields = "id,deviceName,serialNumber,complianceState,azureADRegistered,deviceRegistrationState," +
	"isSupervised,isEncrypted,managedDeviceOwnerType,lastSyncDateTime"

// msgNeedsPermission is what a 403 on the listing means.
const msgNeedsPermission = "The Microsoft Entra app needs the Microsoft Graph application permission " +
	"DeviceManagementManagedDevices.Read.All, with admin consent granted."

// msgForeignNextLink is what a next link to another address means.
const msgForeignNextLink = "Microsoft Graph sent a next-page link to another address or path; " +
	"Postern does not send its access token there."

// nationalClouds maps the Graph hosts of Microsoft's clouds to the Entra
// ID hosts that issue their tokens.
var nationalClouds = map[string]string{
	"graph.microsoft.com":             "login.microsoftonline.com",
	"graph.microsoft.us":              "login.microsoftonline.us",
	"dod-graph.microsoft.us":          "login.microsoftonline.us",
	"microsoftgraph.chinacloudapi.cn": "login.chinacloudapi.cn",
}

// Client lists an Intune tenant's managed devices. It implements
// integrations.Source and is safe for concurrent use.
type Client struct {
	cfg      integrations.Config
	log      *slog.Logger
	now      func() time.Time
	tokenURL string // the tenant's Entra ID token endpoint
	scope    string // the Graph resource's .default scope
	devices  *url.URL

	pageSize int // $top; New sets pageSize, tests shrink it

	auth *integrations.ClientCredentials
}

var _ integrations.Source = (*Client)(nil)

// New returns a client for the tenant cfg.TenantID (its directory id or
// a verified domain), authenticating as the app cfg.ClientID with the
// client secret cfg.Secret, against Graph at cfg.BaseURL (empty means
// PublicGraph; a trailing /v1.0 is ignored). Errors are EINVALID.
func New(cfg integrations.Config) (*Client, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		cfg.BaseURL = PublicGraph
	}
	if cfg.ClientID == "" {
		return nil, postern.Errorf(postern.EINVALID, "intune: the Application (client) ID is required")
	}
	if cfg.TenantID == "" {
		return nil, postern.Errorf(postern.EINVALID, "intune: the Directory (tenant) ID is required")
	}
	if !validTenant(cfg.TenantID) {
		return nil, postern.Errorf(postern.EINVALID, "intune: invalid Directory (tenant) ID %q: want a GUID or a domain such as contoso.onmicrosoft.com", cfg.TenantID)
	}
	if err := cfg.Check(ID, "Graph URL", "a client secret"); err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/v1.0")
	u, err := url.Parse(base)
	if err != nil {
		return nil, postern.Errorf(postern.EINVALID, "intune: invalid Graph URL %q: %v", cfg.BaseURL, err)
	}
	c := &Client{
		cfg:      cfg,
		log:      cfg.ProviderLogger(ID),
		now:      cfg.Now,
		pageSize: pageSize,
	}
	if c.now == nil {
		c.now = time.Now
	}
	host := strings.ToLower(u.Hostname())
	if login, ok := nationalClouds[host]; ok && u.Scheme == "https" && u.Port() == "" && u.Path == "" {
		c.tokenURL = "https://" + login + "/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
		c.scope = "https://" + host + "/.default"
	} else {
		// One server for both, as a test fake or a proxy is. Tokens are
		// still for the global Graph resource.
		c.tokenURL = base + "/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
		c.scope = PublicGraph + "/.default"
	}
	c.devices, err = url.Parse(base + DevicesPath)
	if err != nil {
		return nil, postern.Errorf(postern.EINVALID, "intune: invalid Graph URL %q: %v", cfg.BaseURL, err)
	}
	c.auth = newAuth(c)
	return c, nil
}

// validTenant reports whether id can be a tenant's directory id or
// domain: letters, digits, dots and hyphens.
func validTenant(id string) bool {
	if len(id) > 253 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// page is one response of the managedDevices listing. Value is nil when
// the body has no list (missing or null): an error, not an empty page.
type page struct {
	Value    *[]device `json:"value"`
	NextLink string    `json:"@odata.nextLink"`
}

// Fetch lists every managed device, following @odata.nextLink to the
// end. It returns records only when every page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	start := time.Now()
	first := *c.devices
	first.RawQuery = "$select=" + selectFields + "&$top=" + fmt.Sprint(c.pageSize)
	next := first.String()
	var records []integrations.Record
	n := 1
	for ; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("intune: listing managed devices: more than %d pages; giving up", maxPages)
		}
		p, err := c.page(ctx, next)
		if err != nil {
			var pe *postern.Error
			if errors.As(err, &pe) {
				return nil, err // a sentence to show as it is
			}
			return nil, fmt.Errorf("intune: listing managed devices, page %d: %w", n, err)
		}
		if records == nil {
			records = make([]integrations.Record, 0, len(*p.Value))
		}
		for i := range *p.Value {
			records = append(records, (*p.Value)[i].record())
		}
		if p.NextLink == "" {
			break
		}
		if p.NextLink == next {
			return nil, fmt.Errorf("intune: listing managed devices, page %d: Graph sent the same next link again; giving up", n)
		}
		if err := c.checkNextLink(ctx, p.NextLink); err != nil {
			return nil, fmt.Errorf("intune: listing managed devices, page %d: %w", n, err)
		}
		next = p.NextLink
	}
	if records == nil {
		records = []integrations.Record{}
	}
	c.log.DebugContext(ctx, "listed managed devices", "records", len(records), "pages", n, "duration", time.Since(start))
	return records, nil
}

// checkNextLink refuses a next link that leaves the listing's origin or
// path. Redirects are held to the origin by cfg.Do; a next link is a URL
// the client itself sends its access token to, so it is held here. The
// link's address goes to the log, not into the sentence a status shows.
func (c *Client) checkNextLink(ctx context.Context, link string) error {
	u, err := url.Parse(link)
	if err == nil && u.IsAbs() && u.User == nil &&
		integrations.Origin(u) == integrations.Origin(c.devices) && strings.EqualFold(u.Path, c.devices.Path) {
		return nil
	}
	to := link
	if err == nil {
		to = integrations.Origin(u) + u.Path
	}
	c.log.WarnContext(ctx, "refusing a next link outside the listing", "listing", integrations.Origin(c.devices)+c.devices.Path, "next_link", to)
	return &postern.Error{
		Code:    postern.EUNAVAILABLE,
		Message: msgForeignNextLink,
		Err:     fmt.Errorf("next link to %s", to),
	}
}

// page fetches and decodes one page at u.
func (c *Client) page(ctx context.Context, u string) (*page, error) {
	body, err := c.call(ctx, u)
	if err != nil {
		return nil, err
	}
	p := page{}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decoding managed devices: %w", err)
	}
	if p.Value == nil {
		return nil, errors.New(`the response has no list of devices ("value")`)
	}
	return &p, nil
}
