package jamfpro

import "github.com/postern/postern/internal/fakes/fault"

// Fault is a failure the server injects into its answers; Endpoint, if
// set, is EndpointToken or EndpointInventory.
//
// Page picks the request the fault hits, 1-based: on the inventory the
// page asked for plus one (page=0 is Page 1), on the token endpoint the
// nth token request since the fault was injected.
//
// Status answers with Jamf's error body for it: on the inventory 401
// INVALID_TOKEN, 403 INVALID_PRIVILEGE, 429 (with Retry-After in whole
// seconds), 500, ...; on the token endpoint 400 and 401 are a refused
// client ({"error": "invalid_client"}). Truncate answers 200 with the
// JSON cut in half. Delay holds the answer back.
type Fault = fault.Fault
