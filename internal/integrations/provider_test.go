package integrations

import (
	"strings"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

func TestCheckAttributes(t *testing.T) {
	p := Provider{ID: "acme", Namespaces: []posture.Namespace{
		{Name: "acme", Attrs: []posture.Attr{
			{Name: "acme:ok", Kind: postern.KindBool},
			{Name: "acme:state", Kind: postern.KindString, Values: []string{"good", "bad"}},
		}},
		{Name: "acmePolicy", Open: true, OpenKind: postern.KindBool},
	}}
	tests := []struct {
		name  string
		attrs map[string]postern.Value
		err   string
	}{
		{"declared", map[string]postern.Value{"acme:ok": postern.Bool(true), "acme:state": postern.String("good"), "acmePolicy:x": postern.Bool(true)}, ""},
		{"undeclared", map[string]postern.Value{"acme:other": postern.Bool(true)}, "acme writes acme:other, which its catalogue does not declare"},
		{"other namespace", map[string]postern.Value{"node:os": postern.String("linux")}, "does not declare"},
		{"wrong kind", map[string]postern.Value{"acme:ok": postern.String("yes")}, "acme writes acme:ok as a string; its catalogue says bool"},
		{"open wrong kind", map[string]postern.Value{"acmePolicy:x": postern.Number(1)}, "as a number"},
		{"value outside", map[string]postern.Value{"acme:state": postern.String("meh")}, "outside its catalogue's values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.CheckAttributes(tt.attrs)
			if tt.err == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("got %v, want an error containing %q", err, tt.err)
			}
		})
	}
}
