// Package api serves Postern's Tailscale-compatible REST API v2 under
// /api/v2: the paths, JSON field names, status codes and {"message": ...}
// error bodies of Tailscale's API, so the official Go client and tools
// built on it work unchanged, plus Postern's additions documented in
// docs/api.md. Handlers read through the store and write through the
// tailnet service, never around it.
package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/realip"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/tailnet"
)

// Config is what the API is built from.
type Config struct {
	Service    *tailnet.Service
	TailnetID  string       // the default tailnet, which "-" names
	BaseDomain string       // MagicDNS suffix for device names, e.g. "example.postern.internal"
	Logger     *slog.Logger // nil: discard
	// Decisions answers access questions from the policy in force; nil
	// disables the access endpoint.
	Decisions Decider
	// Syncer runs integration syncs on demand; nil disables them.
	Syncer Syncer
	// FirstSyncWait is how long creating an integration waits for its
	// first sync to report how it went; zero means DefaultFirstSyncWait.
	FirstSyncWait time.Duration
	// Registrar approves interactive logins; nil lists none.
	Registrar Registrar
	// Presence says which devices hold a map session now, for
	// connectedToControl; nil reports every device as not connected.
	Presence Presence
	// Proxies says which peers may report a client's address in
	// X-Forwarded-For; nil trusts none.
	Proxies *realip.Resolver
}

// Presence says whether a device has a live connection to the control
// server now.
type Presence interface {
	Online(deviceID int64) bool
}

// Decider answers whether a device may reach an address, and why.
type Decider interface {
	Check(src int64, dst netip.Addr, proto int, port uint16) policy.Decision
}

// API is the HTTP API. Mount Handler at "/api/v2/".
type API struct {
	svc        *tailnet.Service
	st         store.Store
	tailnetID  string
	baseDomain string
	log        *slog.Logger
	limiter    *failLimiter
	decisions  Decider
	syncer     Syncer
	// firstSyncWait bounds how long a create waits for the first sync.
	firstSyncWait time.Duration
	registrar     Registrar
	presence      Presence
	proxies       *realip.Resolver
}

// New returns the API for cfg.
func New(cfg Config) *API {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{
		svc:           cfg.Service,
		st:            cfg.Service.Store(),
		tailnetID:     cfg.TailnetID,
		baseDomain:    cfg.BaseDomain,
		log:           log,
		limiter:       newFailLimiter(cfg.Service.Now),
		decisions:     cfg.Decisions,
		syncer:        cfg.Syncer,
		firstSyncWait: cmp.Or(cfg.FirstSyncWait, DefaultFirstSyncWait),
		registrar:     cfg.Registrar,
		presence:      cfg.Presence,
		proxies:       cfg.Proxies,
	}
}

// Handler returns the API's routes, under /api/v2/.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.routes(mux)
	return mux
}

// maxBody bounds request bodies.
const maxBody = 1 << 20

// decode reads a JSON body into v, rejecting unknown trailing data.
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return postern.Errorf(postern.EINVALID, "invalid JSON body: %v", err)
	}
	return nil
}

// decodeStrict is decode for bodies of a known shape (those Tailscale's
// clients send): a field v does not have is an error rather than
// silently ignored, so a misspelt field cannot read as "empty".
func decodeStrict(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := unmarshalStrict(body, v); err != nil {
		return postern.Errorf(postern.EINVALID, "invalid JSON body: %w", err)
	}
	return nil
}

// unmarshalStrict decodes the one JSON value in b into v, refusing fields
// v does not have.
func unmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// readBody reads a request body of at most maxBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, postern.Errorf(postern.EINVALID, "reading request body: %v", err)
	}
	if len(body) > maxBody {
		return nil, postern.Errorf(postern.EINVALID, "request body is larger than %d bytes", maxBody)
	}
	return body, nil
}

// writeJSON writes v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

// statusOf maps error codes to HTTP statuses: the one place that does.
func statusOf(code postern.Code) int {
	switch code {
	case postern.EINVALID:
		return http.StatusBadRequest
	case postern.ENOTFOUND:
		return http.StatusNotFound
	case postern.ECONFLICT:
		return http.StatusConflict
	case postern.EPRECONDITION:
		return http.StatusPreconditionFailed
	case postern.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case postern.EFORBIDDEN:
		return http.StatusForbidden
	case postern.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case postern.EBUSY:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// errorBody is Tailscale's error shape.
type errorBody struct {
	Message string      `json:"message"`
	Data    []errorData `json:"data,omitempty"`
}

type errorData struct {
	User     string   `json:"user,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// writeError answers err as {"message": ...}; internal errors are logged
// and answered without their detail.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := postern.ErrorCode(err)
	status := statusOf(code)
	msg := postern.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		a.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var de *detailedError
	if errors.As(err, &de) {
		writeJSON(w, status, errorBody{Message: msg, Data: de.data})
		return
	}
	writeJSON(w, status, errorBody{Message: msg})
}

// detailedError carries Tailscale's per-user error data (policy tests).
type detailedError struct {
	err  *postern.Error
	data []errorData
}

func (e *detailedError) Error() string { return e.err.Error() }
func (e *detailedError) Unwrap() error { return e.err }

// rfc3339 formats t for JSON, "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// notFound is the error for an unknown id in a path.
func notFound(what, id string) error {
	return postern.Errorf(postern.ENOTFOUND, "%s %q not found", what, id)
}

// badf is shorthand for an EINVALID error.
func badf(format string, args ...any) error {
	return postern.Errorf(postern.EINVALID, format, args...)
}
