package integrations

import (
	"fmt"
	"net/netip"
	"strings"
)

// metadataNames are the host names of cloud instance metadata services.
// They hand out the server's own cloud credentials, so a vendor secret,
// or a request Postern makes on an admin's behalf, must never reach them.
var metadataNames = []string{
	"metadata.google.internal",   // GCP
	"metadata.goog",              // GCP
	"metadata.azure.internal",    // Azure
	"instance-data.ec2.internal", // AWS
	"metadata.tencentyun.com",
	"metadata.platformequinix.com",
}

// metadataAddrs are metadata and host-agent addresses outside the
// link-local ranges, which are refused as a whole.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("168.63.129.16"),   // Azure WireServer
}

// reservedPrefixes are IPv4 ranges that route nowhere useful or reach
// the host itself: "this network" (0.0.0.0 dials the local host on
// Linux) and the former class E with the broadcast address.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// nat64 is the well-known NAT64 prefix: an address in it reaches the IPv4
// address in its last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// AddressError is a connection Postern refuses to make: a cloudId or a
// dialled address that is link-local, a cloud metadata service, or
// otherwise special. Its message is Postern's own words and names no
// vendor response, so it may be shown to every reader of a status.
type AddressError struct {
	Host   string     // the host name or address as configured
	Addr   netip.Addr // the address it resolved to; zero if refused by name
	Reason string     // why, e.g. "a link-local address"
}

func (e *AddressError) Error() string {
	switch {
	case !e.Addr.IsValid():
		return fmt.Sprintf("Postern does not connect to %s: it is %s", e.Host, e.Reason)
	case e.Host == e.Addr.String():
		return fmt.Sprintf("Postern does not connect to %s: it is %s", e.Addr, e.Reason)
	}
	return fmt.Sprintf("Postern does not connect to %s (%s): it is %s", e.Host, e.Addr, e.Reason)
}

// addrRefusal says why a vendor API may not live at addr, or "" if it
// may. Loopback addresses are refused unless allowLoopback: only a
// cloudId that names the loopback host itself (127.0.0.1, ::1,
// localhost) may reach it, never a name that resolves there.
func addrRefusal(addr netip.Addr, allowLoopback bool) string {
	addr = addr.Unmap()
	if nat64.Contains(addr) {
		b := addr.As16()
		if r := addrRefusal(netip.AddrFrom4([4]byte(b[12:])), false); r != "" {
			return r + " behind the NAT64 prefix"
		}
	}
	for _, m := range metadataAddrs {
		if addr.WithZone("") == m {
			return "a cloud metadata address"
		}
	}
	switch {
	case addr.IsUnspecified():
		return "the unspecified address"
	case addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast():
		return "a link-local address, where cloud metadata services answer"
	case addr.IsMulticast():
		return "a multicast address"
	case addr.IsLoopback() && !allowLoopback:
		return "a loopback address, allowed only when cloudId names 127.0.0.1, ::1 or localhost itself"
	}
	for _, p := range reservedPrefixes {
		if p.Contains(addr) {
			return "a reserved address"
		}
	}
	return ""
}

// hostRefusal says why cloudId may not name host (without port or
// brackets), or "" if it may: a literal address is checked with
// addrRefusal, loopback allowed; a name is refused if it is a metadata
// service's.
func hostRefusal(host string) string {
	if addr, err := netip.ParseAddr(host); err == nil {
		return addrRefusal(addr, true)
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	for _, m := range metadataNames {
		if name == m {
			return "the name of a cloud metadata service"
		}
	}
	return ""
}
