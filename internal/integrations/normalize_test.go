package integrations

import "testing"

func TestNormalizeSerial(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"C02XL0ABJGH5", "C02XL0ABJGH5", true},
		{"  c02xl0abjgh5\t", "C02XL0ABJGH5", true},
		{"VMware-56 4d 2b 1a", "VMWARE-56 4D 2B 1A", true},
		{"PF2ABCDE", "PF2ABCDE", true},
		{"", "", false},
		{"   ", "", false},
		{"To Be Filled By O.E.M.", "", false},
		{"to be filled by o.e.m.", "", false},
		{"Default string", "", false},
		{"System Serial Number", "", false},
		{"Chassis Serial Number", "", false},
		{"0", "", false},
		{"None", "", false},
		{"Not Specified", "", false},
		{"Unknown", "", false},
		{"N/A", "", false},
		{"0000000000", "", false},
		{"XXXXXXXX", "", false},
		{"-----", "", false},
		{". - .", "", false},
		{"0123456789", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := NormalizeSerial(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("NormalizeSerial(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNormalizeMAC(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"08-00-27-51-56-d8", "08:00:27:51:56:d8", true},
		{"08:00:27:51:56:D8", "08:00:27:51:56:d8", true},
		{"0800.2751.56d8", "08:00:27:51:56:d8", true},
		{"0800275156D8", "08:00:27:51:56:d8", true},
		{" 8:0:27:51:56:d8 ", "08:00:27:51:56:d8", true},
		{"00:00:00:00:00:00", "", false},
		{"000000000000", "", false},
		{"ff:ff:ff:ff:ff:ff", "", false},
		{"", "", false},
		{"08:00:27:51:56", "", false},
		{"08:00:27:51:56:d8:01", "", false},
		{"08:00:27:51:56:d8:", "", false},
		{"08:00:27:51:56:g8", "", false},
		{"08:00-27:51:56:d8", "", false},
		{"080027:5156d8", "", false},
		{"0800275156d", "", false},
		{"00:11:22:33:44:55:66:77", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := NormalizeMAC(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("NormalizeMAC(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNormalizeSerialDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { NormalizeSerial("C02XL0ABJGH5") })
	if allocs != 0 {
		t.Errorf("NormalizeSerial of a clean serial: got %v allocations, want 0", allocs)
	}
}
