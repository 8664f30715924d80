package falcon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// scroll lists every AID with the devices-scroll query. Falcon returns
// the same offset token on every page and ends with an empty page.
func (c *Client) scroll(ctx context.Context) ([]string, error) {
	var (
		aids   []string
		seen   map[string]struct{}
		offset string
	)
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("more than %d scroll pages, giving up", maxPages)
		}
		q := url.Values{"limit": {strconv.Itoa(c.scrollLimit)}}
		if offset != "" {
			q.Set("offset", offset)
		}
		body, err := c.call(ctx, http.MethodGet, c.base+"/devices/queries/devices-scroll/v1?"+q.Encode(), nil)
		if err != nil {
			return nil, fmt.Errorf("scroll page %d: %w", page, err)
		}
		e, err := decode[string](body, fmt.Sprintf("scroll page %d", page), c.scrollLimit)
		if err != nil {
			return nil, err
		}
		if len(e.Resources) == 0 {
			return aids, nil
		}
		if aids == nil {
			total := min(max(e.Meta.Pagination.Total, len(e.Resources)), 1<<20) // trust the total only so far
			aids = make([]string, 0, total)
			seen = make(map[string]struct{}, total)
		}
		fresh := 0
		for _, aid := range e.Resources {
			if _, dup := seen[aid]; !dup && aid != "" {
				seen[aid] = struct{}{}
				aids = append(aids, aid)
				fresh++
			}
		}
		if fresh == 0 {
			return nil, fmt.Errorf("scroll page %d repeats hosts already listed; the scroll is not advancing", page)
		}
		next := e.Meta.Pagination.Offset
		if next == "" {
			// Without a token there is no asking for more; that is only
			// complete if the API says we have everything.
			if len(aids) >= e.Meta.Pagination.Total {
				return aids, nil
			}
			return nil, fmt.Errorf("scroll page %d has no offset token after %d of %d hosts", page, len(aids), e.Meta.Pagination.Total)
		}
		offset = next
	}
}

// details fetches the device details of up to detailsBatch AIDs. Unknown
// AIDs (hosts deleted since the scroll) are left out.
func (c *Client) details(ctx context.Context, aids []string) ([]device, error) {
	payload, err := json.Marshal(struct {
		IDs []string `json:"ids"`
	}{aids})
	if err != nil {
		return nil, err
	}
	body, err := c.call(ctx, http.MethodPost, c.base+"/devices/entities/devices/v2", payload)
	if err != nil {
		return nil, err
	}
	e, err := decode[device](body, "device details", len(aids))
	if err != nil {
		return nil, err
	}
	return e.Resources, nil
}

// assessments fetches the ZTA assessments of up to ztaBatch AIDs. Hosts
// without one are silently left out by the API.
func (c *Client) assessments(ctx context.Context, aids []string) ([]assessment, error) {
	q := url.Values{"ids": aids}
	body, err := c.call(ctx, http.MethodGet, c.base+"/zero-trust-assessment/entities/assessments/v1?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	e, err := decode[assessment](body, "zero trust assessments", len(aids))
	if err != nil {
		return nil, err
	}
	return e.Resources, nil
}
