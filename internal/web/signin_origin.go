package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// presessionCookie carries the sign-in page's form token: without an
// Origin header, a sign-in POST must echo the cookie's value in its
// form, which a page on another site cannot read.
const presessionCookie = "postern_signin"

// originOf returns "scheme://host[:port]" of a URL, lower-cased and
// without the scheme's default port (as browsers send Origin), or "".
func originOf(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	scheme, host := strings.ToLower(p.Scheme), strings.ToLower(p.Host)
	if (scheme == "https" && p.Port() == "443") || (scheme == "http" && p.Port() == "80") {
		host = strings.TrimSuffix(host, ":"+p.Port())
	}
	return scheme + "://" + host
}

// presession returns the request's pre-session token, minting one (and
// setting its cookie) if it has none, for the sign-in form to echo.
func (c *Console) presession(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(presessionCookie); err == nil && len(ck.Value) >= 40 {
		return ck.Value
	}
	text, _ := newToken()
	http.SetCookie(w, &http.Cookie{
		Name: presessionCookie, Value: text, Path: "/admin/signin", MaxAge: 3600,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode,
	})
	return text
}

// signinFromHere reports whether a sign-in POST comes from this server's
// own sign-in page. A page on another site could otherwise sign the
// victim's browser in as the attacker (login CSRF) with a link the
// attacker made. A browser's Sec-Fetch-Site and Origin say where the form
// was; the Origin must be the server URL's (the public URL, also behind
// a TLS-terminating proxy) or have the request's own host. Without an
// Origin, or with the opaque "null" one (which browsers send for every
// POST from a page whose Referrer-Policy is no-referrer, as the
// console's is), the form must echo the pre-session cookie. why says
// what was wrong, for the log.
func (c *Console) signinFromHere(r *http.Request) (ok bool, why string) {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "cross-site", "same-site":
		return false, "Sec-Fetch-Site " + site
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		got := originOf(o)
		if got == "" {
			return false, "origin " + o
		}
		if got == c.origin {
			return true, ""
		}
		if u, err := url.Parse(got); err == nil && strings.EqualFold(u.Host, r.Host) {
			return true, ""
		}
		return false, "origin " + got
	}
	ck, err := r.Cookie(presessionCookie)
	if err != nil || ck.Value == "" {
		return false, "no origin and no pre-session cookie"
	}
	if subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("presession"))) != 1 {
		return false, "no origin and a form without the pre-session token"
	}
	return true, ""
}
