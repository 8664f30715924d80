package web

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

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
	Src    string // a device name, or the address range as the filter says
	Dst    string // a device name
	Ports  string // e.g. "tcp 22", "all 0-65535"
}

// maxChanges bounds the preview, so a sweeping change stays readable.
const maxChanges = 500

// impact compares the packet filters every device would receive under
// next with those under cur: the flows next adds and those it removes.
// It reports whether the list was cut at maxChanges.
func impact(cur, next *policy.Compiled, devices []postern.Device) ([]accessChange, bool) {
	names := map[string]string{}
	for _, d := range devices {
		for _, a := range d.Addresses() {
			names[a.String()] = d.Name
		}
	}
	var out []accessChange
	for _, d := range devices {
		if !d.Authorized {
			continue
		}
		before := flows(cur.Filter(d.ID), names, d.Name)
		after := flows(next.Filter(d.ID), names, d.Name)
		for k, f := range after {
			if _, ok := before[k]; !ok {
				f.Gained = true
				out = append(out, f)
			}
		}
		for k, f := range before {
			if _, ok := after[k]; !ok {
				out = append(out, f)
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

// flows flattens a receiver's filter into source → destination port
// entries, naming tailnet addresses by their device.
func flows(rules []tailcfg.FilterRule, names map[string]string, dst string) map[string]accessChange {
	out := map[string]accessChange{}
	for _, r := range rules {
		protos := protoNames(r.IPProto)
		for _, src := range r.SrcIPs {
			srcName := src
			if n, ok := names[strings.TrimSuffix(strings.TrimSuffix(src, "/32"), "/128")]; ok {
				srcName = n
			} else if src == "*" {
				srcName = "any source"
			}
			for _, dp := range r.DstPorts {
				ports := protos + " " + portText(dp.Ports)
				dstName := dst
				if _, ok := names[dp.IP]; !ok && dp.IP != "*" {
					if _, err := netip.ParsePrefix(dp.IP); err == nil {
						dstName = dst + " (routes " + dp.IP + ")"
					}
				}
				f := accessChange{Src: srcName, Dst: dstName, Ports: ports}
				out[f.Src+"\x00"+f.Dst+"\x00"+f.Ports] = f
			}
		}
	}
	return out
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
