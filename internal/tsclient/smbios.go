package tsclient

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// SMBIOS returns a minimal SMBIOS 3.0 entry point and structure table
// holding one System Information (type 1) structure whose serial number
// is serial, in the layout Linux exposes under /sys/firmware/dmi/tables.
func SMBIOS(serial string) (entryPoint, table []byte) {
	// Type 1, formatted length 0x1B (SMBIOS 2.4+), handle 0x0001. The
	// serial number string index sits at offset 0x07; string 1 is the
	// serial.
	sys := make([]byte, 0x1B)
	sys[0], sys[1] = 1, 0x1B
	binary.LittleEndian.PutUint16(sys[2:], 1)
	sys[0x07] = 1
	table = append(table, sys...)
	table = append(table, serial...)
	table = append(table, 0, 0)
	// End of table: type 127, length 4, handle 0xFFFE, no strings.
	table = append(table, 127, 4, 0xFE, 0xFF, 0, 0)

	ep := make([]byte, 24)
	copy(ep, "_SM3_")
	ep[6] = 24                                                 // length
	ep[7], ep[8], ep[9] = 3, 0, 0                              // version 3.0.0
	ep[10] = 1                                                 // entry point revision
	binary.LittleEndian.PutUint32(ep[12:], uint32(len(table))) // table max size
	binary.LittleEndian.PutUint64(ep[16:], 0)                  // address: unused with sysfs
	var sum byte
	for _, b := range ep {
		sum += b
	}
	ep[5] = -sum // all bytes sum to zero
	return ep, table
}

// WithSerial returns NodeOptions that run tailscaled (as root) in its own
// mount namespace where /sys/firmware holds SMBIOS tables reporting
// serial, so Device Identity Collection sees a distinct machine. The
// tables are written under dir.
func WithSerial(dir, serial string) (NodeOptions, error) {
	ep, table := SMBIOS(serial)
	epPath, tablePath := filepath.Join(dir, "smbios_entry_point"), filepath.Join(dir, "DMI")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return NodeOptions{}, err
	}
	if err := os.WriteFile(epPath, ep, 0o444); err != nil {
		return NodeOptions{}, fmt.Errorf("writing SMBIOS entry point: %w", err)
	}
	if err := os.WriteFile(tablePath, table, 0o444); err != nil {
		return NodeOptions{}, fmt.Errorf("writing SMBIOS table: %w", err)
	}
	script := `set -e
mount -t tmpfs none /sys/firmware
mkdir -p /sys/firmware/dmi/tables
cp "$0" /sys/firmware/dmi/tables/smbios_entry_point
cp "$1" /sys/firmware/dmi/tables/DMI
shift 1
exec "$@"`
	return NodeOptions{Wrap: func(argv []string) []string {
		return append([]string{"unshare", "-m", "sh", "-c", script, epPath, tablePath}, argv...)
	}}, nil
}
