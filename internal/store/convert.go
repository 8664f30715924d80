package store

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/postern/postern"
)

// Times are stored as unix nanoseconds, 0 meaning the zero time. Times
// outside what an int64 of nanoseconds holds (years 1678 to 2262) are
// clamped to its range, so "never" written as year 9999 reads back as 2262.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

func toNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minTime):
		return minTime.UnixNano()
	case t.After(maxTime):
		return maxTime.UnixNano()
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// toJSON encodes a list or settings value for a TEXT column. A nil or
// empty list is stored as "[]".
func toJSON[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %T: %w", v, err)
	}
	return string(b), nil
}

// fromJSON decodes a list stored by toJSON; an empty list decodes to nil.
func fromJSON[T any](s string) ([]T, error) {
	var v []T
	if s == "" || s == "[]" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("decode %T: %w", v, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// addrText stores an address as text, "" for the zero Addr.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func parseAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return netip.ParseAddr(s)
}

// notFound returns an ENOTFOUND error that also matches
// errors.Is(err, postern.ErrNotFound).
func notFound(format string, args ...any) error {
	return &postern.Error{Code: postern.ENOTFOUND, Message: fmt.Sprintf(format, args...), Err: postern.ErrNotFound}
}

// conflict returns an ECONFLICT error.
func conflict(format string, args ...any) error {
	return postern.Errorf(postern.ECONFLICT, format, args...)
}
