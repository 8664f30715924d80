package posturesync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/providers"
)

// maxErrorLen bounds the error a status keeps.
const maxErrorLen = 500

// errStale marks a run whose integration was changed or deleted while it
// listed the vendor's devices; its outcome is dropped, and the change
// itself schedules a new run.
var errStale = errors.New("the integration changed while it synced; discarding this run")

// Report is the outcome of one sync.
type Report struct {
	Status    postern.IntegrationStatus // as recorded
	Changed   []int64                   // devices whose attributes changed
	Conflicts []integrations.Conflict   // devices more than one vendor record matched

	// Where the time went: listing the vendor's devices, matching them,
	// and writing the attributes.
	FetchTime, MatchTime, WriteTime time.Duration
}

// Sync runs one sync of integration id now and waits for it: list every
// device the vendor knows, match them with the tailnet's devices, and make
// the integration's attributes exactly what the vendor reports, writing
// only what changed, in one transaction. A failure anywhere (a page that
// errors or is cut short, a timeout, a refused token) changes no attribute
// and is recorded in the status; an authentication failure also pauses
// the integration for Config.AuthPause. The returned error is the run's.
func (e *Engine) Sync(ctx context.Context, id string) (Report, error) {
	st := e.cfg.Tailnet.Store()
	in, err := st.Integration(ctx, id)
	if err == nil && in.TailnetID != e.cfg.TailnetID {
		err = postern.Errorf(postern.ENOTFOUND, "posture integration %q not found", id)
	}
	if err != nil {
		if !postern.IsNotFound(err) {
			e.log.Error("reading posture integration", "integration_id", id, "err", err)
		}
		return Report{}, fmt.Errorf("reading posture integration %s: %w", id, err)
	}

	start := e.now()
	rep, runErr := e.run(ctx, in)
	if errors.Is(runErr, errStale) {
		e.log.Info("posture sync discarded: the integration changed while it ran", "integration_id", id)
		return rep, runErr
	}
	status := in.Status
	status.LastAttempt = start.UTC()
	status.LastDuration = e.now().Sub(start)
	if runErr != nil {
		// Every reader of the tailnet sees the status; the vendor's own
		// words (a response body, its error message) go to the log only.
		status.Error = truncate(integrations.Summary(label(in.Provider), runErr), maxErrorLen)
		e.log.Warn("posture sync failed", "integration_id", id, "provider", in.Provider,
			"err", redact(runErr.Error(), in.ClientSecret))
		if errors.Is(runErr, integrations.ErrAuth) {
			status.PausedUntil = start.Add(e.cfg.AuthPause).UTC()
		}
	} else {
		status = rep.Status
		status.LastAttempt = start.UTC()
		status.LastSync = e.now().UTC()
		status.LastDuration = e.now().Sub(start)
		status.PausedUntil = time.Time{}
	}
	rep.Status = status

	// Record the outcome even if ctx has just ended: a timeout is exactly
	// what the status must say.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if cur, err := st.Integration(wctx, id); err != nil || !cur.ConfigUpdated.Equal(in.ConfigUpdated) {
		e.log.Info("posture sync status dropped: the integration changed while it ran", "integration_id", id)
		return rep, errors.Join(runErr, errStale)
	}
	if err := e.cfg.Tailnet.SetIntegrationStatus(wctx, id, status); err != nil {
		e.log.Error("recording posture sync status", "integration_id", id, "err", err)
		return rep, errors.Join(runErr, err)
	}
	e.log.Info("posture sync", "integration_id", id, "provider", in.Provider,
		"ok", runErr == nil, "hosts", status.ProviderHostCount, "matched", status.MatchedCount,
		"changed", len(rep.Changed), "duration", status.LastDuration,
		"fetch", rep.FetchTime, "match", rep.MatchTime, "write", rep.WriteTime, "err", status.Error)
	return rep, runErr
}

// run lists, matches and writes. It returns the counts in Report.Status.
func (e *Engine) run(ctx context.Context, in postern.Integration) (Report, error) {
	var rep Report
	p, err := providers.Lookup(in.Provider)
	if err != nil {
		return rep, err
	}
	src, err := e.source(p, in)
	if err != nil {
		return rep, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RunTimeout)
	defer cancel()
	t0 := time.Now()
	records, err := src.Fetch(ctx)
	rep.FetchTime = time.Since(t0)
	if err != nil {
		return rep, err
	}

	t0 = time.Now()
	st := e.cfg.Tailnet.Store()
	devices, err := st.Devices(ctx, in.TailnetID)
	if err != nil {
		return rep, fmt.Errorf("listing devices: %w", err)
	}
	ids := make([]integrations.Identity, len(devices))
	names := make(map[int64]string, len(devices))
	for i := range devices {
		ids[i] = integrations.IdentityOf(&devices[i])
		names[devices[i].ID] = devices[i].Name
	}
	res := integrations.Match(ids, records, p.MatchMAC)
	desired := make(map[int64]map[string]postern.Value, len(res.Matches))
	for _, m := range res.Matches {
		desired[m.DeviceID] = m.Record.Attributes
	}

	rep.MatchTime = time.Since(t0)

	// The listing took a while: if the integration was deleted or
	// reconfigured meanwhile, its results no longer belong in the tailnet.
	cur, err := st.Integration(ctx, in.ID)
	if err != nil || !cur.ConfigUpdated.Equal(in.ConfigUpdated) {
		return rep, errStale
	}
	ac := audit.Context{Origin: audit.OriginControl, Actor: audit.IntegrationActor(in), GroupID: audit.GroupID(),
		Details: "posture integration " + in.ID + " (" + in.Provider + ")"}
	t0 = time.Now()
	rep.Changed, err = e.cfg.Tailnet.ReplaceAttributes(ctx, ac, in.TailnetID, postern.IntegrationSource(in.ID), nil, desired)
	rep.WriteTime = time.Since(t0)
	if err != nil {
		return rep, err
	}
	rep.Conflicts = res.Conflicts
	rep.Status = in.Status
	rep.Status.ProviderHostCount = res.ProviderHostCount
	rep.Status.MatchedCount = res.MatchedCount
	rep.Status.PossibleMatchedCount = res.PossibleMatchedCount
	rep.Status.Error = ""
	rep.Status.Warning = conflictNote(in.Provider, res.Conflicts, names)
	if d, ok := src.(integrations.Declarer); ok {
		// What the vendor declared becomes its namespace's catalogue
		// for the policy checks of the next save.
		rep.Status.Schema = d.Schema()
	}
	rep.Status.Unmatched = unmatched(records, devices, ids, res, p.MatchMAC)
	return rep, nil
}

// unmatched lists, up to postern.MaxUnmatchedListed of each, the vendor
// records no device matched and the devices no record matched; ids are
// the devices' identities, in the same order.
func unmatched(records []integrations.Record, devices []postern.Device, ids []integrations.Identity,
	res integrations.Result, useMAC bool) *postern.MatchReport {
	used := make(map[*integrations.Record]bool, len(res.Matches))
	matched := make(map[int64]bool, len(res.Matches))
	for _, m := range res.Matches {
		used[m.Record] = true
		matched[m.DeviceID] = true
	}
	r := &postern.MatchReport{Records: []postern.UnmatchedRecord{}, Devices: []postern.UnmatchedDevice{}}
	for i := range records {
		rec := &records[i]
		if used[rec] {
			continue
		}
		r.RecordCount++
		if len(r.Records) < postern.MaxUnmatchedListed {
			r.Records = append(r.Records, postern.UnmatchedRecord{VendorID: truncate(rec.VendorID, maxShown),
				Hostname: truncate(rec.Hostname, maxShown), Serials: bounded(rec.Serials), MACs: bounded(rec.MACs)})
		}
	}
	for i := range devices {
		d := &devices[i]
		if matched[d.ID] {
			continue
		}
		r.DeviceCount++
		if len(r.Devices) < postern.MaxUnmatchedListed {
			r.Devices = append(r.Devices, postern.UnmatchedDevice{NodeID: d.NodeID, Name: d.Name, Serials: bounded(ids[i].Serials),
				NoIdentity: len(ids[i].Serials) == 0 && (!useMAC || len(ids[i].MACs) == 0)})
		}
	}
	return r
}

// maxShown bounds each string a match report keeps of what a vendor sent.
const maxShown = 200

// bounded is at most 10 of ss, each at most maxShown long: a report lists
// identifiers to compare by eye, and a vendor's record could hold many.
func bounded(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(ss), 10))
	for _, s := range ss[:min(len(ss), 10)] {
		out = append(out, truncate(s, maxShown))
	}
	return out
}

// source builds the vendor client for in.
func (e *Engine) source(p integrations.Provider, in postern.Integration) (integrations.Source, error) {
	base, err := integrations.BaseURL(p, in.CloudID)
	if err != nil {
		return nil, err
	}
	cfg := integrations.Config{
		BaseURL:  base,
		ClientID: in.ClientID,
		TenantID: in.TenantID,
		Secret:   in.ClientSecret,
		HTTP:     e.cfg.HTTP,
		Logger:   e.log.With("integration_id", in.ID),
		Retry:    e.cfg.Retry,
		Now:      e.cfg.Now,
	}
	src, err := e.cfg.Sources(in, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting up the %s client: %w", in.Provider, err)
	}
	return src, nil
}

// conflictNote is the warning a successful sync's status carries when
// vendor records competed for devices; "" when none did.
func conflictNote(provider string, cs []integrations.Conflict, names map[int64]string) string {
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d device(s) matched more than one %s record, the most recently seen was used:", len(cs), provider)
	for i, c := range cs {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(cs)-i)
			break
		}
		name := names[c.DeviceID]
		if name == "" {
			name = fmt.Sprint(c.DeviceID)
		}
		fmt.Fprintf(&b, " %s: %s over %s;", name, c.Chosen, strings.Join(c.Others, ", "))
	}
	return truncate(strings.TrimSuffix(b.String(), ";"), maxErrorLen)
}

// redact replaces secret in s, should a vendor have echoed it in an
// error, so that it never reaches the log.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[secret]")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// label is how provider is named in sentences ("CrowdStrike Falcon"), or
// its id if it is not known.
func label(provider string) string {
	if p, err := providers.Lookup(provider); err == nil {
		return p.Label
	}
	return provider
}
