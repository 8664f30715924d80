package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/postern/postern/internal/browsertest"
)

// navInSight is JavaScript answering "" when all seven nav links are
// shown whole inside the viewport and nothing covers or clips them, else
// what is wrong.
const navInSight = `(() => {
  window.scrollTo(0, 0);
  const links = [...document.querySelectorAll('header.top nav a')];
  if (links.length !== 7) return 'got ' + links.length + ' nav links, want 7';
  for (const a of links) {
    const r = a.getBoundingClientRect();
    const name = a.textContent.trim();
    if (r.width === 0 || r.height === 0) return name + ' is not shown';
    if (r.left < 0 || r.right > window.innerWidth || r.top < 0 || r.bottom > window.innerHeight)
      return name + ' lies outside the viewport (' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + window.innerWidth + ')';
    for (const x of [r.left + 1, r.left + r.width / 2, r.right - 1]) {
      if (!a.contains(document.elementFromPoint(x, r.top + r.height / 2))) return name + ' is cut off or covered';
    }
  }
  return '';
})()`

// tablesInScroll is JavaScript answering "" when every table sits
// directly in a box that scrolls sideways on its own, so a wide table
// never widens the page.
const tablesInScroll = `(() => {
  for (const t of document.querySelectorAll('main table')) {
    const p = t.parentElement;
    if (!p.classList.contains('scroll') || getComputedStyle(p).overflowX !== 'auto')
      return 'table ' + (t.className || '#' + [...document.querySelectorAll('main table')].indexOf(t)) + ' is not inside a .scroll box';
  }
  return '';
})()`

// checkNarrow opens path and checks the navigation and tables at each
// width, then shoots it (which checks for page overflow and errors).
// missing, if set, is the page's full URL, which is meant to answer 404.
func checkNarrow(t *testing.T, b *browsertest.Browser, path, name string, signedIn bool, missing string) {
	t.Helper()
	b.Open(path)
	for _, w := range browsertest.Widths {
		b.Do(chromedp.EmulateViewport(w, 900))
		if signedIn {
			if msg := b.EvalString(navInSight); msg != "" {
				t.Errorf("%s at %dpx: %s", path, w, msg)
			}
		}
		if msg := b.EvalString(tablesInScroll); msg != "" {
			t.Errorf("%s at %dpx: %s", path, w, msg)
		}
	}
	if missing != "" {
		b.DropErrors("status of 404 (Not Found) " + missing)
	}
	b.Shoot(name)
}

func TestBrowserEveryPageAtBothWidths(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.b
	const notFound = "/admin/no/such/page"
	for _, p := range []struct{ path, name string }{
		{"/admin/", "overview"},
		{"/admin/machines", "machines"},
		{fmt.Sprintf("/admin/machines/%d", e.laptop.ID), "device"},
		{"/admin/integrations", "integrations"},
		{"/admin/policy", "policy"},
		{"/admin/keys", "keys"},
		{"/admin/users", "users"},
		{"/admin/logs", "logs"},
		{notFound, "not-found"},
	} {
		missing := ""
		if p.path == notFound {
			missing = e.srv.URL() + notFound
		}
		checkNarrow(t, b, p.path, p.name, true, missing)
	}
	b.Open(notFound)
	if got := b.Text("#page-error"); got != "There is no such page." {
		t.Errorf("404 message: got %q, want There is no such page.", got)
	}

	b.Submit(".signout button")
	checkNarrow(t, b, notFound, "not-found-signed-out", false, e.srv.URL()+notFound)
	if b.Eval(`document.querySelector('header.top nav') !== null`) {
		t.Errorf("404 without a session shows the navigation, want only a sign-in link")
	}
	if got := b.EvalString(`(document.getElementById('signin-link') || {}).pathname || ''`); got != "/admin/signin" {
		t.Errorf("404 without a session: sign-in link goes to %q, want /admin/signin", got)
	}
}
