package policy

import (
	"fmt"
	"strings"
)

// Error is one problem in a policy file, at the 1-based line and column of
// the offending value. Msg uses Tailscale's wording where it is known.
type Error struct {
	Line, Col int
	Msg       string
}

// Error returns "line:col: msg".
func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// ErrorList is several problems found in one policy file, in file order.
type ErrorList []*Error

// Error joins the problems, one per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap exposes each *Error to errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// TestFailure is the outcome of one failing entry of the policy's tests
// block, in the shape of Tailscale's validate response data.
type TestFailure struct {
	Line, Col int      `json:"-"`
	User      string   `json:"user"`
	Errors    []string `json:"errors"`
}

// TestsError rejects a policy whose tests block fails. Its Message is
// Tailscale's "test(s) failed"; Data lists each failing test.
type TestsError struct {
	Message string        `json:"message"`
	Data    []TestFailure `json:"data"`
}

// Error returns "test(s) failed" followed by one line per failing test.
func (e *TestsError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, d := range e.Data {
		fmt.Fprintf(&b, "\n%d:%d: test src %q: %s", d.Line, d.Col, d.User, strings.Join(d.Errors, "; "))
	}
	return b.String()
}
