package policy

import (
	"errors"
	"strings"

	"github.com/tailscale/hujson"
)

// parseACLs reads the acls section: action, src (legacy users), dst
// (legacy ports) as host:ports, proto and srcPosture.
func parseACLs(d *decoder, p *Policy, v *hujson.Value) {
	entries, ok := d.array(v, "acls")
	if !ok {
		return
	}
	for i, e := range entries {
		ms, ok := d.fields(e, "acls", "action", "src", "users", "dst", "ports", "proto", "srcPosture")
		if !ok {
			continue
		}
		pos := d.at(e)
		r := &Rule{Section: "acls", Index: i, Line: pos.Line, Col: pos.Col}
		var src, dst []posString
		var protoVal *hujson.Value
		proto := ""
		hasAction := false
		for _, m := range ms {
			switch m.Key {
			case "action":
				hasAction = true
				if a, ok := d.str(m.Val, "action"); ok && a != "accept" {
					d.errf(m.Val, "action=%q is not supported", a)
				}
			case "src", "users":
				if src != nil {
					d.errf(m.Name, "acls: use either src or users, not both")
					continue
				}
				src, _ = d.strList(m.Val, m.Key)
				if src == nil {
					src = []posString{}
				}
			case "dst", "ports":
				if dst != nil {
					d.errf(m.Name, "acls: use either dst or ports, not both")
					continue
				}
				dst, _ = d.strList(m.Val, m.Key)
				if dst == nil {
					dst = []posString{}
				}
			case "proto":
				protoVal = m.Val
				proto, _ = d.str(m.Val, "proto")
			case "srcPosture":
				r.SrcPosture = parsePostureRefs(d, p, m.Val, "srcPosture")
			default:
				d.unknownField(m, "acls")
			}
		}
		if !hasAction {
			d.errAt(pos, "acls: action is required")
		}
		if src == nil {
			d.errAt(pos, "acls: src is required")
		}
		if dst == nil {
			d.errAt(pos, "acls: dst is required")
		}
		protos, err := parseProto(proto)
		if err != nil {
			d.errf(protoVal, "%v", err)
		}
		r.Src = parseSources(d, p, src)
		for _, ds := range dst {
			leg, ok := parseACLDst(d, p, ds, protos)
			if ok {
				r.Legs = append(r.Legs, leg)
			}
		}
		checkSelf(d, r, pos)
		p.Rules = append(p.Rules, r)
	}
}

// parseSources parses src elements, recording each error at its element.
func parseSources(d *decoder, p *Policy, src []posString) []Selector {
	out := make([]Selector, 0, len(src))
	for _, s := range src {
		sel, err := parseSelector(p, s.S, srcSide)
		if err != nil {
			if errors.Is(err, errSelfOnSrc) {
				d.errAt(s.Pos, "%v", err)
			} else {
				var nf *notFoundError
				if errors.As(err, &nf) {
					d.errAt(s.Pos, "src=%v", err)
				} else {
					d.errAt(s.Pos, "src=%q: %v", s.S, err)
				}
			}
			continue
		}
		out = append(out, sel)
	}
	return out
}

// parseACLDst parses one acls dst "host:ports".
func parseACLDst(d *decoder, p *Policy, ds posString, protos []int) (Leg, bool) {
	host, ports, ok := splitHostPort(ds.S)
	if !ok {
		d.errAt(ds.Pos, "dst=%q: hostport must contain a colon (\":\")", ds.S)
		return Leg{}, false
	}
	pr, err := parsePorts(ports)
	if err != nil {
		d.errAt(ds.Pos, "dst=%q: %v", ds.S, err)
		return Leg{}, false
	}
	if !isAnyPort(pr) && protos != nil && !portsAllowed(protos) {
		d.errAt(ds.Pos, "dst=%q: protocol does not support ports; use \"*\"", ds.S)
		return Leg{}, false
	}
	sel, err := parseSelector(p, host, dstSide)
	if err != nil {
		d.errAt(ds.Pos, "dst=%q: %v", host, err)
		return Leg{}, false
	}
	return Leg{Dst: sel, Protos: protos, Ports: pr}, true
}

// checkSelf enforces that autogroup:self destinations pair only with
// user sources.
func checkSelf(d *decoder, r *Rule, pos position) {
	hasSelf := false
	for _, l := range r.Legs {
		if l.Dst.Kind == SelSelf {
			hasSelf = true
		}
	}
	if !hasSelf {
		return
	}
	for _, s := range r.Src {
		if !selfCompatible(s) {
			d.errAt(pos, "autogroup:self can only be used with users, groups, or supported autogroups")
			return
		}
	}
}

// parseGrants reads the grants section: src, dst (no ports), ip, app,
// srcPosture and via.
func parseGrants(d *decoder, p *Policy, v *hujson.Value) {
	entries, ok := d.array(v, "grants")
	if !ok {
		return
	}
	for i, e := range entries {
		ms, ok := d.fields(e, "grants", "src", "dst", "ip", "app", "srcPosture", "via")
		if !ok {
			continue
		}
		pos := d.at(e)
		r := &Rule{Section: "grants", Index: i, Line: pos.Line, Col: pos.Col}
		var src, dst, ips []posString
		hasSrc, hasDst, hasIP := false, false, false
		for _, m := range ms {
			switch m.Key {
			case "src":
				hasSrc = true
				src, _ = d.strList(m.Val, "src")
			case "dst":
				hasDst = true
				dst, _ = d.strList(m.Val, "dst")
			case "ip":
				hasIP = true
				ips, _ = d.strList(m.Val, "ip")
			case "app":
				r.App = true
				parseApp(d, m.Val)
			case "srcPosture":
				r.SrcPosture = parsePostureRefs(d, p, m.Val, "srcPosture")
			case "via":
				vias, _ := d.strList(m.Val, "via")
				for _, v := range vias {
					if !strings.HasPrefix(v.S, "tag:") {
						d.errAt(v.Pos, "via=%q: via only accepts tags", v.S)
					} else if _, ok := p.TagOwners[v.S]; !ok {
						d.errAt(v.Pos, "via=tag not found: %q", v.S)
					}
				}
			default:
				d.unknownField(m, "grants")
			}
		}
		if !hasSrc {
			d.errAt(pos, "grants: src is required")
		}
		if !hasDst {
			d.errAt(pos, "grants: dst is required")
		}
		if !hasIP && !r.App {
			d.errAt(pos, "grants: ip or app is required")
		}
		r.Src = parseSources(d, p, src)
		type ipSpec struct {
			protos []int
			ports  []PortRange
		}
		var specs []ipSpec
		for _, ip := range ips {
			protos, ports, err := parseGrantIP(ip.S)
			if err != nil {
				d.errAt(ip.Pos, "ip=%q: %v", ip.S, err)
				continue
			}
			specs = append(specs, ipSpec{protos, ports})
		}
		for _, ds := range dst {
			sel, err := parseSelector(p, ds.S, dstSide)
			if err != nil {
				d.errAt(ds.Pos, "dst=%q: %v", ds.S, err)
				continue
			}
			for _, sp := range specs {
				r.Legs = append(r.Legs, Leg{Dst: sel, Protos: sp.protos, Ports: sp.ports})
			}
		}
		checkSelf(d, r, pos)
		p.Rules = append(p.Rules, r)
	}
}

// parseGrantIP reads a grants ip element: "*", "443", "80-443",
// "tcp:443", "icmp:*".
func parseGrantIP(s string) ([]int, []PortRange, error) {
	proto, ports, hasProto := strings.Cut(s, ":")
	if !hasProto {
		ports, proto = s, ""
	}
	if hasProto && proto == "" {
		return nil, nil, errorf("missing protocol before \":\"")
	}
	protos, err := parseProto(proto)
	if err != nil {
		return nil, nil, err
	}
	pr, err := parsePorts(ports)
	if err != nil {
		return nil, nil, err
	}
	if !isAnyPort(pr) && protos != nil && !portsAllowed(protos) {
		return nil, nil, errorf("protocol does not support ports; use \"*\"")
	}
	return protos, pr, nil
}

// parseApp validates a grants app section: capability name → list of
// objects. Capabilities are opaque to the packet filter.
func parseApp(d *decoder, v *hujson.Value) {
	ms, ok := d.object(v, "app")
	if !ok {
		return
	}
	for _, m := range ms {
		if !strings.Contains(m.Key, "/") {
			d.errf(m.Name, "app: capability %q must be \"<domain>/<name>\"", m.Key)
		}
		els, _ := d.array(m.Val, m.Key)
		for _, e := range els {
			d.object(e, m.Key)
		}
	}
}
