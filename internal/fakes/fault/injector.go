package fault

import (
	"net/http"
	"sync"
	"time"
)

// Injector holds the faults injected into one fake and applies them to
// its answers. Faults are tried in the order they were injected; the
// first one matching a request applies. The zero Injector has no faults
// and is ready to use; an Injector is safe for concurrent use.
type Injector struct {
	mu     sync.Mutex
	faults []*injected
	closed chan struct{} // closed by Close; nil until first needed
}

// injected is a fault with what it has seen of the requests it covers.
type injected struct {
	Fault
	hits     int            // requests the fault was applied to
	requests int            // requests seen through ForRequest
	batches  map[string]int // endpoint and batch -> ordinal, through ForBatch
}

// Inject adds f.
func (in *Injector) Inject(f Fault) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.faults = append(in.faults, &injected{Fault: f})
}

// Clear removes every injected fault.
func (in *Injector) Clear() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.faults = nil
}

// ForPage returns the fault that applies to a request for the 1-based
// page of ep, counting the hit, or nil.
func (in *Injector) ForPage(ep Endpoint, page int) *Fault {
	return in.pick(ep, func(*injected) int { return page })
}

// ForRequest returns the fault that applies to a request to ep, counting
// the hit, or nil. The request's page is its ordinal among the requests
// the fault has seen this way since it was injected, so Page 2 hits the
// second request.
func (in *Injector) ForRequest(ep Endpoint) *Fault {
	return in.pick(ep, func(f *injected) int {
		f.requests++
		return f.requests
	})
}

// ForBatch returns the fault that applies to a request to ep for the
// batch named batch, counting the hit, or nil. The request's page is the
// batch's ordinal among the distinct batches the fault has seen since it
// was injected, on every endpoint it covers; a retried batch keeps its
// ordinal.
func (in *Injector) ForBatch(ep Endpoint, batch string) *Fault {
	return in.pick(ep, func(f *injected) int {
		if f.batches == nil {
			f.batches = make(map[string]int)
		}
		key := string(ep) + " " + batch
		if _, ok := f.batches[key]; !ok {
			f.batches[key] = len(f.batches) + 1
		}
		return f.batches[key]
	})
}

// pick returns a copy of the first fault that covers ep, is on the
// request's page and has hits left, counting the hit. page returns the
// request's page as a fault sees it; it is called for every fault
// covering ep, even after one was picked, so that the faults behind it
// keep their counts.
func (in *Injector) pick(ep Endpoint, page func(*injected) int) *Fault {
	in.mu.Lock()
	defer in.mu.Unlock()
	var found *Fault
	for _, f := range in.faults {
		if f.Endpoint != "" && f.Endpoint != ep {
			continue
		}
		n := page(f)
		if found != nil || (f.Page != 0 && f.Page != n) || (f.Times != 0 && f.hits >= f.Times) {
			continue
		}
		f.hits++
		c := f.Fault
		found = &c
	}
	return found
}

// Close cuts short every delay, under way or to come. The fake calls it
// when it stops.
func (in *Injector) Close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	select {
	case <-in.closedLocked():
	default:
		close(in.closed)
	}
}

func (in *Injector) closedLocked() chan struct{} {
	if in.closed == nil {
		in.closed = make(chan struct{})
	}
	return in.closed
}

// Wait holds the answer to r back for f's Delay, and reports false if
// the client gave up or the Injector was closed first. It returns true
// at once when f is nil or has no delay.
func (in *Injector) Wait(r *http.Request, f *Fault) bool {
	if f == nil || f.Delay <= 0 {
		return true
	}
	in.mu.Lock()
	closed := in.closedLocked()
	in.mu.Unlock()
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-closed:
		return false
	}
}

// Apply waits out f's Delay and then, if f has a Status, answers with it
// through answer, which writes the vendor's error response for f, retry
// header included. It reports whether the request is done with: given up
// during the delay, or answered. A nil f does nothing and reports false.
func (in *Injector) Apply(w http.ResponseWriter, r *http.Request, f *Fault, answer func(http.ResponseWriter, *Fault)) bool {
	if f == nil {
		return false
	}
	if !in.Wait(r, f) {
		return true
	}
	if f.Status == 0 {
		return false
	}
	answer(w, f)
	return true
}
