package falcon

import (
	"strconv"

	"github.com/postern/postern/internal/fakes/fault"
)

// Endpoint names one of the API paths the fake serves.
type Endpoint = fault.Endpoint

// The endpoints the fake serves.
const (
	EndpointToken   Endpoint = "/oauth2/token"
	EndpointScroll  Endpoint = "/devices/queries/devices-scroll/v1"
	EndpointDetails Endpoint = "/devices/entities/devices/v2"
	EndpointZTA     Endpoint = "/zero-trust-assessment/entities/assessments/v1"
)

// Fault is a failure the server injects into its responses; Endpoint,
// if set, is the endpoint it hits.
//
// Page picks the request the fault hits, 1-based: on the scroll endpoint
// the page of the scroll session (page n starts at AID (n-1)*limit); on
// details and ZTA the nth distinct batch of ids asked for since the
// fault was injected (a retried batch is the same batch); on the token
// endpoint the nth token request.
//
// Status answers with the vendor's error body for it. On EndpointToken,
// 401 and 403 are a refused token; on the others 401 is an invalid
// bearer token. 429 carries X-RateLimit-RetryAfter in epoch seconds,
// RetryAfter ahead. Truncate answers 2xx with the JSON body cut in half.
type Fault = fault.Fault

// batchKey names a batch of ids by its first id and size.
func batchKey(ids []string) string {
	return ids[0] + "/" + strconv.Itoa(len(ids))
}
