package policy

import "github.com/postern/postern/internal/posture"

// Load is what saving a policy does: Parse the text (checking postures
// against cat), Compile it against the tailnet state, and run its tests
// block. Errors are the *Error/ErrorList of Parse, or the *TestsError of
// RunTests.
func Load(text []byte, cat *posture.Catalog, users []User, nodes []Node) (*Compiled, error) {
	p, err := Parse(text, cat)
	if err != nil {
		return nil, err
	}
	c, err := Compile(p, users, nodes)
	if err != nil {
		return nil, err
	}
	if err := c.RunTests(); err != nil {
		return nil, err
	}
	return c, nil
}

// Policy returns the policy c was compiled from (read-only).
func (c *Compiled) Policy() *Policy { return c.p }
