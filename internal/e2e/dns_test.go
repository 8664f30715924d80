package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDNSThroughAPIReachesClient: DNS set through the API (the dns
// endpoints, as Tailscale's) reaches a connected real client through the
// whole server (writer, policy engine, control), and "tailscale dns
// status" shows it.
func TestDNSThroughAPIReachesClient(t *testing.T) {
	s := startStack(t)
	n := startNode(t, s, "dnsclient", "")
	s.device("dnsclient", func(d device) bool { return d.ConnectedToControl })

	s.api("POST", "/tailnet/-/dns/nameservers", `{"dns": ["9.9.9.9", "2620:fe::fe"]}`, nil)
	s.api("PATCH", "/tailnet/-/dns/split-dns", `{"corp.example.com": ["10.1.2.3"]}`, nil)
	s.api("POST", "/tailnet/-/dns/searchpaths", `{"searchPaths": ["lab.example.com"]}`, nil)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out string
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ = n.CLI(ctx, "dns", "status")
		if strings.Contains(out, "9.9.9.9") && strings.Contains(out, "10.1.2.3") && strings.Contains(out, "lab.example.com") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tailscale dns status after 30s lacks the nameservers, split route or search path:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, want := range []string{"2620:fe::fe", "corp.example.com", "MagicDNS: enabled"} {
		if !strings.Contains(out, want) {
			t.Errorf("tailscale dns status lacks %q:\n%s", want, out)
		}
	}

	s.api("POST", "/tailnet/-/dns/preferences", `{"magicDNS": false}`, nil)
	deadline = time.Now().Add(30 * time.Second)
	for {
		cfg, err := n.Local.DNSConfig(ctx)
		if err == nil && !cfg.Proxied {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("MagicDNS still on in the client's DNS config after 30s: %+v, %v", cfg, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
