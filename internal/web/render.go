package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// view is what every page template receives.
type view struct {
	Title    string
	Nav      string // the page's nav entry, e.g. "machines"
	User     *postern.User
	CSRF     string
	CanWrite bool
	Flash    string // a success message
	// FlashWarn shows Flash as a warning: done, but not as hoped.
	FlashWarn bool
	Error     string // a failure message
	Now       time.Time
	Data      any
}

// navOf returns the nav entry a page template belongs to.
func navOf(page string) string {
	switch page {
	case "device":
		return "machines"
	case "overview", "machines", "integrations", "policy", "keys", "users", "logs":
		return page
	}
	return ""
}

// render executes page into a buffer first, so a template failure
// becomes a clean error page rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, page, title string, data any) {
	c.renderView(w, r, s, page, view{Title: title, Data: data})
}

func (c *Console) renderView(w http.ResponseWriter, r *http.Request, s *session, page string, v view) {
	t, ok := c.pages[page]
	if !ok {
		c.log.Error("console page has no template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Nav = navOf(page)
	v.Now = c.svc.Now()
	if s != nil {
		v.User, v.CSRF, v.CanWrite = &s.user, s.csrf, canWrite(s.user.Role)
		if v.Flash == "" && r.Method == http.MethodGet {
			v.Flash, v.FlashWarn = c.flashes.takeKind(s.token)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("rendering console page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// renderError answers with an error page and status.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	c.renderView(w, r, s, "error", view{Title: http.StatusText(status), Error: msg})
}

// notFound answers a path the console does not have. A signed-in user
// keeps the navigation; anyone else is offered the sign-in page.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	s, err := c.currentSession(r)
	if err != nil {
		c.log.Error("reading console session", "err", err)
		s = nil
	}
	c.renderError(w, r, s, http.StatusNotFound, "There is no such page.")
}

// failed answers an error from the service: bad input is shown on page
// with its message; anything else is logged and shown without detail.
func (c *Console) failed(w http.ResponseWriter, r *http.Request, s *session, what string, err error) {
	code := postern.ErrorCode(err)
	switch code {
	case postern.EINVALID, postern.ECONFLICT, postern.EPRECONDITION, postern.ENOTFOUND, postern.EFORBIDDEN:
		status := map[postern.Code]int{postern.EINVALID: 400, postern.ECONFLICT: 409, postern.EPRECONDITION: 412,
			postern.ENOTFOUND: 404, postern.EFORBIDDEN: 403}[code]
		c.renderError(w, r, s, status, what+": "+postern.ErrorMessage(err))
		return
	}
	c.log.Error("console request failed", "what", what, "path", r.URL.Path, "err", err)
	c.renderError(w, r, s, http.StatusInternalServerError, what+" failed; see the server log.")
}

// redirect sends the browser to path after a successful write; flash, if
// not empty, is shown once on the session's next page. The message stays
// on the server (see flashes), never in the URL.
func redirect(w http.ResponseWriter, r *http.Request, path, flash string) {
	redirectKind(w, r, path, flash, false)
}

// redirectKind is redirect; warn shows the message as a warning.
func redirectKind(w http.ResponseWriter, r *http.Request, path, flash string, warn bool) {
	if s := sessionFrom(r.Context()); s != nil && s.flashes != nil && flash != "" {
		s.flashes.setKind(s.token, flash, warn)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// templateFuncs are the helpers templates use.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"when":            when,
		"ago":             ago,
		"join":            strings.Join,
		"add":             func(a, b int) int { return a + b },
		"percent":         func(a, b int) int { return percentOf(a, b) },
		"providerName":    providerName,
		"intervalMinutes": intervalMinutes,
		"deviceTotal":     deviceTotal,
		"integrationState": func(st postern.IntegrationStatus, now time.Time) string {
			return integrations.State(st, false, now)
		},
		"dict": dict,
	}
}

// dict builds a map from alternating keys and values, for passing
// several values to a template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// when formats a time for tables, "—" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago formats how long before now t was, e.g. "5m ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in " + short(-d)
	case d < time.Minute:
		return "just now"
	}
	return short(d) + " ago"
}

func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
