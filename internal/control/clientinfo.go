package control

import (
	"slices"
	"strings"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
)

// Bounds on what a client says about itself. Everything a client reports
// is self-chosen and arrives before anyone vouched for it, so nothing is
// kept (in a pending login, the store or a peer's map) unless it fits.
// The facts Postern shows admins and matches policy against are refused
// when too long; lists that only inform peers are cut short instead.
const (
	maxHostnameLen    = 256 // Hostinfo.Hostname
	maxOSLen          = 64  // Hostinfo.OS ("linux", "macOS", ...)
	maxVersionLen     = 256 // OSVersion, IPNVersion, DeviceModel
	maxRequestTags    = 64  // Hostinfo.RequestTags
	maxTagLen         = 128 // one requested tag, "tag:" included
	maxServices       = 128 // Hostinfo.Services kept for peers
	maxServiceDescLen = 64  // one service's description
	maxSSHHostKeys    = 16  // Hostinfo.SSH_HostKeys kept for peers
	maxSSHHostKeyLen  = 1024
	maxRoutableIPs    = 1024 // Hostinfo.RoutableIPs kept for peers
	maxLocationLen    = 128  // each string of Hostinfo.Location
)

// checkHostinfo refuses a Hostinfo whose facts exceed the bounds above,
// naming the first offending field. A nil Hostinfo is fine.
func checkHostinfo(hi *tailcfg.Hostinfo) error {
	if hi == nil {
		return nil
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"hostname", hi.Hostname, maxHostnameLen},
		{"OS", hi.OS, maxOSLen},
		{"OS version", hi.OSVersion, maxVersionLen},
		{"client version", hi.IPNVersion, maxVersionLen},
		{"device model", hi.DeviceModel, maxVersionLen},
	} {
		if len(f.v) > f.max {
			return postern.Errorf(postern.EINVALID, "the %s the client reports is %d bytes long, over the limit of %d", f.name, len(f.v), f.max)
		}
	}
	if len(hi.RequestTags) > maxRequestTags {
		return postern.Errorf(postern.EINVALID, "the client requests %d tags, over the limit of %d", len(hi.RequestTags), maxRequestTags)
	}
	for _, t := range hi.RequestTags {
		if len(t) > maxTagLen {
			return postern.Errorf(postern.EINVALID, "a requested tag is %d bytes long, over the limit of %d", len(t), maxTagLen)
		}
	}
	return nil
}

// peerHostinfo is the part of hi that is stored and shown to peers: the
// fields tailscale clients read from a peer's Hostinfo (its name and OS in
// status and MagicDNS, PeerAPI ports for Taildrop and exit-node DNS, SSH
// host keys for "tailscale ssh", exit-node location, Funnel and app
// connector flags), bounded. Everything else (log IDs, push tokens,
// NetInfo, environment details, requested tags) stays out. Strings over
// checkHostinfo's bounds (only in rows stored before it existed) are cut;
// nil gives nil.
func peerHostinfo(hi *tailcfg.Hostinfo) *tailcfg.Hostinfo {
	if hi == nil {
		return nil
	}
	out := &tailcfg.Hostinfo{
		IPNVersion:      cut(hi.IPNVersion, maxVersionLen),
		OS:              cut(hi.OS, maxOSLen),
		OSVersion:       cut(hi.OSVersion, maxVersionLen),
		DeviceModel:     cut(hi.DeviceModel, maxVersionLen),
		Hostname:        cut(hi.Hostname, maxHostnameLen),
		ShieldsUp:       hi.ShieldsUp,
		ShareeNode:      hi.ShareeNode,
		WireIngress:     hi.WireIngress,
		IngressEnabled:  hi.IngressEnabled,
		Userspace:       hi.Userspace,
		UserspaceRouter: hi.UserspaceRouter,
		AppConnector:    hi.AppConnector,
		PeerRelay:       hi.PeerRelay,
		RoutableIPs:     slices.Clone(hi.RoutableIPs[:min(len(hi.RoutableIPs), maxRoutableIPs)]),
		Services:        peerServices(hi.Services),
	}
	for _, k := range hi.SSH_HostKeys {
		if len(out.SSH_HostKeys) == maxSSHHostKeys {
			break
		}
		if len(k) <= maxSSHHostKeyLen {
			out.SSH_HostKeys = append(out.SSH_HostKeys, k)
		}
	}
	if l := hi.Location; l != nil {
		out.Location = &tailcfg.Location{
			Country:     cut(l.Country, maxLocationLen),
			CountryCode: cut(l.CountryCode, maxLocationLen),
			City:        cut(l.City, maxLocationLen),
			CityCode:    cut(l.CityCode, maxLocationLen),
			Latitude:    l.Latitude,
			Longitude:   l.Longitude,
			Priority:    l.Priority,
		}
	}
	return out
}

// peerServices keeps at most maxServices services, PeerAPI ones first
// (peers need their ports), with descriptions cut short.
func peerServices(in []tailcfg.Service) []tailcfg.Service {
	var out []tailcfg.Service
	add := func(peerAPI bool) {
		for _, s := range in {
			if len(out) == maxServices {
				return
			}
			if strings.HasPrefix(string(s.Proto), "peerapi") != peerAPI {
				continue
			}
			out = append(out, tailcfg.Service{Proto: tailcfg.ServiceProto(cut(string(s.Proto), maxServiceDescLen)), Port: s.Port, Description: cut(s.Description, maxServiceDescLen)})
		}
	}
	add(true)
	add(false)
	return out
}

// cut shortens s to at most n bytes.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
