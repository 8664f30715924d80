package tailnet

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postern/postern"
)

// Bounds on the policy work any user may start (validate, preview): a
// policy text's size and nesting, one check at a time per user, and a
// time limit.
const (
	MaxPolicySize             = 512 << 10 // bytes
	MaxPolicyDepth            = 64        // nested objects and arrays
	DefaultPolicyCheckTimeout = 10 * time.Second
)

// policyChecks holds the slots of PolicyCheck: one per user, and at most
// limit in all, so that many accounts cannot stack work either.
type policyChecks struct {
	timeout atomic.Int64 // nanoseconds; 0 means DefaultPolicyCheckTimeout
	limit   atomic.Int64 // checks at once across users; 0 means GOMAXPROCS

	mu      sync.Mutex
	running map[string]bool // guarded by mu; users with a check in progress
}

// SetPolicyCheckLimit sets how many policy checks may run at once across
// all users; 0 restores the default, one per CPU.
func (s *Service) SetPolicyCheckLimit(n int) {
	s.checks.limit.Store(int64(n))
}

// SetPolicyCheckTimeout sets how long PolicyCheck waits; 0 restores
// DefaultPolicyCheckTimeout.
func (s *Service) SetPolicyCheckTimeout(d time.Duration) {
	s.checks.timeout.Store(int64(d))
}

// PolicyCheck runs fn, a policy check that userID asked for, within the
// bounds every such check has: while one check of userID's runs, another
// is EBUSY; fn gets a context that ends at the timeout, and PolicyCheck
// returns then with EUNAVAILABLE. fn's work cannot always stop at once
// (the policy compiler does not watch a context), so fn keeps its user's
// slot until it really returns: a user cannot stack work by timing out.
// fn must not touch the caller's response: it may still run after
// PolicyCheck returned.
func (s *Service) PolicyCheck(ctx context.Context, userID string, fn func(ctx context.Context) error) error {
	switch s.checks.acquire(userID) {
	case slotMine:
		return postern.Errorf(postern.EBUSY, "a policy check of yours is still running; wait for it to finish, then try again")
	case slotFull:
		return postern.Errorf(postern.EBUSY, "the server is busy checking other policies; try again in a few seconds")
	}
	timeout := time.Duration(s.checks.timeout.Load())
	if timeout <= 0 {
		timeout = DefaultPolicyCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// The slot is free before the caller hears of the result, so a
		// user's next request never finds its finished check running.
		err := fn(ctx)
		s.checks.release(userID)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done: // finished just as time ran out
		default:
			err = ctx.Err()
		}
	}
	if timedOut(ctx, err) {
		s.log.Warn("policy check stopped at its time limit", "user_id", userID, "timeout", timeout, "err", err)
		return postern.Errorf(postern.EUNAVAILABLE, "checking the policy took longer than %s and was stopped; make it smaller or simpler, or try again later", timeout)
	}
	if err != nil && errors.Is(err, context.Canceled) {
		return fmt.Errorf("checking the policy: %w", err)
	}
	return err
}

// timedOut reports whether err, what a policy check ended with, is its
// time limit: the deadline passed and the work failed for any reason but
// the policy's own (EINVALID). Work cut short by the deadline fails in
// its own words (the compiler returns the context's error, SQLite says
// "interrupted"), none of which is an internal error to the caller.
func timedOut(ctx context.Context, err error) bool {
	return err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && postern.ErrorCode(err) != postern.EINVALID
}

// Outcomes of acquire.
const (
	slotTaken = iota // the caller holds a slot now
	slotMine         // the user already has a check running
	slotFull         // every slot is in use
)

func (c *policyChecks) acquire(userID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running[userID] {
		return slotMine
	}
	limit := int(c.limit.Load())
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	if len(c.running) >= limit {
		return slotFull
	}
	if c.running == nil {
		c.running = map[string]bool{}
	}
	c.running[userID] = true
	return slotTaken
}

func (c *policyChecks) release(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.running, userID)
}

// CheckPolicyText refuses a policy text (or a tests array) beyond
// MaxPolicySize or nested deeper than MaxPolicyDepth before any parser
// sees it: the HuJSON parser recurses once per level without a limit of
// its own.
func CheckPolicyText(text string) error {
	if len(text) > MaxPolicySize {
		return postern.Errorf(postern.EINVALID, "the policy file is %d bytes, more than the %d allowed", len(text), MaxPolicySize)
	}
	depth, line, col := 0, 1, 0
	inString, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		col++
		switch {
		case c == '\n':
			line, col = line+1, 0
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(text) && text[i+1] == '/':
			for i+1 < len(text) && text[i+1] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			i += 2
			for i < len(text) && !(text[i] == '*' && i+1 < len(text) && text[i+1] == '/') {
				if text[i] == '\n' {
					line, col = line+1, 0
				}
				i++
			}
			i++
		case c == '{' || c == '[':
			depth++
			if depth > MaxPolicyDepth {
				return postern.Errorf(postern.EINVALID, "%d:%d: the policy nests objects and arrays deeper than %d levels", line, col, MaxPolicyDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
