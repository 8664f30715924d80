package posture

import (
	"strings"
	"testing"

	"tailscale.com/util/cmpver"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.40", "1.40", 0},
		{"1.40", "1.40.0", -1}, // "12" is less than "12.0"
		{"1.40.0", "1.40", 1},
		{"1.9", "1.40", -1},
		{"1.40", "1.9", 1},
		{"1.40.0", "1.9", 1},
		{"1.040", "1.40", 0},
		{"1.42.2", "1.40", 1},
		{"1.102.5", "1.60", 1},
		{"5.19.0-42-generic", "5.19.0-41-generic", 1},
		{"14.2.1", "14.2.1a", -1},
		{"1.2-beta", "1.2", 1},
		{"", "0", 0}, // an absent numeric field counts as zero
		{"", "a", -1},
		// Too long for uint64: cmpver would panic; we compare by digits.
		{"1." + strings.Repeat("9", 30), "1.5", 1},
		{"1.5", "1." + strings.Repeat("9", 30), -1},
		{"1." + strings.Repeat("9", 30), "1.0" + strings.Repeat("9", 30), 0},
		{"1." + strings.Repeat("9", 30) + ".2", "1." + strings.Repeat("9", 30) + ".10", -1},
		{"x" + strings.Repeat("1", 25), "x" + strings.Repeat("1", 24) + "2", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_vs_"+tt.b, func(t *testing.T) {
			if got := CompareVersions(tt.a, tt.b); got != tt.want {
				t.Errorf("CompareVersions(%q, %q): got %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// FuzzCompareVersions checks that the long-number fallback agrees with
// cmpver wherever cmpver works, and that CompareVersions is antisymmetric
// and never panics.
func FuzzCompareVersions(f *testing.F) {
	for _, s := range [][2]string{{"1.40", "1.40.0"}, {"1.9", "1.40"}, {"5.19.0-42-generic", "5.19"}, {"a1b2", "a1b10"}, {"007", "7"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := CompareVersions(a, b)
		if rev := CompareVersions(b, a); rev != -got {
			t.Fatalf("CompareVersions(%q, %q) = %d but reversed = %d", a, b, got, rev)
		}
		if digitRunsFit(a) && digitRunsFit(b) {
			if long := compareLongVersions(a, b); long != got {
				t.Fatalf("compareLongVersions(%q, %q) = %d, cmpver says %d", a, b, long, cmpver.Compare(a, b))
			}
		}
	})
}
