package integrations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// DefaultTimeout bounds one HTTP request to a vendor.
const DefaultTimeout = 30 * time.Second

// maxBody bounds one vendor response, so a misbehaving vendor cannot
// exhaust memory.
const maxBody = 64 << 20

// RetryPolicy bounds how a request is retried on 429, 5xx and transport
// errors.
type RetryPolicy struct {
	Attempts int           // total attempts, including the first
	Base     time.Duration // first backoff; doubles each retry, with jitter
	Max      time.Duration // cap on any one wait, including Retry-After
}

// DefaultRetry is used when Config.Retry is zero.
var DefaultRetry = RetryPolicy{Attempts: 4, Base: 500 * time.Millisecond, Max: 30 * time.Second}

// StatusError is a vendor response with an unexpected status. Its
// message holds the start of the vendor's body, so it belongs in the
// server log only; Summary gives the sentence a status shows.
type StatusError struct {
	Method, URL string
	Status      int
	Body        string // the start of the body, for the log and the vendor's own error message
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: unexpected status %d: %s", e.Method, e.URL, e.Status, e.Body)
}

// Do sends the request newReq builds (called again for each attempt, so
// bodies can be re-sent) and returns the body of a 2xx response. It
// retries 408, 429, 5xx and transport errors with bounded backoff, honouring
// Retry-After (seconds or HTTP date) and X-RateLimit-RetryAfter (epoch
// seconds). A 401 or 403 returns a *StatusError wrapped with ErrAuth. A
// refused address (*AddressError) or redirect (*RedirectError) is not
// retried. Redirects are followed only within the origin (CheckRedirect),
// whichever client c.HTTP is.
func (c *Config) Do(ctx context.Context, newReq func(ctx context.Context) (*http.Request, error)) ([]byte, error) {
	var client http.Client
	if c.HTTP != nil {
		client = *c.HTTP
	} else {
		// Without a shared client, connections are not reused across
		// calls; the sync engine passes one.
		client = *NewClient()
		defer client.CloseIdleConnections()
	}
	// Whatever client the caller gave, a redirect never leaves the origin.
	client.CheckRedirect = CheckRedirect
	rp := c.Retry
	if rp.Attempts == 0 {
		rp = DefaultRetry
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	var (
		lastErr    error
		lastHeader http.Header // the previous response's headers, for Retry-After
	)
	for attempt := 0; attempt < rp.Attempts; attempt++ {
		if attempt > 0 {
			wait := backoff(rp, attempt)
			var se *StatusError
			if errors.As(lastErr, &se) && se.Status == http.StatusTooManyRequests {
				if ra, ok := retryAfter(lastHeader, now()); ok {
					wait = min(ra, rp.Max)
				}
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		req, err := newReq(ctx)
		if err != nil {
			return nil, fmt.Errorf("building request: %w", err)
		}
		body, hdr, err := send(&client, req)
		lastHeader = hdr
		if err == nil {
			return body, nil
		}
		lastErr = err
		var (
			ae *AddressError
			re *RedirectError
		)
		if errors.As(err, &ae) || errors.As(err, &re) {
			return nil, err // asking again gets the same refusal
		}
		var se *StatusError
		if errors.As(err, &se) {
			switch {
			case se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden:
				return nil, fmt.Errorf("%w: %w", ErrAuth, err)
			case se.Status == http.StatusTooManyRequests || se.Status == http.StatusRequestTimeout || se.Status >= 500:
				continue // retry
			default:
				return nil, err
			}
		}
		if ctx.Err() != nil {
			return nil, err
		}
		// Transport errors and timeouts are retried.
	}
	return nil, fmt.Errorf("giving up after %d attempts: %w", rp.Attempts, lastErr)
}

func send(client *http.Client, req *http.Request) ([]byte, http.Header, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, resp.Header, fmt.Errorf("%s %s: reading body: %w", req.Method, req.URL.Redacted(), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := string(body)
		if len(snippet) > 300 {
			snippet = snippet[:300] + "…"
		}
		return nil, resp.Header, &StatusError{Method: req.Method, URL: req.URL.Redacted(), Status: resp.StatusCode, Body: snippet}
	}
	return body, resp.Header, nil
}

// readBody reads at most maxBody bytes, sizing the buffer from
// Content-Length when the server sent one: pages of vendor listings run to
// megabytes, and growing a buffer by doubling copies each one twice over.
func readBody(resp *http.Response) ([]byte, error) {
	r := io.LimitReader(resp.Body, maxBody)
	if resp.ContentLength <= 0 || resp.ContentLength > maxBody {
		return io.ReadAll(r)
	}
	// net/http ends the body after Content-Length bytes, and reports a
	// shorter one as io.ErrUnexpectedEOF, a transport error that is retried.
	buf := make([]byte, resp.ContentLength)
	n, err := io.ReadFull(r, buf)
	return buf[:n], err
}

func backoff(rp RetryPolicy, attempt int) time.Duration {
	d := rp.Base << (attempt - 1)
	if d <= 0 || d > rp.Max {
		d = rp.Max
	}
	// Full jitter in [d/2, d).
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryAfter reads how long a 429 asks us to wait.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if v := h.Get("X-RateLimit-RetryAfter"); v != "" {
		if epoch, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(epoch, 0).Sub(now), 0), true
		}
	}
	return 0, false
}
