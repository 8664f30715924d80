package policy

import (
	"strconv"
	"strings"

	"go4.org/netipx"
	"net/netip"
)

// parsePorts reads "*", "22", "80,443" or "1000-2000" (and lists of
// ranges), with Tailscale's messages.
func parsePorts(s string) ([]PortRange, error) {
	if s == "*" {
		return []PortRange{{0, 65535}}, nil
	}
	var out []PortRange
	for _, part := range strings.Split(s, ",") {
		first, last, isRange := strings.Cut(part, "-")
		f, err := strconv.ParseUint(first, 10, 16)
		if err != nil {
			return nil, errorf("port range %q: invalid first integer", part)
		}
		if f == 0 {
			return nil, errorf("port range %q: first port must be >0, or use '*' for wildcard", part)
		}
		l := f
		if isRange {
			l, err = strconv.ParseUint(last, 10, 16)
			if err != nil {
				return nil, errorf("port range %q: invalid last integer", part)
			}
			if l < f {
				return nil, errorf("port range %q: last port must be >= first port", part)
			}
		}
		out = append(out, PortRange{uint16(f), uint16(l)})
	}
	return out, nil
}

// protoNames are the protocol names Tailscale accepts, with their numbers.
var protoNames = map[string]int{
	"icmp": 1, "igmp": 2, "ipv4": 4, "ip-in-ip": 4, "tcp": 6, "egp": 8, "igp": 9,
	"udp": 17, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58, "sctp": 132,
}

// parseProto reads a protocol name or number 1-255. An empty string means
// the default (nil). "icmp" also covers ICMPv6.
func parseProto(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	n, ok := protoNames[strings.ToLower(s)]
	if !ok {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 255 {
			return nil, errorf("proto=%q: unknown protocol; want a name like \"tcp\" or a number 1-255", s)
		}
		n = v
	}
	if n == 1 && strings.EqualFold(s, "icmp") {
		return []int{1, 58}, nil
	}
	return []int{n}, nil
}

// portsAllowed reports whether protocols may carry ports other than "*".
func portsAllowed(protos []int) bool {
	for _, p := range protos {
		if p != 6 && p != 17 && p != 132 {
			return false
		}
	}
	return true
}

func isAnyPort(pr []PortRange) bool { return len(pr) == 1 && pr[0] == PortRange{0, 65535} }

// internetSet is the public address space autogroup:internet names.
func internetSet() *netipx.IPSet {
	var b netipx.IPSetBuilder
	b.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
	b.AddPrefix(netip.MustParsePrefix("2000::/3"))
	for _, p := range []string{"10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"} {
		b.RemovePrefix(netip.MustParsePrefix(p))
	}
	s, _ := b.IPSet()
	return s
}

// ProtoNumber returns the IANA number of a protocol name ("tcp", "udp",
// "icmp", ...) or decimal number, as the policy file accepts them, for
// callers of Check. An empty name means TCP.
func ProtoNumber(name string) (int, error) {
	if name == "" {
		return 6, nil
	}
	p, err := parseProto(name)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}
