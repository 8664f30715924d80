package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"testing"

	"go4.org/netipx"
	"tailscale.com/types/ipproto"
	"tailscale.com/types/logger"
	"tailscale.com/wgengine/filter"
)

// TestClientFilterAgrees feeds our compiled filters to Tailscale's own
// client packet filter (wgengine/filter) and checks, over a matrix of
// sources, destinations, protocols and ports, that the client decides
// exactly as our Check does.
func TestClientFilterAgrees(t *testing.T) {
	vecs := loadVectors(t)
	ids := make([]string, 0, len(vecs))
	for id := range vecs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	checked, tailnets := 0, 0
	for _, id := range ids {
		var v vector
		if err := json.Unmarshal(vecs[id], &v); err != nil {
			t.Fatal(err)
		}
		if v.ExpectError {
			continue
		}
		users, nodes, err := LoadTopology(bytes.NewReader(vecs[id]))
		if err != nil {
			t.Fatal(err)
		}
		c, err := Load([]byte(v.Policy), testCatalog, users, nodes)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		tailnets++
		checked += agreeMatrix(t, id, c, nodes)
	}
	c := compilePosture(t)
	_, nodes := postureTailnet()
	checked += agreeMatrix(t, "posture", c, nodes)
	t.Logf("client filter agreed with Check on %d decisions across %d tailnets", checked, tailnets+1)
}

func agreeMatrix(t *testing.T, id string, c *Compiled, nodes []Node) int {
	t.Helper()
	n := 0
	for _, dst := range nodes {
		matches, err := filter.MatchesFromFilterRules(c.Filter(dst.ID))
		if err != nil {
			t.Fatalf("%s: node %s: client rejects our filter: %v", id, dst.Name, err)
		}
		var local netipx.IPSetBuilder
		for _, a := range dst.addrs() {
			local.Add(a)
		}
		for _, r := range dst.ApprovedRoutes {
			local.AddPrefix(r)
		}
		localNets, _ := local.IPSet()
		f := filter.New(matches, nil, localNets, &netipx.IPSet{}, nil, logger.Discard)
		for _, src := range nodes {
			if src.ID == dst.ID {
				continue
			}
			for _, sa := range src.addrs() {
				for _, da := range dst.addrs() {
					if sa.Is4() != da.Is4() {
						continue
					}
					for _, proto := range []ipproto.Proto{ipproto.TCP, ipproto.UDP} {
						for _, port := range []uint16{22, 80, 443, 5432, 8080} {
							client := f.Check(sa, da, port, proto) == filter.Accept
							ours := c.Check(src.ID, da, int(proto), port)
							n++
							if client != ours.Allowed {
								t.Errorf("%s: %s -> %s %s:%d: client filter says %v, Check says %v (%s)",
									id, src.Name, dst.Name, protoName(proto), port, client, ours.Allowed, ours.Reason)
							}
						}
					}
				}
			}
		}
	}
	return n
}

func protoName(p ipproto.Proto) string { return fmt.Sprint(p) }

// TestClientFilterAcceptsInternet checks that the exit node's rules for
// autogroup:internet load into the client filter and open public
// addresses, not private ones.
func TestClientFilterAcceptsInternet(t *testing.T) {
	users, nodes := exampleTailnet()
	c, err := Load([]byte("{"+exampleDefs+`"acls": [{"action": "accept", "src": ["group:eng"], "dst": ["autogroup:internet:443"]}]}`), testCatalog, users, nodes)
	if err != nil {
		t.Fatal(err)
	}
	matches, err := filter.MatchesFromFilterRules(c.Filter(30))
	if err != nil {
		t.Fatalf("client rejects the exit node's filter: %v", err)
	}
	var all netipx.IPSetBuilder
	all.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
	local, _ := all.IPSet()
	f := filter.New(matches, nil, local, &netipx.IPSet{}, nil, logger.Discard)
	for _, tt := range []struct {
		dst  string
		want filter.Response
	}{{"8.8.8.8", filter.Accept}, {"1.1.1.1", filter.Accept}, {"10.1.2.3", filter.Drop}, {"192.168.1.1", filter.Drop}} {
		if got := f.Check(netip.MustParseAddr("100.64.0.2"), netip.MustParseAddr(tt.dst), 443, ipproto.TCP); got != tt.want {
			t.Errorf("client filter bob -> %s:443: got %v, want %v", tt.dst, got, tt.want)
		}
	}
}
