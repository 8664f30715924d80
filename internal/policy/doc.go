// Package policy owns the tailnet policy file: it parses and validates the
// HuJSON text with Tailscale's syntax and wording (every error carries the
// line:col of the offending value), compiles a policy plus the tailnet's
// users, nodes and posture attributes into per-node packet filters and peer
// sets, answers access questions with reasons, runs the policy's tests, and
// re-evaluates one node's postures incrementally.
//
// The engine is pure: it does no I/O (except the offline CLI helpers in
// cli.go) and reads no clock.
package policy
