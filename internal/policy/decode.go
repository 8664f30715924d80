package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tailscale/hujson"

	"github.com/postern/postern/internal/posture"
)

// decoder walks a parsed HuJSON tree, turning byte offsets into line:col and
// collecting every error instead of stopping at the first.
type decoder struct {
	src       []byte
	lineStart []int // byte offset of the start of each line
	errs      ErrorList
	cat       *posture.Catalog // what posture conditions are checked against
}

func newDecoder(src []byte) *decoder {
	d := &decoder{src: src, lineStart: []int{0}}
	for i, c := range src {
		if c == '\n' {
			d.lineStart = append(d.lineStart, i+1)
		}
	}
	return d
}

// pos returns the 1-based line and column of byte offset off.
func (d *decoder) pos(off int) (line, col int) {
	i := sort.Search(len(d.lineStart), func(i int) bool { return d.lineStart[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - d.lineStart[i] + 1
}

// at returns the position of v.
func (d *decoder) at(v *hujson.Value) position {
	l, c := d.pos(v.StartOffset)
	return position{Line: l, Col: c}
}

// errf records an error at v.
func (d *decoder) errf(v *hujson.Value, format string, args ...any) {
	d.errAt(d.at(v), format, args...)
}

func (d *decoder) errAt(p position, format string, args ...any) {
	d.errs = append(d.errs, &Error{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

// position is where a value starts in the policy text.
type position struct{ Line, Col int }

// member is one key of an object with its value.
type member struct {
	Key  string
	Name *hujson.Value
	Val  *hujson.Value
}

// object returns v's members, or records an error naming what was expected.
func (d *decoder) object(v *hujson.Value, what string) ([]member, bool) {
	o, ok := v.Value.(*hujson.Object)
	if !ok {
		d.errf(v, "%s: expected an object", what)
		return nil, false
	}
	seen := make(map[string]bool, len(o.Members))
	out := make([]member, 0, len(o.Members))
	for i := range o.Members {
		m := &o.Members[i]
		k := m.Name.Value.(hujson.Literal).String()
		if seen[k] {
			d.errf(&m.Name, "%s: duplicate key %q", what, k)
			continue
		}
		seen[k] = true
		out = append(out, member{Key: k, Name: &m.Name, Val: &m.Value})
	}
	return out, true
}

// fields is object for a JSON object with known field names: keys match
// them case-insensitively, as Tailscale's JSON decoding does, and come back
// spelt as known. Unknown keys are left for the caller to report.
func (d *decoder) fields(v *hujson.Value, what string, known ...string) ([]member, bool) {
	ms, ok := d.object(v, what)
	for i := range ms {
		for _, k := range known {
			if strings.EqualFold(ms[i].Key, k) {
				ms[i].Key = k
				break
			}
		}
	}
	return ms, ok
}

// array returns v's elements, or records an error.
func (d *decoder) array(v *hujson.Value, what string) ([]*hujson.Value, bool) {
	a, ok := v.Value.(*hujson.Array)
	if !ok {
		d.errf(v, "%s: expected an array", what)
		return nil, false
	}
	out := make([]*hujson.Value, len(a.Elements))
	for i := range a.Elements {
		out[i] = &a.Elements[i]
	}
	return out, true
}

// str returns v as a string, or records an error.
func (d *decoder) str(v *hujson.Value, what string) (string, bool) {
	l, ok := v.Value.(hujson.Literal)
	if !ok || l.Kind() != '"' {
		d.errf(v, "%s: expected a string", what)
		return "", false
	}
	return l.String(), true
}

// strList returns v as a list of strings with each element's position.
func (d *decoder) strList(v *hujson.Value, what string) ([]posString, bool) {
	els, ok := d.array(v, what)
	if !ok {
		return nil, false
	}
	out := make([]posString, 0, len(els))
	good := true
	for _, e := range els {
		s, ok := d.str(e, what)
		if !ok {
			good = false
			continue
		}
		out = append(out, posString{S: s, Pos: d.at(e), off: e.StartOffset})
	}
	return out, good
}

// boolean returns v as a bool, or records an error.
func (d *decoder) boolean(v *hujson.Value, what string) (bool, bool) {
	l, ok := v.Value.(hujson.Literal)
	if !ok || (l.Kind() != 't' && l.Kind() != 'f') {
		d.errf(v, "%s: expected true or false", what)
		return false, false
	}
	return l.Bool(), true
}

// posString is a string from the policy with where it starts.
type posString struct {
	S   string
	Pos position
	off int // byte offset of the opening quote
}

// unknownField records the standard error for an unexpected key.
func (d *decoder) unknownField(m member, where string) {
	d.errf(m.Name, "%s: unknown field %s", where, strconv.Quote(m.Key))
}
