package web

import (
	"context"
	"sync"
	"time"
)

// flashTTL is how long a message waits for the page after its redirect.
const flashTTL = 5 * time.Minute

// maxFlashes bounds the messages kept at once; each session keeps at most
// one, so this is only reached with that many sessions writing at once.
const maxFlashes = 10000

// flashes holds the one-shot message each session's next page shows,
// such as "Revoked key k123.". They live on the server, keyed by the
// session, so that no link can make a console page show text of its
// choosing. They do not survive a restart, and a server behind a load
// balancer shows them only if the next page is served by the same
// process: a lost message costs nothing, the change itself is done.
type flashes struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]flash // by the session's token hash
}

type flash struct {
	msg     string
	warn    bool // the change was made but did not go as hoped
	expires time.Time
}

// set keeps msg for the session whose token hash is key, replacing any
// message not yet shown.
func (f *flashes) set(key []byte, msg string) { f.setKind(key, msg, false) }

// setKind is set; warn shows the message as a warning.
func (f *flashes) setKind(key []byte, msg string, warn bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.m) >= maxFlashes {
		f.pruneLocked(now)
	}
	if len(f.m) >= maxFlashes {
		return
	}
	if f.m == nil {
		f.m = map[string]flash{}
	}
	f.m[string(key)] = flash{msg: msg, warn: warn, expires: now.Add(flashTTL)}
}

// take returns and forgets the session's message, "" if it has none.
func (f *flashes) take(key []byte) string {
	msg, _ := f.takeKind(key)
	return msg
}

// takeKind is take, also saying whether the message is a warning.
func (f *flashes) takeKind(key []byte) (msg string, warn bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.m[string(key)]
	if !ok {
		return "", false
	}
	delete(f.m, string(key))
	if !f.now().Before(fl.expires) {
		return "", false
	}
	return fl.msg, fl.warn
}

// prune drops messages no page picked up in time.
func (f *flashes) prune() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pruneLocked(f.now())
}

func (f *flashes) pruneLocked(now time.Time) {
	for k, fl := range f.m {
		if !now.Before(fl.expires) {
			delete(f.m, k)
		}
	}
}

// sessionKey is the context key of the request's *session.
type sessionKey struct{}

// withSession returns ctx carrying s, for redirect.
func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionFrom returns the session withSession stored, or nil.
func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}
