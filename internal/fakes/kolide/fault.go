package kolide

import "github.com/postern/postern/internal/fakes/fault"

// Fault is a failure the server injects into the device pages it serves.
// Page n is the request whose first device is at (n-1)*per_page. Status
// answers with Kolide's error body for it: 401, 403, 404, 429 (with
// Retry-After in whole seconds, rounded up, and RateLimit-* headers),
// 500, ... Truncate answers 200 with the page's JSON cut in half. Faults
// apply only to requests with the right API key and version header.
// Endpoint, if set, must be DevicesPath.
type Fault = fault.Fault
