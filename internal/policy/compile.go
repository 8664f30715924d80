package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"go4.org/netipx"

	"github.com/postern/postern/internal/posture"
)

// Compiled is a policy joined with the tailnet's users, nodes and posture
// verdicts. It answers Filter, Peers and Check; SetAttrs updates one node's
// verdicts in place.
//
// Concurrency: any number of readers (Filter, Peers, Check, RunTests) may
// run at once; SetAttrs takes the write lock, so readers see a node's
// verdict change all at once or not at all.
type Compiled struct {
	p     *Policy
	users map[string]User // by lower-case login name
	nodes []Node

	byID      map[int64]int
	byAddr    map[netip.Addr]int
	addrIdx   []addrNode       // every node address, sorted
	routers   []int            // nodes with approved routes
	userNodes map[string][]int // lower-case login → its untagged nodes
	addrStrs  [][]string       // each node's addresses as strings

	postures   []*posture.Posture
	postureIdx map[string]int

	rules      []*crule
	globalLegs []legRef   // legs whose destination is "*": they cover every node
	nodeLegs   [][]legRef // per node, the other legs that cover it

	// mu guards verdict and every crule's srcOK.
	mu      sync.RWMutex
	verdict []bitset // per node, the postures it meets
}

// addrNode is one node address, for range searches.
type addrNode struct {
	addr netip.Addr
	node int
}

// crule is a compiled Rule.
type crule struct {
	r        *Rule
	postures []int         // effective srcPosture; nil when none applies
	srcAll   bitset        // nodes the src selectors match, ignoring posture
	srcOK    bitset        // srcAll narrowed to nodes meeting a posture (== srcAll without postures)
	srcSet   *netipx.IPSet // every source address, ignoring posture
	nodeOnly bool          // every source selector names nodes: both their addresses are in srcSet
	srcStrs  []string      // SrcIPs (with postures: of the passing nodes); replaced, never modified
	static   []string      // SrcIPs outside the tailnet's address space, kept when postures apply
	srcKey   int           // identical SrcIPs share a key, so the filter merges them
	dstNodes bitset        // nodes a non-self leg covers
	self     bool          // some leg is autogroup:self
	reason   string        // Check's reason when this rule allows traffic
}

// legRef says that leg of rule covers a node, sending these IPs.
type legRef struct {
	rule, leg int32
	ips       []string
}

// Compile joins p with the tailnet state. Each posture is evaluated once per
// node. Node ids must be unique.
func Compile(p *Policy, users []User, nodes []Node) (*Compiled, error) {
	c := &Compiled{
		p:          p,
		users:      make(map[string]User, len(users)),
		nodes:      append([]Node(nil), nodes...),
		byID:       make(map[int64]int, len(nodes)),
		byAddr:     make(map[netip.Addr]int, 2*len(nodes)),
		userNodes:  map[string][]int{},
		addrStrs:   make([][]string, len(nodes)),
		postureIdx: map[string]int{},
		nodeLegs:   make([][]legRef, len(nodes)),
		verdict:    make([]bitset, len(nodes)),
	}
	for _, u := range users {
		c.users[strings.ToLower(u.LoginName)] = u
	}
	for i := range c.nodes {
		n := &c.nodes[i]
		if _, dup := c.byID[n.ID]; dup {
			return nil, fmt.Errorf("compiling policy: duplicate node id %d", n.ID)
		}
		c.byID[n.ID] = i
		for _, a := range n.addrs() {
			c.byAddr[a] = i
			c.addrIdx = append(c.addrIdx, addrNode{a, i})
			c.addrStrs[i] = append(c.addrStrs[i], a.String())
		}
		if len(n.ApprovedRoutes) > 0 {
			c.routers = append(c.routers, i)
		}
		if !n.tagged() && n.User != "" {
			u := strings.ToLower(n.User)
			c.userNodes[u] = append(c.userNodes[u], i)
		}
	}
	sort.Slice(c.addrIdx, func(i, j int) bool { return c.addrIdx[i].addr.Less(c.addrIdx[j].addr) })

	c.compilePostures()
	keys := map[string]int{}
	for ri, r := range p.Rules {
		cr := c.compileRule(ri, r)
		if cr.postures == nil {
			k := strings.Join(cr.srcStrs, ",")
			id, ok := keys[k]
			if !ok {
				id = len(keys)
				keys[k] = id
			}
			cr.srcKey = id
		} else {
			cr.srcKey = -1 - ri
		}
		c.rules = append(c.rules, cr)
	}
	return c, nil
}

// compilePostures indexes the postures rules use and evaluates each once
// per node.
func (c *Compiled) compilePostures() {
	add := func(name string) {
		if _, ok := c.postureIdx[name]; !ok {
			c.postureIdx[name] = len(c.postures)
			c.postures = append(c.postures, c.p.Postures[name])
		}
	}
	for _, name := range c.p.DefaultSrcPosture {
		add(name)
	}
	for _, r := range c.p.Rules {
		for _, name := range r.SrcPosture {
			add(name)
		}
	}
	for i := range c.nodes {
		c.verdict[i] = c.evalNode(i)
	}
}

// evalNode returns the postures node i meets.
func (c *Compiled) evalNode(i int) bitset {
	v := newBitset(len(c.postures))
	a := c.nodes[i].Attrs
	if a == nil {
		a = posture.Map{}
	}
	for pi, pp := range c.postures {
		if ok, _ := pp.Eval(a); ok {
			v.set(pi)
		}
	}
	return v
}

// effectivePostures returns the posture indices a rule requires: its own
// srcPosture, else the default; nil when none applies.
func (c *Compiled) effectivePostures(r *Rule) []int {
	names := r.SrcPosture
	if len(names) == 0 {
		names = c.p.DefaultSrcPosture
	}
	if len(names) == 0 {
		return nil
	}
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = c.postureIdx[n]
	}
	return out
}

// passes reports whether node i meets any of the postures.
func (c *Compiled) passes(i int, postures []int) bool {
	for _, p := range postures {
		if c.verdict[i].has(p) {
			return true
		}
	}
	return false
}

func (c *Compiled) compileRule(ri int, r *Rule) *crule {
	cr := &crule{r: r, postures: c.effectivePostures(r)}
	cr.reason = "allowed by " + RuleRef{Section: r.Section, Index: r.Index, Line: r.Line, Col: r.Col}.String()
	var set *ipSetBuilder
	cr.srcAll, set = c.resolveSrc(r.Src)
	cr.srcSet, _ = set.b.IPSet()
	cr.nodeOnly = !slices.ContainsFunc(r.Src, func(s Selector) bool { return s.Kind == SelPrefix || s.Kind == SelIPSet })
	if cr.postures == nil {
		cr.srcOK = cr.srcAll
		cr.srcStrs = set.strings()
	} else {
		cr.static = set.withoutTailnet().strings()
		cr.srcOK = newBitset(len(c.nodes))
		cr.srcAll.each(func(i int) {
			if c.passes(i, cr.postures) {
				cr.srcOK.set(i)
			}
		})
		cr.srcStrs = c.postureSources(cr)
	}
	cr.dstNodes = newBitset(len(c.nodes))
	for li, leg := range r.Legs {
		c.coverLeg(cr, ri, li, leg)
	}
	return cr
}
