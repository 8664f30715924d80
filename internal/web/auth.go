package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// SessionCookie is the name of the console's session cookie.
const SessionCookie = "postern_session"

// LinkTTL is how long a sign-in link stays valid.
const LinkTTL = 15 * time.Minute

// Sign-in methods recorded on sessions. A new method (OIDC) verifies the
// user its own way and then calls startSession, as signin does.
const (
	MethodLink = "link"
)

// newToken returns 32 random bytes as URL-safe text, and their hash.
func newToken() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	text := base64.RawURLEncoding.EncodeToString(b)
	return text, hashToken(text)
}

func hashToken(text string) []byte {
	h := sha256.Sum256([]byte(text))
	return h[:]
}

// CanUseConsole reports whether a user's role may sign in to the console:
// owners and admins manage, auditors read.
func CanUseConsole(r postern.Role) bool {
	return r == postern.RoleOwner || r == postern.RoleAdmin || r == postern.RoleAuditor
}

// canWrite reports whether a role may change anything.
func canWrite(r postern.Role) bool { return r == postern.RoleOwner || r == postern.RoleAdmin }

// CreateSignInLink stores a one-time sign-in link for user, valid for
// LinkTTL from now, and returns its URL under serverURL.
func CreateSignInLink(ctx context.Context, q store.Queries, serverURL string, u postern.User, now time.Time) (string, error) {
	if !CanUseConsole(u.Role) {
		return "", postern.Errorf(postern.EFORBIDDEN, "user %s is a %s; only owners, admins and auditors may use the console", u.LoginName, u.Role)
	}
	text, hash := newToken()
	l := store.SignInLink{TokenHash: hash, TailnetID: u.TailnetID, UserID: u.ID, Created: now.UTC(), Expires: now.Add(LinkTTL).UTC()}
	if err := q.CreateSignInLink(ctx, l); err != nil {
		return "", fmt.Errorf("creating a sign-in link for %s: %w", u.LoginName, err)
	}
	return strings.TrimRight(serverURL, "/") + "/admin/signin?token=" + url.QueryEscape(text), nil
}

// session is the signed-in user of a request.
type session struct {
	user  postern.User
	csrf  string // the token every form of this session carries
	token []byte // hash of the cookie
	// flashes keeps the message for the session's next page; nil
	// drops messages.
	flashes *flashes
}

// csrfToken derives a session's form token from its secret.
func csrfToken(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("postern console forms"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// startSession records a session for u and sets its cookie.
func (c *Console) startSession(ctx context.Context, w http.ResponseWriter, u postern.User, method string) error {
	text, hash := newToken()
	secret := make([]byte, 32)
	rand.Read(secret)
	now := c.svc.Now().UTC()
	s := store.Session{TokenHash: hash, TailnetID: u.TailnetID, UserID: u.ID, CSRFSecret: secret, Method: method,
		Created: now, Expires: now.Add(c.sessionTTL)}
	if err := c.st.CreateSession(ctx, s); err != nil {
		return fmt.Errorf("starting a console session for %s: %w", u.LoginName, err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: text, Path: "/admin", Expires: s.Expires,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode,
	})
	return nil
}

// currentSession returns the request's session, or nil if it has none
// that is valid for a user who may still use the console.
func (c *Console) currentSession(r *http.Request) (*session, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	hash := hashToken(ck.Value)
	s, err := c.st.Session(r.Context(), hash)
	if postern.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !c.svc.Now().Before(s.Expires) || s.TailnetID != c.tailnetID {
		return nil, nil
	}
	u, err := c.st.User(r.Context(), s.UserID)
	if postern.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !CanUseConsole(u.Role) {
		return nil, nil
	}
	return &session{user: u, csrf: csrfToken(s.CSRFSecret), token: hash, flashes: &c.flashes}, nil
}

// handlerFunc is a console page handler with its session.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session)

// authed wraps h: without a session it sends the browser to the sign-in
// page; for writes it requires a role that may write and the session's
// CSRF token in the form.
func (c *Console) authed(h handlerFunc, write bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.currentSession(r)
		if err != nil {
			c.renderError(w, r, nil, http.StatusInternalServerError, "The console could not read your session.")
			c.log.Error("reading console session", "err", err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
				return
			}
			c.renderError(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again.")
			return
		}
		if write {
			r.Body = http.MaxBytesReader(w, r.Body, 2<<20)
			if err := r.ParseForm(); err != nil {
				c.renderError(w, r, s, http.StatusBadRequest, "The form could not be read.")
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(s.csrf)) != 1 {
				c.renderError(w, r, s, http.StatusForbidden, "This form has expired or did not come from the console. Reload the page and try again.")
				return
			}
			if !canWrite(s.user.Role) && r.URL.Path != "/admin/signout" {
				c.renderError(w, r, s, http.StatusForbidden, "Your role ("+string(s.user.Role)+") may view the console but not change anything.")
				return
			}
		}
		h(w, r.WithContext(withSession(r.Context(), s)), s)
	})
}

// actor is the audit context of a console change by s's user.
func (s *session) actor() audit.Context {
	return audit.Context{Origin: audit.OriginConsole, Actor: audit.User(s.user)}
}

// signinPage shows the sign-in page. With a token it offers to use it:
// the token is only spent by the POST, so link scanners and prefetchers
// that follow the URL do not use it up.
func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, nil, "signin", "Sign in", map[string]any{"Token": r.URL.Query().Get("token"), "Presession": c.presession(w, r)})
}

// signin spends a sign-in link and starts a session.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	fail := func(status int, msg string) {
		w.WriteHeader(status)
		c.render(w, r, nil, "signin", "Sign in", map[string]any{"Error": msg})
	}
	if ok, why := c.signinFromHere(r); !ok {
		c.log.Warn("console sign-in refused: not from the sign-in page", "reason", why, "remote", r.RemoteAddr)
		fail(http.StatusForbidden, "This sign-in did not come from this server's sign-in page, so it was refused. Open your sign-in link again.")
		return
	}
	token := r.PostFormValue("token")
	if token == "" {
		fail(http.StatusBadRequest, "This sign-in link is incomplete.")
		return
	}
	l, err := c.st.UseSignInLink(r.Context(), hashToken(token), c.svc.Now())
	if postern.IsNotFound(err) || (err == nil && l.TailnetID != c.tailnetID) {
		fail(http.StatusUnauthorized, "This sign-in link has expired or was already used. Run 'postern admin login-link' for a new one.")
		return
	}
	if err != nil {
		c.log.Error("using a sign-in link", "err", err)
		fail(http.StatusInternalServerError, "Signing in failed; see the server log.")
		return
	}
	u, err := c.st.User(r.Context(), l.UserID)
	if err != nil || !CanUseConsole(u.Role) {
		fail(http.StatusForbidden, "This user may not use the console.")
		return
	}
	if err := c.startSession(r.Context(), w, u, MethodLink); err != nil {
		c.log.Error("starting a console session", "err", err)
		fail(http.StatusInternalServerError, "Signing in failed; see the server log.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: presessionCookie, Value: "", Path: "/admin/signin", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
	c.log.Info("console sign-in", "user", u.LoginName, "method", MethodLink)
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

// signout ends the session and clears its cookie.
func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *session) {
	c.flashes.take(s.token)
	if err := c.st.DeleteSession(r.Context(), s.token); err != nil {
		c.log.Error("ending a console session", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/admin", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}
