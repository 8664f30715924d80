package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/postern/postern/internal/posture"
)

// Decision answers whether a node may reach an address now, and why. It is
// what the access API returns, so it marshals to JSON as is.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// Rule is the rule that allowed the traffic (the first one in file order).
	Rule *RuleRef `json:"rule,omitempty"`
	// Candidates are, when denied, the rules that would have allowed the
	// traffic but for the source's posture.
	Candidates []Candidate `json:"candidates,omitempty"`
}

// RuleRef names a rule of the policy file.
type RuleRef struct {
	Section string `json:"section"` // "acls" or "grants"
	Index   int    `json:"index"`   // from 0, within its section
	Line    int    `json:"line"`
	Col     int    `json:"col"`
}

func (r RuleRef) String() string { return fmt.Sprintf("%s[%d] at line %d", r.Section, r.Index, r.Line) }

// Candidate is a rule that matched everything but the source's posture.
type Candidate struct {
	Rule RuleRef `json:"rule"`
	// Postures are the rule's postures (any one would have sufficed), each
	// with the conditions the source failed.
	Postures []PostureResult `json:"postures"`
}

// PostureResult is one posture the source did not meet.
type PostureResult struct {
	Name   string            `json:"name"`
	Failed []FailedCondition `json:"failed"`
}

// FailedCondition is one condition the source failed, with its value.
type FailedCondition struct {
	Condition string `json:"condition"`
	// Actual is the source's value as the policy language writes it, or
	// "not set".
	Actual string `json:"actual"`
	Set    bool   `json:"set"`
}

// Check decides whether node src may send proto traffic to dst:port under
// the current postures. ICMP (1 or 58) is allowed wherever default-protocol
// traffic is, whatever the port.
func (c *Compiled) Check(src int64, dst netip.Addr, proto int, port uint16) Decision {
	s, ok := c.byID[src]
	if !ok {
		return Decision{Reason: fmt.Sprintf("unknown source node %d", src)}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	srcAddr := c.nodes[s].IPv4
	if dst.Is6() {
		srcAddr = c.nodes[s].IPv6
	}
	if !srcAddr.IsValid() {
		return Decision{Reason: "the source has no address of the destination's family"}
	}
	best := -1
	var buf [8]int
	cands := buf[:0]
	consider := func(ri int, leg Leg, dstNode int) {
		cr := c.rules[ri]
		if !legAllows(leg, proto, port) || !legCoversAddr(c, leg, dst, dstNode, s) ||
			!(cr.nodeOnly || cr.srcSet.Contains(srcAddr)) {
			return
		}
		if cr.srcOK.has(s) {
			if best < 0 || ri < best {
				best = ri
			}
		} else if cr.postures != nil && cr.srcAll.has(s) && !slices.Contains(cands, ri) {
			cands = append(cands, ri)
		}
	}
	if d, ok := c.byAddr[dst]; ok {
		for _, ref := range c.globalLegs {
			consider(int(ref.rule), c.rules[ref.rule].r.Legs[ref.leg], d)
		}
		for _, ref := range c.nodeLegs[d] {
			consider(int(ref.rule), c.rules[ref.rule].r.Legs[ref.leg], d)
		}
	} else {
		for ri, cr := range c.rules {
			for _, leg := range cr.r.Legs {
				consider(ri, leg, -1)
			}
		}
	}
	if best >= 0 {
		ref := c.ruleRef(best)
		return Decision{Allowed: true, Rule: &ref, Reason: c.rules[best].reason}
	}
	return c.denial(s, cands)
}

// legCoversAddr reports whether leg's destination includes address a, whose
// node is dstNode (-1 if a is no node's), for source node s.
func legCoversAddr(c *Compiled, leg Leg, a netip.Addr, dstNode, s int) bool {
	switch leg.Dst.Kind {
	case SelAll:
		return true
	case SelPrefix:
		return leg.Dst.Prefix.Contains(a)
	case SelIPSet:
		return c.p.IPSets[leg.Dst.Name].Contains(a)
	case SelInternet:
		return internetSet().Contains(a)
	}
	if dstNode < 0 {
		return false
	}
	if leg.Dst.Kind == SelSelf {
		sn, dn := &c.nodes[s], &c.nodes[dstNode]
		return !sn.tagged() && !dn.tagged() && strings.EqualFold(sn.User, dn.User)
	}
	return c.selMatchesNode(leg.Dst, dstNode)
}

func (c *Compiled) ruleRef(ri int) RuleRef {
	r := c.rules[ri].r
	return RuleRef{Section: r.Section, Index: r.Index, Line: r.Line, Col: r.Col}
}

// denial explains a refusal: for each candidate rule, each of its postures
// with the conditions node s failed and its actual values.
func (c *Compiled) denial(s int, cands []int) Decision {
	if len(cands) == 0 {
		return Decision{Reason: "no rule allows this traffic"}
	}
	attrs := c.nodes[s].Attrs
	if attrs == nil {
		attrs = posture.Map{}
	}
	d := Decision{Reason: "rules match but the source meets none of their postures"}
	slices.Sort(cands)
	for _, ri := range cands {
		cand := Candidate{Rule: c.ruleRef(ri)}
		for _, pi := range c.rules[ri].postures {
			pp := c.postures[pi]
			_, fails := pp.Eval(attrs)
			pr := PostureResult{Name: pp.Name}
			for _, f := range fails {
				actual := "not set"
				if f.Set {
					actual = f.Actual.String()
				}
				pr.Failed = append(pr.Failed, FailedCondition{Condition: f.Cond.String(), Actual: actual, Set: f.Set})
			}
			cand.Postures = append(cand.Postures, pr)
		}
		d.Candidates = append(d.Candidates, cand)
	}
	return d
}
