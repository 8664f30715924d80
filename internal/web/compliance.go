package web

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/posture"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/tailnet"
)

// tailnetState is the tailnet's devices with their attributes and the
// postures of the policy in force, each evaluated once per device.
type tailnetState struct {
	devices  []postern.Device
	attrs    map[int64][]postern.Attribute
	users    map[string]postern.User
	postures []*posture.Posture        // sorted by name
	passes   map[int64]map[string]bool // device → posture name → met
	policy   *policy.Policy            // the policy in force, parsed
}

// loadTailnet reads the tailnet and evaluates the policy's postures.
func (c *Console) loadTailnet(ctx context.Context) (*tailnetState, error) {
	f := &tailnetState{attrs: map[int64][]postern.Attribute{}, users: map[string]postern.User{}, passes: map[int64]map[string]bool{}}
	var err error
	if f.devices, err = c.st.Devices(ctx, c.tailnetID); err != nil {
		return nil, fmt.Errorf("reading devices: %w", err)
	}
	sort.Slice(f.devices, func(i, j int) bool { return f.devices[i].Name < f.devices[j].Name })
	all, err := c.st.TailnetAttributes(ctx, c.tailnetID)
	if err != nil {
		return nil, fmt.Errorf("reading attributes: %w", err)
	}
	for _, a := range all {
		f.attrs[a.DeviceID] = append(f.attrs[a.DeviceID], a)
	}
	us, err := c.st.Users(ctx, c.tailnetID)
	if err != nil {
		return nil, fmt.Errorf("reading users: %w", err)
	}
	for _, u := range us {
		f.users[u.ID] = u
	}
	cur, err := tailnet.CurrentPolicy(ctx, c.st, c.tailnetID)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse([]byte(cur.Text), providers.Catalog().Lenient())
	if err != nil {
		return nil, fmt.Errorf("parsing the policy in force: %w", err)
	}
	f.policy = p
	for _, ps := range p.Postures {
		f.postures = append(f.postures, ps)
	}
	sort.Slice(f.postures, func(i, j int) bool { return f.postures[i].Name < f.postures[j].Name })
	for _, d := range f.devices {
		m := posture.Map{}
		for _, a := range f.attrs[d.ID] {
			m[a.Key] = a.Value
		}
		f.passes[d.ID] = map[string]bool{}
		for _, ps := range f.postures {
			ok, _ := ps.Eval(m)
			f.passes[d.ID][ps.Name] = ok
		}
	}
	return f, nil
}

// appliesTo returns, per posture name, the authorized devices it applies
// to: those that are a source of some rule requiring it (its srcPosture,
// or defaultSrcPosture). The policy engine decides, from the policy
// compiled once against the devices already loaded.
func (f *tailnetState) appliesTo() (map[string]map[int64]bool, error) {
	login := make(map[string]string, len(f.users))
	users := make([]policy.User, 0, len(f.users))
	for _, u := range f.users {
		login[u.ID] = u.LoginName
		users = append(users, policy.User{LoginName: u.LoginName, Role: u.Role})
	}
	nodes := make([]policy.Node, 0, len(f.devices))
	for _, d := range f.devices {
		if !d.Authorized {
			continue
		}
		m := posture.Map{}
		for _, a := range f.attrs[d.ID] {
			m[a.Key] = a.Value
		}
		nodes = append(nodes, tailnet.PolicyNode(d, login[d.UserID], m))
	}
	c, err := policy.Compile(f.policy, users, nodes)
	if err != nil {
		return nil, fmt.Errorf("compiling the policy in force: %w", err)
	}
	out := map[string]map[int64]bool{}
	for name, ids := range c.PostureSources() {
		set := make(map[int64]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
		out[name] = set
	}
	return out, nil
}

// counts returns, per posture, how many of the authorized devices it
// applies to pass and fail; a device no rule requires the posture of
// (a server that is only ever a destination) is in neither.
func (f *tailnetState) counts() ([]store.PostureCount, error) {
	applies, err := f.appliesTo()
	if err != nil {
		return nil, err
	}
	out := make([]store.PostureCount, 0, len(f.postures))
	for _, ps := range f.postures {
		pc := store.PostureCount{Posture: ps.Name}
		for _, d := range f.devices {
			if !d.Authorized || !applies[ps.Name][d.ID] {
				continue
			}
			if f.passes[d.ID][ps.Name] {
				pc.Pass++
			} else {
				pc.Fail++
			}
		}
		out = append(out, pc)
	}
	return out, nil
}

// passed lists the postures device id meets, by name.
func (f *tailnetState) passed(id int64) []string {
	var out []string
	for _, ps := range f.postures {
		if f.passes[id][ps.Name] {
			out = append(out, ps.Name)
		}
	}
	return out
}

// recordCompliance stores today's counts and returns them.
func (c *Console) recordCompliance(ctx context.Context) ([]store.PostureCount, error) {
	f, err := c.loadTailnet(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := f.counts()
	if err != nil {
		return nil, err
	}
	if err := c.st.RecordCompliance(ctx, c.tailnetID, c.svc.Now(), counts); err != nil {
		return nil, err
	}
	return counts, nil
}

// chartDays is how far back the compliance chart reaches.
const chartDays = 30

// chart is the overview's compliance chart: one polyline per posture of
// the share of devices passing, over the last chartDays days.
type chart struct {
	Width, Height int
	Lines         []chartLine
	Labels        []chartLabel
}

type chartLine struct {
	Posture string
	Points  string // SVG polyline points
	Color   string
	Dots    []chartPoint
	Last    int // latest share passing, in percent
}

type chartPoint struct{ X, Y int }

// chartLabel is one date under the chart. The labels are HTML, not SVG
// text, so they keep a readable size however narrow the chart is drawn;
// Tick k (0 oldest) is placed by the stylesheet's .tick-k rule, which
// assumes chartDays is 30 and a label every seventh day back from today.
type chartLabel struct {
	X    int
	Tick int
	Text string
}

// chartColor is the colour of the chart's i-th line.
func chartColor(i int) string {
	colors := [...]string{"#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"}
	return colors[i%len(colors)]
}

// buildChart lays out history (oldest first) ending today.
func buildChart(history []store.ComplianceDay, today time.Time) chart {
	const w, h, pad = 600, 160, 10
	ch := chart{Width: w, Height: h}
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(chartDays - 1))
	x := func(d time.Time) int {
		return pad + int(d.Sub(start).Hours()/24)*(w-2*pad)/(chartDays-1)
	}
	y := func(pct int) int { return h - pad - pct*(h-2*pad)/100 }
	byPosture := map[string]*chartLine{}
	var order []string
	for _, day := range history {
		if day.Day.Before(start) {
			continue
		}
		for _, pc := range day.Counts {
			if pc.Pass+pc.Fail == 0 {
				continue // it applied to no device that day: no share to draw
			}
			l := byPosture[pc.Posture]
			if l == nil {
				l = &chartLine{Posture: pc.Posture, Color: chartColor(len(order))}
				byPosture[pc.Posture] = l
				order = append(order, pc.Posture)
			}
			pct := percentOf(pc.Pass, pc.Pass+pc.Fail)
			if l.Points != "" {
				l.Points += " "
			}
			l.Points += fmt.Sprintf("%d,%d", x(day.Day), y(pct))
			l.Dots = append(l.Dots, chartPoint{x(day.Day), y(pct)})
			l.Last = pct
		}
	}
	for _, name := range order {
		ch.Lines = append(ch.Lines, *byPosture[name])
	}
	// Label every seventh day back from today, oldest first.
	for i := (chartDays - 1) % 7; i < chartDays; i += 7 {
		d := start.AddDate(0, 0, i)
		ch.Labels = append(ch.Labels, chartLabel{X: x(d), Tick: len(ch.Labels), Text: d.Format("Jan 2")})
	}
	return ch
}

func percentOf(a, b int) int {
	if b == 0 {
		return 100
	}
	return a * 100 / b
}
