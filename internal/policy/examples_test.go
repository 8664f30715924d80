package policy

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

// exampleTailnet is a small tailnet for Tailscale's documented examples.
func exampleTailnet() ([]User, []Node) {
	users := []User{
		{LoginName: "alice@example.com", Role: postern.RoleAdmin},
		{LoginName: "bob@example.com", Role: postern.RoleMember},
	}
	a := netip.MustParseAddr
	p := netip.MustParsePrefix
	nodes := []Node{
		{ID: 1, Name: "alice-mac", IPv4: a("100.64.0.1"), IPv6: a("fd7a:115c:a1e0::1"), User: "alice@example.com",
			Attrs: posture.Map{"node:os": postern.String("macos"), "node:tsReleaseTrack": postern.String("stable"),
				"node:tsVersion": postern.String("1.40.0"), "sentinelOne:infected": postern.Bool(false), "fleet:present": postern.Bool(true)}},
		{ID: 2, Name: "bob-pc", IPv4: a("100.64.0.2"), IPv6: a("fd7a:115c:a1e0::2"), User: "bob@example.com",
			Attrs: posture.Map{"node:os": postern.String("windows"), "node:tsReleaseTrack": postern.String("stable"),
				"node:tsVersion": postern.String("1.38.2"), "custom:tier": postern.String("prod"), "sentinelOne:infected": postern.Bool(true), "fleet:present": postern.Bool(false)}},
		{ID: 3, Name: "alice-phone", IPv4: a("100.64.0.3"), IPv6: a("fd7a:115c:a1e0::3"), User: "alice@example.com"},
		{ID: 10, Name: "server", IPv4: a("100.64.0.10"), IPv6: a("fd7a:115c:a1e0::10"), Tags: []string{"tag:server"}},
		{ID: 20, Name: "router", IPv4: a("100.64.0.20"), IPv6: a("fd7a:115c:a1e0::20"), Tags: []string{"tag:router"},
			AdvertisedRoutes: []netip.Prefix{p("192.168.1.0/24")}, ApprovedRoutes: []netip.Prefix{p("192.168.1.0/24")}},
		{ID: 30, Name: "exit", IPv4: a("100.64.0.30"), IPv6: a("fd7a:115c:a1e0::30"), Tags: []string{"tag:exit"},
			AdvertisedRoutes: []netip.Prefix{p("0.0.0.0/0"), p("::/0")}, ApprovedRoutes: []netip.Prefix{p("0.0.0.0/0"), p("::/0")}},
	}
	return users, nodes
}

const exampleDefs = `"tagOwners": {"tag:server": [], "tag:router": [], "tag:exit": []},
  "groups": {"group:eng": ["alice@example.com", "bob@example.com"]},
  "hosts": {"db": "100.64.0.10"},`

// query is one access question with the decision Tailscale documents.
type query struct {
	src   int64
	dst   string
	proto int
	port  uint16
	want  bool
}

// TestDocumentedExamples runs the examples of Tailscale's documentation
// (quoted in ../shared/reference/tailscale-posture.md §1-2), each with the
// decision or error the documentation gives.
func TestDocumentedExamples(t *testing.T) {
	tests := []struct {
		name    string
		body    string // policy file after the shared definitions
		wantErr string
		queries []query
	}{
		{"§1.1 posture:latestMac: all conditions must hold; '1.40.0' >= '1.40' by cmpver",
			`"postures": {"posture:latestMac": ["node:os IN ['macos', 'linux']", "node:tsReleaseTrack == 'stable'", "node:tsVersion >= '1.40'"]},
			 "acls": [{"action": "accept", "src": ["group:eng"], "dst": ["tag:server:22"], "srcPosture": ["posture:latestMac"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, true}, {2, "100.64.0.10", 6, 22, false}}},
		{"§1.3 unset attribute fails even != ",
			`"postures": {"posture:notProd": ["custom:tier != 'prod'"]},
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:*"], "srcPosture": ["posture:notProd"]}]`,
			"", []query{{1, "100.64.0.10", 6, 80, false}, {2, "100.64.0.10", 6, 80, false}}},
		{"§1.2 IS SET and NOT SET",
			`"postures": {"posture:tiered": ["custom:tier IS SET"], "posture:untiered": ["custom:tier NOT SET"]},
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:22"], "srcPosture": ["posture:tiered"]},
			          {"action": "accept", "src": ["*"], "dst": ["tag:server:80"], "srcPosture": ["posture:untiered"]}]`,
			"", []query{{2, "100.64.0.10", 6, 22, true}, {1, "100.64.0.10", 6, 22, false}, {1, "100.64.0.10", 6, 80, true}, {2, "100.64.0.10", 6, 80, false}}},
		{"§1.3 bare attribute fleet:present means == true",
			`"postures": {"posture:managed": ["fleet:present"]},
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:*"], "srcPosture": ["posture:managed"]}]`,
			"", []query{{1, "100.64.0.10", 6, 443, true}, {2, "100.64.0.10", 6, 443, false}, {3, "100.64.0.10", 6, 443, false}}},
		{"§1.4 srcPosture passes if any posture holds",
			`"postures": {"posture:mac": ["node:os == 'macos'"], "posture:win": ["node:os == 'windows'"]},
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:22"], "srcPosture": ["posture:mac", "posture:win"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, true}, {2, "100.64.0.10", 6, 22, true}, {3, "100.64.0.10", 6, 22, false}}},
		{"§1.5 defaultSrcPosture applies to rules without srcPosture and is replaced, not added to",
			`"postures": {"posture:mac": ["node:os == 'macos'"], "posture:win": ["node:os == 'windows'"]},
			 "defaultSrcPosture": ["posture:mac"],
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:22"]},
			          {"action": "accept", "src": ["*"], "dst": ["tag:server:80"], "srcPosture": ["posture:win"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, true}, {2, "100.64.0.10", 6, 22, false}, {2, "100.64.0.10", 6, 80, true}, {1, "100.64.0.10", 6, 80, false}}},
		{"§1.2 keyword operators are case-insensitive (node:os in [...])",
			`"postures": {"posture:os": ["node:os in ['macos', 'linux']"]},
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:22"], "srcPosture": ["posture:os"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, true}, {2, "100.64.0.10", 6, 22, false}}},
		{"§1.2 ip:country (the docs' example) is refused: nothing sets it without a GeoIP database",
			`"postures": {"posture:geo": ["ip:country in ['CA', 'US', 'GB', 'NL']"]}`, "no GeoIP database", nil},
		{"sentinelOne:infected compared with 0 means false",
			`"postures": {"posture:clean": ["sentinelOne:infected == 0"]},
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:22"], "srcPosture": ["posture:clean"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, true}, {2, "100.64.0.10", 6, 22, false}}},
		{"§1.4 Tailscale SSH console posture node:os == 'js' parses",
			`"postures": {"posture:console": ["node:os == 'js'"]},
			 "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:22"], "srcPosture": ["posture:console"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, false}}},
		{"§1.3 ordering on a plain string attribute is rejected on save",
			`"postures": {"posture:bad": ["node:os >= 'macos'"]}`, "posture:bad", nil},
		{"§2.3 no proto means TCP and UDP, with ICMP; other protocols are not allowed",
			`"acls": [{"action": "accept", "src": ["group:eng"], "dst": ["tag:server:53"]}]`,
			"", []query{{1, "100.64.0.10", 6, 53, true}, {1, "100.64.0.10", 17, 53, true}, {1, "100.64.0.10", 1, 0, true}, {1, "100.64.0.10", 132, 53, false}, {1, "100.64.0.10", 6, 54, false}}},
		{"§2.3 proto tcp excludes udp",
			`"acls": [{"action": "accept", "src": ["group:eng"], "dst": ["tag:server:53"], "proto": "tcp"}]`,
			"", []query{{1, "100.64.0.10", 6, 53, true}, {1, "100.64.0.10", 17, 53, false}}},
		{"§2.3 port forms *, 22, 80,443, 1000-2000",
			`"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:server:22", "tag:server:80,443", "tag:server:1000-2000"]},
			          {"action": "accept", "src": ["bob@example.com"], "dst": ["tag:server:*"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, true}, {1, "100.64.0.10", 6, 443, true}, {1, "100.64.0.10", 6, 1500, true}, {1, "100.64.0.10", 6, 2001, false}, {1, "100.64.0.10", 6, 8080, false}, {2, "100.64.0.10", 6, 8080, true}}},
		{"§2.3 IPv6 destination in brackets",
			`"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["[fd7a:115c:a1e0::10]:80"]}]`,
			"", []query{{1, "fd7a:115c:a1e0::10", 6, 80, true}, {1, "100.64.0.10", 6, 80, false}}},
		{"§2.3 hosts alias as destination",
			`"acls": [{"action": "accept", "src": ["group:eng"], "dst": ["db:5432"]}]`,
			"", []query{{2, "100.64.0.10", 6, 5432, true}}},
		{"§2.3 subnet router destination",
			`"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["192.168.1.0/24:22"]}]`,
			"", []query{{1, "192.168.1.7", 6, 22, true}, {2, "192.168.1.7", 6, 22, false}}},
		{"§2.4 grants: ip with protocol, via with tags",
			`"grants": [{"src": ["group:eng"], "dst": ["tag:server"], "ip": ["tcp:443"], "via": ["tag:router"]}]`,
			"", []query{{2, "100.64.0.10", 6, 443, true}, {2, "100.64.0.10", 17, 443, false}}},
		{"§2.4 grants: via takes only tags",
			`"grants": [{"src": ["group:eng"], "dst": ["tag:server"], "ip": ["*"], "via": ["group:eng"]}]`, "via only accepts tags", nil},
		{"§2.4 grants: a port in dst is a tag not found",
			`"grants": [{"src": ["*"], "dst": ["tag:server:22"], "ip": ["*"]}]`, `dst="tag:server:22": tag not found: "tag:server:22"`, nil},
		{"§2.9 dst without a port",
			`"acls": [{"action": "accept", "src": ["*"], "dst": ["100.64.0.1"]}]`, `dst="100.64.0.1": hostport must contain a colon (":")`, nil},
		{"§2.9 port 0",
			`"acls": [{"action": "accept", "src": ["*"], "dst": ["100.64.0.1:0"]}]`, `dst="100.64.0.1:0": port range "0": first port must be >0, or use '*' for wildcard`, nil},
		{"§2.9 undefined tag in src",
			`"acls": [{"action": "accept", "src": ["tag:tag1"], "dst": ["*:*"]}]`, `src=tag not found: "tag:tag1"`, nil},
		{"§2.5 groups cannot contain groups",
			`"groups": {"group:a": ["group:b"]}`, "groups cannot contain other groups", nil},
		{"§2.5 host names cannot contain @",
			`"hosts": {"a@b": "10.0.0.1"}`, "invalid host name", nil},
		{"§2.5 ipsets add and remove in order",
			`"ipsets": {"ipset:lan": ["add 192.168.0.0/16", "remove 192.168.1.128/25"]},
			 "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["ipset:lan:22"]}]`,
			"", []query{{1, "192.168.1.7", 6, 22, true}, {1, "192.168.1.200", 6, 22, false}}},
		{"§2.8 autogroup:internet is reached through exit nodes",
			`"acls": [{"action": "accept", "src": ["group:eng"], "dst": ["autogroup:internet:*"]}]`,
			"", []query{{1, "8.8.8.8", 6, 443, true}, {1, "10.1.1.1", 6, 443, false}, {1, "100.64.0.10", 6, 443, false}}},
		{"§2.8 autogroup:internet only on dst",
			`"acls": [{"action": "accept", "src": ["autogroup:internet"], "dst": ["*:*"]}]`, "not valid on the src side", nil},
		{"§2.8 autogroup:self: a user's own devices",
			`"acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}]`,
			"", []query{{1, "100.64.0.3", 6, 22, true}, {2, "100.64.0.3", 6, 22, false}, {1, "100.64.0.10", 6, 22, false}}},
		{"§2.8 autogroup:self not with tags",
			`"acls": [{"action": "accept", "src": ["tag:server"], "dst": ["autogroup:self:*"]}]`, "autogroup:self can only be used with users, groups, or supported autogroups", nil},
		{"§2.8 autogroup:admin selects admins' devices",
			`"acls": [{"action": "accept", "src": ["autogroup:admin"], "dst": ["tag:server:22"]}]`,
			"", []query{{1, "100.64.0.10", 6, 22, true}, {2, "100.64.0.10", 6, 22, false}}},
		{"§2.8 autogroup:danger-all only on src",
			`"acls": [{"action": "accept", "src": ["*"], "dst": ["autogroup:danger-all:*"]}]`, "not valid on the dst side", nil},
		{"§2.6 ssh dst cannot be *",
			`"ssh": [{"action": "accept", "src": ["group:eng"], "dst": ["*"], "users": ["root"]}]`, "invalid dst", nil},
		{"§2.6 ssh checkPeriod bounds",
			`"ssh": [{"action": "check", "src": ["group:eng"], "dst": ["tag:server"], "users": ["root"], "checkPeriod": "200h"}]`, "checkPeriod", nil},
		{"§2.9 failing test rejects the policy with Tailscale's shape",
			`"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:server:22"]}],
			 "tests": [{"src": "alice@example.com", "deny": ["tag:server:22"]}]`, `address "100.64.0.10:22": want: Drop, got: Accept`, nil},
		{"§1.5 defaultSrcPosture makes tests without srcPostureAttrs fail (tailscale#16688)",
			`"postures": {"posture:mac": ["node:os == 'macos'"]}, "defaultSrcPosture": ["posture:mac"],
			 "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:server:443"]}],
			 "tests": [{"src": "alice@example.com", "proto": "tcp", "accept": ["tag:server:443"]}]`, `(protocol "tcp"): want: Accept, got: Drop`, nil},
		{"§1.8 tests with srcPostureAttrs",
			`"postures": {"posture:mac": ["node:os == 'macos'"]}, "defaultSrcPosture": ["posture:mac"],
			 "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:server:443"]}],
			 "tests": [{"src": "alice@example.com", "srcPostureAttrs": {"node:os": "macos"}, "accept": ["tag:server:443"]},
			           {"src": "alice@example.com", "srcPostureAttrs": {"node:os": "windows"}, "deny": ["tag:server:443"]}]`, "", nil},
	}
	users, nodes := exampleTailnet()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "{" + exampleDefs + "\n" + tt.body + "}"
			if strings.HasPrefix(strings.TrimSpace(tt.body), `"groups"`) || strings.HasPrefix(strings.TrimSpace(tt.body), `"hosts"`) {
				text = "{" + tt.body + "}"
			}
			c, err := Load([]byte(text), testCatalog, users, nodes)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("load: got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: got %v, want nil", err)
			}
			for _, q := range tt.queries {
				d := c.Check(q.src, netip.MustParseAddr(q.dst), q.proto, q.port)
				if d.Allowed != q.want {
					t.Errorf("Check(%d -> %s proto %d port %d): got %v (%s), want %v", q.src, q.dst, q.proto, q.port, d.Allowed, d.Reason, q.want)
				}
			}
		})
	}
}
