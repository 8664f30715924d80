package store

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestRandomIPv4(t *testing.T) {
	for i := range 2000 {
		a := randomIPv4()
		if !usableIPv4(a) {
			t.Fatalf("draw %d: got unusable address %v", i, a)
		}
	}
}

func TestUsableIPv4(t *testing.T) {
	for addr, want := range map[string]bool{
		"100.64.0.1":      true,
		"100.127.255.254": true,
		"100.64.0.0":      false,
		"100.64.1.255":    false,
		"100.100.100.100": false,
		"100.115.92.7":    false,
		"100.115.93.200":  false,
		"100.128.0.1":     false,
		"10.0.0.1":        false,
	} {
		if got := usableIPv4(netip.MustParseAddr(addr)); got != want {
			t.Errorf("usableIPv4(%s): got %v, want %v", addr, got, want)
		}
	}
}

func TestIPv6For(t *testing.T) {
	got := ipv6For(netip.MustParseAddr("100.64.1.2"))
	want := netip.MustParseAddr("fd7a:115c:a1e0::6440:102")
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNameFromHostname(t *testing.T) {
	for in, want := range map[string]string{
		"MacBook-Pro":            "macbook-pro",
		"Alice's MacBook Pro":    "alice-s-macbook-pro",
		"web1.example.com":       "web1",
		"--x--":                  "x",
		"":                       "device",
		"ÄÖÜ":                    "device",
		strings.Repeat("a", 100): strings.Repeat("a", 63),
	} {
		if got := nameFromHostname(in); got != want {
			t.Errorf("nameFromHostname(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestFreeNames(t *testing.T) {
	taken := map[string]bool{"web": true, "web-1": true, "web-3": true}
	got := freeNames("web", taken, 3)
	want := []string{"web-2", "web-4", "web-5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	long := strings.Repeat("a", 63)
	got = freeNames(long, map[string]bool{long: true}, 1)
	if len(got[0]) > 63 || !strings.HasSuffix(got[0], "-1") {
		t.Errorf("got %q, want at most 63 characters ending in -1", got[0])
	}
}
