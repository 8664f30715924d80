package control

import (
	"net/netip"
	"net/url"
	"strconv"

	"tailscale.com/tailcfg"
)

// derpRegionID is the region of the embedded DERP server. 900 and up are
// conventionally custom regions, clear of Tailscale's own.
const derpRegionID = 900

// buildDERPMap describes the embedded DERP server, reachable at the server
// URL's host and port. Over plain http (tests, loopback) clients must run
// with TS_DEBUG_USE_DERP_HTTP=1, as no DERPNode field selects http.
// stunPort is -1 when STUN is off.
func buildDERPMap(u *url.URL, stunPort int) *tailcfg.DERPMap {
	host := u.Hostname()
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 443
		if u.Scheme == "http" {
			port = 80
		}
	}
	n := &tailcfg.DERPNode{
		Name:     "900a",
		RegionID: derpRegionID,
		HostName: host,
		DERPPort: port,
		STUNPort: stunPort,
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Is4() {
			n.IPv4, n.IPv6 = ip.String(), "none"
		} else {
			n.IPv4, n.IPv6 = "none", ip.String()
		}
	} else if host == "localhost" {
		n.IPv4, n.IPv6 = "127.0.0.1", "none"
	}
	if u.Scheme == "http" {
		n.InsecureForTests = true
	}
	return &tailcfg.DERPMap{
		Regions: map[int]*tailcfg.DERPRegion{
			derpRegionID: {
				RegionID:   derpRegionID,
				RegionCode: "postern",
				RegionName: "Postern embedded DERP",
				Nodes:      []*tailcfg.DERPNode{n},
			},
		},
		OmitDefaultRegions: true,
	}
}
