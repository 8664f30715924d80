package web

import (
	"context"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/posture"
	"github.com/postern/postern/internal/tailnet"
)

// attrGroup is the attributes of one source, for the device page.
type attrGroup struct {
	Source string // "node", "custom", "integration:ID"
	Label  string // e.g. "Fleet (integration pc1…)"
	Attrs  []postern.Attribute
}

// accessResult is the device page's answer to "can it reach HOST:PORT?".
type accessResult struct {
	Dst      string
	Proto    string
	Error    string
	Decision *policy.Decision
}

// device shows one device: identity, attributes by source, postures, and
// an access check (?dst=HOST:PORT&proto=tcp).
func (c *Console) device(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d, err := c.deviceByPath(ctx, r.PathValue("id"))
	if err != nil {
		c.failed(w, r, s, "Loading the device", err)
		return
	}
	f, err := c.loadTailnet(ctx)
	if err != nil {
		c.failed(w, r, s, "Loading the device", err)
		return
	}
	labels := map[string]string{postern.SourceNode: "Reported by the client (node)", postern.SourceCustom: "Custom (API or console)",
		postern.SourceIP: "Derived from the address (ip)"}
	ins, err := c.st.Integrations(ctx, c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading integrations", err)
		return
	}
	for _, in := range ins {
		labels[postern.IntegrationSource(in.ID)] = providerName(in.Provider) + " integration"
	}
	groups := map[string]*attrGroup{}
	for _, a := range f.attrs[d.ID] {
		g := groups[a.Source]
		if g == nil {
			g = &attrGroup{Source: a.Source, Label: labels[a.Source]}
			if g.Label == "" {
				g.Label = a.Source
			}
			groups[a.Source] = g
		}
		g.Attrs = append(g.Attrs, a)
	}
	var gs []attrGroup
	for _, g := range groups {
		sort.Slice(g.Attrs, func(i, j int) bool { return g.Attrs[i].Key < g.Attrs[j].Key })
		gs = append(gs, *g)
	}
	sort.Slice(gs, func(i, j int) bool {
		return sourceRank(gs[i].Source) < sourceRank(gs[j].Source) || (sourceRank(gs[i].Source) == sourceRank(gs[j].Source) && gs[i].Source < gs[j].Source)
	})

	type postureRow struct {
		Name     string
		Passed   bool
		Failures []string
	}
	attrs := map[string]postern.Value{}
	for _, a := range f.attrs[d.ID] {
		attrs[a.Key] = a.Value
	}
	var prs []postureRow
	for _, ps := range f.postures {
		ok, fails := ps.Eval(posture.Map(attrs))
		row := postureRow{Name: ps.Name, Passed: ok}
		for _, fl := range fails {
			row.Failures = append(row.Failures, fl.String())
		}
		prs = append(prs, row)
	}

	var acc *accessResult
	if dst := strings.TrimSpace(r.URL.Query().Get("dst")); dst != "" {
		acc = c.checkAccess(ctx, d, dst, r.URL.Query().Get("proto"))
	}
	owner := f.users[d.UserID].LoginName
	c.render(w, r, s, "device", d.Name, struct {
		D        *postern.Device
		Owner    string
		Online   bool
		Groups   []attrGroup
		Postures []postureRow
		Access   *accessResult
	}{&d, owner, c.online(d), gs, prs, acc})
}

func sourceRank(s string) int {
	switch s {
	case postern.SourceNode:
		return 0
	case postern.SourceCustom:
		return 1
	case postern.SourceIP:
		return 2
	}
	return 3
}

// deviceByPath finds a device of the tailnet by numeric id or node id.
func (c *Console) deviceByPath(ctx context.Context, id string) (postern.Device, error) {
	var (
		d   postern.Device
		err error
	)
	if n, perr := strconv.ParseInt(id, 10, 64); perr == nil {
		d, err = c.st.Device(ctx, n)
	} else {
		d, err = c.st.DeviceByNodeID(ctx, id)
	}
	if err == nil && d.TailnetID != c.tailnetID {
		err = postern.ErrNotFound
	}
	if postern.IsNotFound(err) {
		return d, postern.Errorf(postern.ENOTFOUND, "device %q not found", id)
	}
	return d, err
}

// checkAccess asks the policy in force whether d may reach dst.
func (c *Console) checkAccess(ctx context.Context, d postern.Device, dst, proto string) *accessResult {
	res := &accessResult{Dst: dst, Proto: proto}
	aq, err := tailnet.ParseAccessQuery(ctx, c.st, c.tailnetID, c.baseDomain, dst, proto)
	if err != nil {
		res.Error = postern.ErrorMessage(err)
		return res
	}
	res.Proto = aq.ProtoName
	dec, err := c.decide(ctx, d.ID, aq.Dst, aq.Proto, aq.Port)
	if err != nil {
		c.log.Error("checking access", "err", err)
		res.Error = "The policy could not be evaluated; see the server log."
		return res
	}
	res.Decision = &dec
	return res
}

// decide asks the engine, or without one the saved policy compiled now.
func (c *Console) decide(ctx context.Context, src int64, dst netip.Addr, proto int, port uint16) (policy.Decision, error) {
	if c.decisions != nil {
		return c.decisions.Check(src, dst, proto, port), nil
	}
	cur, err := tailnet.CurrentPolicy(ctx, c.st, c.tailnetID)
	if err != nil {
		return policy.Decision{}, err
	}
	comp, err := compileWith(ctx, c, cur.Text)
	if err != nil {
		return policy.Decision{}, err
	}
	return comp.Check(src, dst, proto, port), nil
}
