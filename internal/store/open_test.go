package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

// checkOpenError opens o and checks the error is one line that contains
// every string of want and none of notWant.
func checkOpenError(t *testing.T, o store.Options, want []string, notWant ...string) {
	t.Helper()
	s, err := store.Open(ctx, o)
	if err == nil {
		s.Close()
		t.Fatal("got nil error, want one")
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if strings.Contains(msg, "\n") {
		t.Errorf("got a multi-line error %q, want one line", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("got %q, want it to contain %q", msg, w)
		}
	}
	for _, w := range notWant {
		if strings.Contains(msg, w) {
			t.Errorf("got %q, want it not to contain %q", msg, w)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("not a database", func(t *testing.T) {
		o := storetest.SQLiteOptions(t)
		path := filepath.Join(o.DataDir, store.DatabaseFile)
		if err := os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 200)), 0o600); err != nil {
			t.Fatal(err)
		}
		checkOpenError(t, o, []string{path, "not a database"})
	})
	t.Run("data dir below a file", func(t *testing.T) {
		o := storetest.SQLiteOptions(t)
		file := filepath.Join(o.DataDir, "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		o.DataDir = filepath.Join(file, "data")
		checkOpenError(t, o, []string{o.DataDir})
	})
	t.Run("read-only data dir", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root can write to a read-only directory")
		}
		o := storetest.SQLiteOptions(t)
		if err := os.Chmod(o.DataDir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(o.DataDir, 0o700) })
		checkOpenError(t, o, []string{o.DataDir, "not writable"})
	})
	t.Run("database is a directory", func(t *testing.T) {
		o := storetest.SQLiteOptions(t)
		if err := os.Mkdir(filepath.Join(o.DataDir, store.DatabaseFile), 0o700); err != nil {
			t.Fatal(err)
		}
		checkOpenError(t, o, []string{filepath.Join(o.DataDir, store.DatabaseFile)})
	})
	t.Run("unreachable postgres", func(t *testing.T) {
		o := storetest.SQLiteOptions(t)
		o.Database = "postgres://postern:hunter2secret@127.0.0.1:1/postern?sslmode=disable&connect_timeout=5"
		checkOpenError(t, o, []string{"127.0.0.1:1", "PostgreSQL"}, "hunter2secret")
	})
	t.Run("bad postgres URL", func(t *testing.T) {
		o := storetest.SQLiteOptions(t)
		o.Database = "postgres://postern:hunter2secret@127.0.0.1:notaport/postern"
		checkOpenError(t, o, []string{"PostgreSQL URL"}, "hunter2secret")
	})
	t.Run("unsupported database", func(t *testing.T) {
		o := storetest.SQLiteOptions(t)
		o.Database = "mysql://root:hunter2secret@localhost/db"
		checkOpenError(t, o, []string{"mysql", "postgres://"}, "hunter2secret")
	})
	t.Run("no data dir", func(t *testing.T) {
		checkOpenError(t, store.Options{}, []string{"data dir"})
	})
}

func TestOpenCreatesDataDir(t *testing.T) {
	o := storetest.SQLiteOptions(t)
	o.DataDir = filepath.Join(o.DataDir, "a", "b")
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(filepath.Join(o.DataDir, store.DatabaseFile))
	if err != nil {
		t.Fatalf("database file: %v", err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("got database file mode %04o, want 0600", got)
	}
	storetest.NewTailnet(t, s) // a write, so the WAL exists
	for _, suffix := range []string{"-wal", "-shm"} {
		st, err := os.Stat(filepath.Join(o.DataDir, store.DatabaseFile+suffix))
		if err != nil {
			t.Errorf("%s: %v", suffix, err)
			continue
		}
		if got := st.Mode().Perm(); got&0o077 != 0 {
			t.Errorf("got %s file mode %04o, want no access for group and others", suffix, got)
		}
	}
	var mode string
	db := storetest.OpenSQL(t, o)
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("got journal mode %q, %v, want wal", mode, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(o.DataDir, ".postern-write-check-*"))
	if len(leftovers) != 0 {
		t.Errorf("got %v left behind, want no write-check files", leftovers)
	}
}
