package control

import (
	"strings"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
)

// NodeAttributes returns the node:* posture attributes a client's Hostinfo
// yields: node:os, node:osVersion, node:tsVersion, node:tsReleaseTrack,
// node:tsAutoUpdate and node:tsStateEncrypted, each only when the client
// reports what it needs. It is pure; a nil Hostinfo yields an empty map.
func NodeAttributes(hi *tailcfg.Hostinfo) map[string]postern.Value {
	out := map[string]postern.Value{}
	if hi == nil {
		return out
	}
	if hi.OS != "" {
		// Clients say "macOS", "iOS", "windows"; posture conditions use
		// the lower-case names ("macos", "ios").
		out["node:os"] = postern.String(strings.ToLower(hi.OS))
	}
	if hi.OSVersion != "" {
		out["node:osVersion"] = postern.String(hi.OSVersion)
	}
	if v := shortVersion(hi.IPNVersion); v != "" {
		out["node:tsVersion"] = postern.String(v)
		if track := releaseTrack(v); track != "" {
			out["node:tsReleaseTrack"] = postern.String(track)
		}
	}
	if hi.IPNVersion != "" {
		// AllowsUpdate is only ever sent as true (omitzero), so a client
		// that reports its version but not this has auto-update off.
		out["node:tsAutoUpdate"] = postern.Bool(hi.AllowsUpdate)
	}
	if enc, ok := hi.StateEncrypted.Get(); ok {
		out["node:tsStateEncrypted"] = postern.Bool(enc)
	}
	return out
}

// shortVersion turns a client's long version ("1.102.5-t0123abcd-g4567")
// into its release number ("1.102.5"); "" if it does not start with one.
func shortVersion(long string) string {
	v, _, _ := strings.Cut(long, "-")
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return ""
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return v
}

// releaseTrack is "stable" for even minor versions and "unstable" for odd
// ones, Tailscale's numbering convention.
func releaseTrack(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return ""
	}
	minor := parts[1]
	if (minor[len(minor)-1]-'0')%2 == 0 {
		return "stable"
	}
	return "unstable"
}

// sameAttrs reports whether a and b hold the same attributes.
func sameAttrs(a, b map[string]postern.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
