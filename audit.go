package postern

import (
	"encoding/json"
	"time"
)

// AuditEvent is one entry of the configuration audit log, in the shape of
// Tailscale's ConfigurationAuditLog.
type AuditEvent struct {
	ID            int64           `json:"-"`
	TailnetID     string          `json:"-"`
	EventTime     time.Time       `json:"eventTime"`
	Type          string          `json:"type"`         // "CONFIG"
	EventGroupID  string          `json:"eventGroupID"` // shared by the events of one operation
	Origin        string          `json:"origin"`       // CONFIG_API, ADMIN_CONSOLE, CONTROL, NODE, ...
	Actor         AuditActor      `json:"actor"`
	Target        AuditTarget     `json:"target"`
	Action        string          `json:"action"` // CREATE, UPDATE, DELETE, ...
	Old           json.RawMessage `json:"old,omitempty"`
	New           json.RawMessage `json:"new,omitempty"`
	ActionDetails string          `json:"actionDetails,omitempty"`
	Error         string          `json:"error,omitempty"`
}

// AuditActor is who caused an audit event.
type AuditActor struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"` // USER, NODE, AUTOMATED_WORKER, OAUTH_CLIENT, ...
	LoginName   string   `json:"loginName,omitempty"`
	DisplayName string   `json:"displayName,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// AuditTarget is what an audit event changed.
type AuditTarget struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Type        string `json:"type"` // TAILNET, USER, NODE, API_KEY, ...
	IsEphemeral bool   `json:"isEphemeral,omitempty"`
	Property    string `json:"property,omitempty"` // ACL, ATTRIBUTES, POSTURE_INTEGRATION, ...
}

// EventName is the event filter name TARGETTYPE.ACTION[.PROPERTY], e.g.
// "NODE.UPDATE.ATTRIBUTES".
func (e *AuditEvent) EventName() string {
	n := e.Target.Type + "." + e.Action
	if e.Target.Property != "" {
		n += "." + e.Target.Property
	}
	return n
}

// AuditFilter selects audit events. Zero fields do not filter.
type AuditFilter struct {
	TailnetID string
	Start     time.Time // inclusive
	End       time.Time // exclusive
	Actor     string    // actor id or login name
	Target    string    // target id or name
	Event     string    // EventName, e.g. "NODE.UPDATE.ATTRIBUTES"
	Limit     int       // 0 means no limit
	// Before continues a listing from its last event: when its ID is not
	// 0, only events after it in newest-first order (an older event time,
	// or the same time and a smaller id) are returned.
	Before AuditCursor
}

// AuditCursor is a position in the newest-first audit log: the event time
// and id of the last event a page returned.
type AuditCursor struct {
	Time time.Time
	ID   int64
}
