package web

import (
	"net/http"
	"strconv"
)

// approveDevice authorizes a device waiting for approval.
func (c *Console) approveDevice(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.deviceByPath(r.Context(), r.PathValue("id"))
	if err == nil {
		_, err = c.svc.AuthorizeDevice(r.Context(), s.actor(), c.tailnetID, d.ID, true)
	}
	if err != nil {
		c.failed(w, r, s, "Approving the device", err)
		return
	}
	redirect(w, r, "/admin/machines/"+strconv.FormatInt(d.ID, 10), "Approved "+d.Name+".")
}

// deleteDevice removes a device and its attributes; it must log in again
// to come back.
func (c *Console) deleteDevice(w http.ResponseWriter, r *http.Request, s *session) {
	if r.PostForm.Get("confirm") != "on" {
		c.renderError(w, r, s, http.StatusBadRequest, "Tick the box to confirm removing the device.")
		return
	}
	d, err := c.deviceByPath(r.Context(), r.PathValue("id"))
	if err == nil {
		err = c.svc.DeleteDevice(r.Context(), s.actor(), c.tailnetID, d.ID)
	}
	if err != nil {
		c.failed(w, r, s, "Removing the device", err)
		return
	}
	redirect(w, r, "/admin/machines", "Removed "+d.Name+".")
}

// setKeyExpiry turns a device's node key expiry off or on, as the API's
// POST /device/{id}/key does.
func (c *Console) setKeyExpiry(w http.ResponseWriter, r *http.Request, s *session) {
	disabled, err := strconv.ParseBool(r.PostForm.Get("keyExpiryDisabled"))
	if err != nil {
		c.renderError(w, r, s, http.StatusBadRequest, "Choose whether to disable or enable key expiry.")
		return
	}
	d, err := c.deviceByPath(r.Context(), r.PathValue("id"))
	if err == nil {
		_, err = c.svc.SetKeyExpiryDisabled(r.Context(), s.actor(), c.tailnetID, d.ID, disabled)
	}
	if err != nil {
		c.failed(w, r, s, "Changing key expiry", err)
		return
	}
	msg := "Key expiry enabled for " + d.Name + "."
	if disabled {
		msg = "Key expiry disabled for " + d.Name + "; its key never expires."
	}
	redirect(w, r, "/admin/machines/"+strconv.FormatInt(d.ID, 10), msg)
}
