package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/tailnet"
)

// lineError is a policy problem at a place in the file (Line 0: none).
type lineError struct {
	Line, Col int
	Msg       string
}

// policyErrors lists err's problems with their positions, in file order.
func policyErrors(err error) []lineError {
	var list policy.ErrorList
	if errors.As(err, &list) {
		out := make([]lineError, len(list))
		for i, e := range list {
			out[i] = lineError{e.Line, e.Col, e.Msg}
		}
		return out
	}
	var one *policy.Error
	if errors.As(err, &one) {
		return []lineError{{one.Line, one.Col, one.Msg}}
	}
	var te *policy.TestsError
	if errors.As(err, &te) {
		var out []lineError
		for _, d := range te.Data {
			out = append(out, lineError{d.Line, d.Col, "test (src " + d.User + ") failed: " + strings.Join(d.Errors, "; ")})
		}
		return out
	}
	return []lineError{{Msg: postern.ErrorMessage(err)}}
}

// editor is the policy page's data.
type editor struct {
	Text      string
	ETag      string
	Current   postern.PolicyFile
	Lines     []editorLine
	Rows      int
	Errors    []lineError
	Previewed bool
	Changes   []accessChange
	Truncated bool
	Gained    int
	Lost      int
}

// editorLine is one gutter line number, marked when it has an error.
type editorLine struct {
	N   int
	Err string
}

func newEditor(cur postern.PolicyFile, text, etag string, errs []lineError) editor {
	n := strings.Count(text, "\n") + 1
	byLine := map[int]string{}
	for _, e := range errs {
		if e.Line > 0 && byLine[e.Line] == "" {
			byLine[e.Line] = e.Msg
		}
	}
	ed := editor{Text: text, ETag: etag, Current: cur, Rows: n + 2, Errors: errs}
	for i := 1; i <= n+2; i++ {
		ed.Lines = append(ed.Lines, editorLine{N: i, Err: byLine[i]})
	}
	return ed
}

// policyPage shows the policy in force in the editor.
func (c *Console) policyPage(w http.ResponseWriter, r *http.Request, s *session) {
	cur, err := tailnet.CurrentPolicy(r.Context(), c.st, c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading the policy", err)
		return
	}
	c.render(w, r, s, "policy", "Access controls", newEditor(cur, cur.Text, cur.ETag, nil))
}

// policyPost previews (action=preview) or saves (action=save) the text.
// Both validate it and run its tests; a rejected save leaves the policy
// in force as it was.
func (c *Console) policyPost(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	text := strings.ReplaceAll(r.PostForm.Get("policy"), "\r\n", "\n")
	etag := r.PostForm.Get("etag")
	cur, err := tailnet.CurrentPolicy(ctx, c.st, c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading the policy", err)
		return
	}
	// A rejected text is shown again in the editor with its errors, as a
	// page like any other (200): browsers log error statuses of pages as
	// console errors, and nothing here failed but the input.
	show := func(ed editor, msg string) {
		c.renderView(w, r, s, "policy", view{Title: "Access controls", Error: msg, Data: ed})
	}
	if strings.TrimSpace(text) == "" {
		show(newEditor(cur, text, etag, nil), "The policy file is empty; the policy in force was not changed.")
		return
	}
	if r.PostForm.Get("action") == "preview" {
		ed := newEditor(cur, text, etag, nil)
		// The preview is bounded like the API's (one at a time per user,
		// a time limit), so it cannot tie up the server.
		err := c.svc.PolicyCheck(ctx, s.user.ID, func(ctx context.Context) error {
			next, err := tailnet.CompilePolicy(ctx, c.st, c.tailnetID, text)
			if err != nil {
				return err
			}
			old, err := compileWith(ctx, c, cur.Text)
			if err != nil {
				return fmt.Errorf("compiling the policy in force: %w", err)
			}
			devs, err := c.st.Devices(ctx, c.tailnetID)
			if err != nil {
				return fmt.Errorf("loading devices: %w", err)
			}
			ed.Changes, ed.Truncated = impact(old, next, devs)
			return nil
		})
		switch code := postern.ErrorCode(err); {
		case code == postern.EINVALID:
			show(newEditor(cur, text, etag, policyErrors(err)), "The policy has errors.")
			return
		case code == postern.EBUSY || code == postern.EUNAVAILABLE:
			show(newEditor(cur, text, etag, nil), postern.ErrorMessage(err))
			return
		case err != nil:
			c.failed(w, r, s, "Previewing the policy", err)
			return
		}
		ed.Previewed = true
		for _, ch := range ed.Changes {
			if ch.Gained {
				ed.Gained++
			} else {
				ed.Lost++
			}
		}
		c.renderView(w, r, s, "policy", view{Title: "Access controls", Data: ed})
		return
	}
	saved, err := c.svc.SetPolicy(ctx, s.actor(), c.tailnetID, text, etag)
	switch postern.ErrorCode(err) {
	case "":
		redirect(w, r, "/admin/policy", "Saved policy version "+itoa(saved.Version)+".")
	case postern.EPRECONDITION:
		show(newEditor(cur, text, etag, nil),
			"Someone else saved the policy since you loaded it; the policy in force was not changed. Copy your edits, reload, and apply them again.")
	case postern.EINVALID:
		show(newEditor(cur, text, etag, policyErrors(err)),
			"The policy has errors; the policy in force (version "+itoa(cur.Version)+") was not changed.")
	default:
		c.failed(w, r, s, "Saving the policy", err)
	}
}
