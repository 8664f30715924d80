package tailnet

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// Tailscale's rules for custom attributes (API v2 spec).
const (
	maxKeyLen    = 128
	maxStringLen = 50
	maxSafeInt   = 1<<53 - 1
	maxComment   = 200
)

var (
	customKeyRE   = regexp.MustCompile(`^custom:[A-Za-z0-9_:]+$`)
	customValueRE = regexp.MustCompile(`^[A-Za-z0-9_.]*$`)
)

// AttrUpdate is one write of a custom attribute: set Value (expiring at
// Expiry unless zero), or remove the key when Delete is true.
type AttrUpdate struct {
	Key    string
	Value  postern.Value
	Expiry time.Time
	Delete bool
}

// ValidateCustom checks u against Tailscale's rules for custom attributes.
func ValidateCustom(u AttrUpdate, now time.Time) error {
	if !strings.HasPrefix(u.Key, "custom:") {
		return postern.Errorf(postern.EINVALID, "attribute %q is read-only: only custom: attributes can be written", u.Key)
	}
	if len(u.Key) > maxKeyLen || !customKeyRE.MatchString(u.Key) {
		return postern.Errorf(postern.EINVALID, "invalid attribute key %q: at most %d characters, only letters, numbers, underscores and colons", u.Key, maxKeyLen)
	}
	if u.Delete {
		return nil
	}
	switch v := u.Value; v.Kind() {
	case postern.KindString:
		if len(v.Str()) > maxStringLen || !customValueRE.MatchString(v.Str()) {
			return postern.Errorf(postern.EINVALID, "invalid value for %s: a string value has at most %d characters, only letters, numbers, underscores and periods", u.Key, maxStringLen)
		}
	case postern.KindNumber:
		n := v.Num()
		if n != math.Trunc(n) || math.Abs(n) > maxSafeInt {
			return postern.Errorf(postern.EINVALID, "invalid value for %s: a number must be an integer of at most 2^53-1", u.Key)
		}
	case postern.KindBool:
	default:
		return postern.Errorf(postern.EINVALID, "missing value for %s: want a string, number or bool", u.Key)
	}
	if !u.Expiry.IsZero() && !u.Expiry.After(now) {
		return postern.Errorf(postern.EINVALID, "expiry %s for %s is not in the future", u.Expiry.Format(time.RFC3339), u.Key)
	}
	return nil
}

// SetCustomAttributes applies custom attribute writes to devices, all or
// nothing, after checking Tailscale's rules: writable keys and values, one
// type per key across the tailnet, keys unique case-insensitively. It
// audits one NODE.*.ATTRIBUTES event per changed key and device.
func (s *Service) SetCustomAttributes(ctx context.Context, ac audit.Context, tailnetID string, updates map[int64][]AttrUpdate, comment string) error {
	if len(comment) > maxComment {
		return postern.Errorf(postern.EINVALID, "comment is longer than %d characters", maxComment)
	}
	now := s.now().UTC()
	for _, us := range updates {
		for _, u := range us {
			if err := ValidateCustom(u, now); err != nil {
				return err
			}
		}
	}
	if ac.GroupID == "" {
		ac.GroupID = audit.GroupID()
	}
	ac.Details = comment
	var changed []int64
	err := s.store.InTx(ctx, func(q store.Queries) error {
		kinds, err := q.AttributeKinds(ctx, tailnetID)
		if err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(updates)) {
			d, err := q.Device(ctx, id)
			if err != nil {
				return fmt.Errorf("device %d: %w", id, err)
			}
			if d.TailnetID != tailnetID {
				return postern.Errorf(postern.ENOTFOUND, "device %s not found", d.NodeID)
			}
			cur, err := q.Attributes(ctx, id)
			if err != nil {
				return err
			}
			byKey := make(map[string]postern.Attribute, len(cur))
			for _, a := range cur {
				byKey[a.Key] = a
			}
			devChanged := false
			for _, u := range updates[id] {
				old, had := byKey[u.Key]
				if u.Delete {
					if !had {
						continue
					}
					if err := q.DeleteAttribute(ctx, id, u.Key); err != nil {
						return err
					}
					ev := ac.Event(now, tailnetID, audit.NodeTarget(d, "ATTRIBUTES"), "DELETE", attrJSON(old), nil)
					if err := q.AppendAudit(ctx, &ev); err != nil {
						return err
					}
					devChanged = true
					continue
				}
				lk := strings.ToLower(u.Key)
				if k, ok := kinds[lk]; ok {
					if k.Key != u.Key {
						return postern.Errorf(postern.EINVALID, "attribute %q conflicts with existing key %q: keys are unique regardless of case", u.Key, k.Key)
					}
					if k.Kind != u.Value.Kind() {
						return postern.Errorf(postern.EINVALID, "attribute %s holds %s values in this tailnet; cannot set a %s", u.Key, k.Kind, u.Value.Kind())
					}
				}
				kinds[lk] = store.AttributeKind{Key: u.Key, Kind: u.Value.Kind()}
				if had && old.Value == u.Value && old.Expiry.Equal(u.Expiry) {
					continue
				}
				a := postern.Attribute{DeviceID: id, Key: u.Key, Value: u.Value, Source: postern.SourceCustom, Expiry: u.Expiry, Updated: now}
				if err := q.SetAttribute(ctx, a); err != nil {
					return err
				}
				action, oldJ := "CREATE", any(nil)
				if had {
					action, oldJ = "UPDATE", attrJSON(old)
				}
				ev := ac.Event(now, tailnetID, audit.NodeTarget(d, "ATTRIBUTES"), action, oldJ, attrJSON(a))
				if err := q.AppendAudit(ctx, &ev); err != nil {
					return err
				}
				devChanged = true
			}
			if devChanged {
				changed = append(changed, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.emit(Change{TailnetID: tailnetID, AttrsChanged: changed})
	return nil
}

// ReplaceAttributes makes the attributes of one source (an integration,
// or "node" for one device's Hostinfo facts) exactly desired, for the
// devices in scope (nil scope: every device of the tailnet, removing the
// source's attributes from devices absent from desired). It writes only
// what changed, in one transaction, audits one NODE.UPDATE.ATTRIBUTES
// event per changed device with its old and new values of that source,
// and returns the changed devices.
func (s *Service) ReplaceAttributes(ctx context.Context, ac audit.Context, tailnetID, source string, scope []int64, desired map[int64]map[string]postern.Value) ([]int64, error) {
	now := s.now().UTC()
	if ac.GroupID == "" {
		ac.GroupID = audit.GroupID()
	}
	var changed []int64
	err := s.store.InTx(ctx, func(q store.Queries) error {
		current := map[int64]map[string]postern.Attribute{}
		if scope == nil {
			all, err := q.AttributesBySource(ctx, tailnetID, source)
			if err != nil {
				return err
			}
			for _, a := range all {
				if current[a.DeviceID] == nil {
					current[a.DeviceID] = map[string]postern.Attribute{}
				}
				current[a.DeviceID][a.Key] = a
			}
		} else {
			for _, id := range scope {
				as, err := q.Attributes(ctx, id)
				if err != nil {
					return err
				}
				current[id] = map[string]postern.Attribute{}
				for _, a := range as {
					if a.Source == source {
						current[id][a.Key] = a
					}
				}
			}
		}
		devices, err := deviceIndex(ctx, q, tailnetID, scope)
		if err != nil {
			return err
		}
		ids := slices.Collect(maps.Keys(current))
		for id := range desired {
			if _, ok := current[id]; !ok {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			cur, want := current[id], desired[id]
			oldVals, newVals := map[string]postern.Value{}, map[string]postern.Value{}
			for k, a := range cur {
				if v, ok := want[k]; ok && v == a.Value {
					continue
				}
				oldVals[k] = a.Value
				if _, ok := want[k]; !ok {
					if err := q.DeleteAttribute(ctx, id, k); err != nil {
						return err
					}
				}
			}
			for k, v := range want {
				if a, ok := cur[k]; ok && a.Value == v {
					continue
				}
				newVals[k] = v
				if err := q.SetAttribute(ctx, postern.Attribute{DeviceID: id, Key: k, Value: v, Source: source, Updated: now}); err != nil {
					return err
				}
			}
			if len(oldVals) == 0 && len(newVals) == 0 {
				continue
			}
			changed = append(changed, id)
			d, ok := devices[id]
			if !ok {
				return postern.Errorf(postern.ENOTFOUND, "device %d not found", id)
			}
			ev := ac.Event(now, tailnetID, audit.NodeTarget(d, "ATTRIBUTES"), "UPDATE", oldVals, newVals)
			if err := q.AppendAudit(ctx, &ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("writing %s attributes: %w", source, err)
	}
	s.emit(Change{TailnetID: tailnetID, AttrsChanged: changed})
	return changed, nil
}

// deviceIndex reads the devices in scope (nil: the whole tailnet) once,
// for the audit events of a bulk write.
func deviceIndex(ctx context.Context, q store.Queries, tailnetID string, scope []int64) (map[int64]postern.Device, error) {
	out := map[int64]postern.Device{}
	if scope == nil {
		devs, err := q.Devices(ctx, tailnetID)
		if err != nil {
			return nil, err
		}
		for _, d := range devs {
			out[d.ID] = d
		}
		return out, nil
	}
	for _, id := range scope {
		d, err := q.Device(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("device %d: %w", id, err)
		}
		out[id] = d
	}
	return out, nil
}

// ExpireAttributes removes attributes whose expiry has passed, audits
// each removal as done by the service, and returns the devices affected.
func (s *Service) ExpireAttributes(ctx context.Context, tailnetID string) ([]int64, error) {
	now := s.now().UTC()
	ac := audit.Context{Origin: audit.OriginControl, Actor: audit.Service("attribute expiry"), GroupID: audit.GroupID()}
	var devs []int64
	err := s.store.InTx(ctx, func(q store.Queries) error {
		gone, err := q.DeleteExpiredAttributes(ctx, tailnetID, now)
		if err != nil {
			return err
		}
		for _, a := range gone {
			d, err := q.Device(ctx, a.DeviceID)
			if err != nil {
				return err
			}
			ev := ac.Event(now, tailnetID, audit.NodeTarget(d, "ATTRIBUTES"), "DELETE", attrJSON(a), nil)
			if err := q.AppendAudit(ctx, &ev); err != nil {
				return err
			}
			devs = append(devs, a.DeviceID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expiring attributes: %w", err)
	}
	slices.Sort(devs)
	devs = slices.Compact(devs)
	s.emit(Change{TailnetID: tailnetID, AttrsChanged: devs})
	return devs, nil
}

// attrJSON is how the audit log shows one attribute.
func attrJSON(a postern.Attribute) map[string]any {
	m := map[string]any{"key": a.Key, "value": a.Value}
	if !a.Expiry.IsZero() {
		m["expiry"] = a.Expiry
	}
	return m
}
