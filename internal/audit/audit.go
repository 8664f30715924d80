// Package audit builds configuration audit events in the shape of
// Tailscale's configuration audit log: who (actor) did what (action) to
// which thing (target and property), with the old and new values.
// Writers append them through the store in the same transaction as the
// change they describe.
package audit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/postern/postern"
)

// Origins of events.
const (
	OriginAPI     = "CONFIG_API"
	OriginConsole = "ADMIN_CONSOLE"
	OriginControl = "CONTROL"
	OriginNode    = "NODE"
	OriginCLI     = "CLI"
)

// Actor types.
const (
	ActorUser        = "USER"
	ActorNode        = "NODE"
	ActorWorker      = "AUTOMATED_WORKER"
	ActorOAuthClient = "OAUTH_CLIENT"
)

// GroupID returns a new event group id; the events of one operation share
// it.
func GroupID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Context is who is acting, from where, as one operation.
type Context struct {
	Origin  string
	Actor   postern.AuditActor
	GroupID string // "" means a new group per event
	Details string // actionDetails, e.g. the API comment
}

// User returns the actor for a user.
func User(u postern.User) postern.AuditActor {
	return postern.AuditActor{ID: u.ID, Type: ActorUser, LoginName: u.LoginName, DisplayName: u.DisplayName}
}

// Service returns the actor for Postern itself acting on its own, e.g.
// "Postern service: posture sync" or "Postern service: remove ephemeral node".
func Service(what string) postern.AuditActor {
	return postern.AuditActor{ID: "postern", Type: ActorWorker, DisplayName: "Postern service: " + what}
}

// Node returns the actor for a device acting for itself.
func Node(d postern.Device) postern.AuditActor {
	return postern.AuditActor{ID: d.NodeID, Type: ActorNode, DisplayName: d.Name, Tags: d.Tags}
}

// NodeTarget returns the target for a device and property ("" for the
// device itself).
func NodeTarget(d postern.Device, property string) postern.AuditTarget {
	return postern.AuditTarget{ID: d.NodeID, Name: d.Name, Type: "NODE", IsEphemeral: d.Ephemeral, Property: property}
}

// IntegrationTarget returns the target for a posture integration: its id,
// named by its provider ("fleet"), as Tailscale's audit tables name the
// posture integration a change was made to.
func IntegrationTarget(in postern.Integration) postern.AuditTarget {
	return postern.AuditTarget{ID: in.ID, Name: in.Provider, Type: "POSTURE_INTEGRATION"}
}

// IntegrationActor returns the actor for a posture integration's sync
// writing what its vendor reports: the integration's id, named by its
// provider.
func IntegrationActor(in postern.Integration) postern.AuditActor {
	return postern.AuditActor{ID: in.ID, Type: ActorWorker, DisplayName: "Postern service: posture sync (" + in.Provider + ")"}
}

// TailnetTarget returns the target for the tailnet and a property.
func TailnetTarget(t postern.Tailnet, property string) postern.AuditTarget {
	return postern.AuditTarget{ID: t.ID, Name: t.Name, Type: "TAILNET", Property: property}
}

// Event builds an event of c at now. old and new are marshalled as JSON;
// nil leaves them out.
func (c Context) Event(now time.Time, tailnetID string, target postern.AuditTarget, action string, old, new any) postern.AuditEvent {
	g := c.GroupID
	if g == "" {
		g = GroupID()
	}
	return postern.AuditEvent{
		TailnetID:     tailnetID,
		EventTime:     now.UTC(),
		Type:          "CONFIG",
		EventGroupID:  g,
		Origin:        c.Origin,
		Actor:         c.Actor,
		Target:        target,
		Action:        action,
		Old:           raw(old),
		New:           raw(new),
		ActionDetails: c.Details,
	}
}

func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	if r, ok := v.(json.RawMessage); ok {
		return r
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Only values of our own types reach here; a failure is a bug, and
		// the event is still worth keeping without its value.
		return nil
	}
	return b
}
