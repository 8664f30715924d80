package postern

import (
	"errors"
	"fmt"
)

// Code classifies an error for every caller: the API maps it to an HTTP
// status in one place, the CLI to an exit message.
type Code string

// Error codes. The zero Code means an internal error.
const (
	EINTERNAL     Code = "internal"
	EINVALID      Code = "invalid"      // the request or input is malformed or breaks a rule
	ENOTFOUND     Code = "not_found"    // the thing asked for does not exist
	ECONFLICT     Code = "conflict"     // it would duplicate something that exists
	EPRECONDITION Code = "precondition" // a stale version (ETag) was given
	EUNAUTHORIZED Code = "unauthorized" // no or bad credentials
	EFORBIDDEN    Code = "forbidden"    // credentials lack the permission
	EUNAVAILABLE  Code = "unavailable"  // a dependency (vendor, database) failed
	EBUSY         Code = "busy"         // the caller already has as much work running as it may
)

// Error is an error with a Code and a message fit to show a user.
type Error struct {
	Code    Code
	Message string
	// Err is the cause, if any, for errors.Is and errors.As.
	Err error
}

// Error returns the message; Errorf already folds a wrapped cause into it.
func (e *Error) Error() string { return e.Message }

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message. A %w verb in
// format wraps its argument as the cause.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorCode returns the Code of the first *Error in err's chain, or
// EINTERNAL if there is none. It returns "" for a nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or "internal error" if there is none, so internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// IsNotFound reports whether err has code ENOTFOUND.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }
