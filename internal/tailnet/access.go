package tailnet

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
)

// ProtoNumbers are the protocol names access questions take.
var ProtoNumbers = map[string]int{"tcp": 6, "udp": 17, "icmp": 1, "sctp": 132, "ipv6-icmp": 58}

// AccessQuery is a parsed "may this device reach HOST:PORT?" question.
type AccessQuery struct {
	Dst       netip.Addr
	Port      uint16
	Proto     int    // IANA number
	ProtoName string // as asked, lower case; "tcp" if not given
}

// ParseAccessQuery parses dst ("HOST:PORT") and proto (a name, a number
// from 1 to 255, or "" for tcp). HOST is an IP address, a device name, a
// MagicDNS name under baseDomain, or a node id; names resolve to the
// device's IPv4 address. The API's access endpoint and the console's
// access check both ask through it.
func ParseAccessQuery(ctx context.Context, q store.Queries, tailnetID, baseDomain, dst, proto string) (AccessQuery, error) {
	var aq AccessQuery
	host, portStr, err := net.SplitHostPort(dst)
	if err != nil {
		return aq, postern.Errorf(postern.EINVALID, "dst must be HOST:PORT, got %q", dst)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return aq, postern.Errorf(postern.EINVALID, "port %q is not a number from 0 to 65535", portStr)
	}
	aq.Port = uint16(port)
	aq.ProtoName = strings.ToLower(proto)
	if aq.ProtoName == "" {
		aq.ProtoName = "tcp"
	}
	n, ok := ProtoNumbers[aq.ProtoName]
	if !ok {
		n, err = strconv.Atoi(aq.ProtoName)
		if err != nil || n < 1 || n > 255 {
			return aq, postern.Errorf(postern.EINVALID, "proto must be tcp, udp, icmp, sctp or a number from 1 to 255, got %q", aq.ProtoName)
		}
	}
	aq.Proto = n
	if ip, err := netip.ParseAddr(host); err == nil {
		aq.Dst = ip
		return aq, nil
	}
	name := strings.TrimSuffix(strings.TrimSuffix(host, "."), "."+baseDomain)
	devs, err := q.Devices(ctx, tailnetID)
	if err != nil {
		return aq, err
	}
	for _, d := range devs {
		if strings.EqualFold(d.Name, name) || d.NodeID == host {
			aq.Dst = d.IPv4
			return aq, nil
		}
	}
	return aq, postern.Errorf(postern.ENOTFOUND, "%s %q not found", "host", host)
}
