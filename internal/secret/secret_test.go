package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpen(t *testing.T) {
	box, err := New(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	for name, pt := range map[string]string{"empty": "", "short": "hunter2", "long": strings.Repeat("x", 10000)} {
		t.Run(name, func(t *testing.T) {
			sealed, err := box.Seal([]byte(pt))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sealed, "v1:"+box.KeyID()+":") {
				t.Errorf("got sealed %q, want prefix v1:%s:", sealed, box.KeyID())
			}
			if pt != "" && strings.Contains(sealed, pt) {
				t.Errorf("sealed text contains the plaintext")
			}
			got, err := box.Open(sealed)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != pt {
				t.Errorf("got %q, want %q", got, pt)
			}
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	box, _ := New(testKey(1))
	a, _ := box.Seal([]byte("same"))
	b, _ := box.Seal([]byte("same"))
	if a == b {
		t.Errorf("got equal sealed texts %q for two seals, want different", a)
	}
}

func TestOpenRejects(t *testing.T) {
	box, _ := New(testKey(1))
	other, _ := New(testKey(2))
	sealed, _ := box.Seal([]byte("secret"))

	t.Run("wrong key", func(t *testing.T) {
		_, err := other.Open(sealed)
		if !errors.Is(err, ErrWrongKey) {
			t.Errorf("got %v, want ErrWrongKey", err)
		}
	})
	t.Run("forged key id", func(t *testing.T) {
		// Same key id prefix but the wrong key: GCM authentication fails.
		forged := strings.Replace(sealed, box.KeyID(), other.KeyID(), 1)
		if _, err := other.Open(forged); err == nil {
			t.Error("got nil error, want authentication failure")
		}
	})
	t.Run("tampered", func(t *testing.T) {
		i := strings.LastIndex(sealed, ":") + 3
		c := byte('A')
		if sealed[i] == 'A' {
			c = 'B'
		}
		bad := sealed[:i] + string(c) + sealed[i+1:]
		if _, err := box.Open(bad); err == nil {
			t.Error("got nil error, want authentication failure")
		}
	})
	for _, bad := range []string{"", "secret", "v2:abc:def", "v1:" + box.KeyID(), "v1:" + box.KeyID() + ":!!!", "v1:" + box.KeyID() + ":AAAA"} {
		t.Run("malformed "+bad, func(t *testing.T) {
			if _, err := box.Open(bad); err == nil {
				t.Errorf("Open(%q): got nil error, want one", bad)
			}
		})
	}
}

func TestNewRejectsShortKey(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("got nil error for a 16-byte key, want one")
	}
}

func TestLoadOrCreateEnv(t *testing.T) {
	key := testKey(7)
	want, _ := New(key)
	for name, text := range map[string]string{
		"hex":        hex.EncodeToString(key),
		"base64":     base64.StdEncoding.EncodeToString(key),
		"base64 raw": base64.RawURLEncoding.EncodeToString(key),
		"spaces":     " " + hex.EncodeToString(key) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			box, err := LoadOrCreate(dir, text)
			if err != nil {
				t.Fatal(err)
			}
			if box.KeyID() != want.KeyID() {
				t.Errorf("got key id %s, want %s", box.KeyID(), want.KeyID())
			}
			if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
				t.Errorf("key file written although the key came from the environment")
			}
		})
	}
	for name, text := range map[string]string{
		"short":   hex.EncodeToString(key[:16]),
		"garbage": "not a key at all!",
	} {
		t.Run("bad "+name, func(t *testing.T) {
			_, err := LoadOrCreate(t.TempDir(), text)
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			if !strings.Contains(err.Error(), EnvVar) {
				t.Errorf("got %q, want it to name %s", err, EnvVar)
			}
			if strings.Contains(err.Error(), text) {
				t.Errorf("error %q repeats the key text", err)
			}
		})
	}
}

func TestLoadOrCreateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	box1, err := LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("got key file mode %04o, want 0600", got)
	}
	b, _ := os.ReadFile(path)
	if k, err := ParseKey(string(b)); err != nil || len(k) != KeySize {
		t.Errorf("key file content does not parse as a key: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".secret.key-*"))
	if len(leftovers) != 0 {
		t.Errorf("got temporary files %v left, want none", leftovers)
	}

	box2, err := LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if box1.KeyID() != box2.KeyID() {
		t.Errorf("got key id %s on reload, want %s", box2.KeyID(), box1.KeyID())
	}
	sealed, _ := box1.Seal([]byte("x"))
	if got, err := box2.Open(sealed); err != nil || string(got) != "x" {
		t.Errorf("reloaded box: got %q, %v, want %q", got, err, "x")
	}
}

func TestLoadOrCreateRawFile(t *testing.T) {
	dir := t.TempDir()
	key := testKey(9)
	if err := os.WriteFile(filepath.Join(dir, FileName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	box, err := LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := New(key)
	if box.KeyID() != want.KeyID() {
		t.Errorf("got key id %s, want %s", box.KeyID(), want.KeyID())
	}
}

func TestLoadOrCreateRefusesReadableFile(t *testing.T) {
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, testKey(3), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreate(dir, "")
			if err == nil {
				t.Fatal("got nil error, want refusal")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("got %q, want it to name %s and the fix", err, path)
			}
		})
	}
}

func TestLoadOrCreateBadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(dir, ""); err == nil {
		t.Error("got nil error for a corrupt key file, want one")
	}
}

func TestLoadOrCreateUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A data dir below a regular file cannot be created, even by root.
	if _, err := LoadOrCreate(filepath.Join(file, "data"), ""); err == nil {
		t.Error("got nil error, want one")
	}
}
