package posture

import (
	"testing"
)

func mustPosture(t testing.TB, name string, conds ...string) *Posture {
	t.Helper()
	p := &Posture{Name: name}
	for _, s := range conds {
		c, err := ParseCondition(s)
		if err != nil {
			t.Fatalf("ParseCondition(%q): %v", s, err)
		}
		if err := testCatalog(t).Check(&c); err != nil {
			t.Fatalf("Check(%q): %v", s, err)
		}
		p.Conditions = append(p.Conditions, c)
	}
	return p
}

func TestPostureEval(t *testing.T) {
	tests := []struct {
		name  string
		conds []string
		attrs Map
		ok    bool
		fails []string // Failure.String() of each failure, in order
	}{
		{
			name:  "all hold",
			conds: []string{"node:os IN ['macos', 'linux']", "node:tsVersion >= '1.40'", "falcon:ztaScore >= 40"},
			attrs: device,
			ok:    true,
		},
		{
			name:  "one fails",
			conds: []string{"node:os == 'macos'", "falcon:ztaScore >= 70"},
			attrs: device,
			fails: []string{"falcon:ztaScore >= 70 (actual: 42)"},
		},
		{
			name:  "every failure is reported",
			conds: []string{"custom:tier != 'prod'", "node:os  in ['linux']", "fleet:present", "node:tsVersion >= '1.42.2'"},
			attrs: Map{"node:os": str("macos"), "fleet:present": bl(false), "node:tsVersion": str("1.40.0")},
			fails: []string{
				"custom:tier != 'prod' (actual: not set)",
				"node:os IN ['linux'] (actual: 'macos')",
				"fleet:present == true (actual: false)",
				"node:tsVersion >= '1.42.2' (actual: '1.40.0')",
			},
		},
		{
			name:  "NOT SET fails on a set attribute",
			conds: []string{"custom:quarantined NOT SET"},
			attrs: Map{"custom:quarantined": bl(true)},
			fails: []string{"custom:quarantined NOT SET (actual: true)"},
		},
		{
			name:  "no conditions",
			attrs: Map{},
			ok:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPosture(t, "posture:x", tt.conds...)
			ok, fails := p.Eval(tt.attrs)
			if ok != tt.ok {
				t.Errorf("ok: got %v, want %v", ok, tt.ok)
			}
			if len(fails) != len(tt.fails) {
				t.Fatalf("failures: got %v, want %q", fails, tt.fails)
			}
			for i, f := range fails {
				if got := f.String(); got != tt.fails[i] {
					t.Errorf("failure %d: got %q, want %q", i, got, tt.fails[i])
				}
			}
		})
	}
}

func TestFailureFields(t *testing.T) {
	p := mustPosture(t, "posture:x", "falcon:ztaScore >= 70", "custom:tier != 'prod'")
	_, fails := p.Eval(device)
	if len(fails) != 1 {
		t.Fatalf("got %d failures, want 1", len(fails))
	}
	f := fails[0]
	if !f.Set || f.Actual != num(42) || f.Cond.Text != "falcon:ztaScore >= 70" {
		t.Errorf("got Set=%v Actual=%v Text=%q, want true, 42, %q", f.Set, f.Actual, f.Cond.Text, "falcon:ztaScore >= 70")
	}
	_, fails = mustPosture(t, "posture:y", "custom:missing == 1").Eval(device)
	if len(fails) != 1 || fails[0].Set || fails[0].Actual.IsSet() {
		t.Errorf("missing attribute: got %+v, want one failure with Set false and a zero Actual", fails)
	}
}

func TestPostureEvalDoesNotAllocateWhenPassing(t *testing.T) {
	p := benchPosture(t)
	attrs := benchAttrs()
	allocs := testing.AllocsPerRun(100, func() {
		if ok, _ := p.Eval(attrs); !ok {
			panic("posture failed")
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per Eval, want 0", allocs)
	}
}
