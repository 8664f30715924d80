package jamfpro

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/postern/postern/internal/fakes/fakehttp"
	"github.com/postern/postern/internal/fakes/fault"
)

// contactLayout is how Jamf Pro writes lastContactTime: UTC with
// milliseconds.
const contactLayout = "2006-01-02T15:04:05.000Z"

// sections are the inventory sections Jamf Pro knows; the fake fills
// GENERAL, DISK_ENCRYPTION, HARDWARE, OPERATING_SYSTEM, SECURITY and
// USER_AND_LOCATION and sends the others as null.
var sections = []string{
	"GENERAL", "DISK_ENCRYPTION", "PURCHASING", "APPLICATIONS", "STORAGE", "USER_AND_LOCATION",
	"CONFIGURATION_PROFILES", "PRINTERS", "SERVICES", "HARDWARE", "LOCAL_USER_ACCOUNTS",
	"CERTIFICATES", "ATTACHMENTS", "PLUGINS", "PACKAGE_RECEIPTS", "FONTS", "SECURITY",
	"OPERATING_SYSTEM", "LICENSED_SOFTWARE", "IBEACONS", "SOFTWARE_UPDATES",
	"EXTENSION_ATTRIBUTES", "CONTENT_CACHING", "GROUP_MEMBERSHIPS",
}

type pageJSON struct {
	TotalCount int            `json:"totalCount"`
	Results    []computerJSON `json:"results"`
}

// computerJSON is one inventory record; a section the request did not
// name is null.
type computerJSON struct {
	ID              string           `json:"id"`
	UDID            string           `json:"udid"`
	General         *generalJSON     `json:"general"`
	DiskEncryption  *diskJSON        `json:"diskEncryption"`
	Purchasing      *struct{}        `json:"purchasing"`
	Applications    []struct{}       `json:"applications"`
	UserAndLocation *userJSON        `json:"userAndLocation"`
	Hardware        *hardwareJSON    `json:"hardware"`
	Security        *securityJSON    `json:"security"`
	OperatingSystem *operatingSystem `json:"operatingSystem"`
}

type generalJSON struct {
	Name              string `json:"name"`
	LastIPAddress     string `json:"lastIpAddress"`
	JamfBinaryVersion string `json:"jamfBinaryVersion"`
	Platform          string `json:"platform"`
	RemoteManagement  struct {
		Managed            bool   `json:"managed"`
		ManagementUsername string `json:"managementUsername"`
	} `json:"remoteManagement"`
	Supervised      bool    `json:"supervised"`
	ReportDate      *string `json:"reportDate"`
	LastContactTime *string `json:"lastContactTime"`
	ManagementID    string  `json:"managementId"`
}

type diskJSON struct {
	BootPartitionEncryptionDetails struct {
		PartitionName              string `json:"partitionName"`
		PartitionFileVault2State   string `json:"partitionFileVault2State"`
		PartitionFileVault2Percent int    `json:"partitionFileVault2Percent"`
	} `json:"bootPartitionEncryptionDetails"`
	IndividualRecoveryKeyValidityStatus string   `json:"individualRecoveryKeyValidityStatus"`
	InstitutionalRecoveryKeyPresent     bool     `json:"institutionalRecoveryKeyPresent"`
	DiskEncryptionConfigurationName     string   `json:"diskEncryptionConfigurationName"`
	FileVault2EnabledUserNames          []string `json:"fileVault2EnabledUserNames"`
	FileVault2EligibilityMessage        string   `json:"fileVault2EligibilityMessage"`
}

type userJSON struct {
	Username string `json:"username"`
	Email    string `json:"email"`
}

type hardwareJSON struct {
	Make            string `json:"make"`
	Model           string `json:"model"`
	ModelIdentifier string `json:"modelIdentifier"`
	SerialNumber    string `json:"serialNumber"`
	MACAddress      string `json:"macAddress"`
	AppleSilicon    bool   `json:"appleSilicon"`
}

type securityJSON struct {
	SIPStatus             *string `json:"sipStatus"`
	GatekeeperStatus      *string `json:"gatekeeperStatus"`
	XprotectVersion       *string `json:"xprotectVersion"`
	AutoLoginDisabled     *bool   `json:"autoLoginDisabled"`
	RemoteDesktopEnabled  *bool   `json:"remoteDesktopEnabled"`
	ActivationLockEnabled *bool   `json:"activationLockEnabled"`
	RecoveryLockEnabled   *bool   `json:"recoveryLockEnabled"`
	FirewallEnabled       *bool   `json:"firewallEnabled"`
	SecureBootLevel       *string `json:"secureBootLevel"`
	ExternalBootLevel     *string `json:"externalBootLevel"`
	BootstrapTokenAllowed *bool   `json:"bootstrapTokenAllowed"`
}

type operatingSystem struct {
	Name                  string  `json:"name"`
	Version               string  `json:"version"`
	Build                 string  `json:"build"`
	ActiveDirectoryStatus string  `json:"activeDirectoryStatus"`
	FileVault2Status      *string `json:"fileVault2Status"`
}

func (s *Server) serveInventory(w http.ResponseWriter, r *http.Request) {
	s.core.Count(EndpointInventory)
	q := r.URL.Query()
	page, size, want, sortKey, bad := parseQuery(q)
	f := s.core.Faults().ForPage(EndpointInventory, page+1)
	if !s.core.Faults().Wait(r, f) {
		return
	}
	if !s.authorized(w, r) {
		return
	}
	if f != nil && f.Status != 0 {
		writeFault(w, f)
		return
	}
	if bad != nil {
		writeError(w, http.StatusBadRequest, "INVALID_FIELD", bad.description, bad.field)
		return
	}
	s.writeJSON(w, s.page(page, size, want, sortKey), f)
}

type badField struct{ field, description string }

// parseQuery reads page, page-size, section and sort, with Jamf Pro's
// defaults: page 0, 100 a page, GENERAL only, sorted by general.name.
func parseQuery(q map[string][]string) (page, size int, want map[string]bool, sortKey string, bad *badField) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	size = 100
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, nil, "", &badField{"page", "page must be a number greater than or equal to 0"}
		}
		page = n
	}
	if v := get("page-size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return page, 0, nil, "", &badField{"page-size", fmt.Sprintf("page-size must be between 1 and %d", MaxPageSize)}
		}
		size = n
	}
	want = map[string]bool{}
	for _, sec := range q["section"] {
		if !slices.Contains(sections, sec) {
			return page, size, nil, "", &badField{"section", fmt.Sprintf("Invalid section %s", sec)}
		}
		want[sec] = true
	}
	if len(want) == 0 {
		want["GENERAL"] = true
	}
	sortKey = "general.name:asc"
	if v := get("sort"); v != "" {
		sortKey = v
	}
	switch sortKey {
	case "id:asc", "id:desc", "general.name:asc":
	default:
		return page, size, nil, "", &badField{"sort", fmt.Sprintf("Invalid sort criteria %s", sortKey)}
	}
	return page, size, want, sortKey, nil
}

// page returns page of the inventory, size computers a page, in the
// order sortKey names, with the sections in want.
func (s *Server) page(page, size int, want map[string]bool, sortKey string) pageJSON {
	var (
		cs    []Computer
		total int
	)
	if sortKey == "id:asc" {
		cs, total = s.computers.Page(page*size, size)
	} else {
		all, n := s.computers.Page(0, -1)
		total = n
		if sortKey == "id:desc" {
			slices.Reverse(all)
		} else {
			slices.SortStableFunc(all, func(a, b Computer) int { return cmp.Compare(name(a), name(b)) })
		}
		start := min(page*size, len(all))
		cs = all[start:min(start+size, len(all))]
	}
	p := pageJSON{TotalCount: total, Results: make([]computerJSON, 0, len(cs))}
	for _, c := range cs {
		p.Results = append(p.Results, toJSON(c, want))
	}
	return p
}

func name(c Computer) string {
	if c.Name != "" {
		return c.Name
	}
	return "Mac-" + strconv.Itoa(c.ID)
}

func toJSON(c Computer, want map[string]bool) computerJSON {
	j := computerJSON{ID: strconv.Itoa(c.ID), UDID: c.UDID}
	if j.UDID == "" {
		j.UDID = udid(c.ID)
	}
	if want["GENERAL"] {
		g := &generalJSON{Name: name(c), LastIPAddress: "203.0.113.7", JamfBinaryVersion: "11.12.0-t1731000000", Platform: "Mac",
			Supervised: c.Supervised, ManagementID: "e1b4c7a0-" + leftPad(strconv.Itoa(c.ID), 8)}
		g.RemoteManagement.Managed = c.RemoteManaged
		if c.RemoteManaged {
			g.RemoteManagement.ManagementUsername = "jamfadmin"
		}
		if !c.LastContact.IsZero() {
			t := c.LastContact.UTC().Format(contactLayout)
			g.LastContactTime, g.ReportDate = &t, &t
		}
		j.General = g
	}
	if want["DISK_ENCRYPTION"] {
		d := &diskJSON{IndividualRecoveryKeyValidityStatus: "NOT_APPLICABLE", FileVault2EnabledUserNames: []string{}}
		d.BootPartitionEncryptionDetails.PartitionName = "Macintosh HD (Boot Partition)"
		d.BootPartitionEncryptionDetails.PartitionFileVault2State = "UNENCRYPTED"
		if c.FileVaultStatus == "ALL_ENCRYPTED" || c.FileVaultStatus == "BOOT_ENCRYPTED" {
			d.BootPartitionEncryptionDetails.PartitionFileVault2State = "ENCRYPTED"
			d.BootPartitionEncryptionDetails.PartitionFileVault2Percent = 100
			d.IndividualRecoveryKeyValidityStatus = "VALID"
		}
		j.DiskEncryption = d
	}
	if want["USER_AND_LOCATION"] {
		j.UserAndLocation = &userJSON{}
	}
	if want["HARDWARE"] {
		j.Hardware = &hardwareJSON{Make: "Apple", Model: "MacBook Pro (14-inch, 2023)", ModelIdentifier: "Mac14,5",
			SerialNumber: c.SerialNumber, MACAddress: "3C:A6:F6:00:00:01", AppleSilicon: true}
	}
	if want["SECURITY"] {
		sec := &securityJSON{}
		if !c.NoInventory {
			sec.SIPStatus = strOrNil(c.SIPStatus)
			sec.GatekeeperStatus = strOrNil("APP_STORE_AND_IDENTIFIED_DEVELOPERS")
			sec.XprotectVersion = strOrNil("5272")
			f, t := false, true
			sec.AutoLoginDisabled, sec.RemoteDesktopEnabled, sec.ActivationLockEnabled = &t, &f, &f
			sec.RecoveryLockEnabled, sec.BootstrapTokenAllowed = &f, &t
			fw := c.FirewallEnabled
			sec.FirewallEnabled = &fw
			sec.SecureBootLevel, sec.ExternalBootLevel = strOrNil("FULL_SECURITY"), strOrNil("NOT_SUPPORTED")
		}
		j.Security = sec
	}
	if want["OPERATING_SYSTEM"] {
		os := &operatingSystem{Name: "macOS", Version: "15.1.1", Build: "24B91", ActiveDirectoryStatus: "Not Bound"}
		if !c.NoInventory {
			os.FileVault2Status = strOrNil(c.FileVaultStatus)
		}
		j.OperatingSystem = os
	}
	return j
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// errorJSON is Jamf Pro's error body.
type errorJSON struct {
	HTTPStatus int         `json:"httpStatus"`
	Errors     []errorItem `json:"errors"`
}

type errorItem struct {
	Code        string  `json:"code"`
	Description string  `json:"description"`
	ID          string  `json:"id"`
	Field       *string `json:"field"`
}

func writeError(w http.ResponseWriter, status int, code, description, field string) {
	item := errorItem{Code: code, Description: description, ID: "0"}
	if field != "" {
		item.Field = &field
	}
	b, _ := json.Marshal(errorJSON{HTTPStatus: status, Errors: []errorItem{item}})
	writeBody(w, status, string(b))
}

// writeFault answers an inventory request with f's status and Jamf's
// body for it.
func writeFault(w http.ResponseWriter, f *fault.Fault) {
	switch {
	case f.Status == http.StatusUnauthorized:
		writeError(w, f.Status, "INVALID_TOKEN", "Unauthorized", "")
	case f.Status == http.StatusForbidden:
		writeError(w, f.Status, "INVALID_PRIVILEGE", "Forbidden", "")
	case f.Status == http.StatusNotFound:
		writeError(w, f.Status, "NOT_FOUND", "Not Found", "")
	case f.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(f.RetrySeconds()))
		writeError(w, f.Status, "TOO_MANY_REQUESTS", "Too Many Requests", "")
	case f.Status >= 500:
		writeError(w, f.Status, "UNEXPECTED_ERROR", "An unexpected error occurred", "")
	default:
		writeError(w, f.Status, "INVALID_FIELD", "Injected failure", "")
	}
}

// writeTokenFault answers a token request with f's status: a refused
// client for 400 and 401, Jamf's error body otherwise.
func writeTokenFault(w http.ResponseWriter, f *fault.Fault) {
	switch f.Status {
	case http.StatusBadRequest, http.StatusUnauthorized:
		writeBody(w, f.Status, bodyInvalidClient)
	default:
		writeFault(w, f)
	}
}

func serveNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "NOT_FOUND", "Not Found", "")
}

// contentType is the Content-Type of Jamf Pro's JSON answers.
const contentType = "application/json;charset=UTF-8"

// writeJSON answers 200 with v, cut in half if f truncates.
func (s *Server) writeJSON(w http.ResponseWriter, v any, f *fault.Fault) {
	if s.core.WriteJSON(w, http.StatusOK, contentType, v, f) != nil {
		writeError(w, http.StatusInternalServerError, "UNEXPECTED_ERROR", "An unexpected error occurred", "")
	}
}

func writeBody(w http.ResponseWriter, status int, body string) {
	fakehttp.WriteString(w, status, contentType, body)
}
