package sentinelone

import (
	"fmt"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// agentsPage is one response of GET /web/api/v2.1/agents.
type agentsPage struct {
	Data       []agent `json:"data"`
	Pagination struct {
		NextCursor *string `json:"nextCursor"` // null (or "") on the last page
	} `json:"pagination"`
	Errors []apiError `json:"errors"`
}

// agent holds the fields of an agent Postern uses. Posture fields are
// pointers so that a field the console leaves out is not taken for false
// or zero: a missing attribute fails every condition but NOT SET.
type agent struct {
	ID                    string `json:"id"`
	ComputerName          string `json:"computerName"`
	SerialNumber          string `json:"serialNumber"` // may be null or absent
	IsActive              *bool  `json:"isActive"`
	AgentVersion          string `json:"agentVersion"`
	ActiveThreats         *int64 `json:"activeThreats"`
	Infected              *bool  `json:"infected"`
	FirewallEnabled       *bool  `json:"firewallEnabled"`
	EncryptedApplications *bool  `json:"encryptedApplications"`
	OperationalState      string `json:"operationalState"`
	IsDecommissioned      bool   `json:"isDecommissioned"`
	IsUninstalled         bool   `json:"isUninstalled"`
	LastActiveDate        string `json:"lastActiveDate"`
	UpdatedAt             string `json:"updatedAt"`
}

// apiError is one entry of the console's {"errors":[...]} body.
type apiError struct {
	Code   int     `json:"code"`
	Title  string  `json:"title"`
	Detail *string `json:"detail"`
}

func (e apiError) String() string {
	if e.Detail != nil && *e.Detail != "" && *e.Detail != e.Title {
		return fmt.Sprintf("%s: %s (code %d)", e.Title, *e.Detail, e.Code)
	}
	return fmt.Sprintf("%s (code %d)", e.Title, e.Code)
}

// record turns a into a Record.
func (a *agent) record() integrations.Record {
	r := integrations.Record{
		VendorID:   a.ID,
		Hostname:   a.ComputerName,
		LastSeen:   lastSeen(a.LastActiveDate, a.UpdatedAt),
		Attributes: make(map[string]postern.Value, 7),
	}
	if a.SerialNumber != "" {
		r.Serials = []string{a.SerialNumber}
	}
	setBool(r.Attributes, AttrIsActive, a.IsActive)
	setBool(r.Attributes, AttrInfected, a.Infected)
	setBool(r.Attributes, AttrFirewallEnabled, a.FirewallEnabled)
	setBool(r.Attributes, AttrEncryptedApplications, a.EncryptedApplications)
	if a.ActiveThreats != nil {
		r.Attributes[AttrActiveThreats] = postern.Number(float64(*a.ActiveThreats))
	}
	if a.AgentVersion != "" {
		r.Attributes[AttrAgentVersion] = postern.String(a.AgentVersion)
	}
	if a.OperationalState != "" {
		r.Attributes[AttrOperationalState] = postern.String(a.OperationalState)
	}
	return r
}

func setBool(m map[string]postern.Value, key string, b *bool) {
	if b != nil {
		m[key] = postern.Bool(*b)
	}
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
