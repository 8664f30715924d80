// Package browsertest drives the admin console in a real headless
// Chromium for tests: open pages, click, read text, check that nothing
// overflows a phone-sized viewport and that pages log no errors, and save
// screenshots. Only tests import it.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Widths are the viewport widths every page is checked at: a laptop and
// a phone.
var Widths = []int64{1280, 390}

// Chromium finds Debian's headless Chromium, skipping the test when it
// is missing (failing it under CI=true, which must run it).
func Chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but Chromium is not installed (apt-get install chromium); the browser tests must run in CI")
	}
	t.Skip("browser tests skipped: Chromium not found (apt-get install chromium)")
	return ""
}

// artifacts returns the directory screenshots go to: under
// $POSTERN_TEST_ARTIFACTS (or a temporary directory), area/test name.
func artifacts(t *testing.T, area string) string {
	t.Helper()
	dir := os.Getenv("POSTERN_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, area, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// Browser is one headless Chromium tab on a running server, recording
// what the pages log as errors.
type Browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string

	mu     sync.Mutex
	errors []string // console errors and uncaught exceptions since the last check
}

// New starts a Chromium tab for the server at base; its screenshots go
// under area (the package's name, e.g. "web").
func New(t *testing.T, base, area string) *Browser {
	t.Helper()
	exe := Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	b := &Browser{t: t, ctx: ctx, base: base, dir: artifacts(t, area)}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value))
				}
				msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// Do runs steps with a timeout.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Text returns the text of the first element sel matches.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// Eval evaluates js in the page and returns its boolean result.
func (b *Browser) Eval(js string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// EvalString evaluates js in the page and returns its string result.
func (b *Browser) EvalString(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// CheckErrors fails the test if the pages logged errors since the last
// check.
func (b *Browser) CheckErrors(where string) {
	b.t.Helper()
	b.mu.Lock()
	errs := b.errors
	b.errors = nil
	b.mu.Unlock()
	for _, e := range errs {
		b.t.Errorf("%s: got browser console error %q, want none", where, e)
	}
}

// DropErrors forgets the recorded errors containing substr, those a test
// provoked on purpose (Chromium logs every 404 page it loads).
func (b *Browser) DropErrors(substr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.errors[:0]
	for _, e := range b.errors {
		if !strings.Contains(e, substr) {
			kept = append(kept, e)
		}
	}
	b.errors = kept
}

// Shoot checks the current page at each width (nothing wider than the
// viewport but what scrolls inside its own box, no console errors) and
// saves a screenshot per width as name-WIDTH.png.
func (b *Browser) Shoot(name string) {
	b.t.Helper()
	for _, w := range Widths {
		b.Do(chromedp.EmulateViewport(w, 900), chromedp.WaitVisible(chromedp.CSS("h1")))
		if !b.Eval(`document.documentElement.scrollWidth <= window.innerWidth + 1`) {
			b.t.Errorf("%s at %dpx: the page is wider than the viewport, want it to fit", name, w)
		}
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(b.dir, fmt.Sprintf("%s-%d.png", name, w))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.Do(chromedp.EmulateViewport(1280, 900))
	b.CheckErrors(name)
}

// Open navigates to a console path and waits for the page heading.
func (b *Browser) Open(path string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("h1")))
}

// Submit clicks sel, which submits a form, and waits for the page the
// server answers with. Waiting for an element alone is not enough: the
// old page may still show it (a flash message) until the new one loads.
func (b *Browser) Submit(sel string) {
	b.t.Helper()
	b.Eval(`(window.__posternOldPage = true)`)
	b.Do(chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		fresh, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__posternOldPage !== true && document.readyState === "complete"`))
		cancel()
		if err == nil && fresh {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("clicking %s did not load a new page within 30s", sel)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Do(chromedp.WaitVisible(chromedp.CSS("h1")))
}
