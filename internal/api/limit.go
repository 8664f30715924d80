package api

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// failLimiter counts failed authentications per client address and per
// key id. It never refuses a request by itself: callers consult it only
// after a credential turned out invalid, so a valid key works from an
// address (or behind a proxy) that others are hammering.
type failLimiter struct {
	now func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time // guarded by mu; per "addr:" or "key:" name, failures within failWindow
}

const (
	failBurst  = 10          // failures within failWindow before answers become 429
	failWindow = time.Minute // how long a failure counts
	maxTracked = 10000       // names remembered; a flood beyond this resets the counts
	retryAfter = "60"        // seconds, for the Retry-After header
)

func newFailLimiter(now func() time.Time) *failLimiter {
	return &failLimiter{now: now, fails: map[string][]time.Time{}}
}

// fail records a failed authentication from addr for keyID (either may be
// empty) and reports whether addr or keyID has now failed more than
// failBurst times within failWindow.
func (l *failLimiter) fail(addr, keyID string) (limited bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxTracked {
		clear(l.fails) // under a flood, forget rather than grow without bound
	}
	if len(keyID) > 64 {
		keyID = "" // not a key id Postern mints
	}
	now := l.now()
	for _, name := range []string{"addr:" + addr, "key:" + keyID} {
		if name == "addr:" || name == "key:" {
			continue
		}
		ts := append(l.recentLocked(name, now), now)
		l.fails[name] = ts
		if len(ts) > failBurst {
			limited = true
		}
	}
	return limited
}

// recentLocked returns name's failures within the window, forgetting
// older ones.
func (l *failLimiter) recentLocked(name string, now time.Time) []time.Time {
	cutoff := now.Add(-failWindow)
	ts := l.fails[name]
	i := slices.IndexFunc(ts, func(t time.Time) bool { return t.After(cutoff) })
	if i < 0 {
		delete(l.fails, name)
		return nil
	}
	return ts[i:]
}

// credentialKeyID is the key id part of a key's text
// ("tskey-api-<id>-<secret>"), or "" if text does not look like a key.
// Failures are counted per id, so guessing at one key's secret is slowed
// without touching the others.
func credentialKeyID(text string) string {
	rest, ok := strings.CutPrefix(text, "tskey-")
	if !ok {
		return ""
	}
	_, rest, _ = strings.Cut(rest, "-") // the type
	id, _, ok := strings.Cut(rest, "-")
	if !ok || len(id) > 64 {
		return ""
	}
	return id
}
