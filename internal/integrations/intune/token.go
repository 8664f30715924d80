package intune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// newAuth returns the client's token source: the tenant's Entra ID
// endpoint (tokenURL), asked for the Graph resource's .default scope.
// Entra ID's tokens last 60-90 minutes; one stops being used five
// minutes before it expires.
func newAuth(c *Client) *integrations.ClientCredentials {
	return &integrations.ClientCredentials{
		Do:  c.cfg.Do,
		URL: c.tokenURL,
		Form: url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {c.cfg.ClientID},
			"client_secret": {c.cfg.Secret},
			"scope":         {c.scope},
		},
		Issuer:     "Microsoft Entra ID",
		DefaultTTL: time.Hour,
		Margin:     5 * time.Minute,
		Explain:    tokenRefused,
		Now:        c.now,
		Log:        c.log,
	}
}

// tokenRefused describes a failed token request. Entra ID refusing the
// client (400, 401, 403: wrong secret, expired secret, unknown app or
// tenant) is a credential failure: ErrAuth, with Entra ID's AADSTS code
// and description for the log. The *StatusError is left out of the
// chain so that the status shown is "refused the credentials", not
// "answered 400".
func tokenRefused(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) || (se.Status != http.StatusBadRequest && se.Status != http.StatusUnauthorized && se.Status != http.StatusForbidden) {
		return err
	}
	// Entra ID appends trace ids and a timestamp; the log needs only the
	// sentence.
	desc, _, _ := strings.Cut(stringField(se.Body, "error_description"), " Trace ID:")
	if desc == "" {
		desc = "no description"
	}
	return fmt.Errorf("%w: refused the token request (HTTP %d, %s): %s",
		integrations.ErrAuth, se.Status, stringField(se.Body, "error"), desc)
}

// call GETs u from Graph with an access token and returns the body of a
// 2xx answer. A 401 with a cached token (revoked, or expired early)
// drops it and tries once more with a new one; a 401 on a fresh token is
// ErrAuth. A 403 is the missing permission, said plainly.
func (c *Client) call(ctx context.Context, u string) ([]byte, error) {
	body, err := c.auth.Get(ctx, u)
	if err == nil {
		return body, nil
	}
	var (
		te *integrations.TokenError
		se *integrations.StatusError
	)
	if errors.As(err, &te) || !errors.As(err, &se) {
		return nil, err
	}
	if se.Status == http.StatusForbidden {
		return nil, c.needsPermission(ctx, se)
	}
	return nil, withGraphError(err, se)
}

// needsPermission turns a 403 into the configuration error it is. Like
// Kandji's, the error carries neither ErrAuth nor the *StatusError: both
// read as refused credentials, which would pause the integration for a
// day and hide the sentence that says what to fix. Graph's own words go
// to the log.
func (c *Client) needsPermission(ctx context.Context, se *integrations.StatusError) error {
	code, msg := graphError(se)
	c.log.WarnContext(ctx, "intune refused the device listing: the app lacks DeviceManagementManagedDevices.Read.All",
		"status", se.Status, "code", code, "message", msg)
	return &postern.Error{
		Code:    postern.EINVALID,
		Message: msgNeedsPermission,
		Err:     fmt.Errorf("%s %s: HTTP %d %s", se.Method, se.URL, se.Status, code),
	}
}

// graphError returns the code and message of Graph's error body
// ({"error":{"code","message","innerError"}}) in a status error; empty
// if the body is not one (or was cut short).
func graphError(se *integrations.StatusError) (code, msg string) {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(se.Body), &e) == nil {
		return e.Error.Code, e.Error.Message
	}
	return stringField(se.Body, "code"), stringField(se.Body, "message")
}

// stringField returns the first string value of key in body, a JSON
// document that StatusError may have cut short, as far as body has it.
func stringField(body, key string) string {
	_, rest, ok := strings.Cut(body, `"`+key+`":"`)
	if !ok {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '"':
			return b.String()
		case c == '\\' && i+1 < len(rest):
			i++
			switch rest[i] {
			case 'n', 'r', 't':
				b.WriteByte(' ')
			default:
				b.WriteByte(rest[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// withGraphError puts Graph's error code and message in front of err,
// keeping the chain (and ErrAuth) intact.
func withGraphError(err error, se *integrations.StatusError) error {
	code, msg := graphError(se)
	if code == "" {
		return err
	}
	return fmt.Errorf("%s: %s (HTTP %d): %w", code, msg, se.Status, err)
}
