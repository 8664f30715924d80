package api

import (
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/postern/postern"
)

// tailnetOf resolves the {tailnet} path value: "-", or the default
// tailnet's id or name.
func (a *API) tailnetOf(r *http.Request) (postern.Tailnet, error) {
	name := r.PathValue("tailnet")
	t, err := a.st.Tailnet(r.Context(), a.tailnetID)
	if err != nil {
		return t, err
	}
	if name == "-" || name == t.ID || name == t.Name {
		return t, nil
	}
	return t, notFound("tailnet", name)
}

// deviceOf resolves {id}: a nodeId, or the legacy numeric id.
func (a *API) deviceOf(r *http.Request) (postern.Device, error) {
	id := r.PathValue("id")
	d, err := a.st.DeviceByNodeID(r.Context(), id)
	if postern.IsNotFound(err) {
		if n, perr := strconv.ParseInt(id, 10, 64); perr == nil {
			d, err = a.st.Device(r.Context(), n)
		}
	}
	if postern.IsNotFound(err) || (err == nil && d.TailnetID != a.tailnetID) {
		return d, notFound("device", id)
	}
	return d, err
}

// deviceJSON is Tailscale's Device object.
type deviceJSON struct {
	Addresses                 []string  `json:"addresses"`
	ID                        string    `json:"id"`
	NodeID                    string    `json:"nodeId"`
	User                      string    `json:"user"`
	Name                      string    `json:"name"`
	Hostname                  string    `json:"hostname"`
	ClientVersion             string    `json:"clientVersion"`
	UpdateAvailable           bool      `json:"updateAvailable"`
	OS                        string    `json:"os"`
	Created                   string    `json:"created"`
	ConnectedToControl        bool      `json:"connectedToControl"`
	LastSeen                  string    `json:"lastSeen,omitempty"`
	KeyExpiryDisabled         bool      `json:"keyExpiryDisabled"`
	Expires                   string    `json:"expires"`
	Authorized                bool      `json:"authorized"`
	IsExternal                bool      `json:"isExternal"`
	MachineKey                string    `json:"machineKey"`
	NodeKey                   string    `json:"nodeKey"`
	BlocksIncomingConnections bool      `json:"blocksIncomingConnections"`
	Tags                      []string  `json:"tags,omitempty"`
	TailnetLockError          string    `json:"tailnetLockError"`
	TailnetLockKey            string    `json:"tailnetLockKey"`
	IsEphemeral               bool      `json:"isEphemeral"`
	EnabledRoutes             []string  `json:"enabledRoutes,omitempty"`
	AdvertisedRoutes          []string  `json:"advertisedRoutes,omitempty"`
	PostureIdentity           *identity `json:"postureIdentity,omitempty"`
}

type identity struct {
	SerialNumbers []string `json:"serialNumbers,omitempty"`
	HardwareAddrs []string `json:"hardwareAddresses,omitempty"`
	Disabled      bool     `json:"disabled,omitempty"`
}

func (a *API) toDeviceJSON(d postern.Device, users map[string]postern.User, all bool) deviceJSON {
	j := deviceJSON{
		ID: strconv.FormatInt(d.ID, 10), NodeID: d.NodeID, Name: d.Name, Hostname: d.Hostname,
		ClientVersion: d.ClientVersion, OS: d.OS, Created: rfc3339(d.Created), LastSeen: rfc3339(d.LastSeen),
		KeyExpiryDisabled: d.KeyExpiryDisabled, Expires: rfc3339(d.KeyExpiry), Authorized: d.Authorized,
		MachineKey: d.MachineKey, NodeKey: d.NodeKey, Tags: d.Tags, IsEphemeral: d.Ephemeral,
		ConnectedToControl: a.presence != nil && a.presence.Online(d.ID),
	}
	if a.baseDomain != "" {
		j.Name = d.Name + "." + a.baseDomain
	}
	for _, ip := range d.Addresses() {
		j.Addresses = append(j.Addresses, ip.String())
	}
	if d.Tagged() {
		j.User = "tagged-devices"
	} else if u, ok := users[d.UserID]; ok {
		j.User = u.LoginName
	}
	if all {
		j.EnabledRoutes = prefixes(d.EnabledRoutes)
		j.AdvertisedRoutes = prefixes(d.AdvertisedRoutes)
		j.PostureIdentity = &identity{SerialNumbers: d.PostureIdentity.SerialNumbers, HardwareAddrs: d.PostureIdentity.HardwareAddrs, Disabled: d.PostureIdentity.Disabled}
	}
	return j
}

func prefixes(ps []netip.Prefix) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func (a *API) userMap(r *http.Request) (map[string]postern.User, error) {
	us, err := a.st.Users(r.Context(), a.tailnetID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]postern.User, len(us))
	for _, u := range us {
		m[u.ID] = u
	}
	return m, nil
}

func allFields(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("fields"); f {
	case "", "default":
		return false, nil
	case "all":
		return true, nil
	default:
		return false, badf("fields must be default or all, got %q", f)
	}
}

func (a *API) listDevices(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	all, err := allFields(r)
	if err != nil {
		return err
	}
	devs, err := a.st.Devices(r.Context(), a.tailnetID)
	if err != nil {
		return err
	}
	users, err := a.userMap(r)
	if err != nil {
		return err
	}
	out := []deviceJSON{}
	for _, d := range devs {
		j := a.toDeviceJSON(d, users, all)
		if matchesFilters(j, r) {
			out = append(out, j)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
	return nil
}

// matchesFilters applies Tailscale's exact-match list filters: every
// query parameter other than fields names a field that must equal the
// value; for a list field (tags, addresses) every given value must be in it.
func matchesFilters(j deviceJSON, r *http.Request) bool {
	for k, vals := range r.URL.Query() {
		var field []string
		switch k {
		case "fields":
			continue
		case "tags":
			field = j.Tags
		case "addresses":
			field = j.Addresses
		case "id":
			field = []string{j.ID}
		case "nodeId":
			field = []string{j.NodeID}
		case "name":
			field = []string{j.Name}
		case "hostname":
			field = []string{j.Hostname}
		case "os":
			field = []string{j.OS}
		case "user":
			field = []string{j.User}
		case "clientVersion":
			field = []string{j.ClientVersion}
		case "isEphemeral":
			field = []string{strconv.FormatBool(j.IsEphemeral)}
		case "authorized":
			field = []string{strconv.FormatBool(j.Authorized)}
		default:
			continue // unknown filters are ignored, as Tailscale does
		}
		for _, v := range vals {
			if !slices.ContainsFunc(field, func(f string) bool { return strings.EqualFold(f, v) }) {
				return false
			}
		}
	}
	return true
}

func (a *API) getDevice(w http.ResponseWriter, r *http.Request, p *principal) error {
	all, err := allFields(r)
	if err != nil {
		return err
	}
	d, err := a.deviceOf(r)
	if err != nil {
		return err
	}
	users, err := a.userMap(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.toDeviceJSON(d, users, all))
	return nil
}

func (a *API) deleteDevice(w http.ResponseWriter, r *http.Request, p *principal) error {
	d, err := a.deviceOf(r)
	if err == nil {
		err = a.svc.DeleteDevice(r.Context(), p.auditContext(), a.tailnetID, d.ID)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (a *API) authorizeDevice(w http.ResponseWriter, r *http.Request, p *principal) error {
	var body struct {
		Authorized *bool `json:"authorized"`
	}
	d, err := a.deviceOf(r)
	if err == nil {
		err = decodeStrict(r, &body)
	}
	if err == nil && body.Authorized == nil {
		err = badf("missing field \"authorized\"")
	}
	if err == nil {
		_, err = a.svc.AuthorizeDevice(r.Context(), p.auditContext(), a.tailnetID, d.ID, *body.Authorized)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (a *API) setDeviceTags(w http.ResponseWriter, r *http.Request, p *principal) error {
	var body struct {
		Tags *[]string `json:"tags"`
	}
	d, err := a.deviceOf(r)
	if err == nil {
		err = decodeStrict(r, &body)
	}
	if err == nil && body.Tags == nil {
		// Only an explicit empty list removes every tag.
		err = badf("missing field \"tags\" (a list; [] removes every tag)")
	}
	if err == nil {
		_, err = a.svc.SetDeviceTags(r.Context(), p.auditContext(), a.tailnetID, d.ID, *body.Tags)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (a *API) expireDevice(w http.ResponseWriter, r *http.Request, p *principal) error {
	d, err := a.deviceOf(r)
	if err == nil {
		_, err = a.svc.ExpireDeviceKey(r.Context(), p.auditContext(), a.tailnetID, d.ID)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// setDeviceKey turns a device's node key expiry off or on, as
// Tailscale's POST /device/{id}/key {"keyExpiryDisabled": bool} does.
func (a *API) setDeviceKey(w http.ResponseWriter, r *http.Request, p *principal) error {
	var body struct {
		KeyExpiryDisabled *bool `json:"keyExpiryDisabled"`
	}
	d, err := a.deviceOf(r)
	if err == nil {
		err = decodeStrict(r, &body)
	}
	if err == nil && body.KeyExpiryDisabled == nil {
		err = badf("missing field \"keyExpiryDisabled\"")
	}
	if err == nil {
		_, err = a.svc.SetKeyExpiryDisabled(r.Context(), p.auditContext(), a.tailnetID, d.ID, *body.KeyExpiryDisabled)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// setDeviceName renames a device, as Tailscale's POST /device/{id}/name
// {"name": "..."} does: one DNS label, unique in the tailnet.
func (a *API) setDeviceName(w http.ResponseWriter, r *http.Request, p *principal) error {
	var body struct {
		Name *string `json:"name"`
	}
	d, err := a.deviceOf(r)
	if err == nil {
		err = decodeStrict(r, &body)
	}
	if err == nil && body.Name == nil {
		err = badf("missing field \"name\"")
	}
	if err == nil {
		_, err = a.svc.RenameDevice(r.Context(), p.auditContext(), a.tailnetID, d.ID, *body.Name)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
