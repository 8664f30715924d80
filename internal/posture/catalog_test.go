package posture

import (
	"testing"

	"github.com/postern/postern"
)

// testNamespaces stand in for the posture providers' catalogues, which
// live in their own packages (internal/providers assembles them); the
// names follow Tailscale's, so the examples read as in its docs.
func testNamespaces() []Namespace {
	const (
		str = postern.KindString
		num = postern.KindNumber
		bl  = postern.KindBool
	)
	return []Namespace{
		{Name: "falcon", Attrs: []Attr{{Name: "falcon:ztaScore", Kind: num}}},
		{Name: "fleet", Attrs: []Attr{{Name: "fleet:present", Kind: bl}}},
		{Name: "fleetPolicy", Open: true, OpenKind: bl},
		{Name: "kandji", Attrs: []Attr{{Name: "kandji:mdmEnabled", Kind: bl}, {Name: "kandji:agentInstalled", Kind: bl}}},
		{Name: "intune", Attrs: []Attr{
			{Name: "intune:complianceState", Kind: str, Values: []string{"unknown", "compliant", "noncompliant"}},
			{Name: "intune:isSupervised", Kind: bl},
		}},
		{Name: "jamfPro", Attrs: []Attr{{Name: "jamfPro:SIPEnabled", Kind: str, Values: []string{"DISABLED", "ENABLED"}}}},
		{Name: "huntress", Attrs: []Attr{{Name: "huntress:defenderStatus", Kind: str, Values: []string{"Incompatible", "Unhealthy", "Protected", "Unmanaged"}}}},
		{Name: "sentinelOne", Attrs: []Attr{
			{Name: "sentinelOne:isActive", Kind: bl},
			{Name: "sentinelOne:agentVersion", Kind: str, Version: true},
			{Name: "sentinelOne:activeThreats", Kind: num},
			{Name: "sentinelOne:infected", Kind: bl, NumericBool: true},
			{Name: "sentinelOne:operationalState", Kind: str, Values: []string{"na", "fully_disabled"}},
		}},
	}
}

// testCatalog is the built-in namespaces and testNamespaces.
func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := NewCatalog(testNamespaces()...)
	if err != nil {
		t.Fatalf("NewCatalog: %v", err)
	}
	return c
}

// mustCheck parses and checks s against the test catalogue.
func mustCheck(t testing.TB, s string) Condition {
	t.Helper()
	c, err := ParseCondition(s)
	if err != nil {
		t.Fatalf("ParseCondition(%q): %v", s, err)
	}
	if err := testCatalog(t).Check(&c); err != nil {
		t.Fatalf("Check(%q): %v", s, err)
	}
	return c
}

func TestNewCatalogRefusesDuplicates(t *testing.T) {
	tests := []struct {
		name string
		ns   []Namespace
	}{
		{"namespace twice", []Namespace{{Name: "x"}, {Name: "x"}}},
		{"built-in namespace", []Namespace{{Name: "node"}}},
		{"attribute outside its namespace", []Namespace{{Name: "x", Attrs: []Attr{{Name: "y:a"}}}}},
		{"attribute twice", []Namespace{{Name: "x", Attrs: []Attr{{Name: "x:a"}, {Name: "x:a"}}}}},
		{"no name", []Namespace{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewCatalog(tt.ns...); err == nil {
				t.Errorf("NewCatalog: got nil, want an error")
			}
		})
	}
	if _, err := NewCatalog(); err != nil {
		t.Errorf("NewCatalog of the built-in namespaces: got %v, want nil", err)
	}
}

func TestCatalogAttr(t *testing.T) {
	c := testCatalog(t)
	tests := []struct {
		attr      string
		kind      postern.Kind
		isVersion bool
		ok        bool
	}{
		{"node:os", postern.KindString, false, true},
		{"node:osVersion", postern.KindString, true, true},
		{"node:tsAutoUpdate", postern.KindBool, false, true},
		{"falcon:ztaScore", postern.KindNumber, false, true},
		{"sentinelOne:agentVersion", postern.KindString, true, true},
		{"fleetPolicy:anything", postern.KindBool, false, true},
		{"fleetPolicy:", postern.KindNone, false, false},
		{"custom:tier", postern.KindNone, false, true},
		{"node:OS", postern.KindNone, false, false},
		{"falcon:other", postern.KindNone, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			a, ok := c.Attr(tt.attr)
			if a.Kind != tt.kind || a.Version != tt.isVersion || ok != tt.ok {
				t.Errorf("got %v, %v, %v; want %v, %v, %v", a.Kind, a.Version, ok, tt.kind, tt.isVersion, tt.ok)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	names := []string{"fleet:present", "falcon:ztaScore", "sentinelOne:infected", "node:os"}
	tests := []struct{ in, want string }{
		{"fleet:presnt", "fleet:present"},
		{"fleet:prsent", "fleet:present"},
		{"fleet:persent", "fleet:present"},
		{"falcon:ztascore", "falcon:ztaScore"},
		{"falcon:ztaScroe", "falcon:ztaScore"},
		{"sentinelone:infected", "sentinelOne:infected"},
		{"fleet:enrolled", ""},
		{"node:hostname", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := closest(tt.in, names); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLenient: a policy saved under older rules still loads; what the
// strict catalogue refuses for the unknown, the lenient one takes untyped.
func TestLenient(t *testing.T) {
	lenient := testCatalog(t).Lenient()
	for _, s := range []string{"ip:country == 'NL'", "falcon:newSignal == 'x'", "intune2:x IS SET", "sentinelOne:operationalState == 'yes'", "fleet:presnt"} {
		c, err := ParseCondition(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := testCatalog(t).Check(&c); err == nil {
			t.Errorf("strict Check(%q): got nil, want an error", s)
		}
		if err := lenient.Check(&c); err != nil {
			t.Errorf("lenient Check(%q): got %v, want nil", s, err)
		}
	}
	// Types the catalogue knows are still checked, and completed.
	c, _ := ParseCondition("falcon:ztaScore >= 'high'")
	if err := lenient.Check(&c); err == nil {
		t.Errorf("lenient Check of a string against a number: got nil, want an error")
	}
	c, _ = ParseCondition("sentinelOne:infected == 1")
	if err := lenient.Check(&c); err != nil || c.Values[0] != postern.Bool(true) {
		t.Errorf("lenient Check(sentinelOne:infected == 1): got %v %v, want true", err, c.Values)
	}
}
