package policy

// PostureSources returns, for each posture some rule requires (its own
// srcPosture, or defaultSrcPosture when it has none), the ids of the nodes
// that are a source of such a rule, ignoring whether they meet it. A node
// that is only ever a destination needs no posture, so the console leaves
// it out of that posture's compliance. Postures no rule requires are
// absent. Each call builds a new map; the sets do not change after
// Compile, so it takes no lock.
func (c *Compiled) PostureSources() map[string][]int64 {
	sets := make([]bitset, len(c.postures))
	for _, cr := range c.rules {
		for _, pi := range cr.postures {
			if sets[pi] == nil {
				sets[pi] = newBitset(len(c.nodes))
			}
			sets[pi].or(cr.srcAll)
		}
	}
	out := make(map[string][]int64, len(c.postures))
	for pi, s := range sets {
		if s == nil {
			continue
		}
		ids := []int64{}
		s.each(func(i int) { ids = append(ids, c.nodes[i].ID) })
		out[c.postures[pi].Name] = ids
	}
	return out
}
