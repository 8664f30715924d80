package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"

	"github.com/tailscale/hujson"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/tailnet"
)

// wantsJSON reports whether the caller asked for JSON rather than HuJSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// writePolicy answers the policy file as HuJSON (the exact saved text) or
// JSON, with its ETag; ?details=true wraps it as Tailscale does.
func (a *API) writePolicy(w http.ResponseWriter, r *http.Request, p postern.PolicyFile) {
	w.Header().Set("ETag", `"`+p.ETag+`"`)
	if r.URL.Query().Get("details") == "true" {
		writeJSON(w, http.StatusOK, map[string]any{
			"acl":      base64.StdEncoding.EncodeToString([]byte(p.Text)),
			"warnings": []string{},
			"errors":   nil,
		})
		return
	}
	if wantsJSON(r) {
		std, err := hujson.Standardize([]byte(p.Text))
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		var buf bytes.Buffer
		json.Indent(&buf, std, "", "  ")
		w.Header().Set("Content-Type", "application/json")
		w.Write(buf.Bytes())
		return
	}
	w.Header().Set("Content-Type", "application/hujson")
	io.WriteString(w, p.Text)
}

func (a *API) getPolicy(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	cur, err := tailnet.CurrentPolicy(r.Context(), a.st, a.tailnetID)
	if err != nil {
		return err
	}
	a.writePolicy(w, r, cur)
	return nil
}

// readPolicyBody reads a policy file body (JSON or HuJSON; both parse as
// HuJSON) as text, keeping comments and positions.
func readPolicyBody(r *http.Request) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, tailnet.MaxPolicySize+1))
	if err != nil {
		return "", badf("reading request body: %v", err)
	}
	if len(b) > tailnet.MaxPolicySize {
		return "", badf("the policy file is larger than %d bytes", tailnet.MaxPolicySize)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "", badf("empty policy file")
	}
	return string(b), nil
}

func (a *API) setPolicy(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	text, err := readPolicyBody(r)
	if err != nil {
		return err
	}
	ifMatch := strings.Trim(r.Header.Get("If-Match"), `"`)
	saved, err := a.svc.SetPolicy(r.Context(), p.auditContext(), a.tailnetID, text, ifMatch)
	if err != nil {
		a.writePolicyError(w, r, err)
		return nil
	}
	a.writePolicy(w, r, saved)
	return nil
}

// writePolicyError answers a rejected policy: test failures as
// Tailscale's {"message": "test(s) failed", "data": [...]}.
func (a *API) writePolicyError(w http.ResponseWriter, r *http.Request, err error) {
	if body, ok := testsBody(err); ok {
		writeJSON(w, http.StatusBadRequest, body)
		return
	}
	a.writeError(w, r, err)
}

// testsBody is Tailscale's answer to failing policy tests,
// {"message": "test(s) failed", "data": [{"user", "errors"}]}, if err
// is a test failure.
func testsBody(err error) (errorBody, bool) {
	var te *policy.TestsError
	if !errors.As(err, &te) {
		return errorBody{}, false
	}
	body := errorBody{Message: te.Message}
	for _, d := range te.Data {
		body.Data = append(body.Data, errorData{User: d.User, Errors: d.Errors})
	}
	return body, true
}

// validatePolicy checks a policy file, or a JSON array of tests against
// the policy in force, without saving. Like Tailscale it answers 200 with
// an empty object when valid and a message (and data) when not. A body
// past the limits, or a tests array that is not one, is 400. The check runs within PolicyCheck's bounds.
func (a *API) validatePolicy(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	text, err := readPolicyBody(r)
	if err != nil {
		return err
	}
	// A body past the size and nesting limits is refused, not validated.
	if err := tailnet.CheckPolicyText(text); err != nil {
		return err
	}
	var compileErr error
	err = a.svc.PolicyCheck(r.Context(), p.User.ID, func(ctx context.Context) error {
		if strings.HasPrefix(strings.TrimSpace(text), "[") {
			var err error
			if text, err = a.withTests(ctx, text); err != nil {
				return err
			}
		}
		_, compileErr = tailnet.CompilePolicy(ctx, a.st, a.tailnetID, text)
		if postern.ErrorCode(compileErr) != postern.EINVALID {
			return compileErr
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case compileErr == nil:
		writeJSON(w, http.StatusOK, struct{}{})
	default:
		if body, ok := testsBody(compileErr); ok {
			writeJSON(w, http.StatusOK, body)
			return nil
		}
		writeJSON(w, http.StatusOK, errorBody{Message: postern.ErrorMessage(compileErr)})
	}
	return nil
}

// withTests returns the policy in force with its tests replaced by tests,
// a JSON (or HuJSON) array; anything else is EINVALID.
func (a *API) withTests(ctx context.Context, tests string) (string, error) {
	cur, err := tailnet.CurrentPolicy(ctx, a.st, a.tailnetID)
	if err != nil {
		return "", err
	}
	std, err := hujson.Standardize([]byte(cur.Text))
	if err != nil {
		return "", fmt.Errorf("reading the policy in force: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(std, &m); err != nil {
		return "", fmt.Errorf("reading the policy in force: %w", err)
	}
	if err := tailnet.CheckPolicyText(tests); err != nil {
		return "", err
	}
	std, err = hujson.Standardize([]byte(tests))
	if err != nil {
		return "", badf("invalid tests array: %v", err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(std, &list); err != nil {
		return "", badf("invalid tests array: %v", err)
	}
	m["tests"] = std
	out, err := json.Marshal(m)
	if err != nil {
		return "", badf("invalid tests array: %v", err)
	}
	return string(out), nil
}

// previewPolicy is POST /tailnet/{t}/acl/preview?type=user|ipport&previewFor=...:
// the rules of the posted policy that apply to a user, or that open an
// ip:port, with the postures they require.
func (a *API) previewPolicy(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	q := r.URL.Query()
	typ, target := q.Get("type"), q.Get("previewFor")
	text, err := readPolicyBody(r)
	if err != nil {
		return err
	}
	var ap netip.AddrPort
	switch typ {
	case "user":
		if target == "" {
			return badf("previewFor must name a user")
		}
	case "ipport":
		if ap, err = netip.ParseAddrPort(target); err != nil {
			return badf("previewFor must be IP:PORT, got %q", target)
		}
	default:
		return badf("type must be user or ipport, got %q", typ)
	}
	var (
		matches  []policy.PreviewMatch
		postures = map[string][]string{}
	)
	err = a.svc.PolicyCheck(r.Context(), p.User.ID, func(ctx context.Context) error {
		c, err := tailnet.CompilePolicy(ctx, a.st, a.tailnetID, text)
		if err != nil {
			return err
		}
		if typ == "user" {
			matches = c.PreviewUser(target)
		} else {
			matches = c.PreviewIPPort(ap.Addr(), ap.Port())
		}
		for _, m := range matches {
			for _, name := range m.Postures {
				if pp, ok := c.Policy().Postures[name]; ok {
					var conds []string
					for _, cond := range pp.Conditions {
						conds = append(conds, cond.String())
					}
					postures[name] = conds
				}
			}
		}
		return nil
	})
	if err != nil {
		a.writePolicyError(w, r, err)
		return nil
	}
	if matches == nil {
		matches = []policy.PreviewMatch{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"matches": matches, "type": typ, "previewFor": target, "postures": postures})
	return nil
}
