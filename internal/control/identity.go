package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
)

// identityTimeout bounds one Device Identity Collection round trip.
const identityTimeout = 30 * time.Second

// collectIdentity asks a connected client for its serial numbers and MAC
// addresses when the tailnet collects them, stores the answer and audits
// NODE.UPDATE.POSTURE_IDENTITY when it changed. Failures are logged: the
// next reconnect or daily round tries again.
func (s *Server) collectIdentity(ctx context.Context, id int64) {
	ctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	if err := s.CollectIdentity(ctx, id); err != nil {
		s.log.Warn("posture identity collection failed", "device_id", id, "err", err)
	}
}

// CollectIdentity runs Device Identity Collection for device id now, if
// the tailnet setting postureIdentityCollectionOn is true.
func (s *Server) CollectIdentity(ctx context.Context, id int64) error {
	d, err := s.cfg.Store.Device(ctx, id)
	if err != nil {
		return fmt.Errorf("loading device: %w", err)
	}
	tn, err := s.cfg.Store.Tailnet(ctx, d.TailnetID)
	if err != nil {
		return fmt.Errorf("loading tailnet settings: %w", err)
	}
	if !tn.Settings.PostureIdentityCollectionOn {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://node/posture/identity?hwaddrs=true", nil)
	if err != nil {
		return err
	}
	res, err := s.C2N(ctx, id, req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("client answered posture identity request with %s", res.Status)
	}
	var pr tailcfg.C2NPostureIdentityResponse
	if err := json.NewDecoder(res.Body).Decode(&pr); err != nil {
		return fmt.Errorf("decoding posture identity: %w", err)
	}
	pi := postern.PostureIdentity{
		SerialNumbers: pr.SerialNumbers,
		HardwareAddrs: pr.IfaceHardwareAddrs,
		Disabled:      pr.PostureDisabled,
		Updated:       s.now(),
	}
	return s.storeIdentity(ctx, id, pi)
}

// storeIdentity has the writer save pi on the device, which audits a
// change.
func (s *Server) storeIdentity(ctx context.Context, id int64, pi postern.PostureIdentity) error {
	changed, err := s.cfg.Writer.SetPostureIdentity(ctx, id, pi)
	if err != nil {
		return err
	}
	s.forget(id)
	if changed {
		s.log.Info("posture identity updated", "device_id", id, "serials", len(pi.SerialNumbers), "hwaddrs", len(pi.HardwareAddrs), "disabled", pi.Disabled)
		if f := s.cfg.OnPostureIdentity; f != nil {
			f(id, pi)
		}
	}
	return nil
}

// RefreshIdentities runs Device Identity Collection in the background for
// every connected device, e.g. right after postureIdentityCollectionOn
// was turned on.
func (s *Server) RefreshIdentities() {
	s.mu.Lock()
	ids := make([]int64, 0, len(s.sessions))
	for id := range s.sessions {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.background(func(ctx context.Context) { s.collectIdentity(ctx, id) })
	}
}
