// Package falcon is Postern's CrowdStrike Falcon client: it lists every
// host of a Falcon tenant with its serial number and MAC addresses and
// turns its Zero Trust Assessment into the falcon:ztaScore attribute.
//
// A listing takes four steps: an OAuth2 client-credentials token
// (cached until shortly before it expires, and fetched again once if the
// API answers 401), the devices-scroll query for every host id (AID),
// device details in batches of up to 5000, and ZTA assessments in
// batches of up to 100. Hosts without an assessment are still listed, so
// a score the vendor no longer reports is removed. Details and
// assessments are fetched by a few workers at once.
package falcon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// AttrZTAScore is the attribute this integration writes: the host's
// overall Zero Trust Assessment score, 0-100.
const AttrZTAScore = "falcon:ztaScore"

// Batch sizes and limits of the API.
const (
	scrollLimit  = 5000 // AIDs per scroll page (the API allows 10000)
	detailsBatch = 5000 // AIDs per device-details request, the API's maximum
	ztaBatch     = 100  // AIDs per ZTA request
	workers      = 4    // concurrent details and ZTA requests
	maxPages     = 10000
)

// Client lists a Falcon tenant's hosts. It implements integrations.Source
// and is safe for concurrent use.
type Client struct {
	cfg  integrations.Config
	base string // API base URL without a trailing slash
	log  *slog.Logger
	now  func() time.Time
	own  *http.Transport // the transport New made, if cfg.HTTP was nil

	// Batch sizes; New sets the defaults, tests shrink them.
	scrollLimit, detailsBatch, ztaBatch int

	auth *integrations.ClientCredentials
}

var _ integrations.Source = (*Client)(nil)

// New returns a client for the Falcon API at cfg.BaseURL (the region's
// API host, e.g. https://api.us-2.crowdstrike.com), authenticating with
// the API client cfg.ClientID and secret cfg.Secret. A non-empty
// cfg.TenantID is sent as member_cid, for MSSP parent tenants.
func New(cfg integrations.Config) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, postern.Errorf(postern.EINVALID, "falcon: an API client id and secret are required")
	}
	if err := cfg.Check("falcon", "API URL", "an API client id and secret"); err != nil {
		return nil, err
	}
	log := cfg.ProviderLogger(ID)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	var own *http.Transport
	if cfg.HTTP == nil {
		// The default transport keeps only two idle connections per host,
		// so the workers would keep opening new ones.
		own = integrations.NewTransport()
		own.MaxIdleConnsPerHost = workers
		cfg.HTTP = &http.Client{Timeout: integrations.DefaultTimeout, Transport: own}
	}
	c := &Client{
		cfg:  cfg,
		base: strings.TrimRight(cfg.BaseURL, "/"),
		log:  log,
		now:  now,
		own:  own,

		scrollLimit:  scrollLimit,
		detailsBatch: detailsBatch,
		ztaBatch:     ztaBatch,
	}
	c.auth = newAuth(c)
	return c, nil
}

// Fetch lists every host with its ZTA score. It returns records only
// when every request succeeded and every page was read completely.
func (c *Client) Fetch(ctx context.Context) ([]integrations.Record, error) {
	start := time.Now()
	if c.own != nil {
		// Syncs are minutes apart; do not hold connections in between.
		defer c.own.CloseIdleConnections()
	}
	aids, err := c.scroll(ctx)
	if err != nil {
		return nil, fmt.Errorf("falcon: listing hosts: %w", err)
	}
	hosts, zta, err := c.describe(ctx, aids)
	if err != nil {
		return nil, fmt.Errorf("falcon: %w", err)
	}
	records := make([]integrations.Record, 0, len(hosts))
	for i := range hosts {
		records = append(records, hosts[i].record(zta[hosts[i].DeviceID]))
	}
	c.log.DebugContext(ctx, "listed hosts", "aids", len(aids), "records", len(records), "assessed", len(zta), "duration", time.Since(start))
	return records, nil
}

// describe fetches the details and assessments of aids, with a few
// requests in flight at once. It fails if any request fails.
func (c *Client) describe(ctx context.Context, aids []string) ([]device, map[string]assessment, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type job func(ctx context.Context) error
	var (
		jobs  []job
		mu    sync.Mutex // guards hosts and zta
		hosts = make([]device, 0, len(aids))
		zta   = make(map[string]assessment, len(aids))
	)
	for i := 0; i < len(aids); i += c.detailsBatch {
		batch := aids[i:min(i+c.detailsBatch, len(aids))]
		jobs = append(jobs, func(ctx context.Context) error {
			ds, err := c.details(ctx, batch)
			if err != nil {
				return fmt.Errorf("fetching device details (hosts %d-%d): %w", i+1, i+len(batch), err)
			}
			mu.Lock()
			hosts = append(hosts, ds...)
			mu.Unlock()
			return nil
		})
	}
	for i := 0; i < len(aids); i += c.ztaBatch {
		batch := aids[i:min(i+c.ztaBatch, len(aids))]
		jobs = append(jobs, func(ctx context.Context) error {
			as, err := c.assessments(ctx, batch)
			if err != nil {
				return fmt.Errorf("fetching zero trust assessments (hosts %d-%d): %w", i+1, i+len(batch), err)
			}
			mu.Lock()
			for _, a := range as {
				zta[a.AID] = a
			}
			mu.Unlock()
			return nil
		})
	}

	next := make(chan job)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for j := range next {
				if err := j(ctx); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, nil, err
	}
	return hosts, zta, nil
}
