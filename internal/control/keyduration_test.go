package control

import (
	"context"
	"testing"
	"time"

	"tailscale.com/types/key"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/tailnet"
)

func TestJoinKeyExpiryFollowsTailnetSetting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		days   int // 0 leaves the tailnet's default
		tagged bool
		want   time.Duration // 0 means disabled
	}{
		{name: "default is 180 days", want: 180 * 24 * time.Hour},
		{name: "one day", days: 1, want: 24 * time.Hour},
		{name: "30 days", days: 30, want: 30 * 24 * time.Hour},
		{name: "tagged devices do not expire", days: 30, tagged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, ts *testServer) {
				ctx := context.Background()
				if tc.days != 0 {
					if _, err := ts.cfg.Writer.(*tailnet.Service).UpdateSettings(ctx, audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}, ts.tn.ID, func(s *postern.TailnetSettings) error {
						s.DevicesKeyDurationDays = tc.days
						return nil
					}); err != nil {
						t.Fatal(err)
					}
				}
				k := postern.Key{}
				if tc.tagged {
					k.Tags = []string{"tag:server"}
				}
				mk, nk := key.NewMachine().Public(), key.NewNode().Public()
				before := time.Now()
				if resp, err := ts.register(ctx, mk, regReq(nk, ts.authKey(t, k))); err != nil || resp.Error != "" {
					t.Fatalf("join: got %+v, %v", resp, err)
				}
				d, err := ts.st.DeviceByNodeKey(ctx, nk.String())
				if err != nil {
					t.Fatal(err)
				}
				if tc.want == 0 {
					if !d.KeyExpiryDisabled || !d.KeyExpiry.IsZero() {
						t.Errorf("got disabled %v, expiry %v; want disabled, none", d.KeyExpiryDisabled, d.KeyExpiry)
					}
					return
				}
				lo, hi := before.Add(tc.want), time.Now().Add(tc.want)
				if d.KeyExpiryDisabled || d.KeyExpiry.Before(lo.Add(-time.Second)) || d.KeyExpiry.After(hi.Add(time.Second)) {
					t.Errorf("got disabled %v, expiry %v; want enabled, about %v", d.KeyExpiryDisabled, d.KeyExpiry, lo)
				}
			})
		})
	}
}
