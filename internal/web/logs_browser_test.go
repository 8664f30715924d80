package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/browsertest"
)

func TestBrowserAuditLogDetails(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.b
	ctx := context.Background()
	ac := audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}
	base := "{\n  // first-marker\n  \"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"]}],\n" +
		"  // a long comment line that must wrap inside the details rather than widen the page at 390 px, " +
		"however narrow the screen is\n}\n"
	for _, text := range []string{base, strings.Replace(base, "first-marker", "second-marker", 1)} {
		if _, err := e.svc.SetPolicy(ctx, ac, e.srv.Tailnet().ID, text, ""); err != nil {
			t.Fatal(err)
		}
	}
	b.Open("/admin/logs?action=TAILNET.UPDATE.ACL")
	if b.Eval(`document.querySelector('details.audit').open`) {
		t.Errorf("an event's details start open, want closed")
	}
	b.Do(chromedp.Click(chromedp.CSS("details.audit summary")), chromedp.WaitVisible(chromedp.CSS("pre.diff")))
	if got := b.Text("details.audit[open] pre.diff .del"); !strings.Contains(got, "first-marker") {
		t.Errorf("removed line: got %q, want the first-marker comment", got)
	}
	if got := b.Text("details.audit[open] pre.diff .add"); !strings.Contains(got, "second-marker") {
		t.Errorf("added line: got %q, want the second-marker comment", got)
	}
	if b.Eval(`getComputedStyle(document.querySelector('pre.diff .add')).backgroundColor === getComputedStyle(document.querySelector('pre.diff .del')).backgroundColor`) {
		t.Errorf("added and removed lines are styled alike, want them told apart")
	}
	for _, w := range browsertest.Widths {
		b.Do(chromedp.EmulateViewport(w, 900))
		if msg := b.EvalString(`(() => {
  const r = document.querySelector('details.audit[open] pre.diff').getBoundingClientRect();
  return r.right <= window.innerWidth + 1 ? '' : 'the diff reaches ' + Math.round(r.right) + ' of ' + window.innerWidth + ' px';
})()`); msg != "" {
			t.Errorf("at %d px: %s, want it to wrap inside the viewport", w, msg)
		}
	}
	b.Shoot("logs-details")
}
