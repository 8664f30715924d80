package web

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"go4.org/netipx"
	"tailscale.com/tailcfg"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/tailnet"
)

// compileWith compiles text against the tailnet's current state without
// running its tests (the policy in force passed them when it was saved).
func compileWith(ctx context.Context, c *Console, text string) (*policy.Compiled, error) {
	p, err := policy.Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	users, nodes, err := tailnet.PolicyInputs(ctx, c.st, c.tailnetID)
	if err != nil {
		return nil, err
	}
	return policy.Compile(p, users, nodes)
}

// accessChange is one flow a policy change grants or takes away.
type accessChange struct {
	Gained bool
	Src    string // a device name, or an address range outside the tailnet's devices
	Dst    string // a device name (and a subnet it routes, if any)
	Ports  string // e.g. "tcp/udp/icmp 22", "tcp 80, 443"
}

// maxChanges bounds the preview, so a sweeping change stays readable.
const maxChanges = 500

// impact compares the packet filters every device would receive under
// next with those under cur, source device by source device: the ports
// next opens and those it closes. It reports whether the list was cut at
// maxChanges. Its cost grows with devices squared; the console serves
// tailnets of a size an admin reads the list of.
func impact(cur, next *policy.Compiled, devices []postern.Device) ([]accessChange, bool) {
	var out []accessChange
	for _, d := range devices {
		if !d.Authorized {
			continue
		}
		before := flows(cur.Filter(d.ID), devices, d)
		after := flows(next.Filter(d.ID), devices, d)
		for k, ps := range after {
			if g := ps.minus(before[k]); len(g) > 0 {
				out = append(out, k.change(true, g))
			}
		}
		for k, ps := range before {
			if l := ps.minus(after[k]); len(l) > 0 {
				out = append(out, k.change(false, l))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Gained != b.Gained {
			return a.Gained
		}
		if a.Dst != b.Dst {
			return a.Dst < b.Dst
		}
		if a.Src != b.Src {
			return a.Src < b.Src
		}
		return a.Ports < b.Ports
	})
	if len(out) > maxChanges {
		return out[:maxChanges], true
	}
	return out, false
}

// flowKey is a source, destination and protocol list.
type flowKey struct{ src, dst, protos string }

func (k flowKey) change(gained bool, ps portSet) accessChange {
	return accessChange{Gained: gained, Src: k.src, Dst: k.dst, Ports: k.protos + " " + ps.String()}
}

// flows flattens receiver dst's filter into the ports each source may
// reach, naming sources by device where a device's address is covered.
func flows(rules []tailcfg.FilterRule, devices []postern.Device, dst postern.Device) map[flowKey]portSet {
	out := map[flowKey]portSet{}
	for _, r := range rules {
		protos := protoNames(r.IPProto)
		srcs := sourcesOf(r.SrcIPs, devices)
		for _, dp := range r.DstPorts {
			dstName := dst.Name
			if !coversDevice(dp.IP, dst) {
				dstName = dst.Name + " (route " + dp.IP + ")"
			}
			for _, src := range srcs {
				if src == dst.Name {
					continue // a device reaches itself whatever the policy says
				}
				k := flowKey{src, dstName, protos}
				out[k] = out[k].add(dp.Ports)
			}
		}
	}
	return out
}

// sourcesOf names the devices the filter's source entries cover, and
// keeps entries that cover none as written.
func sourcesOf(srcIPs []string, devices []postern.Device) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, e := range srcIPs {
		hit := false
		for _, d := range devices {
			if coversDevice(e, d) {
				hit = true
				add(d.Name)
			}
		}
		switch {
		case e == "*":
			add("any address")
		case !hit && !inTailnetSpace(e):
			add(e)
		}
		// An entry of the tailnet's own address space that holds no
		// device is unassigned addresses: nobody there gains or loses.
	}
	return out
}

// coversDevice reports whether a filter address entry ("*", an IP, a
// CIDR or a range) holds one of d's addresses.
func coversDevice(entry string, d postern.Device) bool {
	if entry == "*" {
		return true
	}
	var in func(netip.Addr) bool
	switch {
	case strings.Contains(entry, "-"):
		r, err := netipx.ParseIPRange(entry)
		if err != nil {
			return false
		}
		in = r.Contains
	case strings.Contains(entry, "/"):
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return false
		}
		in = p.Contains
	default:
		a, err := netip.ParseAddr(entry)
		if err != nil {
			return false
		}
		in = func(x netip.Addr) bool { return x == a }
	}
	for _, a := range d.Addresses() {
		if in(a) {
			return true
		}
	}
	return false
}

// tailnetSpace is the address space Postern assigns device addresses from.
func tailnetSpace() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("fd7a:115c:a1e0::/48")}
}

// inTailnetSpace reports whether a filter address entry lies wholly
// within the tailnet's address space.
func inTailnetSpace(entry string) bool {
	var from, to netip.Addr
	switch {
	case strings.Contains(entry, "-"):
		r, err := netipx.ParseIPRange(entry)
		if err != nil {
			return false
		}
		from, to = r.From(), r.To()
	case strings.Contains(entry, "/"):
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return false
		}
		r := netipx.RangeOfPrefix(p)
		from, to = r.From(), r.To()
	default:
		a, err := netip.ParseAddr(entry)
		if err != nil {
			return false
		}
		from, to = a, a
	}
	for _, p := range tailnetSpace() {
		if p.Contains(from) && p.Contains(to) {
			return true
		}
	}
	return false
}

// portSet is a sorted list of disjoint, non-adjacent port ranges.
type portSet []tailcfg.PortRange

// add returns s with r added.
func (s portSet) add(r tailcfg.PortRange) portSet {
	all := append(append(portSet(nil), s...), r)
	sort.Slice(all, func(i, j int) bool { return all[i].First < all[j].First })
	var out portSet
	for _, x := range all {
		if n := len(out); n > 0 && int(x.First) <= int(out[n-1].Last)+1 {
			if x.Last > out[n-1].Last {
				out[n-1].Last = x.Last
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// minus returns the ports of s that o lacks.
func (s portSet) minus(o portSet) portSet {
	var out portSet
	for _, r := range s {
		first, last := int(r.First), int(r.Last)
		for _, x := range o {
			if int(x.Last) < first || int(x.First) > last {
				continue
			}
			if int(x.First) > first {
				out = append(out, tailcfg.PortRange{First: uint16(first), Last: x.First - 1})
			}
			first = int(x.Last) + 1
		}
		if first <= last {
			out = append(out, tailcfg.PortRange{First: uint16(first), Last: uint16(last)})
		}
	}
	return out
}

func (s portSet) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = portText(r)
	}
	return strings.Join(parts, ", ")
}

func portText(p tailcfg.PortRange) string {
	switch {
	case p.First == 0 && p.Last == 65535:
		return "all ports"
	case p.First == p.Last:
		return strconv.Itoa(int(p.First))
	}
	return fmt.Sprintf("%d-%d", p.First, p.Last)
}
func protoNames(ps []int) string {
	if len(ps) == 0 {
		return "tcp/udp/icmp"
	}
	byNum := map[int]string{}
	for name, n := range tailnet.ProtoNumbers {
		byNum[n] = name
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		if n, ok := byNum[p]; ok {
			s[i] = n
		} else {
			s[i] = strconv.Itoa(p)
		}
	}
	return strings.Join(s, "/")
}
