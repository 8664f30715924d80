package store

import (
	"context"
	"strings"
	"testing"
)

// TestSQLiteSynchronous checks the synchronous setting in force on the
// store's connections: FULL unless NORMAL is asked for, so a committed
// change survives a power failure by default.
func TestSQLiteSynchronous(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		setting string
		want    int // SQLite's PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{"", 2},
		{"full", 2},
		{"FULL", 2},
		{"normal", 1},
	}
	for _, tt := range tests {
		t.Run("setting="+tt.setting, func(t *testing.T) {
			s, err := Open(ctx, Options{DataDir: t.TempDir(), SQLiteSynchronous: tt.setting})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			db := s.(*sqlStore).db
			// Hold several connections at once, so the check covers more
			// than the one the pool hands out first.
			conns := make([]int, 3)
			for i := range conns {
				c, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&conns[i]); err != nil {
					t.Fatal(err)
				}
				if conns[i] != tt.want {
					t.Errorf("connection %d: got synchronous=%d, want %d", i, conns[i], tt.want)
				}
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		s, err := Open(ctx, Options{DataDir: t.TempDir(), SQLiteSynchronous: "off"})
		if err == nil {
			s.Close()
			t.Fatal("got nil error, want one for synchronous=off")
		}
		if !strings.Contains(err.Error(), `"off"`) || !strings.Contains(err.Error(), "full or normal") {
			t.Errorf("got %q, want it to name the value and the choices", err)
		}
	})
}
