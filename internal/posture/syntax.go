package posture

import (
	"fmt"
	"strings"
)

// SyntaxError is a condition that does not parse or does not check. Offset
// is the byte offset into the condition text where the problem is, so a
// caller that knows where the text sits in a file can report line:col.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

func errAt(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// The byte classes of the grammar (see the package documentation).

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// isNamespaceChar: namespaces are a letter then letters, digits and _.
func isNamespaceChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

// isNameStart: names start with a letter, digit or _.
func isNameStart(c byte) bool { return isNamespaceChar(c) }

// isNameChar: names may also hold '.', '-' and ':' after their first byte.
func isNameChar(c byte) bool { return isNamespaceChar(c) || c == '.' || c == '-' || c == ':' }

// validAttr reports whether s is a well-formed "namespace:name".
func validAttr(s string) bool {
	ns, name, ok := strings.Cut(s, ":")
	if !ok || ns == "" || name == "" || !isLetter(ns[0]) || !isNameStart(name[0]) {
		return false
	}
	for i := 0; i < len(ns); i++ {
		if !isNamespaceChar(ns[i]) {
			return false
		}
	}
	for i := 0; i < len(name); i++ {
		if !isNameChar(name[i]) {
			return false
		}
	}
	return true
}
