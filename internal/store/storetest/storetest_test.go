package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/postern/postern"
)

// recorder is a testing.TB that records Fatalf and Skipf instead of
// stopping the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip = fmt.Sprintf(format, args...) }

func TestBackendsInCIWithoutPostgresFails(t *testing.T) {
	t.Setenv("CI", "true")
	t.Setenv(PostgresEnv, "")
	r := &recorder{TB: t}
	Backends(r)
	if !strings.Contains(r.fatal, PostgresEnv) {
		t.Errorf("got Fatalf %q, want a failure naming %s", r.fatal, PostgresEnv)
	}
}

func TestBackendsOutsideCIWithoutPostgresSkips(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(PostgresEnv, "")
	r := &recorder{TB: t}
	bs := Backends(r)
	if r.fatal != "" {
		t.Fatalf("got Fatalf %q, want none", r.fatal)
	}
	if len(bs) != 2 || bs[0].Name != "sqlite" || bs[1].Name != "postgres" {
		t.Fatalf("got %d backends, want sqlite and postgres", len(bs))
	}
	bs[1].Options(r)
	if !strings.Contains(r.skip, PostgresEnv) {
		t.Errorf("got Skipf %q, want a reason naming %s", r.skip, PostgresEnv)
	}
}

func TestNew(t *testing.T) {
	s := New(t)
	if s.Backend() != "sqlite" {
		t.Errorf("got backend %q, want sqlite", s.Backend())
	}
	tn := NewTailnet(t, s)
	got, err := s.DefaultTailnet(context.Background())
	if err != nil || got.ID != tn.ID {
		t.Errorf("got default tailnet %+v, %v, want %s", got, err, tn.ID)
	}
	in := postern.Integration{TailnetID: tn.ID, Provider: "fleet", ClientSecret: "x"}
	if err := s.CreateIntegration(context.Background(), &in); err != nil {
		t.Errorf("New's store cannot seal secrets: %v", err)
	}
}
