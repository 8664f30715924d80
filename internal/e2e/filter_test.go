package e2e

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern/internal/tsclient"
)

// filterInstalls is how many packet filters n's tailscaled has installed
// from map updates (its localbackend_update_packet_filter counter).
func filterInstalls(t testing.TB, n *tsclient.Node) int {
	t.Helper()
	b, err := n.Local.DaemonMetrics(context.Background())
	if err != nil {
		t.Fatalf("reading %s's metrics: %v", n.Name, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "localbackend_update_packet_filter "); ok {
			c, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("metric %q: %v", line, err)
			}
			return c
		}
	}
	return 0
}

// nextFilter waits until n installs a filter after the count before, and
// returns how long after since that was.
func nextFilter(t testing.TB, n *tsclient.Node, before int, since time.Time) time.Duration {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if filterInstalls(t, n) > before {
			return time.Since(since)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%s installed no new packet filter within 30s", n.Name)
	return 0
}

// TestFilterLatency measures, on the receiving client itself, the time
// from an attribute write through the API to the receiver's tailscaled
// installing its new packet filter, and checks the filter then enforces
// the new decision.
func TestFilterLatency(t *testing.T) {
	s := startStack(t)
	s.api("POST", "/tailnet/-/acl", policy, nil)
	client := startNode(t, s, "client", "", "tag:client")
	srv := startNode(t, s, "server", "", "tag:server")
	cd, sd := s.device("client", nil), s.device("server", nil)
	target := net.JoinHostPort(sd.Addresses[0], fmt.Sprint(echoListener(t)))
	for i, v := range []bool{true, false, true, false} {
		before := filterInstalls(t, srv)
		start := time.Now()
		s.api("POST", "/device/"+cd.NodeID+"/attributes/custom:jit", map[string]any{"value": v}, nil)
		d := nextFilter(t, srv, before, start)
		t.Logf("flip %d (custom:jit=%v): API write to the receiver's new filter in %v", i+1, v, d.Round(time.Microsecond))
		waitReach(t, client, target, v, fmt.Sprintf("flip %d", i+1))
	}
}

// BenchmarkPostureToFilter reports the time from an API attribute write
// to the receiving tailscaled installing its new packet filter.
func BenchmarkPostureToFilter(b *testing.B) {
	s := startStack(b)
	s.api("POST", "/tailnet/-/acl", policy, nil)
	startNode(b, s, "client", "", "tag:client")
	srv := startNode(b, s, "server", "", "tag:server")
	cd, _ := s.device("client", nil), s.device("server", nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := filterInstalls(b, srv)
		s.api("POST", "/device/"+cd.NodeID+"/attributes/custom:jit", map[string]any{"value": i%2 == 0}, nil)
		nextFilter(b, srv, before, time.Now())
	}
}
