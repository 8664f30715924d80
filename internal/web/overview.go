package web

import (
	"net/http"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
)

// onlineWithin is how recently a device must have been seen to count as
// online now when the console has no Presence to ask.
const onlineWithin = 5 * time.Minute

// online reports whether d is connected now: what Presence says, or
// failing one, whether d was seen within onlineWithin.
func (c *Console) online(d postern.Device) bool {
	if c.presence != nil {
		return c.presence.Online(d.ID)
	}
	return !d.LastSeen.IsZero() && c.svc.Now().Sub(d.LastSeen) < onlineWithin
}

// overview is the landing page: device counts, per-posture compliance
// and its 30-day chart. Viewing it refreshes today's snapshot.
func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	f, err := c.loadTailnet(ctx)
	if err != nil {
		c.failed(w, r, s, "Loading the overview", err)
		return
	}
	now := c.svc.Now()
	counts, err := f.counts()
	if err != nil {
		c.failed(w, r, s, "Counting posture compliance", err)
		return
	}
	if err := c.st.RecordCompliance(ctx, c.tailnetID, now, counts); err != nil {
		c.log.Error("recording posture compliance", "err", err)
	}
	history, err := c.st.ComplianceHistory(ctx, c.tailnetID, now.AddDate(0, 0, -(chartDays-1)))
	if err != nil {
		c.failed(w, r, s, "Loading compliance history", err)
		return
	}
	var on, pending int
	for _, d := range f.devices {
		if c.online(d) {
			on++
		}
		if !d.Authorized {
			pending++
		}
	}
	ins, err := c.st.Integrations(ctx, c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading integrations", err)
		return
	}
	for i := range ins {
		ins[i].ClientSecret = "" // templates never see secrets
	}
	logins, err := c.pendingLogins(ctx, s, "/admin/")
	if err != nil {
		c.failed(w, r, s, "Loading logins waiting for approval", err)
		return
	}
	pending += len(logins.Logins)
	c.render(w, r, s, "overview", "Overview", struct {
		Devices, Online, Pending int
		Counts                   []store.PostureCount
		Chart                    chart
		Integrations             []postern.Integration
		Logins                   pendingCard
		LoginServer              string // for the first-device guide
	}{len(f.devices), on, pending, counts, buildChart(history, now), ins, logins, c.loginServer(r)})
}

// loginServer is the URL a client passes as --login-server: the
// configured server URL, else the address this request came in on.
func (c *Console) loginServer(r *http.Request) string {
	if c.origin != "" {
		return c.origin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
