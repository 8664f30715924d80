package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/tailnet"
)

// maxRequest bounds the JSON body of register and map requests.
const maxRequest = 1 << 20

// serveRegister answers POST /machine/register over Noise. Refusals the
// user should see (bad key, tags not permitted) go in the response's Error,
// which "tailscale up" prints.
func (s *Server) serveRegister(w http.ResponseWriter, r *http.Request) {
	mk, ok := machineKeyOf(r)
	if !ok {
		http.Error(w, "not over noise", http.StatusBadRequest)
		return
	}
	var req tailcfg.RegisterRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequest)).Decode(&req); err != nil {
		http.Error(w, "bad register request", http.StatusBadRequest)
		return
	}
	if req.NodeKey.IsZero() {
		http.Error(w, "register request without node key", http.StatusBadRequest)
		return
	}
	resp, err := s.register(r.Context(), mk, &req)
	if err != nil {
		var pe *postern.Error
		if !errors.As(err, &pe) || pe.Code == postern.EINTERNAL || pe.Code == postern.EUNAVAILABLE {
			if r.Context().Err() == nil {
				s.log.Error("register failed", "machine_key", mk.ShortString(), "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
			return
		}
		s.log.Info("register refused", "machine_key", mk.ShortString(), "source", sourceOf(r.Context()), "reason", pe.Message)
		resp = tailcfg.RegisterResponse{Error: pe.Message}
	}
	if resp.User.ID != 0 {
		markRegistered(r)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// register decides a RegisterRequest: log out, refresh a known node key,
// rotate a node key, join with an auth key, or start (or wait for) an
// interactive login.
func (s *Server) register(ctx context.Context, mk key.MachinePublic, req *tailcfg.RegisterRequest) (tailcfg.RegisterResponse, error) {
	if err := checkHostinfo(req.Hostinfo); err != nil {
		return tailcfg.RegisterResponse{}, err
	}
	now := s.now()
	if !req.Expiry.IsZero() && !req.Expiry.After(now) {
		return s.logout(ctx, mk, req.NodeKey)
	}
	hasKey := req.Auth != nil && req.Auth.AuthKey != ""
	if d, err := s.cfg.Store.DeviceByNodeKey(ctx, req.NodeKey.String()); err == nil {
		if d.MachineKey != mk.String() {
			return tailcfg.RegisterResponse{}, postern.Errorf(postern.EFORBIDDEN, "node key belongs to another machine")
		}
		// A live registration is confirmed as is, even if the client
		// repeats its auth key (a single-use key must not count twice).
		if !keyExpired(&d, now) {
			return s.okResponse(ctx, &d), nil
		}
	} else if !postern.IsNotFound(err) {
		return tailcfg.RegisterResponse{}, fmt.Errorf("looking up node key: %w", err)
	}
	if !req.OldNodeKey.IsZero() && !hasKey {
		if resp, ok, err := s.rotate(ctx, mk, req); ok || err != nil {
			return resp, err
		}
	}
	if hasKey {
		d, err := s.joinWithKey(ctx, mk, req)
		if err != nil {
			return tailcfg.RegisterResponse{}, err
		}
		return s.okResponse(ctx, &d), nil
	}
	if req.Followup != "" {
		return s.awaitApproval(ctx, mk, req)
	}
	p, err := s.startPending(mk, sourceOf(ctx), req)
	if err != nil {
		return tailcfg.RegisterResponse{}, err
	}
	return tailcfg.RegisterResponse{AuthURL: s.authURL(p.id)}, nil
}

func keyExpired(d *postern.Device, now time.Time) bool {
	return !d.KeyExpiryDisabled && !d.KeyExpiry.IsZero() && !now.Before(d.KeyExpiry)
}

// okResponse tells the client it is registered as d.
func (s *Server) okResponse(ctx context.Context, d *postern.Device) tailcfg.RegisterResponse {
	up := s.userProfile(ctx, d)
	return tailcfg.RegisterResponse{
		User:              tailcfg.User{ID: up.ID, DisplayName: up.DisplayName},
		Login:             tailcfg.Login{ID: tailcfg.LoginID(up.ID), LoginName: up.LoginName, DisplayName: up.DisplayName, Provider: "postern"},
		MachineAuthorized: d.Authorized,
	}
}

// rotate moves a device from req.OldNodeKey to req.NodeKey. ok is false if
// no live device of this machine holds the old key.
func (s *Server) rotate(ctx context.Context, mk key.MachinePublic, req *tailcfg.RegisterRequest) (resp tailcfg.RegisterResponse, ok bool, err error) {
	d, err := s.cfg.Store.DeviceByNodeKey(ctx, req.OldNodeKey.String())
	if postern.IsNotFound(err) {
		return resp, false, nil
	}
	if err != nil {
		return resp, false, fmt.Errorf("looking up old node key: %w", err)
	}
	if d.MachineKey != mk.String() || keyExpired(&d, s.now()) {
		return resp, false, nil
	}
	tn, err := s.cfg.Store.Tailnet(ctx, d.TailnetID)
	if err != nil {
		return resp, false, fmt.Errorf("loading tailnet for key rotation: %w", err)
	}
	d, err = s.cfg.Writer.RotateNodeKey(ctx, d.ID, req.NodeKey.String(), s.keyExpiry(&tn, d.Tagged()))
	if err != nil {
		return resp, false, err
	}
	s.forget(d.ID)
	return s.okResponse(ctx, &d), true, nil
}

// keyExpiry is when a node key issued now expires; tagged devices' keys
// do not.
func (s *Server) keyExpiry(tn *postern.Tailnet, tagged bool) time.Time {
	if tagged {
		return time.Time{}
	}
	return s.now().Add(tailnet.KeyDuration(tn.Settings))
}

// logout expires the node key; an ephemeral device is deleted at once.
func (s *Server) logout(ctx context.Context, mk key.MachinePublic, nk key.NodePublic) (tailcfg.RegisterResponse, error) {
	d, err := s.cfg.Store.DeviceByNodeKey(ctx, nk.String())
	if postern.IsNotFound(err) {
		return tailcfg.RegisterResponse{NodeKeyExpired: true}, nil
	}
	if err != nil {
		return tailcfg.RegisterResponse{}, fmt.Errorf("looking up node key for logout: %w", err)
	}
	if d.MachineKey != mk.String() {
		return tailcfg.RegisterResponse{}, postern.Errorf(postern.EFORBIDDEN, "node key belongs to another machine")
	}
	if d.Ephemeral {
		if err := s.deleteDevice(ctx, d.ID, "remove ephemeral node on logout"); err != nil {
			return tailcfg.RegisterResponse{}, err
		}
		return tailcfg.RegisterResponse{NodeKeyExpired: true}, nil
	}
	if _, err := s.cfg.Writer.LogoutNode(ctx, d.ID); err != nil {
		return tailcfg.RegisterResponse{}, err
	}
	s.forget(d.ID)
	s.endSession(d.ID)
	return tailcfg.RegisterResponse{NodeKeyExpired: true}, nil
}

// deleteDevice has the writer remove a device as the service, audited
// with why, and drops it here at once: its own stream ends and the
// clients that knew it forget it, without waiting for the policy engine,
// whose own Change for the removal then finds nothing left to do.
func (s *Server) deleteDevice(ctx context.Context, id int64, why string) error {
	ac := audit.Context{Origin: audit.OriginControl, Actor: audit.Service(why)}
	if _, err := s.cfg.Writer.RemoveNode(ctx, ac, id); err != nil {
		return fmt.Errorf("deleting device %d (%s): %w", id, why, err)
	}
	s.log.Info("device deleted", "device_id", id, "reason", why)
	s.endSession(id)
	s.Notify(Change{Removed: []int64{id}})
	return nil
}
