package server

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// scrape GETs /metrics at base with an optional bearer token.
func scrape(t *testing.T, base, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s/metrics: %v", base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsAccess checks who may read /metrics in each configuration:
// a server reachable from the network never publishes it on the main
// port without a token.
func TestMetricsAccess(t *testing.T) {
	const metric = "postern_devices 0"
	type probe struct {
		name       string
		metricPort bool // scrape the metrics listener instead of the main port
		token      string
		want       int
	}
	tests := []struct {
		name   string
		cfg    Config
		probes []probe
	}{
		{"local default", Config{}, []probe{{"no token", false, "", 200}}},
		{"loopback listen behind a public URL", Config{ServerURL: "https://postern.example.com"},
			[]probe{{"no token", false, "", 404}}},
		{"all interfaces", Config{Listen: "0.0.0.0:0", ServerURL: "http://192.0.2.10:8080"}, []probe{{"no token", false, "", 404}}},
		{"token", Config{Listen: "0.0.0.0:0", ServerURL: "http://192.0.2.10:8080", MetricsToken: "s3cret"}, []probe{
			{"no token", false, "", 401},
			{"wrong token", false, "s3cre", 401},
			{"right token", false, "s3cret", 200},
		}},
		{"metrics listener", Config{MetricsListen: "127.0.0.1:0"}, []probe{
			{"main port", false, "", 404},
			{"metrics port", true, "", 200},
		}},
		{"metrics listener and token", Config{MetricsListen: "127.0.0.1:0", MetricsToken: "s3cret"}, []probe{
			{"metrics port without token", true, "", 401},
			{"metrics port with token", true, "s3cret", 200},
			{"main port with token", false, "s3cret", 200},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startTest(t, tt.cfg)
			main := "http://127.0.0.1:" + portOf(t, s.Addr().String())
			for _, p := range tt.probes {
				base := main
				if p.metricPort {
					base = "http://" + s.MetricsAddr().String()
				}
				code, body := scrape(t, base, p.token)
				if code != p.want {
					t.Errorf("%s: got %d, want %d", p.name, code, p.want)
				}
				if got := strings.Contains(body, metric); got != (p.want == 200) {
					t.Errorf("%s: body has metrics: %v, want %v", p.name, got, p.want == 200)
				}
			}
		})
	}
	t.Run("metrics listener serves nothing else", func(t *testing.T) {
		s := startTest(t, Config{MetricsListen: "127.0.0.1:0"})
		for _, path := range []string{"/healthz", "/api/v2/tailnet/-/devices", "/admin/", "/key"} {
			if code, _ := get(t, "http://"+s.MetricsAddr().String()+path); code != 404 {
				t.Errorf("%s on the metrics port: got %d, want 404", path, code)
			}
		}
	})
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return port
}
