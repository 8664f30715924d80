package huntress

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// agentsPage is one response of GET /v1/agents. Agents is nil when the
// body has no list (missing or null), which is an error, not an empty
// page.
type agentsPage struct {
	Agents     *[]agent `json:"agents"`
	Pagination struct {
		NextPageToken *string `json:"next_page_token"` // absent, null or "" on the last page
	} `json:"pagination"`
}

// agent holds the fields of a Huntress agent Postern uses. A JSON null
// leaves a string empty: Huntress sends null Defender fields for hosts
// without Defender (macOS, Linux), and the attribute is then left unset.
type agent struct {
	ID                   int64  `json:"id"`
	Hostname             string `json:"hostname"`
	SerialNumber         string `json:"serial_number"`
	DefenderStatus       string `json:"defender_status"`
	DefenderPolicyStatus string `json:"defender_policy_status"`
	FirewallStatus       string `json:"firewall_status"`
	LastCallbackAt       string `json:"last_callback_at"`
}

// record turns a into a Record. A status Huntress sends that is not one
// of the attribute's values is left unset (so a rule such as
// huntress:defenderStatus != 'Unhealthy' does not pass on a value nobody
// could write a rule for) and counted in u.
func (a *agent) record(u *unknownValues) integrations.Record {
	r := integrations.Record{
		VendorID:   strconv.FormatInt(a.ID, 10),
		Hostname:   a.Hostname,
		Attributes: make(map[string]postern.Value, 3),
	}
	if s := strings.TrimSpace(a.SerialNumber); s != "" {
		r.Serials = []string{s}
	}
	for _, f := range []struct {
		attr *attrValues
		raw  string
	}{
		{&defenderStatus, a.DefenderStatus},
		{&defenderPolicyStatus, a.DefenderPolicyStatus},
		{&firewallStatus, a.FirewallStatus},
	} {
		if f.raw == "" {
			continue
		}
		if v, ok := f.attr.canonical(f.raw); ok {
			r.Attributes[f.attr.name] = postern.String(v)
		} else {
			u.add(f.attr.name, f.raw)
		}
	}
	if a.LastCallbackAt != "" {
		if t, err := time.Parse(time.RFC3339Nano, a.LastCallbackAt); err == nil {
			r.LastSeen = t
		}
	}
	return r
}

// attrValues is one attribute's value set, and how Huntress's spellings
// map onto it.
type attrValues struct {
	name   string
	values []string          // Tailscale's values, in its documented order
	byKey  map[string]string // key(spelling) -> value
}

func newAttrValues(name string, values ...string) attrValues {
	a := attrValues{name: name, values: values, byKey: make(map[string]string, len(values))}
	for _, v := range values {
		a.byKey[key(v)] = v
	}
	return a
}

// canonical returns the attribute value raw stands for. Huntress sends
// the display spelling Tailscale's values use ("Non Compliant",
// "Pending Isolation"); the snake_case and lower-case spellings of its
// underlying enums ("non_compliant", "pending isolation") are taken as
// the same value, so a change of spelling on Huntress's side does not
// silently drop the attribute.
func (a *attrValues) canonical(raw string) (string, bool) {
	v, ok := a.byKey[key(raw)]
	return v, ok
}

// key folds case, underscores, hyphens and runs of spaces.
func key(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("_", " ", "-", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// unknownValues counts status values outside the catalogue, per
// attribute and value, to log once per listing.
type unknownValues map[string]map[string]int

func (u *unknownValues) add(attr, raw string) {
	if *u == nil {
		*u = make(unknownValues)
	}
	if (*u)[attr] == nil {
		(*u)[attr] = make(map[string]int)
	}
	(*u)[attr][raw]++
}

func (u unknownValues) log(ctx context.Context, log *slog.Logger) {
	attrs := make([]string, 0, len(u))
	for a := range u {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	for _, a := range attrs {
		vals := make([]string, 0, len(u[a]))
		n := 0
		for v, c := range u[a] {
			vals = append(vals, strconv.Quote(v))
			n += c
		}
		sort.Strings(vals)
		log.WarnContext(ctx, "huntress sent values outside the attribute's catalogue; the attribute is left unset on those agents",
			"attribute", a, "values", strings.Join(vals, ","), "agents", n)
	}
}
