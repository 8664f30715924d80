package intune

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
)

// properties are the managedDevice properties the fake serves, in the
// order Graph sends them, with how each is written.
var properties = []struct {
	name  string
	write func(b []byte, d *Device) []byte
}{
	{"id", func(b []byte, d *Device) []byte { return appendString(b, d.ID) }},
	{"deviceName", func(b []byte, d *Device) []byte { return appendString(b, d.DeviceName) }},
	{"managedDeviceOwnerType", func(b []byte, d *Device) []byte { return appendString(b, d.ManagedDeviceOwnerType) }},
	{"lastSyncDateTime", func(b []byte, d *Device) []byte {
		if d.NeverSynced {
			return appendString(b, "0001-01-01T00:00:00Z")
		}
		return appendString(b, d.LastSyncDateTime.UTC().Format("2006-01-02T15:04:05Z"))
	}},
	{"operatingSystem", func(b []byte, d *Device) []byte { return appendString(b, d.OperatingSystem) }},
	{"complianceState", func(b []byte, d *Device) []byte { return appendString(b, d.ComplianceState) }},
	{"managementAgent", func(b []byte, d *Device) []byte { return appendString(b, "mdm") }},
	{"azureADRegistered", func(b []byte, d *Device) []byte {
		if d.AzureADRegistered == nil {
			return append(b, "null"...)
		}
		return strconv.AppendBool(b, *d.AzureADRegistered)
	}},
	{"deviceRegistrationState", func(b []byte, d *Device) []byte { return appendString(b, d.DeviceRegistrationState) }},
	{"isSupervised", func(b []byte, d *Device) []byte { return strconv.AppendBool(b, d.IsSupervised) }},
	{"isEncrypted", func(b []byte, d *Device) []byte { return strconv.AppendBool(b, d.IsEncrypted) }},
	{"serialNumber", func(b []byte, d *Device) []byte { return appendString(b, d.SerialNumber) }},
	{"model", func(b []byte, d *Device) []byte { return appendString(b, "Surface Laptop 5") }},
	{"manufacturer", func(b []byte, d *Device) []byte { return appendString(b, "Microsoft Corporation") }},
}

func propertyIndex(name string) int {
	for i, p := range properties {
		if p.name == name {
			return i
		}
	}
	return -1
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// serveDevices answers GET /v1.0/deviceManagement/managedDevices.
func (s *Server) serveDevices(w http.ResponseWriter, r *http.Request) {
	s.core.Count(EndpointDevices)
	if !s.bearer(w, r) {
		return
	}
	s.mu.Lock()
	allowed := slices.Contains(s.perms, PermRead) || slices.Contains(s.perms, PermReadWrite)
	pageSize, linkBase := s.pageSize, s.linkBase
	s.mu.Unlock()
	if !allowed {
		s.writeGraphError(w, http.StatusForbidden, "Forbidden", notAuthorizedMessage())
		return
	}
	if linkBase == "" {
		linkBase = s.URL()
	}

	q := r.URL.Query()
	selected, rawSelect, ok := parseSelect(q.Get("$select"))
	if !ok {
		s.writeGraphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf(
			"Could not find a property named '%s' on type 'microsoft.graph.managedDevice'.", rawSelect))
		return
	}
	top := pageSize
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			s.writeGraphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value '%s' for $top query option found.", v))
			return
		case n > MaxPage:
			s.writeGraphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf(
				"The limit of '%d' for Top query has been exceeded. The value from the incoming request is '%d'.", MaxPage, n))
			return
		}
		top = n
	}
	after, ok := parseSkipToken(q.Get("$skiptoken"))
	if !ok {
		s.writeGraphError(w, http.StatusBadRequest, "BadRequest", "Invalid skip token.")
		return
	}
	limit := min(top, pageSize)

	var (
		page []Device
		more bool
		f    *Fault
	)
	s.devices.Read(func(ids []string, get func(string) (Device, bool)) {
		start, _ := slices.BinarySearch(ids, after)
		if after != "" && start < len(ids) && ids[start] == after {
			start++
		}
		f = s.core.Faults().ForPage(EndpointDevices, start/limit+1)
		end := min(start+limit, len(ids))
		page = make([]Device, 0, end-start)
		for _, id := range ids[start:end] {
			d, _ := get(id)
			page = append(page, d)
		}
		more = end < len(ids)
	})
	if s.core.Faults().Apply(w, r, f, s.writeGraphFault) {
		return
	}

	w.Header().Set("request-id", guid())
	s.core.WriteAppended(w, http.StatusOK, contentTypePage, f, func(b []byte) []byte {
		b = append(b, `{"@odata.context":`...)
		ctx := linkBase + "/v1.0/$metadata#deviceManagement/managedDevices"
		if rawSelect != "" {
			ctx += "(" + rawSelect + ")"
		}
		b = appendString(b, ctx)
		b = append(b, `,"value":[`...)
		for i := range page {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendDevice(b, &page[i], selected)
		}
		b = append(b, ']')
		if more {
			next := linkBase + DevicesPath + "?"
			if rawSelect != "" {
				next += "$select=" + rawSelect + "&"
			}
			next += "$top=" + strconv.Itoa(top) + "&$skiptoken=" + url.QueryEscape("LastDeviceId='"+page[len(page)-1].ID+"'")
			b = append(b, `,"@odata.nextLink":`...)
			b = appendString(b, next)
		}
		return append(b, "}\n"...)
	})
}

// contentTypePage is the Content-Type of Graph's listing pages.
const contentTypePage = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// parseSelect returns which properties $select names (every one when it
// is empty), and the list as given. It reports false, with the unknown
// name, if one is not a property.
func parseSelect(v string) (sel []bool, raw string, ok bool) {
	sel = make([]bool, len(properties))
	if v == "" {
		for i := range sel {
			sel[i] = true
		}
		return sel, "", true
	}
	for name := range strings.SplitSeq(v, ",") {
		i := propertyIndex(strings.TrimSpace(name))
		if i < 0 {
			return nil, name, false
		}
		sel[i] = true
	}
	return sel, v, true
}

// parseSkipToken reads $skiptoken, LastDeviceId='<id>', as the fake
// writes it. An empty token means the first page.
func parseSkipToken(v string) (string, bool) {
	if v == "" {
		return "", true
	}
	id, ok := strings.CutPrefix(v, "LastDeviceId='")
	if !ok || !strings.HasSuffix(id, "'") || len(id) < 2 {
		return "", false
	}
	return strings.TrimSuffix(id, "'"), true
}

func appendDevice(b []byte, d *Device, selected []bool) []byte {
	b = append(b, '{')
	first := true
	for i, p := range properties {
		if !selected[i] || slices.Contains(d.Omit, p.name) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, p.name...)
		b = append(b, `":`...)
		b = p.write(b, d)
	}
	return append(b, '}')
}

// notAuthorizedMessage is the message of Intune's 403 for an app without
// the permission: Intune's own JSON document, as a string, inside Graph's
// error body.
func notAuthorizedMessage() string {
	return fmt.Sprintf("{\r\n  \"_version\": 3,\r\n  \"Message\": \"Application is not authorized to perform this operation. Application must have one of the following scopes: %s, %s - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: %s - Url: https://fef.msua06.manage.microsoft.com/DeviceFE/StatelessDeviceFEService/deviceManagement/managedDevices?api-version=2024-06-14\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}",
		PermRead, PermReadWrite, guid())
}

// writeGraphFault answers a Graph request with an injected status and
// Graph's error body for it; 429 and 503 carry Retry-After.
func (s *Server) writeGraphFault(w http.ResponseWriter, f *Fault) {
	code, msg := "UnknownError", http.StatusText(f.Status)
	switch f.Status {
	case http.StatusBadRequest:
		code, msg = "BadRequest", "Invalid request."
	case http.StatusUnauthorized:
		code, msg = "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
	case http.StatusForbidden:
		code, msg = "Forbidden", notAuthorizedMessage()
	case http.StatusNotFound:
		code, msg = "ResourceNotFound", "Resource not found for the segment 'managedDevices'."
	case http.StatusTooManyRequests:
		code, msg = "TooManyRequests", "Too many requests."
		w.Header().Set("Retry-After", strconv.Itoa(f.RetrySeconds()))
	case http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailable", "Service is unavailable."
		w.Header().Set("Retry-After", strconv.Itoa(f.RetrySeconds()))
	case http.StatusInternalServerError:
		code, msg = "InternalServerError", "An internal server error occurred."
	}
	s.writeGraphError(w, f.Status, code, msg)
}

// graphError is Graph's error body.
type graphError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

func (s *Server) writeGraphError(w http.ResponseWriter, status int, code, msg string) {
	var e graphError
	e.Error.Code, e.Error.Message = code, msg
	e.Error.InnerError.Date = time.Now().UTC().Format("2006-01-02T15:04:05")
	e.Error.InnerError.RequestID, e.Error.InnerError.ClientRequestID = guid(), guid()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
	}
	s.writeJSON(w, status, e, nil)
}

// serveNotFound answers a path Graph does not have, in Graph's shape.
func (s *Server) serveNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeGraphError(w, http.StatusNotFound, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", r.URL.Path))
}

// writeJSON sends v with status and its Content-Length, cut in half if f
// truncates.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any, f *Fault) {
	if err := s.core.WriteJSON(w, status, fakehttp.JSONUTF8, v, f); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
