package secret

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the key file's name inside the data dir.
const FileName = "secret.key"

// EnvVar is the environment variable that may hold the key.
const EnvVar = "POSTERN_SECRET_KEY"

// LoadOrCreate returns the Box for the server's key. If envKey (the value
// of POSTERN_SECRET_KEY) is not empty it is the key, as base64 or hex of
// KeySize bytes. Otherwise the key is read from <dataDir>/secret.key, which
// must not be readable by group or others; if the file is missing, a new
// random key is written there with mode 0600. The file holds the key in
// base64, so its content can also be given as POSTERN_SECRET_KEY.
func LoadOrCreate(dataDir string, envKey string) (*Box, error) {
	if envKey != "" {
		key, err := ParseKey(envKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvVar, err)
		}
		return New(key)
	}
	if dataDir == "" {
		return nil, errors.New("load secret key: no data dir and no " + EnvVar)
	}
	path := filepath.Join(dataDir, FileName)
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	return New(key)
}

// ParseKey decodes a key given as text: hex, or standard or URL-safe
// base64 with or without padding. Surrounding white space is ignored. The
// error never contains the text.
func ParseKey(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("key decodes to %d bytes, want %d", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("key is neither hex nor base64 of %d bytes", KeySize)
}

// readKeyFile reads and checks the key file (see CheckFile). A file of
// exactly KeySize bytes is the raw key; anything else must be its hex or
// base64 text.
func readKeyFile(path string) ([]byte, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == KeySize {
		return b, nil
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return k, nil
}

// createKeyFile writes a new random key to path, or reads the key another
// process wrote there first.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	text := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	if err := CreateFile(path, text); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// Read back what is now in place, so the caller and the file agree.
	return readKeyFile(path)
}

// writeAndSync writes b to f with mode 0600, syncs and closes it.
func writeAndSync(f *os.File, b []byte) error {
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}
