package tsclient

import (
	"bytes"
	"testing"

	"github.com/digitalocean/go-smbios/smbios"
)

// TestSMBIOS decodes the crafted tables with the library tailscaled uses
// and finds the serial where tailscaled looks for it.
func TestSMBIOS(t *testing.T) {
	ep, table := SMBIOS("PN-SERIAL-42")
	e, err := smbios.ParseEntryPoint(bytes.NewReader(ep))
	if err != nil {
		t.Fatalf("entry point: %v", err)
	}
	if major, _, _ := e.Version(); major != 3 {
		t.Errorf("SMBIOS major version: got %d, want 3", major)
	}
	ss, err := smbios.NewDecoder(bytes.NewReader(table)).Decode()
	if err != nil {
		t.Fatalf("decoding table: %v", err)
	}
	var got string
	for _, s := range ss {
		if s.Header.Type == 1 {
			got = s.Strings[s.Formatted[0x07-4]-1]
		}
	}
	if got != "PN-SERIAL-42" {
		t.Errorf("serial: got %q, want PN-SERIAL-42", got)
	}
}
