// Package policy owns the tailnet policy file: it parses and validates the
// HuJSON text with Tailscale's syntax and wording (every error carries the
// line:col of the offending value), compiles a policy plus the tailnet's
// users, nodes and posture attributes into per-node packet filters and peer
// sets, answers access questions with reasons, runs the policy's tests, and
// re-evaluates one node's postures incrementally.
//
// The engine is pure: it does no I/O (except the offline CLI helpers in
// cli.go) and reads no clock.
//
// Choices where Tailscale's behaviour is not recorded:
//   - "proto": "icmp" opens ICMPv4 and ICMPv6 (1 and 58); a grant's
//     ip "*" or a bare port range uses the default TCP, UDP and ICMP.
//   - A posture-bound rule keeps source addresses outside Tailscale's own
//     ranges (subnets, literal IPs) whatever the postures, since postures
//     only apply to tailnet devices; tailnet addresses are narrowed to the
//     devices that pass.
//   - Tests evaluate by identity: a user, tag, host or IP source (a group
//     stands for each member); destinations take one port and resolve to
//     device addresses (tags, users, groups) or a single IP; CIDRs, ranges,
//     lists, "*" and autogroups in tests fail, as Tailscale's do.
package policy
