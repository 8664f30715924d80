package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/postern/postern"
)

// machineRow is one line of the machines list.
type machineRow struct {
	D       postern.Device
	Owner   string
	Online  bool
	Passed  []string
	Failing []string
}

// machines lists devices with search (?q=) and filters (?show=online,
// offline, tagged, ephemeral, pending, failing; ?posture=NAME to list
// the devices that fail it).
func (c *Console) machines(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := c.loadTailnet(r.Context())
	if err != nil {
		c.failed(w, r, s, "Loading machines", err)
		return
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	show := r.URL.Query().Get("show")
	wantFail := r.URL.Query().Get("posture")
	var rows []machineRow
	for _, d := range f.devices {
		row := machineRow{D: d, Online: c.online(d), Passed: f.passed(d.ID)}
		if d.Tagged() {
			row.Owner = strings.Join(d.Tags, ", ")
		} else {
			row.Owner = f.users[d.UserID].LoginName
		}
		for _, ps := range f.postures {
			if !f.passes[d.ID][ps.Name] {
				row.Failing = append(row.Failing, ps.Name)
			}
		}
		if !matchesShow(row, show) || (wantFail != "" && !slices.Contains(row.Failing, wantFail)) {
			continue
		}
		if q != "" && !strings.Contains(searchText(row), q) {
			continue
		}
		rows = append(rows, row)
	}
	var names []string
	for _, ps := range f.postures {
		names = append(names, ps.Name)
	}
	logins, err := c.pendingLogins(r.Context(), s, "/admin/machines")
	if err != nil {
		c.failed(w, r, s, "Loading logins waiting for approval", err)
		return
	}
	c.render(w, r, s, "machines", "Machines", struct {
		Logins      pendingCard
		Rows        []machineRow
		Total       int
		Q, Show     string
		Posture     string
		Postures    []string
		ShowOptions []string
	}{logins, rows, len(f.devices), r.URL.Query().Get("q"), show, wantFail, names,
		[]string{"online", "offline", "tagged", "ephemeral", "pending", "failing"}})
}

func matchesShow(row machineRow, show string) bool {
	switch show {
	case "online":
		return row.Online
	case "offline":
		return !row.Online
	case "tagged":
		return row.D.Tagged()
	case "ephemeral":
		return row.D.Ephemeral
	case "pending":
		return !row.D.Authorized
	case "failing":
		return len(row.Failing) > 0
	}
	return true
}

// searchText is what ?q= searches: names, owner, tags, addresses, OS.
func searchText(row machineRow) string {
	d := row.D
	parts := []string{d.Name, d.Hostname, d.NodeID, row.Owner, d.OS, d.OSVersion, d.ClientVersion}
	parts = append(parts, d.Tags...)
	for _, a := range d.Addresses() {
		parts = append(parts, a.String())
	}
	parts = append(parts, d.PostureIdentity.SerialNumbers...)
	return strings.ToLower(strings.Join(parts, " "))
}
