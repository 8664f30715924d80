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
	"github.com/postern/postern/internal/tailnet"
)

// joinWithKey registers the machine with an auth key: it checks the key
// and the requested tags, then has the writer create the device (or
// re-log in this machine's existing one), which counts the key's use in
// the same transaction.
func (s *Server) joinWithKey(ctx context.Context, mk key.MachinePublic, req *tailcfg.RegisterRequest) (postern.Device, error) {
	k, err := keys.Authenticate(ctx, s.cfg.Store, req.Auth.AuthKey, postern.KeyTypeAuth, s.now())
	if err != nil {
		return postern.Device{}, err
	}
	tn, err := s.cfg.Store.Tailnet(ctx, k.TailnetID)
	if err != nil {
		return postern.Device{}, fmt.Errorf("loading the key's tailnet: %w", err)
	}
	owner, err := s.cfg.Store.User(ctx, k.UserID)
	if err != nil {
		return postern.Device{}, fmt.Errorf("loading the key's owner: %w", err)
	}
	tags, err := s.checkTags(owner.LoginName, requestedTags(req.Hostinfo), k.Tags)
	if err != nil {
		return postern.Device{}, err
	}
	r := s.registration(&tn, mk, req, deviceParams{
		userID:     owner.ID,
		tags:       tags,
		ephemeral:  k.Ephemeral || req.Ephemeral,
		authorized: !tn.Settings.DevicesApprovalOn || k.Preauthorized,
	})
	r.AuthKeyID = k.ID
	return s.registerNode(ctx, audit.User(owner), r)
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

// registration is what the writer must store for a machine registering
// with req in tn, as p decided.
func (s *Server) registration(tn *postern.Tailnet, mk key.MachinePublic, req *tailcfg.RegisterRequest, p deviceParams) tailnet.NodeRegistration {
	r := tailnet.NodeRegistration{
		TailnetID:         tn.ID,
		MachineKey:        mk.String(),
		NodeKey:           req.NodeKey.String(),
		Name:              dnsLabel(""),
		UserID:            p.userID,
		Tags:              p.tags,
		Ephemeral:         p.ephemeral,
		Authorized:        p.authorized,
		KeyExpiry:         s.keyExpiry(tn, len(p.tags) > 0),
		KeyExpiryDisabled: len(p.tags) > 0,
	}
	if hi := req.Hostinfo; hi != nil {
		r.Hostinfo = hostinfoJSON(hi)
		r.Name = dnsLabel(hi.Hostname)
		r.Hostname, r.OS, r.OSVersion, r.ClientVersion = hi.Hostname, hi.OS, hi.OSVersion, hi.IPNVersion
	}
	return r
}

// registerNode has the writer store r, audited as done by actor through
// the node, and drops the server's stale copy of the device.
func (s *Server) registerNode(ctx context.Context, actor postern.AuditActor, r tailnet.NodeRegistration) (postern.Device, error) {
	d, _, err := s.cfg.Writer.RegisterNode(ctx, audit.Context{Origin: audit.OriginNode, Actor: actor}, r)
	if err != nil {
		return d, err
	}
	s.forget(d.ID)
	return d, nil
}
