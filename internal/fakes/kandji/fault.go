package kandji

import "github.com/postern/postern/internal/fakes/fault"

// Fault is a failure the server injects into the device pages it serves.
// Page n is the request whose first device is at offset (limit)*(n-1),
// whether the request said so by offset or by a cursor. Status answers
// with Kandji's error body for it: 401, 403, 429 (with Retry-After in
// whole seconds), 500, ... Truncate answers 200 with the page's JSON cut
// in half. Endpoint, if set, is PrismPath or DevicesPath; empty means
// both.
type Fault = fault.Fault
