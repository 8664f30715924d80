// Package e2e holds the control server's end-to-end tests: real tailscaled
// and tailscale processes, built once per test binary from the module's
// tailscale.com version (see internal/tsclient), join a control.Server in
// userspace-networking mode on loopback and enforce the packet filters it
// sends. Some tests run the whole Postern server (internal/server) with a
// vendor fake.
//
// The tests skip, saying why, when tailscaled cannot be built. Giving a
// node its own SMBIOS serial number needs root (unshare -m); without it
// the serial checks are skipped or logged. Clients reach the embedded
// DERP server over plain http because the harness sets
// TS_DEBUG_USE_DERP_HTTP=1.
package e2e
