package store_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

// TestOpenRefusesReadableDatabase checks the SQLite files are held to the
// rule of every secret file: a database, -wal or -shm file that group or
// others may read is refused with the chmod to run, and left as it was.
func TestOpenRefusesReadableDatabase(t *testing.T) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		t.Run("postern.db"+suffix, func(t *testing.T) {
			o := storetest.SQLiteOptions(t)
			s, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			storetest.NewTailnet(t, s) // a write, so the WAL exists
			path := filepath.Join(o.DataDir, store.DatabaseFile+suffix)
			// Keep the -wal and -shm files: hold a second connection open
			// while the store closes, as another process would.
			if suffix != "" {
				other, err := store.Open(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
			}
			s.Close()
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("%s is gone after close: %v", path, err)
			}
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(filepath.Join(o.DataDir, store.DatabaseFile))
			checkOpenError(t, o, []string{path, "chmod 600 " + path})
			after, _ := os.ReadFile(filepath.Join(o.DataDir, store.DatabaseFile))
			if !bytes.Equal(before, after) {
				t.Error("the refused database file was changed")
			}
		})
	}
}
