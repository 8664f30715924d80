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

// counts returns, per posture, how many authorized devices pass and fail.
func (f *tailnetState) counts() []store.PostureCount {
	out := make([]store.PostureCount, 0, len(f.postures))
	for _, ps := range f.postures {
		pc := store.PostureCount{Posture: ps.Name}
		for _, d := range f.devices {
			if !d.Authorized {
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
	return out
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
	counts := f.counts()
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

type chartLabel struct {
	X      int
	Text   string
	Anchor string // SVG text-anchor
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
	// Label every seventh day back from today; today's label ends at the
	// right edge rather than running past it.
	for i := chartDays - 1; i >= 0; i -= 7 {
		d := start.AddDate(0, 0, i)
		anchor := "middle"
		if i == chartDays-1 {
			anchor = "end"
		}
		ch.Labels = append(ch.Labels, chartLabel{X: x(d), Text: d.Format("Jan 2"), Anchor: anchor})
	}
	return ch
}

func percentOf(a, b int) int {
	if b == 0 {
		return 100
	}
	return a * 100 / b
}
