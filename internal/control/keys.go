package control

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"tailscale.com/types/key"
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

func loadOrCreate(path string, k textKey, generate func()) error {
	b, err := os.ReadFile(path)
	if err == nil {
		if err := k.UnmarshalText(b); err != nil {
			return fmt.Errorf("control: reading key %s: %w", path, err)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control: reading key: %w", err)
	}
	generate()
	b, err = k.MarshalText()
	if err != nil {
		return fmt.Errorf("control: encoding new key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("control: creating data dir for key: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("control: writing key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("control: saving key: %w", err)
	}
	return nil
}
