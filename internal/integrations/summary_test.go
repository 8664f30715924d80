package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/postern/postern"
)

func TestSummary(t *testing.T) {
	const body = `{"detail":"internal trace: db=10.0.0.7 user=svc_kandji"}`
	fast := RetryPolicy{Attempts: 1}
	vendor := func(status int) error {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write([]byte(body))
		}))
		defer srv.Close()
		cfg := Config{Retry: fast}
		_, err := cfg.Do(context.Background(), func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		})
		// As a vendor client wraps it, with the vendor's own message in front.
		return fmt.Errorf("kandji: listing devices (offset=0): internal trace: db=10.0.0.7 (HTTP %d): %w", status, err)
	}
	var syntaxErr error = json.Unmarshal([]byte(`{"devices": oops`), &struct{}{})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"500", vendor(500), "Kandji answered 500 Internal Server Error."},
		{"404", vendor(404), "Kandji answered 404 Not Found."},
		{"401", vendor(401), "Kandji refused the credentials: it answered 401 Unauthorized."},
		{"auth without a status", fmt.Errorf("requesting an access token: %w: the response holds no access_token", ErrAuth), "Kandji refused the credentials."},
		{"deadline", fmt.Errorf("%w (last error: GET x: %s)", context.DeadlineExceeded, body), "Kandji did not answer in time."},
		{"bad json", fmt.Errorf("decoding response: %w", syntaxErr), "Kandji sent a response Postern could not read."},
		{"address", &AddressError{Host: "fleet.example.com", Addr: netip.MustParseAddr("169.254.169.254"), Reason: "a link-local address"},
			"Postern does not connect to fleet.example.com (169.254.169.254): it is a link-local address."},
		{"redirect", fmt.Errorf("GET x: %w", &RedirectError{From: "https://a.example.com:443", To: "https://b.example.com:443"}),
			"Kandji answered with a redirect to another host or scheme (https://b.example.com:443), which Postern does not follow."},
		{"dns", &net.DNSError{Err: "no such host", Name: "acme.api.kandji.io", IsNotFound: true}, "The host name acme.api.kandji.io could not be resolved."},
		{"invalid config", postern.Errorf(postern.EINVALID, "kandji: an API token is required"), "kandji: an API token is required"},
		{"anything else", fmt.Errorf("console reported: %s", body), "The Kandji sync failed; the server log has the detail."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Summary("Kandji", tc.err)
			if got != tc.want {
				t.Errorf("Summary: got %q, want %q", got, tc.want)
			}
			if strings.Contains(got, "trace") {
				t.Errorf("Summary %q holds the vendor's body", got)
			}
		})
	}
	if got := Summary("Fleet", nil); got != "" {
		t.Errorf("Summary(nil): got %q, want empty", got)
	}
}
