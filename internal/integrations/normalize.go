package integrations

import "strings"

// NormalizeSerial returns the form in which serial numbers are compared:
// surrounding space trimmed and letters in upper case, so "c02xl0abjgh5 "
// and "C02XL0ABJGH5" are the same serial. It returns false for values that
// identify nothing and must never match:
//
//   - empty, or only spaces;
//   - firmware placeholders: "To Be Filled By O.E.M.", "Default string",
//     "System Serial Number", "Chassis Serial Number", "Not Specified",
//     "Not Applicable", "None", "Null", "Unknown", "N/A", "Invalid", "OEM",
//     "0123456789", "123456789" and the like (any case);
//   - one character repeated ("0", "00000000", "XXXXXXXX", "-----");
//   - no letter or digit at all ("...", "- -").
func NormalizeSerial(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s)) // neither allocates for a clean serial
	if s == "" || placeholderSerial(s) || oneRepeatedChar(s) || !hasAlnum(s) {
		return "", false
	}
	return s, true
}

// placeholderSerial reports whether s (upper case) is a known filler value.
func placeholderSerial(s string) bool {
	switch s {
	case "TO BE FILLED BY O.E.M.", "TO BE FILLED BY O.E.M", "TO BE FILLED BY OEM",
		"DEFAULT STRING", "DEFAULT", "SYSTEM SERIAL NUMBER", "SYSTEM SERIAL#",
		"CHASSIS SERIAL NUMBER", "BASE BOARD SERIAL NUMBER", "BASEBOARD SERIAL NUMBER",
		"SERIAL NUMBER", "SERIALNUMBER", "SERIAL",
		"NOT SPECIFIED", "NOT APPLICABLE", "NOT AVAILABLE", "NOT SET", "NO SERIAL NUMBER",
		"NONE", "NULL", "NIL", "EMPTY", "UNKNOWN", "N/A", "NA", "INVALID", "OEM", "O.E.M.",
		"0123456789", "123456789", "1234567890", "12345678", "1234567":
		return true
	}
	return false
}

func oneRepeatedChar(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

func hasAlnum(s string) bool {
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r > 127 {
			return true
		}
	}
	return false
}

// NormalizeMAC returns a 48-bit MAC address in lower-case colon form
// ("08:00:27:51:56:d8"). It accepts the common spellings: colon or dash
// separated ("08-00-27-51-56-D8", and "8:0:27:51:56:d8" with unpadded
// groups), Cisco dotted ("0800.2751.56d8") and bare hex ("0800275156d8"). It returns false for anything else and for the
// all-zero and broadcast addresses, which name no device.
func NormalizeMAC(s string) (string, bool) {
	v, ok := parseMAC(s)
	if !ok {
		return "", false
	}
	const hex = "0123456789abcdef"
	var b [17]byte
	for i := range 6 {
		octet := byte(v >> (8 * (5 - i)))
		b[3*i] = hex[octet>>4]
		b[3*i+1] = hex[octet&0xf]
		if i < 5 {
			b[3*i+2] = ':'
		}
	}
	return string(b[:]), true
}

// parseMAC parses the spellings NormalizeMAC accepts into the address's 48
// bits, without allocating.
func parseMAC(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	var v uint64
	var ok bool
	switch {
	case strings.IndexByte(s, ':') >= 0:
		v, ok = parseGroups(s, ':', 6, 2)
	case strings.IndexByte(s, '-') >= 0:
		v, ok = parseGroups(s, '-', 6, 2)
	case strings.IndexByte(s, '.') >= 0:
		v, ok = parseGroups(s, '.', 3, 4)
	case len(s) == 12:
		v, ok = parseGroups(s, 0, 1, 12)
	}
	if !ok || v == 0 || v == 1<<48-1 {
		return 0, false
	}
	return v, true
}

// parseGroups parses n groups of 1 to width hex digits separated by sep
// (sep 0: a single group), each group holding width/2 bytes.
func parseGroups(s string, sep byte, n, width int) (uint64, bool) {
	var v uint64
	groups := 0
	for len(s) > 0 || groups < n {
		g := s
		if i := strings.IndexByte(s, sep); sep != 0 && i >= 0 {
			g, s = s[:i], s[i+1:]
			if s == "" {
				return 0, false // trailing separator
			}
		} else {
			s = ""
		}
		if len(g) == 0 || len(g) > width || groups == n {
			return 0, false
		}
		var gv uint64
		for i := 0; i < len(g); i++ {
			d, ok := hexDigit(g[i])
			if !ok {
				return 0, false
			}
			gv = gv<<4 | uint64(d)
		}
		v = v<<(4*width) | gv
		groups++
	}
	return v, groups == n
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
