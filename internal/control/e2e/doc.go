// Package e2e holds the control server's end-to-end tests: real tailscaled
// and tailscale processes, built from the module's tailscale.com version,
// join a control.Server and enforce the packet filters it sends.
package e2e
