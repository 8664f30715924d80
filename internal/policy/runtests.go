package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/postern/postern/internal/posture"
)

// RunTests runs the policy's tests block against the compiled state and
// returns a *TestsError ("test(s) failed") listing every failing test, or
// nil. Tests are evaluated by identity, as Tailscale's are: a user, tag or
// IP as the source (a group stands for each of its members), destinations
// resolved to addresses, and the test's srcPostureAttrs as the source's
// posture attributes.
func (c *Compiled) RunTests() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var fails []TestFailure
	for _, t := range c.p.Tests {
		if errs := c.runTest(t); len(errs) > 0 {
			fails = append(fails, TestFailure{Line: t.Line, Col: t.Col, User: t.Src, Errors: errs})
		}
	}
	if len(fails) > 0 {
		return &TestsError{Message: "test(s) failed", Data: fails}
	}
	return nil
}

// principal is a test's source: exactly one of user, tag or ip.
type principal struct {
	user string // lower-case login
	tag  string
	ip   netip.Addr
}

func (c *Compiled) runTest(t *Test) []string {
	if t.bad != "" {
		return []string{t.bad}
	}
	prins, err := c.testPrincipals(t.Src)
	if err != nil {
		return []string{err.Error()}
	}
	proto := 6
	if t.Proto != "" {
		ps, err := parseProto(t.Proto)
		if err != nil {
			return []string{err.Error()}
		}
		proto = ps[0]
	}
	attrs := posture.Attrs(t.Attrs)
	if t.Attrs == nil {
		attrs = posture.Map{}
	}
	var errs []string
	check := func(entries []string, want bool) {
		for _, e := range entries {
			addrs, port, err := c.testDst(e)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%q: %v", e, err))
				continue
			}
			for _, a := range addrs {
				for _, pr := range prins {
					if got := c.testAllowed(pr, attrs, proto, a, port); got != want {
						errs = append(errs, fmt.Sprintf("address %q%s: want: %s, got: %s",
							netip.AddrPortFrom(a, port).String(), protoNote(t.Proto), verdictWord(want), verdictWord(got)))
					}
				}
			}
		}
	}
	check(t.Accept, true)
	check(t.Deny, false)
	return errs
}

func verdictWord(accept bool) string {
	if accept {
		return "Accept"
	}
	return "Drop"
}

func protoNote(p string) string {
	if p == "" {
		return ""
	}
	return fmt.Sprintf(" (protocol %q)", p)
}

// testPrincipals resolves a test's src.
func (c *Compiled) testPrincipals(src string) ([]principal, error) {
	switch {
	case strings.HasPrefix(src, "group:"):
		members, ok := c.p.Groups[src]
		if !ok {
			return nil, fmt.Errorf("group not found: %q", src)
		}
		if len(members) == 0 {
			return nil, fmt.Errorf("group %q has no members", src)
		}
		var out []principal
		for _, m := range members {
			out = append(out, principal{user: strings.ToLower(m)})
		}
		return out, nil
	case strings.HasPrefix(src, "tag:"):
		if _, ok := c.p.TagOwners[src]; !ok {
			return nil, fmt.Errorf("tag not found: %q", src)
		}
		return []principal{{tag: src}}, nil
	case strings.HasPrefix(src, "autogroup:"), strings.HasPrefix(src, "ipset:"), src == "*":
		return nil, fmt.Errorf("invalid src %q: want a user, group, tag, host or IP", src)
	case strings.Contains(src, "@"):
		if _, ok := c.users[strings.ToLower(src)]; !ok {
			return nil, fmt.Errorf("user not found: %q", src)
		}
		return []principal{{user: strings.ToLower(src)}}, nil
	}
	if pfx, ok := c.p.Hosts[src]; ok {
		if !pfx.IsSingleIP() {
			return nil, fmt.Errorf("host %q is a range, not an address", src)
		}
		return []principal{{ip: pfx.Addr()}}, nil
	}
	a, err := netip.ParseAddr(src)
	if err != nil {
		return nil, fmt.Errorf("host not found: %q", src)
	}
	return []principal{{ip: a}}, nil
}

// testDst resolves a test destination "host:port" to addresses. Tests take
// one port, and no CIDRs or autogroups.
func (c *Compiled) testDst(e string) ([]netip.Addr, uint16, error) {
	host, ports, ok := splitHostPort(e)
	if !ok {
		return nil, 0, fmt.Errorf("hostport must contain a colon (\":\")")
	}
	port, err := strconv.ParseUint(ports, 10, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("invalid port %q: tests take one port number", ports)
	}
	var addrs []netip.Addr
	nodeAddrs := func(s Selector) {
		c.matchNodes(s, func(i int) { addrs = append(addrs, c.nodes[i].addrs()...) })
	}
	switch {
	case strings.HasPrefix(host, "tag:"):
		if _, ok := c.p.TagOwners[host]; !ok {
			return nil, 0, fmt.Errorf("tag not found: %q", host)
		}
		nodeAddrs(Selector{Kind: SelTag, Name: host})
	case strings.HasPrefix(host, "group:"):
		if _, ok := c.p.Groups[host]; !ok {
			return nil, 0, fmt.Errorf("group not found: %q", host)
		}
		nodeAddrs(Selector{Kind: SelGroup, Name: host})
	case strings.HasPrefix(host, "autogroup:"), strings.HasPrefix(host, "ipset:"), host == "*":
		return nil, 0, fmt.Errorf("invalid destination %q in a test", host)
	case strings.Contains(host, "@"):
		if _, ok := c.users[strings.ToLower(host)]; !ok {
			return nil, 0, fmt.Errorf("user not found: %q", host)
		}
		nodeAddrs(Selector{Kind: SelUser, Name: host})
	default:
		if pfx, ok := c.p.Hosts[host]; ok {
			if !pfx.IsSingleIP() {
				return nil, 0, fmt.Errorf("host %q is a range; tests take addresses", host)
			}
			addrs = append(addrs, pfx.Addr())
			break
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return nil, 0, fmt.Errorf("host not found: %q", host)
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return nil, 0, fmt.Errorf("%q has no devices", host)
	}
	return addrs, uint16(port), nil
}

// testAllowed reports whether some rule lets pr reach dst:port over proto.
func (c *Compiled) testAllowed(pr principal, attrs posture.Attrs, proto int, dst netip.Addr, port uint16) bool {
	for _, cr := range c.rules {
		if !slices.ContainsFunc(cr.r.Src, func(s Selector) bool { return c.srcMatchesPrincipal(s, pr) }) {
			continue
		}
		if cr.postures != nil && !c.attrsPass(cr.postures, attrs) {
			continue
		}
		for _, leg := range cr.r.Legs {
			if legAllows(leg, proto, port) && c.dstContains(leg.Dst, dst, pr) {
				return true
			}
		}
	}
	return false
}

func (c *Compiled) attrsPass(postures []int, attrs posture.Attrs) bool {
	for _, p := range postures {
		if ok, _ := c.postures[p].Eval(attrs); ok {
			return true
		}
	}
	return false
}

// legAllows reports whether a leg opens proto and port. ICMP is allowed
// wherever default-protocol traffic is, whatever the ports.
func legAllows(leg Leg, proto int, port uint16) bool {
	protos := leg.Protos
	if protos == nil {
		protos = []int{6, 17, 1, 58}
	}
	if !slices.Contains(protos, proto) {
		return false
	}
	if proto == 1 || proto == 58 {
		return true
	}
	for _, r := range leg.Ports {
		if port >= r.First && port <= r.Last {
			return true
		}
	}
	return false
}
