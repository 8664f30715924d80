package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector exports the tailnet's state at scrape time, read from the
// store and the control server, so the numbers are never stale and no
// code path has to remember to update them.
type collector struct {
	s *Server

	devices, connected, policyVersion    *prometheus.Desc
	integrationOK, lastSync, matched     *prometheus.Desc
	hosts, possible, lastSyncDurationSec *prometheus.Desc
}

func newCollector(s *Server) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("postern_"+name, help, labels, nil)
	}
	return &collector{
		s:                   s,
		devices:             d("devices", "Devices in the tailnet."),
		connected:           d("devices_connected", "Devices with a live map session."),
		policyVersion:       d("policy_version", "Version of the policy file in force (0: the default)."),
		integrationOK:       d("integration_ok", "1 if the posture integration's last sync succeeded.", "provider"),
		lastSync:            d("integration_last_sync_timestamp_seconds", "When the integration last synced successfully.", "provider"),
		lastSyncDurationSec: d("integration_last_sync_duration_seconds", "How long the integration's last sync attempt took.", "provider"),
		hosts:               d("integration_provider_hosts", "Devices the vendor reports.", "provider"),
		matched:             d("integration_matched_devices", "Tailnet devices matched with a vendor device.", "provider"),
		possible:            d("integration_possible_matched_devices", "Tailnet devices with identifiers to match on.", "provider"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.devices, c.connected, c.policyVersion, c.integrationOK, c.lastSync,
		c.lastSyncDurationSec, c.hosts, c.matched, c.possible} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, tid := c.s.store, c.s.tailnet.ID
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if devs, err := st.Devices(ctx, tid); err == nil {
		gauge(c.devices, float64(len(devs)))
	}
	gauge(c.connected, float64(c.s.control.Connected()))
	if p, err := st.Policy(ctx, tid); err == nil {
		gauge(c.policyVersion, float64(p.Version))
	} else {
		gauge(c.policyVersion, 0)
	}
	ins, err := st.Integrations(ctx, tid)
	if err != nil {
		return
	}
	for _, in := range ins {
		s := in.Status
		ok := 0.0
		if s.Error == "" && !s.LastSync.IsZero() {
			ok = 1
		}
		gauge(c.integrationOK, ok, in.Provider)
		if !s.LastSync.IsZero() {
			gauge(c.lastSync, float64(s.LastSync.Unix()), in.Provider)
		}
		gauge(c.lastSyncDurationSec, s.LastDuration.Seconds(), in.Provider)
		gauge(c.hosts, float64(s.ProviderHostCount), in.Provider)
		gauge(c.matched, float64(s.MatchedCount), in.Provider)
		gauge(c.possible, float64(s.PossibleMatchedCount), in.Provider)
	}
}
