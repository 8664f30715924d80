package integrations

import (
	"strings"
	"time"

	"github.com/postern/postern"
)

// The states an integration is shown in, for the API's status.state and
// the console's badge.
const (
	StateSyncing = "syncing" // a sync is running now
	StatePaused  = "paused"  // an authentication failure paused syncs until Status.PausedUntil
	StateError   = "error"   // the last attempt failed
	StateOK      = "ok"      // the last attempt succeeded
	StatePending = "pending" // no sync has been attempted yet
)

// State is where an integration with status st stands at now; syncing
// says a sync of it is running.
func State(st postern.IntegrationStatus, syncing bool, now time.Time) string {
	switch {
	case syncing:
		return StateSyncing
	case st.PausedUntil.After(now):
		return StatePaused
	case st.Error != "":
		return StateError
	case st.LastAttempt.IsZero():
		return StatePending
	}
	return StateOK
}

// PausedReason says why and until when syncs of an integration with
// status st are paused, and how to resume them; "" when they are not.
// The status's error is already a plain sentence; it is said once, here.
func PausedReason(st postern.IntegrationStatus, now time.Time) string {
	if !st.PausedUntil.After(now) {
		return ""
	}
	var b strings.Builder
	b.WriteString("Paused until " + st.PausedUntil.UTC().Format("2006-01-02 15:04 UTC") + ". ")
	if st.Error != "" {
		b.WriteString(st.Error + " ")
	}
	b.WriteString("Save a new secret, or use Sync now, to try again before then.")
	return b.String()
}
