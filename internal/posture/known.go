package posture

import (
	"strings"

	"github.com/postern/postern"
)

// KnownKind reports the type of a known attribute: the built-in node: and
// ip: attributes and those the posture integrations write. isVersion is
// true for string attributes holding versions (compared with
// CompareVersions). Every fleetPolicy:<name> is a bool. ok is false for
// attributes whose type is not known, such as custom:*.
func KnownKind(attr string) (kind postern.Kind, isVersion bool, ok bool) {
	const (
		str = postern.KindString
		num = postern.KindNumber
		bl  = postern.KindBool
	)
	switch attr {
	// Reported by the client or derived by the control plane.
	case "node:os", "node:tsReleaseTrack", "ip:country":
		return str, false, true
	case "node:osVersion", "node:tsVersion":
		return str, true, true
	case "node:tsAutoUpdate", "node:tsStateEncrypted":
		return bl, false, true

	// CrowdStrike Falcon ZTA.
	case "falcon:ztaScore":
		return num, false, true

	// Microsoft Intune.
	case "intune:complianceState", "intune:deviceRegistrationState", "intune:managedDeviceOwnerType":
		return str, false, true
	case "intune:azureADRegistered", "intune:isSupervised", "intune:isEncrypted":
		return bl, false, true

	// Jamf Pro.
	case "jamfPro:fileVaultStatus", "jamfPro:SIPEnabled":
		return str, false, true
	case "jamfPro:remoteManaged", "jamfPro:supervised", "jamfPro:firewallEnabled":
		return bl, false, true

	// Kandji (Iru).
	case "kandji:mdmEnabled", "kandji:agentInstalled":
		return bl, false, true

	// Kolide (1Password XAM).
	case "kolide:authState":
		return str, false, true

	// SentinelOne.
	case "sentinelOne:operationalState":
		return str, false, true
	case "sentinelOne:activeThreats":
		return num, false, true
	case "sentinelOne:agentVersion":
		return str, true, true
	case "sentinelOne:encryptedApplications", "sentinelOne:firewallEnabled", "sentinelOne:infected":
		return bl, false, true

	// Fleet.
	case "fleet:present":
		return bl, false, true

	// Huntress.
	case "huntress:defenderStatus", "huntress:defenderPolicyStatus", "huntress:firewallStatus":
		return str, false, true
	}
	if name, found := strings.CutPrefix(attr, "fleetPolicy:"); found && name != "" {
		return bl, false, true
	}
	return postern.KindNone, false, false
}

// isVersionAttr reports whether attr is a known version attribute. It is
// KnownKind's isVersion without the rest, cheap enough for every Eval.
func isVersionAttr(attr string) bool {
	switch attr {
	case "node:osVersion", "node:tsVersion", "sentinelOne:agentVersion":
		return true
	}
	return false
}

// namespaceClosed reports whether ns is an attribute namespace Postern
// knows (ok), and whether every attribute in it is known (closed), so that
// an unknown name there is an error rather than a vendor's new attribute.
func namespaceClosed(ns string) (closed, ok bool) {
	switch ns {
	case "node", "ip":
		return true, true
	case "custom", "falcon", "intune", "jamfPro", "kandji", "kolide", "sentinelOne", "fleet", "fleetPolicy", "huntress":
		return false, true
	}
	return false, false
}

// knownNames lists the attributes KnownKind names individually, for
// suggesting the right spelling of a mistyped one.
func knownNames() []string {
	return []string{
		"node:os", "node:osVersion", "node:tsVersion", "node:tsReleaseTrack", "node:tsAutoUpdate",
		"node:tsStateEncrypted", "ip:country",
		"falcon:ztaScore",
		"intune:complianceState", "intune:azureADRegistered", "intune:deviceRegistrationState",
		"intune:isSupervised", "intune:isEncrypted", "intune:managedDeviceOwnerType",
		"jamfPro:remoteManaged", "jamfPro:supervised", "jamfPro:firewallEnabled", "jamfPro:fileVaultStatus",
		"jamfPro:SIPEnabled",
		"kandji:mdmEnabled", "kandji:agentInstalled",
		"kolide:authState",
		"sentinelOne:operationalState", "sentinelOne:activeThreats", "sentinelOne:agentVersion",
		"sentinelOne:encryptedApplications", "sentinelOne:firewallEnabled", "sentinelOne:infected",
		"fleet:present",
		"huntress:defenderStatus", "huntress:defenderPolicyStatus", "huntress:firewallStatus",
	}
}

// knownNamespaces lists the namespaces namespaceClosed accepts.
func knownNamespaces() []string {
	return []string{"node", "ip", "custom", "falcon", "intune", "jamfPro", "kandji", "kolide", "sentinelOne", "fleet", "fleetPolicy", "huntress"}
}

// suggest returns the entry of names equal to s ignoring case, or "".
func suggest(s string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return n
		}
	}
	return ""
}
