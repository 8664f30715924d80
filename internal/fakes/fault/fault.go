// Package fault owns the failures the vendor fakes in internal/fakes
// inject into their answers: the Fault a test describes, the Injector
// that decides which fault a request meets (counting it against Times),
// and applying a fault to a response: a delay that the fake's Close cuts
// short, an error status whose body and retry header the fake supplies,
// a body cut in half. Each fake keeps its own wire format; this package
// only knows when and how a request fails.
package fault

import "time"

// Endpoint names one of the API paths a fake serves.
type Endpoint string

// Fault is a failure a fake injects into its answers. Which request is
// page n, and which error body a status gets, is each fake's to say.
type Fault struct {
	// Endpoint is the endpoint the fault hits; empty means any.
	Endpoint Endpoint
	// Page is the 1-based page or request the fault hits; 0 means any.
	Page int
	// Status, if non-zero, answers with this status and the vendor's
	// error body for it; a 429 carries the vendor's retry header.
	Status int
	// RetryAfter is how long a 429 tells the client to wait; zero means
	// one second.
	RetryAfter time.Duration
	// Truncate answers with the body cut in half.
	Truncate bool
	// Delay holds the answer back this long, or until the client gives up
	// or the fake closes.
	Delay time.Duration
	// Times is how many requests the fault hits; 0 means every matching
	// request until the faults are cleared.
	Times int
}

// RetryWait returns how long a 429 tells the client to wait: RetryAfter,
// or one second when that is zero or less.
func (f *Fault) RetryWait() time.Duration {
	if f.RetryAfter <= 0 {
		return time.Second
	}
	return f.RetryAfter
}

// RetrySeconds returns RetryWait in whole seconds, rounded up, as a
// Retry-After header carries it.
func (f *Fault) RetrySeconds() int {
	return int((f.RetryWait() + time.Second - 1) / time.Second)
}

// Cut returns body cut in half if f truncates, and body itself otherwise
// or when f is nil.
func (f *Fault) Cut(body []byte) []byte {
	if f == nil || !f.Truncate {
		return body
	}
	return body[:len(body)/2]
}
