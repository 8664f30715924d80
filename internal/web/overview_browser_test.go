package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/browsertest"
	"github.com/postern/postern/internal/server"
	"github.com/postern/postern/internal/web"
)

// chartLabelsReadable is JavaScript answering "" when the chart's date
// labels are all inside the chart, apart from each other and at least
// 11px, else what is wrong.
const chartLabelsReadable = `(() => {
  const ticks = [...document.querySelectorAll('.chart-x .tick')];
  const box = document.querySelector('.chart-box');
  if (!box) return 'no chart';
  if (ticks.length !== 5) return 'got ' + ticks.length + ' date labels, want 5';
  const b = box.getBoundingClientRect();
  let prev = null;
  for (const [i, t] of ticks.entries()) {
    const r = t.getBoundingClientRect();
    if (r.left < b.left - 0.5 || r.right > b.right + 0.5) return 'label ' + i + ' runs outside the chart';
    if (prev && r.left < prev.right + 4) return 'labels ' + (i-1) + ' and ' + i + ' overlap';
    const fs = parseFloat(getComputedStyle(t).fontSize);
    if (fs < 11) return 'label ' + i + ' is ' + fs + 'px';
    prev = r;
  }
  return '';
})()`

func TestBrowserOverviewCompliance(t *testing.T) {
	e := newConsoleEnv(t)
	ctx := context.Background()
	tid := e.srv.Tailnet().ID
	ac := audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}
	// The laptops reach the tagged server and need posture:managed; the
	// server is only a destination, so it is not counted.
	policy := `{
  "tagOwners": {"tag:server": []},
  "postures": {"posture:managed": ["custom:managed == true"]},
  "acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["tag:server:*"], "srcPosture": ["posture:managed"]}],
}`
	if _, err := e.svc.SetPolicy(ctx, ac, tid, policy, ""); err != nil {
		t.Fatalf("SetPolicy: %v", err)
	}
	if err := e.svc.Store().SetAttribute(ctx, postern.Attribute{DeviceID: e.laptop.ID, Key: "custom:managed", Value: postern.Bool(true), Source: postern.SourceCustom}); err != nil {
		t.Fatal(err)
	}
	b := e.b
	b.Open("/admin/")
	if got := b.Text("#posture-compliance tbody"); !strings.Contains(got, "1 of 2 devices it applies to pass") || !strings.Contains(got, "50%") {
		t.Errorf("compliance row: got %q, want 1 of 2 devices passing, 50%%", got)
	}
	for _, w := range browsertest.Widths {
		b.Do(chromedp.EmulateViewport(w, 900))
		if msg := b.EvalString(chartLabelsReadable); msg != "" {
			t.Errorf("chart at %dpx: %s", w, msg)
		}
	}
	b.Shoot("overview-compliance")
}

func TestBrowserOverviewEmptyTailnet(t *testing.T) {
	browsertest.Chromium(t)
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	svc := srv.Service()
	owner, _, err := svc.Owner(ctx, audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}, srv.Tailnet().ID)
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, srv.URL(), "web")
	link, err := web.CreateSignInLink(ctx, svc.Store(), srv.URL(), owner, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#signin")))
	b.Do(chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#first-device")))
	want := fmt.Sprintf("tailscale up --login-server=%s --authkey=", srv.URL())
	if got := b.Text("#first-device-up"); !strings.Contains(got, want) {
		t.Errorf("first-device guide: got %q, want %q", got, want)
	}
	if got := b.Text("main"); strings.Contains(got, "100%") {
		t.Errorf("empty tailnet: got compliance figures in %q, want the first-device guide only", got)
	}
	b.Shoot("overview-empty")
}
