package control

import (
	"context"
	"fmt"
	"slices"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/keys"
	"github.com/postern/postern/internal/store"
)

// joinWithKey registers the machine with an auth key: it checks the key
// and the requested tags, then creates the device (or re-logs in this
// machine's existing one) and counts the key's use in one transaction.
func (s *Server) joinWithKey(ctx context.Context, mk key.MachinePublic, req *tailcfg.RegisterRequest) (postern.Device, error) {
	now := s.now()
	var d postern.Device
	var created bool
	err := s.cfg.Store.InTx(ctx, func(q store.Queries) error {
		k, err := keys.Authenticate(ctx, q, req.Auth.AuthKey, postern.KeyTypeAuth, now)
		if err != nil {
			return err
		}
		tn, err := q.Tailnet(ctx, k.TailnetID)
		if err != nil {
			return fmt.Errorf("loading the key's tailnet: %w", err)
		}
		owner, err := q.User(ctx, k.UserID)
		if err != nil {
			return fmt.Errorf("loading the key's owner: %w", err)
		}
		tags, err := s.checkTags(owner.LoginName, requestedTags(req.Hostinfo), k.Tags)
		if err != nil {
			return err
		}
		d, created, err = s.upsertDevice(ctx, q, &tn, mk, req, deviceParams{
			userID:     owner.ID,
			tags:       tags,
			ephemeral:  k.Ephemeral || req.Ephemeral,
			authorized: !tn.Settings.DevicesApprovalOn || k.Preauthorized,
		})
		if err != nil {
			return err
		}
		k.Used++
		if err := q.UpdateKey(ctx, &k); err != nil {
			return fmt.Errorf("counting the auth key's use: %w", err)
		}
		return s.auditJoin(ctx, q, &d, created, audit.User(owner))
	})
	if err != nil {
		return d, err
	}
	s.deviceChanged(d.ID, false)
	return d, nil
}

// requestedTags returns the sorted, de-duplicated tags a client asks for.
func requestedTags(hi *tailcfg.Hostinfo) []string {
	if hi == nil {
		return nil
	}
	t := slices.Clone(hi.RequestTags)
	slices.Sort(t)
	return slices.Compact(t)
}

// checkTags returns the tags a device joining with a key of keyTags gets:
// the key's tags when none are requested; otherwise the requested ones,
// each either a tag of the key or one the policy lets owner apply.
func (s *Server) checkTags(owner string, requested, keyTags []string) ([]string, error) {
	if len(requested) == 0 {
		t := slices.Clone(keyTags)
		slices.Sort(t)
		return t, nil
	}
	var extra []string
	for _, t := range requested {
		if !slices.Contains(keyTags, t) {
			extra = append(extra, t)
		}
	}
	if len(extra) > 0 {
		if err := s.cfg.Policy.TagsAllowed(owner, extra); err != nil {
			return nil, postern.Errorf(postern.EFORBIDDEN, "requested tags %v are invalid or not permitted: %v", extra, err)
		}
	}
	return requested, nil
}

// deviceParams are what the authority (key or approving admin) decides.
type deviceParams struct {
	userID     string
	tags       []string
	ephemeral  bool
	authorized bool
}

// upsertDevice creates the device for a registering machine, or updates
// the machine's existing device in the tailnet on re-login.
func (s *Server) upsertDevice(ctx context.Context, q store.Queries, tn *postern.Tailnet, mk key.MachinePublic, req *tailcfg.RegisterRequest, p deviceParams) (postern.Device, bool, error) {
	var hij []byte
	hostname := ""
	var hi tailcfg.Hostinfo
	if req.Hostinfo != nil {
		hi = *req.Hostinfo
		hij = hostinfoJSON(req.Hostinfo)
		hostname = req.Hostinfo.Hostname
	}
	d, err := q.DeviceByMachineKey(ctx, tn.ID, mk.String())
	switch {
	case err == nil:
		d.UserID = p.userID
		d.NodeKey = req.NodeKey.String()
		d.Tags = p.tags
		d.Ephemeral = p.ephemeral
		d.Authorized = d.Authorized || p.authorized
		d.KeyExpiry = s.keyExpiry(tn, len(p.tags) > 0)
		d.KeyExpiryDisabled = len(p.tags) > 0
		if hij != nil {
			d.Hostname, d.OS, d.OSVersion, d.ClientVersion, d.Hostinfo = hostname, hi.OS, hi.OSVersion, hi.IPNVersion, hij
		}
		if err := q.UpdateDevice(ctx, &d); err != nil {
			return d, false, fmt.Errorf("re-registering device: %w", err)
		}
		return d, false, nil
	case !postern.IsNotFound(err):
		return d, false, fmt.Errorf("looking up machine key: %w", err)
	}
	name, err := freeName(ctx, q, tn.ID, hostname)
	if err != nil {
		return d, false, err
	}
	d = postern.Device{
		TailnetID:         tn.ID,
		UserID:            p.userID,
		Name:              name,
		Hostname:          hostname,
		MachineKey:        mk.String(),
		NodeKey:           req.NodeKey.String(),
		OS:                hi.OS,
		OSVersion:         hi.OSVersion,
		ClientVersion:     hi.IPNVersion,
		Tags:              p.tags,
		Ephemeral:         p.ephemeral,
		Authorized:        p.authorized,
		Created:           s.now(),
		KeyExpiry:         s.keyExpiry(tn, len(p.tags) > 0),
		KeyExpiryDisabled: len(p.tags) > 0,
		Hostinfo:          hij,
	}
	if err := q.CreateDevice(ctx, &d); err != nil {
		return d, false, fmt.Errorf("creating device: %w", err)
	}
	return d, true, nil
}

func (s *Server) auditJoin(ctx context.Context, q store.Queries, d *postern.Device, created bool, actor postern.AuditActor) error {
	action := "CREATE"
	if !created {
		action = "UPDATE"
	}
	c := audit.Context{Origin: audit.OriginNode, Actor: actor}
	ev := c.Event(s.now(), d.TailnetID, audit.NodeTarget(*d, ""), action, nil, map[string]any{
		"name": d.Name, "tags": d.Tags, "ephemeral": d.Ephemeral, "authorized": d.Authorized,
	})
	if err := q.AppendAudit(ctx, &ev); err != nil {
		return fmt.Errorf("auditing device join: %w", err)
	}
	return nil
}
