package posture

import (
	"reflect"
	"testing"

	"github.com/postern/postern"
)

// FuzzParseCondition checks that parsing never panics, that a parsed
// condition's canonical form parses back to the same condition (and
// formats the same again), and that Check and Eval never panic on it.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"node:os IN ['macos', 'linux']",
		"node:tsReleaseTrack == 'stable'",
		"node:tsVersion >= '1.40'",
		"falcon:ztaScore >= 70",
		"falcon:ztaScore >= 'high'",
		"custom:tier != 'prod'",
		"custom:attr IS SET",
		"custom:attr not set",
		"ip:country in ['CA', 'US', 'GB', 'NL']",
		"fleet:present",
		"custom:n NOT IN [1, -2.5, 3,]",
		"custom:b == FALSE",
		"node:os = 'x'",
		"node:os IN ['a',",
		"custom:n == 1e5",
		"custom:n == -0",
		"custom:s == ''",
		"custom:b <= true",
		"  a:b  ",
		"",
	} {
		f.Add(s)
	}
	cat := testCatalog(f)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("ParseCondition(%q): got %T error, want *SyntaxError", s, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("ParseCondition(%q): offset %d outside [0, %d]", s, se.Offset, len(s))
			}
			return
		}
		if !validAttr(c.Attr) {
			t.Fatalf("ParseCondition(%q) accepted attribute %q, which validAttr rejects", s, c.Attr)
		}
		canon := c.String()
		c2, err := ParseCondition(canon)
		if err != nil {
			t.Fatalf("ParseCondition(%q) ok, but its canonical form %q fails: %v", s, canon, err)
		}
		if c2.Attr != c.Attr || c2.Op != c.Op || !reflect.DeepEqual(c2.Values, c.Values) {
			t.Fatalf("%q re-parsed from %q: got %q %v %v, want %q %v %v", canon, s, c2.Attr, c2.Op, c2.Values, c.Attr, c.Op, c.Values)
		}
		if again := c2.String(); again != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, again)
		}
		if err := cat.Check(&c); err != nil {
			if se, ok := err.(*SyntaxError); !ok || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Check(%q): got %v, want a *SyntaxError with an offset in [0, %d]", s, err, len(s))
			}
		}
		c.Eval(device)
		for _, v := range c.Values {
			got := c.Eval(Map{c.Attr: v})
			switch op := c.Op; {
			case op.ordering() && v.Kind() == postern.KindBool:
				if got {
					t.Fatalf("%q: bools have no order, got true", s)
				}
			case op == OpEq || op == OpIn || op == OpLe || op == OpGe:
				if !got {
					t.Fatalf("%q against its own literal %v: got false, want true", s, v)
				}
			case op == OpNe || op == OpNotIn || op == OpLt || op == OpGt:
				if got {
					t.Fatalf("%q against its own literal %v: got true, want false", s, v)
				}
			}
		}
		if got, want := c.Eval(Map{}), c.Op == OpNotSet; got != want {
			t.Fatalf("%q with no attributes: got %v, want %v", s, got, want)
		}
	})
}
