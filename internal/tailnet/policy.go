package tailnet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/posture"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/store"
)

// DefaultPolicy is the policy of a tailnet whose policy file was never
// saved: like Tailscale's default, every device may reach every other.
const DefaultPolicy = `// This is the default policy: every device may reach every other device.
// Replace it with your own; see https://tailscale.com/kb/1337/policy-syntax.
{
	"acls": [
		{"action": "accept", "src": ["*"], "dst": ["*:*"]},
	],
}
`

// DefaultETag is the ETag of the default policy, which If-Match may name
// to replace the policy only if it was never saved ("ts-default").
const DefaultETag = "ts-default"

// ETag is the version tag of a policy text.
func ETag(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}

// CurrentPolicy returns the policy in force: the newest saved version, or
// DefaultPolicy (Version 0, ETag DefaultETag) if none was ever saved.
func CurrentPolicy(ctx context.Context, q store.Queries, tailnetID string) (postern.PolicyFile, error) {
	p, err := q.Policy(ctx, tailnetID)
	if postern.IsNotFound(err) {
		return postern.PolicyFile{TailnetID: tailnetID, Text: DefaultPolicy, ETag: DefaultETag}, nil
	}
	if err != nil {
		return p, fmt.Errorf("reading the policy file: %w", err)
	}
	return p, nil
}

// PolicyInputs reads the tailnet state the policy engine compiles
// against: its users, and its authorized devices with their attributes.
func PolicyInputs(ctx context.Context, q store.Queries, tailnetID string) ([]policy.User, []policy.Node, error) {
	us, err := q.Users(ctx, tailnetID)
	if err != nil {
		return nil, nil, fmt.Errorf("reading users: %w", err)
	}
	devs, err := q.Devices(ctx, tailnetID)
	if err != nil {
		return nil, nil, fmt.Errorf("reading devices: %w", err)
	}
	attrs, err := q.TailnetAttributes(ctx, tailnetID)
	if err != nil {
		return nil, nil, fmt.Errorf("reading attributes: %w", err)
	}
	byDev := map[int64]posture.Map{}
	for _, a := range attrs {
		if byDev[a.DeviceID] == nil {
			byDev[a.DeviceID] = posture.Map{}
		}
		byDev[a.DeviceID][a.Key] = a.Value
	}
	login := make(map[string]string, len(us))
	users := make([]policy.User, 0, len(us))
	for _, u := range us {
		login[u.ID] = u.LoginName
		users = append(users, policy.User{LoginName: u.LoginName, Role: u.Role})
	}
	nodes := make([]policy.Node, 0, len(devs))
	for _, d := range devs {
		if !d.Authorized {
			continue
		}
		nodes = append(nodes, PolicyNode(d, login[d.UserID], byDev[d.ID]))
	}
	return users, nodes, nil
}

// PolicyNode is a device as the policy engine sees it.
func PolicyNode(d postern.Device, ownerLogin string, attrs posture.Map) policy.Node {
	n := policy.Node{ID: d.ID, Name: d.Name, IPv4: d.IPv4, IPv6: d.IPv6, Tags: d.Tags,
		AdvertisedRoutes: d.AdvertisedRoutes, ApprovedRoutes: d.EnabledRoutes}
	if !d.Tagged() {
		n.User = ownerLogin
	}
	if attrs != nil {
		n.Attrs = attrs
	}
	return n
}

// CompilePolicy parses text and compiles it against the tailnet's current
// state, running its tests. Errors are EINVALID and wrap the policy
// package's *policy.Error, policy.ErrorList or *policy.TestsError. A text
// beyond MaxPolicySize or MaxPolicyDepth is EINVALID before parsing. It
// stops between its steps once ctx is done.
func CompilePolicy(ctx context.Context, q store.Queries, tailnetID, text string) (*policy.Compiled, error) {
	if err := CheckPolicyText(text); err != nil {
		return nil, err
	}
	ins, err := q.Integrations(ctx, tailnetID)
	if err != nil {
		return nil, fmt.Errorf("reading posture integrations: %w", err)
	}
	cat, err := providers.CatalogFor(ins)
	if err != nil {
		return nil, fmt.Errorf("building the attribute catalogue: %w", err)
	}
	p, err := policy.Parse([]byte(text), cat)
	if err != nil {
		return nil, policyErr(err)
	}
	users, nodes, err := PolicyInputs(ctx, q, tailnetID)
	if err != nil {
		return nil, err
	}
	c, err := policy.Compile(p, users, nodes)
	if err != nil {
		return nil, policyErr(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("compiling the policy: %w", err)
	}
	if err := c.RunTests(); err != nil {
		return nil, policyErr(err)
	}
	return c, nil
}

// policyErr classifies a policy rejection as bad input, keeping the cause
// for callers that show its details (test failures, positions).
func policyErr(err error) error {
	var te *policy.TestsError
	if errors.As(err, &te) {
		return &postern.Error{Code: postern.EINVALID, Message: te.Message, Err: err}
	}
	return &postern.Error{Code: postern.EINVALID, Message: err.Error(), Err: err}
}

// SetPolicy validates text against the tailnet (parse, compile, tests)
// and saves it as the new version. ifMatch, when not empty, must be the
// current ETag (or DefaultETag while the policy was never saved), else
// EPRECONDITION. A rejected policy leaves the one in force untouched.
func (s *Service) SetPolicy(ctx context.Context, ac audit.Context, tailnetID, text, ifMatch string) (postern.PolicyFile, error) {
	var saved postern.PolicyFile
	err := s.store.InTx(ctx, func(q store.Queries) error {
		cur, err := CurrentPolicy(ctx, q, tailnetID)
		if err != nil {
			return err
		}
		if ifMatch != "" && ifMatch != cur.ETag {
			return postern.Errorf(postern.EPRECONDITION, "precondition failed, invalid old hash")
		}
		if _, err := CompilePolicy(ctx, q, tailnetID, text); err != nil {
			return err
		}
		saved = postern.PolicyFile{TailnetID: tailnetID, Text: text, ETag: ETag(text), UpdatedBy: ac.Actor.ID, Updated: s.now().UTC()}
		if err := q.SavePolicy(ctx, &saved); err != nil {
			return err
		}
		t, err := q.Tailnet(ctx, tailnetID)
		if err != nil {
			return err
		}
		ev := ac.Event(s.now(), tailnetID, audit.TailnetTarget(t, "ACL"), "UPDATE", cur.Text, text)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return saved, err
	}
	s.emit(Change{TailnetID: tailnetID, Policy: true})
	return saved, nil
}
