package api

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/postern/postern/internal/policy"
)

// protoNumbers are the protocol names the access endpoint takes.
var protoNumbers = map[string]int{"tcp": 6, "udp": 17, "icmp": 1, "sctp": 132, "ipv6-icmp": 58}

// access answers GET /device/{id}/access?dst=HOST:PORT&proto=tcp: whether
// the device may reach the destination now under the policy in force, and
// why (Postern's addition to the API).
func (a *API) access(w http.ResponseWriter, r *http.Request, p *principal) {
	if a.decisions == nil {
		a.writeError(w, r, notFound("endpoint", r.URL.Path))
		return
	}
	d, err := a.deviceOf(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	host, portStr, err := net.SplitHostPort(q.Get("dst"))
	if err != nil {
		a.writeError(w, r, badf("dst must be HOST:PORT, got %q", q.Get("dst")))
		return
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		a.writeError(w, r, badf("port %q is not a number from 0 to 65535", portStr))
		return
	}
	protoName := strings.ToLower(q.Get("proto"))
	if protoName == "" {
		protoName = "tcp"
	}
	proto, ok := protoNumbers[protoName]
	if !ok {
		n, err := strconv.Atoi(protoName)
		if err != nil || n < 1 || n > 255 {
			a.writeError(w, r, badf("proto must be tcp, udp, icmp, sctp or a number from 1 to 255, got %q", protoName))
			return
		}
		proto = n
	}
	dst, err := a.resolveHost(r, host)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	dec := a.decisions.Check(d.ID, dst, proto, uint16(port))
	writeJSON(w, http.StatusOK, struct {
		Src   string `json:"src"`
		Dst   string `json:"dst"`
		Proto string `json:"proto"`
		Port  uint64 `json:"port"`
		policy.Decision
	}{Src: d.NodeID, Dst: netip.AddrPortFrom(dst, uint16(port)).String(), Proto: protoName, Port: port, Decision: dec})
}

// resolveHost turns an IP, a device name or a MagicDNS name into an
// address (the device's IPv4).
func (a *API) resolveHost(r *http.Request, host string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, nil
	}
	name := strings.TrimSuffix(strings.TrimSuffix(host, "."), "."+a.baseDomain)
	devs, err := a.st.Devices(r.Context(), a.tailnetID)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, d := range devs {
		if strings.EqualFold(d.Name, name) || d.NodeID == host {
			return d.IPv4, nil
		}
	}
	return netip.Addr{}, notFound("host", host)
}
