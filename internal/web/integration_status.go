package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// firstSyncWait is how long connecting an integration waits for its first
// sync, as the API's create does.
const firstSyncWait = 5 * time.Second

// firstSyncMessage starts the first sync of the integration just created,
// waits up to c.firstSyncWait for it, and says honestly how it went:
// "Connected" only when it succeeded, and warn otherwise.
func (c *Console) firstSyncMessage(r *http.Request, in postern.Integration) (msg string, warn bool) {
	name := providerName(in.Provider)
	if c.syncer == nil {
		return "Added " + name + "; posture sync is not running on this server.", true
	}
	t := time.NewTimer(c.firstSyncWait)
	defer t.Stop()
	select {
	case <-c.syncer.SyncNowDone(in.ID):
	case <-t.C:
	case <-r.Context().Done():
	}
	cur, err := c.st.Integration(r.Context(), in.ID)
	if err != nil {
		return "Added " + name + ".", true
	}
	now := c.svc.Now()
	st := cur.Status
	switch integrations.State(st, c.syncer.Syncing(in.ID), now) {
	case integrations.StateOK:
		return fmt.Sprintf("Connected %s: the first sync matched %d of %d devices.", name, st.MatchedCount, deviceTotal(st)), false
	case integrations.StatePaused:
		return "Added " + name + ", but its first sync failed. " + integrations.PausedReason(st, now), true
	case integrations.StateError:
		return "Added " + name + ", but its first sync failed: " + st.Error, true
	}
	return "Added " + name + "; its first sync is still running. This page shows the outcome when it ends.", true
}

// deviceTotal is how many tailnet devices the last successful sync looked
// at: those it matched and those it listed as unmatched.
func deviceTotal(st postern.IntegrationStatus) int {
	if st.Unmatched == nil {
		return st.MatchedCount
	}
	return st.MatchedCount + st.Unmatched.DeviceCount
}

// formInterval reads the form's sync interval in minutes: empty or 0 is
// the server's default; the writer checks the bounds.
func formInterval(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	m, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(m) || math.IsInf(m, 0) || m < 0 || m > 1e6 {
		return 0, postern.Errorf(postern.EINVALID, "the sync interval must be a number of minutes from 1 to 1440, or empty for the server's default")
	}
	return time.Duration(math.Round(m*60)) * time.Second, nil
}

// intervalMinutes is the form's value for d: "" for the default.
func intervalMinutes(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return strconv.FormatFloat(d.Minutes(), 'f', -1, 64)
}
