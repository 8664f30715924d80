package posture

import "github.com/postern/postern"

// Posture is a named list of conditions, all of which must hold for a
// device to meet it (Tailscale's "posture:name": [...]).
type Posture struct {
	Name       string // e.g. "posture:latestMac"
	Conditions []Condition
}

// Eval reports whether every condition holds for a device with attributes
// a and, when not, each failing condition with the device's actual value.
// It evaluates every condition, so the failures are complete, and
// allocates only when something fails. A posture with no conditions holds.
func (p *Posture) Eval(a Attrs) (bool, []Failure) {
	var fails []Failure
	for i := range p.Conditions {
		c := &p.Conditions[i]
		if ok, actual, set := c.eval(a); !ok {
			fails = append(fails, Failure{Cond: *c, Actual: actual, Set: set})
		}
	}
	return len(fails) == 0, fails
}

// Failure is a condition a device failed, with the value it had.
type Failure struct {
	Cond   Condition
	Actual postern.Value // the zero Value when not set
	Set    bool          // whether the attribute was set at all
}

// String explains the failure, e.g. "falcon:ztaScore >= 70 (actual: 42)"
// or "custom:tier != 'prod' (actual: not set)".
func (f Failure) String() string {
	actual := "not set"
	if f.Set {
		actual = f.Actual.String()
	}
	return f.Cond.String() + " (actual: " + actual + ")"
}
