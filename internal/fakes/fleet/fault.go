package fleet

import "github.com/postern/postern/internal/fakes/fault"

// Fault is a failure the server injects into the host pages it serves.
// Page n is the request with Fleet's 0-based page=n-1 (a request without
// paging is page 1). Status answers with Fleet's error body for it: 401,
// 403, 429 (with Retry-After in whole seconds), 500, ... Truncate
// answers 200 with the page's JSON cut in half. Endpoint, if set, must
// be HostsPath, which stands for both paths the fake serves.
type Fault = fault.Fault
