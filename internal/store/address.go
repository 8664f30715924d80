package store

import (
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
)

// Tailscale's address ranges: IPv4 from the CGNAT range, IPv6 from
// Tailscale's ULA prefix with the IPv4 address in the low 32 bits.
var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	quad100   = netip.MustParseAddr("100.100.100.100")
	chromeOS  = netip.MustParsePrefix("100.115.92.0/23") // ChromeOS VMs use it
	ulaPrefix = netip.MustParseAddr("fd7a:115c:a1e0::")
)

// usableIPv4 reports whether a is an address CreateDevice may hand out.
func usableIPv4(a netip.Addr) bool {
	if !cgnat.Contains(a) || a == quad100 || chromeOS.Contains(a) {
		return false
	}
	last := a.As4()[3]
	return last != 0 && last != 255
}

// randomIPv4 returns a random usable address from 100.64.0.0/10.
func randomIPv4() netip.Addr {
	for {
		var b [4]byte
		rand.Read(b[:])
		n := binary.BigEndian.Uint32(b[:])&(1<<22-1) | 100<<24 | 64<<16
		var a4 [4]byte
		binary.BigEndian.PutUint32(a4[:], n)
		a := netip.AddrFrom4(a4)
		if usableIPv4(a) {
			return a
		}
	}
}

// ipv6For returns fd7a:115c:a1e0:: with ip4's 32 bits as its low bits, so
// the IPv6 address is unique exactly when the IPv4 address is.
func ipv6For(ip4 netip.Addr) netip.Addr {
	b := ulaPrefix.As16()
	v4 := ip4.As4()
	copy(b[12:], v4[:])
	return netip.AddrFrom16(b)
}

// nameFromHostname turns a hostname into a lower-case DNS label: letters,
// digits and inner hyphens, at most 63 characters; "device" if nothing is
// left. Only the first label of a dotted hostname is used.
func nameFromHostname(hostname string) string {
	host, _, _ := strings.Cut(strings.ToLower(hostname), ".")
	var b strings.Builder
	hyphen := false
	for _, r := range host {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	if s == "" {
		s = "device"
	}
	return s
}

// freeNames returns up to n names, in order of preference, that are base
// or base-1, base-2, ... and not in taken.
func freeNames(base string, taken map[string]bool, n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		name := base
		if i > 0 {
			suffix := "-" + strconv.Itoa(i)
			name = strings.TrimRight(base[:min(len(base), 63-len(suffix))], "-") + suffix
		}
		if !taken[name] {
			out = append(out, name)
		}
	}
	return out
}
