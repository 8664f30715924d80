package policy

import (
	"slices"
	"strings"

	"github.com/postern/postern/internal/posture"
)

// SetAttrs replaces node nodeID's posture attributes, re-evaluates that
// node's postures only, and returns the ids of the nodes whose Filter or
// Peers changed (sorted; nil when no verdict changed). Only rules that
// require a posture depend on verdicts, so only their destinations can
// change. The Compiled keeps a; the caller must not modify it afterwards.
//
// SetAttrs takes the write lock: concurrent readers see the change whole.
func (c *Compiled) SetAttrs(nodeID int64, a posture.Attrs) (changed []int64) {
	n, ok := c.byID[nodeID]
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodes[n].Attrs = a
	nv := c.evalNode(n)
	if slices.Equal(nv, c.verdict[n]) {
		return nil
	}
	c.verdict[n] = nv
	touched := newBitset(len(c.nodes))
	for _, cr := range c.rules {
		if cr.postures == nil || !cr.srcAll.has(n) {
			continue
		}
		ok := c.passes(n, cr.postures)
		if ok == cr.srcOK.has(n) {
			continue
		}
		if ok {
			cr.srcOK.set(n)
		} else {
			cr.srcOK.clear(n)
		}
		cr.srcStrs = c.postureSources(cr)
		touched.set(n)
		touched.or(cr.dstNodes)
		if cr.self && !c.nodes[n].tagged() {
			for _, j := range c.userNodes[strings.ToLower(c.nodes[n].User)] {
				touched.set(j)
			}
		}
	}
	touched.each(func(i int) { changed = append(changed, c.nodes[i].ID) })
	slices.Sort(changed)
	return changed
}
