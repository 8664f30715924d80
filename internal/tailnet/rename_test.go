package tailnet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/postern/postern"
)

func TestRenameDevice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 2)
	id, other := f.devs[0].ID, f.devs[1].ID
	stored := func(t *testing.T, id int64) string {
		t.Helper()
		d, err := f.st.Device(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Name
	}
	for _, tc := range []struct{ name, give, want string }{
		{"empty", "  ", "must be one DNS label"},
		{"a dot", "web.example", "must be one DNS label"},
		{"leading hyphen", "-web", "must be one DNS label"},
		{"an underscore", "web_1", "must be one DNS label"},
		{"too long", strings.Repeat("a", 64), "must be one DNS label"},
		{"taken by another device", f.devs[1].Name, "already named"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			before, n := stored(t, id), len(f.changes)
			_, err := f.svc.RenameDevice(ctx, ac, f.tn.ID, id, tc.give)
			if err == nil || !strings.Contains(postern.ErrorMessage(err), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
			if got := stored(t, id); got != before {
				t.Errorf("stored name: got %q, want unchanged %q", got, before)
			}
			if got := len(f.changes) - n; got != 0 {
				t.Errorf("changes emitted: got %d, want 0", got)
			}
		})
	}
	t.Run("renames, audits and emits a change", func(t *testing.T) {
		d, err := f.svc.RenameDevice(ctx, ac, f.tn.ID, id, " Build-Box ")
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "build-box" || stored(t, id) != "build-box" {
			t.Errorf("got %q, stored %q; want build-box", d.Name, stored(t, id))
		}
		if c := f.lastChange(); len(c.DevicesUpdated) != 1 || c.DevicesUpdated[0] != id {
			t.Errorf("got change %+v, want device %d updated", c, id)
		}
		if got := f.events(t, "NODE.UPDATE.NAME"); got != 1 {
			t.Errorf("NODE.UPDATE.NAME events: got %d, want 1", got)
		}
	})
	t.Run("the same name again writes nothing", func(t *testing.T) {
		n := len(f.changes)
		if _, err := f.svc.RenameDevice(ctx, ac, f.tn.ID, id, "build-box"); err != nil {
			t.Fatal(err)
		}
		if got := len(f.changes) - n; got != 0 {
			t.Errorf("changes emitted: got %d, want 0", got)
		}
		if got := f.events(t, "NODE.UPDATE.NAME"); got != 1 {
			t.Errorf("NODE.UPDATE.NAME events: got %d, want still 1", got)
		}
	})
	t.Run("device of another tailnet is not found", func(t *testing.T) {
		if _, err := f.svc.RenameDevice(ctx, ac, "other", other, "x"); !postern.IsNotFound(err) {
			t.Fatalf("got %v, want not found", err)
		}
	})
}
