package control

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyFilesPrivate checks the server's private keys follow the rule of
// every secret file: created 0600, refused when group or others may read
// them, with a message naming the file and the chmod to run.
func TestKeyFilesPrivate(t *testing.T) {
	loaders := map[string]func(dir string) (string, error){
		machineKeyFile: func(dir string) (string, error) {
			k, err := loadMachineKey(dir)
			if err != nil {
				return "", err
			}
			return k.Public().String(), nil
		},
		derpKeyFile: func(dir string) (string, error) {
			k, err := loadDERPKey(dir)
			if err != nil {
				return "", err
			}
			return k.Public().String(), nil
		},
	}
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			first, err := load(dir)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != 0o600 {
				t.Errorf("got new key file mode %04o, want 0600", got)
			}
			if again, err := load(dir); err != nil || again != first {
				t.Errorf("second load: got %s, %v; want the same key %s", again, err, first)
			}
			before, _ := os.ReadFile(path)
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = load(dir)
			if err == nil {
				t.Fatal("got nil error for a world-readable key file, want refusal")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600 "+path) {
				t.Errorf("got %q, want it to name %s and the chmod to run", err, path)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("the refused key file was changed")
			}
		})
	}
}
