package intune

import (
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// Attribute keys this integration writes, as Tailscale's Intune
// integration names them.
const (
	AttrComplianceState         = "intune:complianceState"
	AttrAzureADRegistered       = "intune:azureADRegistered"
	AttrDeviceRegistrationState = "intune:deviceRegistrationState"
	AttrIsSupervised            = "intune:isSupervised"
	AttrIsEncrypted             = "intune:isEncrypted"
	AttrManagedDeviceOwnerType  = "intune:managedDeviceOwnerType"
)

// device holds the managedDevice properties Postern selects. Posture
// properties are pointers so that one Graph leaves out (or sends as null,
// as it does for azureADRegistered) is not taken for false or "": a
// missing attribute fails every condition but NOT SET.
type device struct {
	ID                      string  `json:"id"`
	DeviceName              string  `json:"deviceName"`
	SerialNumber            string  `json:"serialNumber"`
	ComplianceState         string  `json:"complianceState"`
	AzureADRegistered       *bool   `json:"azureADRegistered"`
	DeviceRegistrationState string  `json:"deviceRegistrationState"`
	IsSupervised            *bool   `json:"isSupervised"`
	IsEncrypted             *bool   `json:"isEncrypted"`
	ManagedDeviceOwnerType  string  `json:"managedDeviceOwnerType"`
	LastSyncDateTime        *string `json:"lastSyncDateTime"`
}

// record turns d into a Record. String values are written as Graph
// sends them, as Tailscale's integration does.
func (d *device) record() integrations.Record {
	r := integrations.Record{
		VendorID:   d.ID,
		Hostname:   d.DeviceName,
		Attributes: make(map[string]postern.Value, 6),
	}
	if d.SerialNumber != "" {
		r.Serials = []string{d.SerialNumber}
	}
	setString(r.Attributes, AttrComplianceState, d.ComplianceState)
	setString(r.Attributes, AttrDeviceRegistrationState, d.DeviceRegistrationState)
	setString(r.Attributes, AttrManagedDeviceOwnerType, d.ManagedDeviceOwnerType)
	setBool(r.Attributes, AttrAzureADRegistered, d.AzureADRegistered)
	setBool(r.Attributes, AttrIsSupervised, d.IsSupervised)
	setBool(r.Attributes, AttrIsEncrypted, d.IsEncrypted)
	if d.LastSyncDateTime != nil {
		// A device that never synced has 0001-01-01T00:00:00Z: unknown.
		if t, err := time.Parse(time.RFC3339Nano, *d.LastSyncDateTime); err == nil && t.Year() > 1 {
			r.LastSeen = t
		}
	}
	return r
}

func setString(m map[string]postern.Value, key, v string) {
	if v != "" {
		m[key] = postern.String(v)
	}
}

func setBool(m map[string]postern.Value, key string, b *bool) {
	if b != nil {
		m[key] = postern.Bool(*b)
	}
}
