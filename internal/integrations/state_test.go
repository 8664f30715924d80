package integrations

import (
	"testing"
	"time"

	"github.com/postern/postern"
)

func TestStateAndPausedReason(t *testing.T) {
	now := time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC)
	refused := "Fleet refused the credentials: it answered 401 Unauthorized."
	for _, tc := range []struct {
		name    string
		st      postern.IntegrationStatus
		syncing bool
		state   string
		reason  string
	}{
		{"never attempted", postern.IntegrationStatus{}, false, StatePending, ""},
		{"first sync running", postern.IntegrationStatus{}, true, StateSyncing, ""},
		{"ok", postern.IntegrationStatus{LastAttempt: now, LastSync: now}, false, StateOK, ""},
		{"failed", postern.IntegrationStatus{LastAttempt: now, Error: "Fleet answered 500 Internal Server Error."}, false, StateError, ""},
		{"paused", postern.IntegrationStatus{LastAttempt: now, Error: refused, PausedUntil: now.Add(65 * time.Minute)}, false, StatePaused,
			"Paused until 2026-12-02 14:05 UTC. " + refused + " Save a new secret, or use Sync now, to try again before then."},
		{"pause over", postern.IntegrationStatus{LastAttempt: now, Error: refused, PausedUntil: now.Add(-time.Second)}, false, StateError, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := State(tc.st, tc.syncing, now); got != tc.state {
				t.Errorf("State: got %q, want %q", got, tc.state)
			}
			if got := PausedReason(tc.st, now); got != tc.reason {
				t.Errorf("PausedReason: got %q, want %q", got, tc.reason)
			}
		})
	}
}
