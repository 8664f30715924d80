package policy

import (
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"tailscale.com/tailcfg"
)

// Filter returns the packet filter node nodeID must enforce as a receiver:
// which source IPs may reach it on which ports and protocols. Rules with
// the same sources and protocols are merged, as Tailscale does. An unknown
// node gets nil (deny everything). The SrcIPs slices are shared with the
// Compiled and with other nodes' filters: treat them as read-only.
func (c *Compiled) Filter(nodeID int64) []tailcfg.FilterRule {
	n, ok := c.byID[nodeID]
	if !ok {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.filterLocked(n)
}

type groupKey struct {
	src    int
	protos string
}

func (c *Compiled) filterLocked(n int) []tailcfg.FilterRule {
	var out []tailcfg.FilterRule
	idx := map[groupKey]int{}
	emit := func(ref legRef) {
		cr := c.rules[ref.rule]
		leg := cr.r.Legs[ref.leg]
		var src []string
		key := groupKey{src: cr.srcKey, protos: protoKey(leg.Protos)}
		switch {
		case leg.Dst.Kind == SelSelf:
			src = c.selfSources(cr, n)
			key.src = -1 - len(c.rules) - int(ref.rule)
		default:
			src = cr.srcStrs
		}
		if len(src) == 0 {
			return
		}
		gi, ok := idx[key]
		if !ok {
			gi = len(out)
			idx[key] = gi
			out = append(out, tailcfg.FilterRule{SrcIPs: src, IPProto: protoList(leg.Protos)})
		}
		r := &out[gi]
		for _, ip := range ref.ips {
			for _, pr := range leg.Ports {
				r.DstPorts = append(r.DstPorts, tailcfg.NetPortRange{IP: ip, Ports: tailcfg.PortRange{First: pr.First, Last: pr.Last}})
			}
		}
	}
	for _, ref := range c.globalLegs {
		emit(ref)
	}
	for _, ref := range c.nodeLegs[n] {
		emit(ref)
	}
	return out
}

// postureSources builds the SrcIPs of a posture-bound rule: its addresses
// outside the tailnet plus the addresses of the nodes that pass. Compile
// and SetAttrs store the result in cr.srcStrs, so Filter shares one slice.
func (c *Compiled) postureSources(cr *crule) []string {
	n := len(cr.static)
	for _, w := range cr.srcOK {
		n += 2 * bits.OnesCount64(w)
	}
	src := make([]string, 0, n)
	src = append(src, cr.static...)
	cr.srcOK.each(func(i int) {
		if cr.nodeOnly {
			src = append(src, c.addrStrs[i]...)
			return
		}
		for k, a := range c.nodes[i].addrs() {
			if cr.srcSet.Contains(a) {
				src = append(src, c.addrStrs[i][k])
			}
		}
	})
	return src
}

// selfSources is the SrcIPs of an autogroup:self leg at node n: the
// addresses of n's owner's nodes that the rule's sources allow.
func (c *Compiled) selfSources(cr *crule, n int) []string {
	var src []string
	for _, j := range c.userNodes[strings.ToLower(c.nodes[n].User)] {
		if cr.srcOK.has(j) {
			src = append(src, c.addrStrs[j]...)
		}
	}
	return src
}

func protoKey(p []int) string {
	var b strings.Builder
	for _, x := range p {
		b.WriteString(strconv.Itoa(x))
		b.WriteByte(',')
	}
	return b.String()
}

func protoList(p []int) []int {
	if p == nil {
		return nil
	}
	return append([]int(nil), p...)
}

// Peers returns the ids of the nodes nodeID must know about: every node
// that may reach it and every node it may reach, sorted.
func (c *Compiled) Peers(nodeID int64) []int64 {
	n, ok := c.byID[nodeID]
	if !ok {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.peerIDs(c.peersLocked(n), n)
}

func (c *Compiled) peerIDs(b bitset, n int) []int64 {
	var out []int64
	b.each(func(i int) {
		if i != n {
			out = append(out, c.nodes[i].ID)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// peersLocked computes node n's peer set from the rules that cover it
// (their passing sources) and the rules it passes (their destinations).
func (c *Compiled) peersLocked(n int) bitset {
	peers := newBitset(len(c.nodes))
	inbound := func(ref legRef) {
		cr := c.rules[ref.rule]
		if cr.r.Legs[ref.leg].Dst.Kind == SelSelf {
			for _, j := range c.userNodes[strings.ToLower(c.nodes[n].User)] {
				if cr.srcOK.has(j) {
					peers.set(j)
				}
			}
			return
		}
		peers.or(cr.srcOK)
	}
	for _, ref := range c.globalLegs {
		inbound(ref)
	}
	for _, ref := range c.nodeLegs[n] {
		inbound(ref)
	}
	for _, cr := range c.rules {
		if !cr.srcOK.has(n) {
			continue
		}
		peers.or(cr.dstNodes)
		if cr.self && !c.nodes[n].tagged() {
			for _, j := range c.userNodes[strings.ToLower(c.nodes[n].User)] {
				peers.set(j)
			}
		}
	}
	return peers
}
