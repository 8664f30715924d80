package web

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go4.org/netipx"
	"tailscale.com/tailcfg"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/tailnet"
)

// compileWith compiles text against the tailnet's current state without
// running its tests (the policy in force passed them when it was saved).
func compileWith(ctx context.Context, c *Console, text string) (*policy.Compiled, error) {
	p, err := policy.Parse([]byte(text), providers.Catalog().Lenient())
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
// next opens and those it closes. It stops after maxChanges and then
// reports that the list was cut. Devices whose filters are the same under
// both cost a comparison; the others cost their filters' entries times
// the tailnet's devices.
func impact(cur, next *policy.Compiled, devices []postern.Device) ([]accessChange, bool) {
	res := &sourceNames{devices: devices, names: map[string][]string{}}
	var out []accessChange
	for _, d := range devices {
		if !d.Authorized {
			continue
		}
		fb, fa := cur.Filter(d.ID), next.Filter(d.ID)
		if filtersEqual(fb, fa) {
			continue
		}
		before, after := res.flows(fb, d), res.flows(fa, d)
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
		if len(out) >= maxChanges {
			break
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
	if len(out) >= maxChanges {
		return out[:min(len(out), maxChanges)], true
	}
	return out, false
}

// filtersEqual reports whether two filters are the same rule for rule.
func filtersEqual(a, b []tailcfg.FilterRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if !slices.Equal(x.SrcIPs, y.SrcIPs) || !slices.Equal(x.IPProto, y.IPProto) || len(x.DstPorts) != len(y.DstPorts) || len(x.CapGrant) != len(y.CapGrant) {
			return false
		}
		for j := range x.DstPorts {
			if x.DstPorts[j].IP != y.DstPorts[j].IP || x.DstPorts[j].Ports != y.DstPorts[j].Ports {
				return false
			}
		}
	}
	return true
}

// flowKey is a source, destination and protocol list.
type flowKey struct{ src, dst, protos string }

func (k flowKey) change(gained bool, ps portSet) accessChange {
	return accessChange{Gained: gained, Src: k.src, Dst: k.dst, Ports: k.protos + " " + ps.String()}
}

// sourceNames names what filter source entries cover, remembering each
// entry's answer: filters share their entries across devices.
type sourceNames struct {
	devices []postern.Device
	names   map[string][]string
}

// flows flattens receiver dst's filter into the ports each source may
// reach, naming sources by device where a device's address is covered.
func (sn *sourceNames) flows(rules []tailcfg.FilterRule, dst postern.Device) map[flowKey]portSet {
	out := map[flowKey]portSet{}
	for _, r := range rules {
		protos := protoNames(r.IPProto)
		srcs := sn.of(r.SrcIPs)
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

// of names the devices the entries cover, and keeps entries outside the
// tailnet's address space that cover none as written.
func (sn *sourceNames) of(srcIPs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range srcIPs {
		names, ok := sn.names[e]
		if !ok {
			names = sn.entry(e)
			sn.names[e] = names
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

func (sn *sourceNames) entry(e string) []string {
	var out []string
	for _, d := range sn.devices {
		if coversDevice(e, d) {
			out = append(out, d.Name)
		}
	}
	switch {
	case e == "*":
		out = append(out, "any address")
	case len(out) == 0 && !inTailnetSpace(e):
		out = append(out, e)
	}
	// An entry of the tailnet's own address space that holds no device
	// is unassigned addresses: nobody there gains or loses.
	return out
}

// coversDevice reports whether a filter address entry ("*", an IP, a
// CIDR or a range) holds one of d's addresses.
func coversDevice(entry string, d postern.Device) bool {
	if entry == "*" {
		return true
	}
	r, ok := parseEntry(entry)
	if !ok {
		return false
	}
	for _, a := range d.Addresses() {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// parseEntry reads a filter address entry (an IP, a CIDR or a range).
func parseEntry(entry string) (netipx.IPRange, bool) {
	switch {
	case strings.Contains(entry, "-"):
		r, err := netipx.ParseIPRange(entry)
		return r, err == nil
	case strings.Contains(entry, "/"):
		p, err := netip.ParsePrefix(entry)
		return netipx.RangeOfPrefix(p), err == nil
	}
	a, err := netip.ParseAddr(entry)
	return netipx.IPRangeFrom(a, a), err == nil
}

// tailnetSpace is the address space Postern assigns device addresses from.
func tailnetSpace() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("fd7a:115c:a1e0::/48")}
}

// inTailnetSpace reports whether a filter address entry lies wholly
// within the tailnet's address space.
func inTailnetSpace(entry string) bool {
	r, ok := parseEntry(entry)
	if !ok {
		return false
	}
	for _, p := range tailnetSpace() {
		if p.Contains(r.From()) && p.Contains(r.To()) {
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
