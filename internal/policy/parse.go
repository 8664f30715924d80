package policy

import (
	"net/netip"

	"errors"
	"go4.org/netipx"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tailscale/hujson"

	"github.com/postern/postern/internal/posture"
)

// Parse parses and validates a policy file, checking its posture
// conditions against the attribute catalogue cat (nil: the built-in
// namespaces only). On failure it returns an *Error when there is one
// problem and an ErrorList when there are several; both carry line:col
// positions.
func Parse(text []byte, cat *posture.Catalog) (*Policy, error) {
	root, err := hujson.Parse(text)
	if err != nil {
		return nil, syntaxError(err)
	}
	d := newDecoder(text)
	d.cat = cat
	p := &Policy{
		Groups:    map[string][]string{},
		TagOwners: map[string][]string{},
		Hosts:     map[string]netip.Prefix{},
		IPSets:    map[string]*netipx.IPSet{},
		Postures:  map[string]*posture.Posture{},
	}
	members, ok := d.object(&root, "policy")
	if ok {
		parseSections(d, p, members)
	}
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i], d.errs[j]
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	switch len(d.errs) {
	case 0:
		return p, nil
	case 1:
		return nil, d.errs[0]
	}
	return nil, d.errs
}

var hujsonPos = regexp.MustCompile(`line (\d+), column (\d+): (.*)`)

// syntaxError turns hujson's "hujson: line L, column C: msg" into an *Error.
func syntaxError(err error) error {
	m := hujsonPos.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{Line: 1, Col: 1, Msg: err.Error()}
	}
	l, _ := strconv.Atoi(m[1])
	c, _ := strconv.Atoi(m[2])
	return &Error{Line: l, Col: c, Msg: "invalid HuJSON: " + m[3]}
}

// sectionOrder lists the top-level keys in the order they must be
// processed: definitions before the rules that use them.
var sectionOrder = []string{
	"groups", "tagOwners", "hosts", "ipsets", "postures", "defaultSrcPosture",
	"acls", "grants", "ssh", "tests", "sshTests", "nodeAttrs", "autoApprovers",
	"attrConfig", "derpMap", "disableIPv4", "oneCGNATRoute", "randomizeClientPort",
}

// parseSections validates every top-level key; unknown keys are errors.
// Keys match case-insensitively, as Tailscale's JSON decoding does.
func parseSections(d *decoder, p *Policy, members []member) {
	byName := map[string]member{}
	for _, m := range members {
		canon := ""
		for _, s := range sectionOrder {
			if strings.EqualFold(s, m.Key) {
				canon = s
			}
		}
		if canon == "" {
			d.errf(m.Name, "unknown top-level key %q", m.Key)
			continue
		}
		if _, dup := byName[canon]; dup {
			d.errf(m.Name, "duplicate top-level key %q", m.Key)
			continue
		}
		byName[canon] = m
	}
	for _, s := range sectionOrder {
		m, ok := byName[s]
		if !ok {
			continue
		}
		switch s {
		case "groups":
			parseGroups(d, p, m.Val)
		case "tagOwners":
			parseTagOwners(d, p, m.Val)
		case "hosts":
			parseHosts(d, p, m.Val)
		case "ipsets":
			parseIPSets(d, p, m.Val)
		case "postures":
			parsePostures(d, p, m.Val)
		case "defaultSrcPosture":
			p.DefaultSrcPosture = parsePostureRefs(d, p, m.Val, "defaultSrcPosture")
		case "acls":
			parseACLs(d, p, m.Val)
		case "grants":
			parseGrants(d, p, m.Val)
		case "ssh":
			parseSSH(d, p, m.Val)
		case "tests":
			parseTests(d, p, m.Val)
		case "sshTests":
			parseSSHTests(d, p, m.Val)
		case "nodeAttrs":
			parseNodeAttrs(d, p, m.Val)
		case "autoApprovers":
			parseAutoApprovers(d, p, m.Val)
		case "attrConfig":
			parseAttrConfig(d, m.Val)
		case "disableIPv4", "randomizeClientPort":
			d.boolean(m.Val, s)
		case "oneCGNATRoute":
			d.str(m.Val, s)
		case "derpMap":
			d.object(m.Val, s)
		}
	}
}

// parsePostures reads "posture:name" → conditions, parsing each with the
// posture language and placing its errors inside the string.
func parsePostures(d *decoder, p *Policy, v *hujson.Value) {
	ms, ok := d.object(v, "postures")
	if !ok {
		return
	}
	for _, m := range ms {
		if !strings.HasPrefix(m.Key, "posture:") || len(m.Key) == len("posture:") {
			d.errf(m.Name, "postures: %q must start with \"posture:\" followed by a name", m.Key)
			continue
		}
		conds, ok := d.strList(m.Val, m.Key)
		if !ok {
			continue
		}
		pp := &posture.Posture{Name: m.Key}
		good := true
		for _, c := range conds {
			cond, err := posture.ParseCondition(c.S)
			if err == nil {
				err = d.cat.Check(&cond)
			}
			if err != nil {
				d.conditionErr(m.Key, c, err)
				good = false
				continue
			}
			pp.Conditions = append(pp.Conditions, cond)
		}
		// A posture with a bad condition is still defined, so rules naming
		// it do not report a second, misleading error.
		_ = good
		p.Postures[m.Key] = pp
	}
}

// parsePostureRefs reads a list of posture names that must be defined.
func parsePostureRefs(d *decoder, p *Policy, v *hujson.Value, field string) []string {
	refs, _ := d.strList(v, field)
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if !strings.HasPrefix(r.S, "posture:") {
			d.errAt(r.Pos, "%s=%q: postures must start with \"posture:\"", field, r.S)
			continue
		}
		if _, ok := p.Postures[r.S]; !ok {
			d.errAt(r.Pos, "%s=posture not found: %q", field, r.S)
			continue
		}
		out = append(out, r.S)
	}
	return out
}

// conditionErr records a posture condition error at the offending byte
// inside the policy string.
func (d *decoder) conditionErr(name string, c posString, err error) {
	var se *posture.SyntaxError
	if errors.As(err, &se) {
		off := c.off + rawOffset(d.src[c.off:], se.Offset)
		d.errAt(d.at(&hujson.Value{StartOffset: off}), "%s: %q: %s", name, c.S, se.Msg)
		return
	}
	d.errAt(c.Pos, "%s: %q: %v", name, c.S, err)
}

// rawOffset maps a byte offset in a decoded JSON string to the offset in
// its quoted source text lit, stepping over escapes.
func rawOffset(lit []byte, decoded int) int {
	i, n := 1, 0 // past the opening quote
	for i < len(lit) && lit[i] != '"' && n < decoded {
		if lit[i] != '\\' || i+1 >= len(lit) {
			i++
			n++
			continue
		}
		if lit[i+1] != 'u' || i+6 > len(lit) {
			i += 2
			n++
			continue
		}
		r, err := strconv.ParseUint(string(lit[i+2:i+6]), 16, 32)
		i += 6
		switch {
		case err != nil:
			n++
		case r >= 0xd800 && r < 0xdc00 && i+6 <= len(lit) && lit[i] == '\\' && lit[i+1] == 'u':
			i += 6 // a surrogate pair encodes one 4-byte rune
			n += 4
		case r < 0x80:
			n++
		case r < 0x800:
			n += 2
		default:
			n += 3
		}
	}
	return i
}
