package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/postern/postern"
)

func TestDevicePage(t *testing.T) {
	e := newEnv(t, "http://x")
	u := e.user("owner@example.com", postern.RoleOwner)
	ck := e.signIn(u)
	d := postern.Device{TailnetID: e.tn.ID, UserID: u.ID, Name: "laptop", MachineKey: "mkey:1", Authorized: true,
		PostureIdentity: postern.PostureIdentity{SerialNumbers: []string{"C02X"}}}
	if err := e.svc.Store().CreateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Store().SetAttribute(ctx, postern.Attribute{DeviceID: d.ID, Key: "custom:tier", Value: postern.String("prod"), Source: postern.SourceCustom}); err != nil {
		t.Fatal(err)
	}
	w := e.do("GET", fmt.Sprintf("/admin/machines/%d", d.ID), ck.Value, nil)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "C02X") || !strings.Contains(body, "custom:tier") {
		t.Fatalf("got %d, want 200 with the serial and attribute; body:\n%s", w.Code, body)
	}
	w = e.do("GET", fmt.Sprintf("/admin/machines/%s?dst=%s", d.NodeID, url.QueryEscape("laptop:22")), ck.Value, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Allowed.") {
		t.Errorf("access check under the default policy: got %d, want 200 with Allowed.; body:\n%s", w.Code, w.Body)
	}
	w = e.do("GET", fmt.Sprintf("/admin/machines/%d?dst=nohost:22", d.ID), ck.Value, nil)
	if !strings.Contains(w.Body.String(), `host &#34;nohost&#34; not found`) {
		t.Errorf("unknown host: got body without the error, want host \"nohost\" not found")
	}
	if w := e.do("GET", "/admin/machines/999", ck.Value, nil); w.Code != 404 {
		t.Errorf("unknown device: got %d, want 404", w.Code)
	}
}
