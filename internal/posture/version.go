package posture

import (
	"strings"

	"tailscale.com/util/cmpver"
)

// maxSafeDigits is the longest run of digits cmpver can parse as a uint64
// whatever the digits are.
const maxSafeDigits = 19

// CompareVersions compares two version strings the way Tailscale does
// (tailscale.com/util/cmpver.Compare): alternating non-numeric runs,
// compared as strings, and numeric runs, compared as numbers, with an
// absent field counting as zero. So "1.9" < "1.40", and "1.40" < "1.40.0"
// because "12" is less than "12.0". It returns -1, 0 or +1.
//
// Versions come from clients (node:osVersion), so unlike cmpver this never
// panics: numbers too long for a uint64 are compared by their digits.
func CompareVersions(a, b string) int {
	if digitRunsFit(a) && digitRunsFit(b) {
		return cmpver.Compare(a, b)
	}
	return compareLongVersions(a, b)
}

// digitRunsFit reports whether every run of digits in s fits cmpver's
// uint64 parse.
func digitRunsFit(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			run++
			if run > maxSafeDigits {
				return false
			}
		} else {
			run = 0
		}
	}
	return true
}

// compareLongVersions follows cmpver's field rules but compares numeric
// fields as decimal strings, so any length works.
func compareLongVersions(a, b string) int {
	for a != "" || b != "" {
		var fa, fb string
		fa, a = splitRun(a, false)
		fb, b = splitRun(b, false)
		if c := strings.Compare(fa, fb); c != 0 {
			return c
		}
		fa, a = splitRun(a, true)
		fb, b = splitRun(b, true)
		if c := compareDecimal(fa, fb); c != 0 {
			return c
		}
	}
	return 0
}

// splitRun splits off the leading run of digits (digits true) or
// non-digits (digits false).
func splitRun(s string, digits bool) (run, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i], s[i:]
}

// compareDecimal compares two runs of digits as unbounded numbers; an
// empty run is zero.
func compareDecimal(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
