package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// formValue reads the attribute form's value: typ "bool", "number" or
// "string" as chosen, or "" to read true/false as a bool, a number as a
// number and anything else as a string.
func formValue(typ, text string) (postern.Value, string) {
	switch typ {
	case "bool":
		if b, err := strconv.ParseBool(text); err == nil && (text == "true" || text == "false") {
			return postern.Bool(b), ""
		}
		return postern.Value{}, "A true/false value must be true or false."
	case "number":
		if v, err := postern.ParseValue(postern.KindNumber, text); err == nil {
			return v, ""
		}
		return postern.Value{}, "The value " + strconv.Quote(text) + " is not a number."
	case "string":
		return postern.String(text), ""
	case "":
	default:
		return postern.Value{}, "Choose the value's type: automatic, true/false, number or text."
	}
	if text == "" {
		return postern.Value{}, "Enter a value."
	}
	if text == "true" || text == "false" {
		return postern.Bool(text == "true"), ""
	}
	if v, err := postern.ParseValue(postern.KindNumber, text); err == nil {
		return v, ""
	}
	return postern.String(text), ""
}

// formExpiry reads the attribute form's expiry: empty for none, a
// duration from now ("2h", "90m") or a date-time (RFC 3339, or
// "2006-01-02T15:04" in UTC as a datetime-local input sends it).
func formExpiry(text string, now time.Time) (time.Time, string) {
	if text == "" {
		return time.Time{}, ""
	}
	if d, err := time.ParseDuration(text); err == nil {
		if d <= 0 {
			return time.Time{}, "The expiry " + strconv.Quote(text) + " must be a duration after now."
		}
		return now.Add(d).UTC().Truncate(time.Second), ""
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), ""
		}
	}
	return time.Time{}, "The expiry " + strconv.Quote(text) + " is neither a duration like 2h nor a date-time like 2026-12-31T18:00Z."
}

// setAttribute sets one custom: attribute of a device, optionally with
// an expiry, as the API's POST /device/{id}/attributes/{key} does.
func (c *Console) setAttribute(w http.ResponseWriter, r *http.Request, s *session) {
	key := strings.TrimSpace(r.PostForm.Get("key"))
	if !strings.HasPrefix(key, "custom:") {
		c.renderError(w, r, s, http.StatusBadRequest, "The attribute key must start with custom:, like custom:oncall.")
		return
	}
	v, msg := formValue(r.PostForm.Get("type"), strings.TrimSpace(r.PostForm.Get("value")))
	if msg != "" {
		c.renderError(w, r, s, http.StatusBadRequest, msg)
		return
	}
	exp, msg := formExpiry(strings.TrimSpace(r.PostForm.Get("expiry")), c.svc.Now())
	if msg != "" {
		c.renderError(w, r, s, http.StatusBadRequest, msg)
		return
	}
	d, err := c.deviceByPath(r.Context(), r.PathValue("id"))
	if err == nil {
		u := tailnet.AttrUpdate{Key: key, Value: v, Expiry: exp}
		err = c.svc.SetCustomAttributes(r.Context(), s.actor(), c.tailnetID, map[int64][]tailnet.AttrUpdate{d.ID: {u}}, "")
	}
	if err != nil {
		c.failed(w, r, s, "Setting the attribute", err)
		return
	}
	msg = "Set " + key + " = " + v.Text() + " on " + d.Name
	if !exp.IsZero() {
		msg += " until " + exp.Format(time.RFC3339)
	}
	redirect(w, r, "/admin/machines/"+strconv.FormatInt(d.ID, 10)+"#attributes", msg+".")
}

// removeAttribute removes one custom: attribute of a device.
func (c *Console) removeAttribute(w http.ResponseWriter, r *http.Request, s *session) {
	key := r.PostForm.Get("key")
	if !strings.HasPrefix(key, "custom:") {
		c.renderError(w, r, s, http.StatusBadRequest, "Only custom: attributes can be removed.")
		return
	}
	d, err := c.deviceByPath(r.Context(), r.PathValue("id"))
	if err == nil {
		u := tailnet.AttrUpdate{Key: key, Delete: true}
		err = c.svc.SetCustomAttributes(r.Context(), s.actor(), c.tailnetID, map[int64][]tailnet.AttrUpdate{d.ID: {u}}, "")
	}
	if err != nil {
		c.failed(w, r, s, "Removing the attribute", err)
		return
	}
	redirect(w, r, "/admin/machines/"+strconv.FormatInt(d.ID, 10)+"#attributes", "Removed "+key+" from "+d.Name+".")
}

// setTags replaces a device's tags with the form's comma-separated list,
// under the API's rules (syntax, tagOwners).
func (c *Console) setTags(w http.ResponseWriter, r *http.Request, s *session) {
	var tags []string
	for _, t := range strings.Split(r.PostForm.Get("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	d, err := c.deviceByPath(r.Context(), r.PathValue("id"))
	if err == nil {
		d, err = c.svc.SetDeviceTags(r.Context(), s.actor(), c.tailnetID, d.ID, tags)
	}
	if err != nil {
		c.failed(w, r, s, "Changing the tags", err)
		return
	}
	msg := "Removed every tag from " + d.Name + "."
	if len(d.Tags) > 0 {
		msg = "Tags of " + d.Name + ": " + strings.Join(d.Tags, ", ") + "."
	}
	redirect(w, r, "/admin/machines/"+strconv.FormatInt(d.ID, 10), msg)
}

// renameDevice changes a device's name.
func (c *Console) renameDevice(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.deviceByPath(r.Context(), r.PathValue("id"))
	if err == nil {
		d, err = c.svc.RenameDevice(r.Context(), s.actor(), c.tailnetID, d.ID, r.PostForm.Get("name"))
	}
	if err != nil {
		c.failed(w, r, s, "Renaming the device", err)
		return
	}
	redirect(w, r, "/admin/machines/"+strconv.FormatInt(d.ID, 10), "Renamed the device to "+d.Name+".")
}
