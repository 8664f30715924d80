package sentinelone

import "github.com/postern/postern/internal/fakes/fault"

// Fault is a failure the server injects into the agents pages it serves.
// Page n starts at agent (n-1)*limit. Status answers with the vendor's
// error body for it: 401, 403, 429 (with Retry-After in whole seconds,
// rounded up), 500, ... Truncate answers 200 with the page's JSON cut in
// half. Faults apply only to requests with the right API token. Endpoint,
// if set, must be AgentsPath.
type Fault = fault.Fault
