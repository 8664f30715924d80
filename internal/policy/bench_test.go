package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

// Benchmark tailnet: 10,000 devices (8,000 of 2,000 users, 2,000 tagged
// with 100 tags), 100 groups, 1,000 rules (40% with their own srcPosture,
// a few from "*" and to autogroup:self) and 50 postures.
const (
	benchUsers    = 2000
	benchPerUser  = 4
	benchTagged   = 2000
	benchTags     = 100
	benchGroups   = 100
	benchRules    = 1000
	benchPostures = 50
)

func benchAttrs(i int) posture.Map {
	oses := []string{"macos", "linux", "windows", "ios"}
	m := posture.Map{
		"node:os":         postern.String(oses[i%4]),
		"node:tsVersion":  postern.String(fmt.Sprintf("1.%d.0", 30+i%60)),
		"custom:score":    postern.Number(float64(i % 100)),
		"fleet:present":   postern.Bool(i%3 != 0),
		"falcon:ztaScore": postern.Number(float64((i * 7) % 100)),
	}
	return m
}

func benchTailnet() (*Policy, []User, []Node) {
	users := make([]User, benchUsers)
	for u := range users {
		users[u] = User{LoginName: fmt.Sprintf("user%d@example.com", u), Role: postern.RoleMember}
	}
	var nodes []Node
	addr := func(i int) (netip.Addr, netip.Addr) {
		return netip.AddrFrom4([4]byte{100, 64 + byte(i>>16), byte(i >> 8), byte(i)}),
			netip.AddrFrom16([16]byte{0: 0xfd, 1: 0x7a, 2: 0x11, 3: 0x5c, 4: 0xa1, 5: 0xe0, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
	}
	for i := 0; i < benchUsers*benchPerUser; i++ {
		v4, v6 := addr(i + 1)
		nodes = append(nodes, Node{ID: int64(i + 1), Name: fmt.Sprintf("n%d", i), IPv4: v4, IPv6: v6,
			User: users[i/benchPerUser].LoginName, Attrs: benchAttrs(i)})
	}
	for i := 0; i < benchTagged; i++ {
		id := len(nodes) + 1
		v4, v6 := addr(id)
		nodes = append(nodes, Node{ID: int64(id), Name: fmt.Sprintf("t%d", i), IPv4: v4, IPv6: v6,
			Tags: []string{fmt.Sprintf("tag:t%d", i%benchTags)}, Attrs: benchAttrs(id)})
	}

	pol := map[string]any{}
	groups := map[string][]string{}
	for g := 0; g < benchGroups; g++ {
		var members []string
		for k := 0; k < benchUsers/benchGroups; k++ {
			members = append(members, users[g*(benchUsers/benchGroups)+k].LoginName)
		}
		groups[fmt.Sprintf("group:g%d", g)] = members
	}
	pol["groups"] = groups
	tagOwners := map[string][]string{}
	for t := 0; t < benchTags; t++ {
		tagOwners[fmt.Sprintf("tag:t%d", t)] = []string{}
	}
	pol["tagOwners"] = tagOwners
	postures := map[string][]string{}
	for p := 0; p < benchPostures; p++ {
		conds := []string{fmt.Sprintf("custom:score >= %d", p*2)}
		if p%2 == 0 {
			conds = append(conds, "node:os IN ['macos', 'linux']")
		}
		if p%3 == 0 {
			conds = append(conds, fmt.Sprintf("node:tsVersion >= '1.%d'", 30+p))
		}
		if p%5 == 0 {
			conds = append(conds, "fleet:present")
		}
		postures[fmt.Sprintf("posture:p%d", p)] = conds
	}
	pol["postures"] = postures
	var acls []map[string]any
	for r := 0; r < benchRules; r++ {
		a := map[string]any{"action": "accept",
			"src": []string{fmt.Sprintf("group:g%d", r%benchGroups)},
			"dst": []string{fmt.Sprintf("tag:t%d:%d", (r*7)%benchTags, 1000+r%500)}}
		switch {
		case r%100 == 0:
			a["src"] = []string{"*"}
		case r%100 == 1:
			a["dst"] = []string{"autogroup:self:22"}
		}
		if r%5 < 2 {
			a["srcPosture"] = []string{fmt.Sprintf("posture:p%d", r%benchPostures)}
		}
		if r%4 == 0 {
			a["proto"] = "tcp"
		}
		acls = append(acls, a)
	}
	pol["acls"] = acls
	text, err := json.Marshal(pol)
	if err != nil {
		panic(err)
	}
	p, err := Parse(text, testCatalog)
	if err != nil {
		panic(err)
	}
	return p, users, nodes
}

func BenchmarkCompileAll(b *testing.B) {
	p, users, nodes := benchTailnet()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c, err := Compile(p, users, nodes)
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range nodes {
			c.Filter(n.ID)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	p, users, nodes := benchTailnet()
	c, err := Compile(p, users, nodes)
	if err != nil {
		b.Fatal(err)
	}
	type q struct {
		src  int64
		dst  netip.Addr
		port uint16
	}
	qs := make([]q, 1024)
	for i := range qs {
		// Half the queries follow a rule (a member of the rule's group to
		// one of its tagged nodes on its port); half are random.
		r := (i * 37) % benchRules
		src := nodes[((r%benchGroups)*(benchUsers/benchGroups)+i%20)*benchPerUser+i%benchPerUser]
		dst := nodes[benchUsers*benchPerUser+((r*7)%benchTags)+benchTags*(i%20)]
		port := uint16(1000 + r%500)
		if i%2 == 1 {
			src = nodes[(i*7919)%(benchUsers*benchPerUser)]
			dst = nodes[benchUsers*benchPerUser+(i*104729)%benchTagged]
		}
		qs[i] = q{src.ID, dst.IPv4, port}
	}
	allowed, denied := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		x := qs[i&1023]
		switch d := c.Check(x.src, x.dst, 6, x.port); {
		case d.Allowed:
			allowed++
		case len(d.Candidates) > 0:
			denied++
		}
		i++
	}
	b.ReportMetric(float64(allowed)/float64(i), "allowed/op")
	b.ReportMetric(float64(denied)/float64(i), "posture-denied/op")
}

func BenchmarkPostureFlip(b *testing.B) {
	p, users, nodes := benchTailnet()
	c, err := Compile(p, users, nodes)
	if err != nil {
		b.Fatal(err)
	}
	// Node 5 (user1, linux, in group:g0) flips between meeting every
	// posture and meeting none; each flip recomputes the changed filters.
	good := posture.Map{"node:os": postern.String("linux"), "node:tsVersion": postern.String("1.99.0"),
		"custom:score": postern.Number(100), "fleet:present": postern.Bool(true)}
	bad := posture.Map{"node:os": postern.String("windows")}
	changedTotal := 0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		a := good
		if i%2 == 1 {
			a = bad
		}
		changed := c.SetAttrs(5, a)
		for _, id := range changed {
			c.Filter(id)
		}
		changedTotal += len(changed)
		i++
	}
	b.ReportMetric(float64(changedTotal)/float64(i), "changed/op")
}

// BenchmarkPeersAll computes every node's peer set, as a full netmap
// rebuild would.
func BenchmarkPeersAll(b *testing.B) {
	p, users, nodes := benchTailnet()
	c, err := Compile(p, users, nodes)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, n := range nodes {
			c.Peers(n.ID)
		}
	}
}
