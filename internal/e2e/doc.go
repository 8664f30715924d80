// Package e2e holds end-to-end tests of the whole of Postern as users run
// it: server.Start with its real store, policy engine, sync scheduler,
// control server and API, real tailscaled clients built from the
// tailscale.com module in go.mod, and vendor fakes speaking the vendors'
// wire formats. It has no non-test code.
package e2e
