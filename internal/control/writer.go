package control

import (
	"context"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/tailnet"
)

// Writer is the single writer of device rows, as the control server uses
// it: the server decides what a client's request means and hands the
// decision to the writer, which commits it with its audit events and
// tells the policy engine what changed. The engine's recomputation comes
// back to the server through Notify. *tailnet.Service implements it.
type Writer interface {
	// RegisterNode creates or re-registers a machine's device; created
	// reports which.
	RegisterNode(ctx context.Context, ac audit.Context, r tailnet.NodeRegistration) (d postern.Device, created bool, err error)
	// RotateNodeKey moves a device to a new node key.
	RotateNodeKey(ctx context.Context, id int64, nodeKey string, keyExpiry time.Time) (postern.Device, error)
	// LogoutNode expires a device's node key now.
	LogoutNode(ctx context.Context, id int64) (postern.Device, error)
	// RemoveNode deletes a device, auditing it as ac.
	RemoveNode(ctx context.Context, ac audit.Context, id int64) (postern.Device, error)
	// UpdateNodeFacts stores what a client reported about itself.
	UpdateNodeFacts(ctx context.Context, id int64, f tailnet.NodeFacts) (postern.Device, error)
	// SetPostureIdentity stores a device's posture identity; changed
	// reports whether it differs from the stored one.
	SetPostureIdentity(ctx context.Context, id int64, pi postern.PostureIdentity) (changed bool, err error)
}

var _ Writer = (*tailnet.Service)(nil)
