package jamfpro

import (
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// The attributes this integration writes, with Tailscale's names.
const (
	AttrRemoteManaged   = "jamfPro:remoteManaged"   // general.remoteManagement.managed
	AttrSupervised      = "jamfPro:supervised"      // general.supervised
	AttrFirewallEnabled = "jamfPro:firewallEnabled" // security.firewallEnabled
	AttrFileVaultStatus = "jamfPro:fileVaultStatus" // operatingSystem.fileVault2Status
	AttrSIPEnabled      = "jamfPro:SIPEnabled"      // security.sipStatus
)

// computerJSON is the part of an inventory record Postern reads. A
// section or value Jamf sends as null (a section not asked for, a
// computer not yet inventoried) leaves a pointer nil.
type computerJSON struct {
	ID      string `json:"id"`
	General *struct {
		Name             string `json:"name"`
		RemoteManagement *struct {
			Managed *bool `json:"managed"`
		} `json:"remoteManagement"`
		Supervised      *bool  `json:"supervised"`
		LastContactTime string `json:"lastContactTime"`
	} `json:"general"`
	Hardware *struct {
		SerialNumber string `json:"serialNumber"`
	} `json:"hardware"`
	OperatingSystem *struct {
		FileVault2Status string `json:"fileVault2Status"`
	} `json:"operatingSystem"`
	Security *struct {
		SIPStatus       string `json:"sipStatus"`
		FirewallEnabled *bool  `json:"firewallEnabled"`
	} `json:"security"`
}

func (c *Client) toRecord(comp *computerJSON) integrations.Record {
	rec := integrations.Record{VendorID: comp.ID, Attributes: make(map[string]postern.Value, 5)}
	if g := comp.General; g != nil {
		rec.Hostname = g.Name
		if g.RemoteManagement != nil && g.RemoteManagement.Managed != nil {
			rec.Attributes[AttrRemoteManaged] = postern.Bool(*g.RemoteManagement.Managed)
		}
		if g.Supervised != nil {
			rec.Attributes[AttrSupervised] = postern.Bool(*g.Supervised)
		}
		if g.LastContactTime != "" {
			if t, err := time.Parse(time.RFC3339Nano, g.LastContactTime); err == nil {
				rec.LastSeen = t
			} else {
				c.log.Debug("ignoring unparsable lastContactTime", "computer_id", comp.ID, "timestamp", g.LastContactTime)
			}
		}
	}
	if h := comp.Hardware; h != nil && h.SerialNumber != "" {
		rec.Serials = []string{h.SerialNumber}
	}
	if os := comp.OperatingSystem; os != nil && os.FileVault2Status != "" {
		rec.Attributes[AttrFileVaultStatus] = postern.String(os.FileVault2Status)
	}
	if s := comp.Security; s != nil {
		if s.FirewallEnabled != nil {
			rec.Attributes[AttrFirewallEnabled] = postern.Bool(*s.FirewallEnabled)
		}
		if s.SIPStatus != "" {
			rec.Attributes[AttrSIPEnabled] = postern.String(s.SIPStatus)
		}
	}
	return rec
}
