package intune

import "github.com/postern/postern/internal/fakes/fault"

// Fault is a failure the server injects into its answers; Endpoint, if
// set, is EndpointToken or EndpointDevices.
//
// Page picks the request the fault hits, 1-based: on EndpointDevices the
// page of the listing (page n starts at device (n-1)*limit); on
// EndpointToken the nth token request since the fault was injected.
//
// Status answers with the service's error body for it: on the token
// endpoint, 400/401/403 as Entra ID refusing the client
// (AADSTS7000215) and 429/5xx as its transient error; on Graph, 401
// InvalidAuthenticationToken, 403 Intune's "Application is not
// authorized", 404, 429 TooManyRequests, 500, 503 ... A 429 (and a 503)
// carries Retry-After in whole seconds. Truncate answers 200 with the
// JSON cut in half. Faults on Graph apply only to requests with a valid
// token.
type Fault = fault.Fault
