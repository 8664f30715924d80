package falcon

import (
	"strconv"
	"time"
)

// Endpoint names one of the API paths the fake serves.
type Endpoint string

// The endpoints the fake serves.
const (
	EndpointToken   Endpoint = "/oauth2/token"
	EndpointScroll  Endpoint = "/devices/queries/devices-scroll/v1"
	EndpointDetails Endpoint = "/devices/entities/devices/v2"
	EndpointZTA     Endpoint = "/zero-trust-assessment/entities/assessments/v1"
)

// Fault is a failure the server injects into its responses.
type Fault struct {
	// Endpoint is the endpoint the fault hits; empty means any.
	Endpoint Endpoint
	// Page picks the request the fault hits, 1-based: on the scroll
	// endpoint the page of the scroll session (page n starts at AID
	// (n-1)*limit); on details and ZTA the nth distinct batch of ids asked
	// for since the fault was injected (a retried batch is the same
	// batch); on the token endpoint the nth token request. 0 means any.
	Page int
	// Status, if non-zero, answers with this status and the vendor's error
	// body for it. On EndpointToken, 401 and 403 are a refused token; on
	// the others 401 is an invalid bearer token. 429 carries
	// X-RateLimit-RetryAfter in epoch seconds.
	Status int
	// RetryAfter is how far ahead a 429's X-RateLimit-RetryAfter points;
	// zero means one second.
	RetryAfter time.Duration
	// Truncate answers 2xx with the JSON body cut in half.
	Truncate bool
	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration
	// Times is how many requests the fault hits; 0 means every matching
	// request until ClearFaults.
	Times int

	batches map[string]int // batch key -> ordinal, for Page on details and ZTA
	tokens  int            // token requests seen, for Page on the token endpoint
	hits    int
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

// faultLocked returns the fault to apply to a request to ep, counting the
// hit, or nil. page is the scroll page; batch names the ids a details or
// ZTA request asks for.
func (s *Server) faultLocked(ep Endpoint, page int, batch string) *Fault {
	var found *Fault
	for _, f := range s.faults {
		if f.Endpoint != "" && f.Endpoint != ep {
			continue
		}
		n := page
		switch ep {
		case EndpointToken:
			f.tokens++
			n = f.tokens
		case EndpointDetails, EndpointZTA:
			if f.batches == nil {
				f.batches = make(map[string]int)
			}
			key := string(ep) + " " + batch
			if _, ok := f.batches[key]; !ok {
				f.batches[key] = len(f.batches) + 1
			}
			n = f.batches[key]
		}
		if found != nil || (f.Page != 0 && f.Page != n) || (f.Times != 0 && f.hits >= f.Times) {
			continue
		}
		f.hits++
		c := *f
		found = &c
	}
	return found
}

// batchKey names a batch of ids by its first id and size.
func batchKey(ids []string) string {
	return ids[0] + "/" + strconv.Itoa(len(ids))
}
