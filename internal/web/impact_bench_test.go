package web

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/tailnet"
)

// BenchmarkImpact previews narrowing allow-all to one rule on a tailnet
// of 500 devices: the worst case, every device loses access to every
// other.
func BenchmarkImpact(b *testing.B) {
	const n = 500
	var (
		devs  []postern.Device
		nodes []policy.Node
	)
	users := []policy.User{{LoginName: "a@example.com", Role: postern.RoleAdmin}}
	for i := range n {
		d := postern.Device{ID: int64(i + 1), Name: fmt.Sprintf("dev%d", i), UserID: "u1", Authorized: true,
			IPv4: netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)})}
		if i%10 == 0 {
			d.Tags = []string{"tag:server"}
		}
		devs = append(devs, d)
		nodes = append(nodes, tailnet.PolicyNode(d, "a@example.com", nil))
	}
	compile := func(text string) *policy.Compiled {
		p, err := policy.Parse([]byte(text), providers.Catalog())
		if err != nil {
			b.Fatal(err)
		}
		c, err := policy.Compile(p, users, nodes)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	all := compile(`{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]}`)
	narrow := compile(`{"acls": [{"action": "accept", "src": ["a@example.com"], "dst": ["tag:server:22"]}], "tagOwners": {"tag:server": ["a@example.com"]}}`)
	b.ReportAllocs()
	for b.Loop() {
		if got, _ := impact(all, narrow, devs); len(got) == 0 {
			b.Fatal("no changes")
		}
	}
}
