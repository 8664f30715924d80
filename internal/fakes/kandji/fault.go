package kandji

import "time"

// Fault is a failure the server injects into the device pages it serves.
type Fault struct {
	// Page is the 1-based page the fault hits: page n is the request with
	// offset/limit = n-1. 0 means any page.
	Page int
	// Status, if non-zero, answers with this status and Kandji's error body
	// for it: 401, 403, 429 (with Retry-After), 500, ...
	Status int
	// RetryAfter is the Retry-After a 429 sends, in whole seconds; zero
	// means one second.
	RetryAfter time.Duration
	// Truncate answers 200 with the page's JSON cut in half.
	Truncate bool
	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration
	// Times is how many requests the fault hits; 0 means every matching
	// request until ClearFaults.
	Times int

	hits int
}

// Inject adds f. Faults are tried in the order they were injected; the
// first one matching a request applies.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// faultLocked returns the fault to apply to a request for page, counting
// the hit, or nil.
func (s *Server) faultLocked(page int) *Fault {
	for _, f := range s.faults {
		if f.Page != 0 && f.Page != page {
			continue
		}
		if f.Times != 0 && f.hits >= f.Times {
			continue
		}
		f.hits++
		c := *f
		return &c
	}
	return nil
}
