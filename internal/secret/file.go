package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// CheckFile applies the one rule for every file that holds a secret (the
// secret key, the control server's private keys, the SQLite database and
// its -wal and -shm files): it must be a regular file that neither group
// nor others may access. The error names the file and the chmod to run.
// A missing file is an error that wraps fs.ErrNotExist.
func CheckFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("secret file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return fmt.Errorf("secret file %s has mode %04o, open to group or others; run: chmod 600 %s", path, perm, path)
	}
	return nil
}

// ReadFile reads a secret file after CheckFile accepts it.
func ReadFile(path string) ([]byte, error) {
	if err := CheckFile(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading secret file: %w", err)
	}
	return b, nil
}

// CreateFile writes b to a new secret file at path with mode 0600,
// creating its directory (mode 0700) if needed. The file appears complete
// or not at all: b is written and synced to a temporary file that is then
// hard-linked into place, which fails with an error wrapping fs.ErrExist
// if path already exists (another process created it first).
func CreateFile(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating directory for secret file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("creating secret file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeAndSync(tmp, b); err != nil {
		return fmt.Errorf("writing secret file %s: %w", tmp.Name(), err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("creating secret file %s: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("creating secret file %s: %w", path, err)
	}
	return nil
}

// WarnOpenDir logs a warning if group or others may read or enter dir,
// the data directory that holds the secret files: the files are refused
// if they are open, but the directory still shows their names and lets
// others read anything created there with a looser mode.
func WarnOpenDir(log *slog.Logger, dir string) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() || runtime.GOOS == "windows" {
		return
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("data directory is open to group or others; run: chmod 700 "+dir, "data_dir", dir, "mode", fmt.Sprintf("%04o", perm))
	}
}
