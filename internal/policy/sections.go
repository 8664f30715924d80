package policy

import (
	"net/netip"
	"strings"
	"time"

	"github.com/tailscale/hujson"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

// parseSSH validates the ssh section. Its rules do not shape the packet
// filter; they are kept for the SSH policy.
func parseSSH(d *decoder, p *Policy, v *hujson.Value) {
	entries, ok := d.array(v, "ssh")
	if !ok {
		return
	}
	for _, e := range entries {
		ms, ok := d.fields(e, "ssh", "action", "src", "dst", "users", "checkPeriod", "acceptEnv", "recorder", "enforceRecorder", "srcPosture")
		if !ok {
			continue
		}
		pos := d.at(e)
		r := &SSHRule{Line: pos.Line, Col: pos.Col}
		var src, dst, users []posString
		for _, m := range ms {
			switch m.Key {
			case "action":
				r.Action, _ = d.str(m.Val, "action")
				if r.Action != "accept" && r.Action != "check" {
					d.errf(m.Val, "action=%q is not supported", r.Action)
				}
			case "src":
				src, _ = d.strList(m.Val, "src")
			case "dst":
				dst, _ = d.strList(m.Val, "dst")
			case "users":
				users, _ = d.strList(m.Val, "users")
			case "checkPeriod":
				r.CheckPeriod, _ = d.str(m.Val, "checkPeriod")
				if r.CheckPeriod != "always" {
					dur, err := time.ParseDuration(r.CheckPeriod)
					if err != nil || dur < time.Minute || dur > 168*time.Hour {
						d.errf(m.Val, "checkPeriod=%q: want \"always\" or a duration from 1m to 168h", r.CheckPeriod)
					}
				}
			case "acceptEnv", "recorder":
				d.strList(m.Val, m.Key)
			case "enforceRecorder":
				d.boolean(m.Val, m.Key)
			case "srcPosture":
				r.SrcPosture = parsePostureRefs(d, p, m.Val, "srcPosture")
			default:
				d.unknownField(m, "ssh")
			}
		}
		if r.Action == "" {
			d.errAt(pos, "ssh: action is required")
		}
		if len(users) == 0 {
			d.errAt(pos, "ssh: users is required")
		}
		allUsers := true
		for _, s := range parseSources(d, p, src) {
			r.Src = append(r.Src, s.Name)
			if !selfCompatible(s) || s.Kind == SelAll {
				allUsers = false
			}
			if s.Kind == SelAll || s.Kind == SelPrefix || s.Kind == SelIPSet {
				d.errAt(pos, "ssh: src=%q: invalid src", s.Name)
			}
		}
		for _, ds := range dst {
			sel, err := parseSelector(p, ds.S, dstSide)
			switch {
			case err != nil:
				d.errAt(ds.Pos, "dst=%q: %v", ds.S, err)
			case sel.Kind == SelSelf && !allUsers:
				d.errAt(ds.Pos, "autogroup:self can only be used with users, groups, or supported autogroups")
			case sel.Kind == SelAll || sel.Kind == SelPrefix || sel.Kind == SelIPSet || sel.Kind == SelInternet:
				d.errAt(ds.Pos, "dst=%q: invalid dst", ds.S)
			default:
				r.Dst = append(r.Dst, ds.S)
			}
		}
		for _, u := range users {
			r.Users = append(r.Users, u.S)
		}
		p.SSH = append(p.SSH, r)
	}
}

// parseTests reads the tests block. A malformed entry (no src, nothing to
// check, a bad destination) is kept and fails when tests run, because
// Tailscale reports it as a failing test, not a syntax error.
func parseTests(d *decoder, p *Policy, v *hujson.Value) {
	entries, ok := d.array(v, "tests")
	if !ok {
		return
	}
	for _, e := range entries {
		ms, ok := d.fields(e, "tests", "src", "user", "proto", "accept", "allow", "deny", "srcPostureAttrs")
		if !ok {
			continue
		}
		pos := d.at(e)
		t := &Test{Line: pos.Line, Col: pos.Col}
		for _, m := range ms {
			switch m.Key {
			case "src", "user":
				t.Src, _ = d.str(m.Val, m.Key)
			case "proto":
				t.Proto, _ = d.str(m.Val, "proto")
			case "accept", "allow":
				for _, s := range mustStrList(d, m) {
					t.Accept = append(t.Accept, s.S)
				}
			case "deny":
				for _, s := range mustStrList(d, m) {
					t.Deny = append(t.Deny, s.S)
				}
			case "srcPostureAttrs":
				t.Attrs = parseAttrMap(d, m.Val)
			default:
				d.unknownField(m, "tests")
			}
		}
		switch {
		case t.Src == "":
			t.bad = "src is required"
		case len(t.Accept) == 0 && len(t.Deny) == 0:
			t.bad = "accept or deny is required"
		}
		p.Tests = append(p.Tests, t)
	}
}

func mustStrList(d *decoder, m member) []posString {
	l, _ := d.strList(m.Val, m.Key)
	return l
}

// parseAttrMap reads srcPostureAttrs: attribute → string, number or bool.
func parseAttrMap(d *decoder, v *hujson.Value) posture.Map {
	ms, ok := d.object(v, "srcPostureAttrs")
	if !ok {
		return nil
	}
	out := posture.Map{}
	for _, m := range ms {
		l, ok := m.Val.Value.(hujson.Literal)
		if !ok {
			d.errf(m.Val, "srcPostureAttrs[%q]: want a string, number or bool", m.Key)
			continue
		}
		var val postern.Value
		if err := val.UnmarshalJSON(l); err != nil || !val.IsSet() {
			d.errf(m.Val, "srcPostureAttrs[%q]: want a string, number or bool", m.Key)
			continue
		}
		out[m.Key] = val
	}
	return out
}

// parseSSHTests validates the sshTests block.
func parseSSHTests(d *decoder, p *Policy, v *hujson.Value) {
	entries, ok := d.array(v, "sshTests")
	if !ok {
		return
	}
	for _, e := range entries {
		ms, ok := d.fields(e, "sshTests", "src", "dst", "accept", "check", "deny", "srcPostureAttrs")
		if !ok {
			continue
		}
		for _, m := range ms {
			switch m.Key {
			case "src":
				d.str(m.Val, "src")
			case "dst", "accept", "check", "deny":
				d.strList(m.Val, m.Key)
			case "srcPostureAttrs":
				parseAttrMap(d, m.Val)
			default:
				d.unknownField(m, "sshTests")
			}
		}
	}
}

// parseNodeAttrs validates the nodeAttrs section.
func parseNodeAttrs(d *decoder, p *Policy, v *hujson.Value) {
	entries, ok := d.array(v, "nodeAttrs")
	if !ok {
		return
	}
	for _, e := range entries {
		ms, ok := d.fields(e, "nodeAttrs", "target", "attr", "ipPool", "app")
		if !ok {
			continue
		}
		for _, m := range ms {
			switch m.Key {
			case "target":
				targets, _ := d.strList(m.Val, "target")
				parseSources(d, p, targets)
			case "attr", "ipPool":
				d.strList(m.Val, m.Key)
			case "app":
				parseApp(d, m.Val)
			default:
				d.unknownField(m, "nodeAttrs")
			}
		}
	}
}

// parseAutoApprovers reads routes (prefix → owners) and exitNode (owners).
func parseAutoApprovers(d *decoder, p *Policy, v *hujson.Value) {
	ms, ok := d.fields(v, "autoApprovers", "routes", "exitNode")
	if !ok {
		return
	}
	p.AutoApprovers.Routes = map[netip.Prefix][]string{}
	for _, m := range ms {
		switch m.Key {
		case "routes":
			routes, ok := d.object(m.Val, "routes")
			if !ok {
				continue
			}
			for _, r := range routes {
				pfx, err := netip.ParsePrefix(r.Key)
				if err != nil {
					d.errf(r.Name, "autoApprovers: invalid route %q", r.Key)
					continue
				}
				owners, _ := d.strList(r.Val, r.Key)
				var out []string
				for _, o := range owners {
					if checkOwner(d, p, o, "autoApprovers") {
						out = append(out, o.S)
					}
				}
				p.AutoApprovers.Routes[pfx.Masked()] = out
			}
		case "exitNode":
			owners, _ := d.strList(m.Val, "exitNode")
			for _, o := range owners {
				if checkOwner(d, p, o, "autoApprovers") {
					p.AutoApprovers.ExitNode = append(p.AutoApprovers.ExitNode, o.S)
				}
			}
		default:
			d.unknownField(m, "autoApprovers")
		}
	}
}

// parseAttrConfig validates attrConfig: attribute → {type, allowSetByNode,
// broadcastToPeers}.
func parseAttrConfig(d *decoder, v *hujson.Value) {
	ms, ok := d.object(v, "attrConfig")
	if !ok {
		return
	}
	for _, m := range ms {
		if !strings.Contains(m.Key, ":") {
			d.errf(m.Name, "attrConfig: %q must be \"namespace:name\"", m.Key)
		}
		fields, ok := d.fields(m.Val, m.Key, "type", "allowSetByNode", "broadcastToPeers")
		if !ok {
			continue
		}
		for _, f := range fields {
			switch f.Key {
			case "type":
				if t, ok := d.str(f.Val, "type"); ok {
					if _, err := postern.ParseKind(t); err != nil {
						d.errf(f.Val, "attrConfig[%q]: %v", m.Key, err)
					}
				}
			case "allowSetByNode":
				d.boolean(f.Val, f.Key)
			case "broadcastToPeers":
				d.strList(f.Val, f.Key)
			default:
				d.unknownField(f, "attrConfig")
			}
		}
	}
}
