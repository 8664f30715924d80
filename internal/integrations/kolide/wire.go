package kolide

import (
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// devicesPage is one answer of GET /devices. Data is nil when the body
// has no list of devices (missing or null), which is an error, not an
// empty page.
type devicesPage struct {
	Data       *[]device `json:"data"`
	Pagination struct {
		NextCursor string `json:"next_cursor"` // blank on the last page
	} `json:"pagination"`
}

// device is the part of a Kolide device Postern uses. A JSON null leaves
// a string empty and a pointer nil.
type device struct {
	ID                  string  `json:"id"`
	Name                string  `json:"name"`
	Serial              string  `json:"serial"`
	AuthState           *string `json:"auth_state"`
	LastSeenAt          string  `json:"last_seen_at"`
	LastAuthenticatedAt string  `json:"last_authenticated_at"`
}

// authStates maps an auth state, folded by fold, to the value written.
var authStates = map[string]string{
	"good":       StateGood,
	"notified":   StateNotified,
	"will block": StateWillBlock,
	"blocked":    StateBlocked,
}

// fold makes "Will Block", "will_block" and "WILL BLOCK" one key.
func fold(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", " "))
}

// record turns d into a Record. An auth state that is null, blank or not
// one of Kolide's four sets no attribute, so every posture condition on
// it but NOT SET fails.
func (d *device) record() integrations.Record {
	r := integrations.Record{
		VendorID:   d.ID,
		Hostname:   d.Name,
		LastSeen:   lastSeen(d.LastSeenAt, d.LastAuthenticatedAt),
		Attributes: make(map[string]postern.Value, 1),
	}
	if s := strings.TrimSpace(d.Serial); s != "" {
		r.Serials = []string{s}
	}
	if d.AuthState != nil {
		if v, ok := authStates[fold(*d.AuthState)]; ok {
			r.Attributes[AttrAuthState] = postern.String(v)
		}
	}
	return r
}

// lastSeen is the first of the timestamps that parses; zero if none does.
func lastSeen(stamps ...string) time.Time {
	for _, s := range stamps {
		if s == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
