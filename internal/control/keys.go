package control

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"tailscale.com/types/key"

	"github.com/postern/postern/internal/secret"
)

// File names of the server's private keys in the data directory.
const (
	machineKeyFile = "control-machine.key"
	derpKeyFile    = "control-derp.key"
)

// loadMachineKey reads the server's Noise private key from dir, creating
// it (mode 0600) on first start so clients keep trusting the server.
func loadMachineKey(dir string) (key.MachinePrivate, error) {
	var k key.MachinePrivate
	err := loadOrCreate(filepath.Join(dir, machineKeyFile), &k, func() { k = key.NewMachine() })
	return k, err
}

// loadDERPKey reads the embedded DERP server's private key, creating it on
// first start.
func loadDERPKey(dir string) (key.NodePrivate, error) {
	var k key.NodePrivate
	err := loadOrCreate(filepath.Join(dir, derpKeyFile), &k, func() { k = key.NewNode() })
	return k, err
}

// textKey is a private key with a text form.
type textKey interface {
	MarshalText() ([]byte, error)
	UnmarshalText([]byte) error
}

// loadOrCreate reads the key at path, refusing a file group or others
// may access (secret.CheckFile), or generates one and creates the file
// with mode 0600. If another process created it first, that key is used.
func loadOrCreate(path string, k textKey, generate func()) error {
	b, err := secret.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		generate()
		b, err = k.MarshalText()
		if err != nil {
			return fmt.Errorf("control: encoding new key: %w", err)
		}
		if err := secret.CreateFile(path, b); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("control: saving key: %w", err)
		}
		b, err = secret.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("control: reading key: %w", err)
	}
	if err := k.UnmarshalText(b); err != nil {
		return fmt.Errorf("control: reading key %s: %w", path, err)
	}
	return nil
}
