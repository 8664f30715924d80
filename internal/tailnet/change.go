package tailnet

import "slices"

// Change says what a committed write changed, so that the policy engine
// and the control server recompute only what depends on it. Values are
// merged, never queued one by one: a consumer that falls behind merges
// what it has not handled yet into one Change.
type Change struct {
	TailnetID string

	DevicesAdded   []int64 // created
	DevicesRemoved []int64 // deleted
	DevicesUpdated []int64 // tags, authorization, keys, routes, name (never Hostinfo facts)
	AttrsChanged   []int64 // posture attributes of these devices changed
	Policy         bool    // the policy file changed
	Settings       bool    // tailnet settings changed
	DNS            bool    // the tailnet's DNS configuration changed
}

// Empty reports whether c says nothing changed.
func (c Change) Empty() bool {
	return len(c.DevicesAdded)+len(c.DevicesRemoved)+len(c.DevicesUpdated)+len(c.AttrsChanged) == 0 && !c.Policy && !c.Settings && !c.DNS
}

// Merge folds o into c.
func (c *Change) Merge(o Change) {
	if c.TailnetID == "" {
		c.TailnetID = o.TailnetID
	}
	c.DevicesAdded = union(c.DevicesAdded, o.DevicesAdded)
	c.DevicesRemoved = union(c.DevicesRemoved, o.DevicesRemoved)
	c.DevicesUpdated = union(c.DevicesUpdated, o.DevicesUpdated)
	c.AttrsChanged = union(c.AttrsChanged, o.AttrsChanged)
	c.Policy = c.Policy || o.Policy
	c.Settings = c.Settings || o.Settings
	c.DNS = c.DNS || o.DNS
}

func union(a, b []int64) []int64 {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Subscribe registers fn to receive every Change after its commit. It must
// be called before the service is used concurrently (at wiring time). fn
// runs on the writer's goroutine and must not block: merge and return.
func (s *Service) Subscribe(fn func(Change)) { s.subs = append(s.subs, fn) }

func (s *Service) emit(c Change) {
	if c.Empty() {
		return
	}
	for _, fn := range s.subs {
		fn(c)
	}
}
