package secret

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFile(t *testing.T) {
	tests := []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o640, false},
		{0o604, false},
		{0o644, false},
		{0o620, false},
		{0o660, false},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "control-machine.key")
			if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			err := CheckFile(path)
			if tt.ok {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got nil error, want refusal")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600 "+path) {
				t.Errorf("got %q, want it to name %s and the chmod to run", err, path)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		if err := CheckFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := CheckFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("got %v, want 'not a regular file'", err)
		}
	})
}

func TestCreateFile(t *testing.T) {
	// A permissive umask must not loosen the file.
	old := setUmask(0)
	defer setUmask(old)
	path := filepath.Join(t.TempDir(), "sub", "control-derp.key")
	if err := CreateFile(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("got mode %04o, want 0600", got)
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("got directory %v %v, want mode 0700", st.Mode(), err)
	}
	err = CreateFile(path, []byte("second"))
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("second create: got %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, []byte("first")) {
		t.Errorf("got content %q after a refused second create, want %q", b, "first")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("got %d files in the directory, want 1 (no temporary files left)", len(entries))
	}
}

func TestWarnOpenDir(t *testing.T) {
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o700, false}, {0o750, true}, {0o755, true}, {0o701, true}} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			WarnOpenDir(slog.New(slog.NewTextHandler(&buf, nil)), dir)
			got := strings.Contains(buf.String(), "level=WARN") && strings.Contains(buf.String(), "chmod 700 "+dir)
			if got != tt.warn {
				t.Errorf("got log %q, want a warning naming chmod 700: %v", buf.String(), tt.warn)
			}
		})
	}
}
