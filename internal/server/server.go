// Package server assembles a running Postern: it opens the store, ensures
// the default tailnet, and serves the control protocol, the API, the admin
// console, /healthz and /metrics on one listener. cmd/postern and the
// end-to-end tests both start it through New and Start, so tests exercise
// what users run.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/api"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/netmap"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/realip"
	"github.com/postern/postern/internal/secret"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/web"
)

// Config is everything a server is started from. Zero values mean the
// documented defaults.
type Config struct {
	Listen    string // default "127.0.0.1:8080"; ":0" picks a port
	ServerURL string // default "http://" + the listen address
	DataDir   string // default "./postern-data"
	Database  string // "" = SQLite in DataDir; "postgres://..." = PostgreSQL
	SecretKey string // POSTERN_SECRET_KEY; "" = <DataDir>/secret.key
	// SQLiteSynchronous is "full" (default when empty) or "normal"; see
	// store.Options.
	SQLiteSynchronous string
	SyncInterval      time.Duration // default 15m
	// TrustedProxies are the peers (TLS-terminating proxies, load
	// balancers) whose X-Forwarded-For is believed; empty trusts none.
	TrustedProxies []netip.Prefix
	// MetricsListen is a separate address that serves only /metrics
	// (e.g. 127.0.0.1:9090); empty means none.
	MetricsListen string
	// MetricsToken, when set, is required as "Authorization: Bearer
	// <token>" for /metrics, on the main port and on MetricsListen.
	// With neither MetricsListen nor MetricsToken, the main port serves
	// /metrics only if it listens on loopback and the server URL is a
	// loopback one (a local setup); otherwise /metrics there is 404.
	MetricsToken string
	// ReadTimeout, WriteTimeout and IdleTimeout bound a request's
	// reading, its answer and an idle keep-alive connection; 0 means
	// 30s, 60s and 120s. The Noise upgrade (/ts2021, which carries the
	// map long-poll) and the DERP relay (/derp) are exempt from the
	// read and write timeouts.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	Logger                                 *slog.Logger // default: discard
	Now                                    func() time.Time
}

// maxConcurrentStreams bounds the HTTP/2 streams one connection to the
// outer server may have open at once.
const maxConcurrentStreams = 100

// Server is a running Postern.
type Server struct {
	cfg     Config
	log     *slog.Logger
	ln      net.Listener
	http    *http.Server
	store   store.Store
	tailnet postern.Tailnet
	svc     *tailnet.Service
	api     *api.API
	engine  *netmap.Engine
	control *control.Server
	syncer  *posturesync.Engine
	console *web.Console
	proxies *realip.Resolver   // from cfg.TrustedProxies
	cancel  context.CancelFunc // stops background loops
	metrics *prometheus.Registry
	done    chan error // receives the HTTP server's exit
	// metricsLn and metricsHTTP serve cfg.MetricsListen; nil without it.
	metricsLn   net.Listener
	metricsHTTP *http.Server
}

// Start validates cfg, listens, opens the store and starts serving. On
// error nothing is left running or half-created.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	cfg = withDefaults(cfg)
	s := &Server{cfg: cfg, log: cfg.Logger, done: make(chan error, 1), proxies: realip.New(cfg.TrustedProxies)}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Listen, unwrapSyscall(err))
	}
	s.ln = ln
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	if s.cfg.ServerURL == "" {
		if s.cfg.ServerURL, err = defaultServerURL(ln.Addr()); err != nil {
			return nil, err
		}
	}
	if cfg.MetricsListen != "" {
		var mln net.Listener
		mln, err = net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return nil, fmt.Errorf("listening for metrics on %s: %w", cfg.MetricsListen, unwrapSyscall(err))
		}
		s.metricsLn = mln
		defer func() {
			if err != nil {
				mln.Close()
			}
		}()
	}

	createdDir, err := ensureDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && createdDir {
			os.RemoveAll(cfg.DataDir)
		}
	}()
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	s.store = st
	s.svc = tailnet.New(st, s.log, cfg.Now)
	t, _, err := s.svc.EnsureDefault(ctx)
	if err != nil {
		return nil, err
	}
	s.tailnet = t

	if err := s.startPlanes(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.stopPlanes()
		}
	}()
	s.api = api.New(api.Config{Service: s.svc, TailnetID: t.ID, Logger: s.log, Decisions: s.engine, Syncer: s.syncer, Registrar: s.control, Presence: s.control, BaseDomain: baseDomain, Proxies: s.proxies})

	s.metrics = prometheus.NewRegistry()
	s.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newCollector(s))

	s.http = s.newHTTPServer(s.routes())
	go func() { s.done <- s.http.Serve(ln) }()
	if s.metricsLn != nil {
		s.metricsHTTP = s.newHTTPServer(s.metricsOnlyRoutes())
		go func() {
			if err := s.metricsHTTP.Serve(s.metricsLn); !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("serving metrics", "addr", s.metricsLn.Addr().String(), "err", err)
			}
		}()
		s.log.Info("metrics listening", "addr", s.metricsLn.Addr().String())
	}
	absDir, _ := filepath.Abs(cfg.DataDir)
	if err := recordURL(cfg.DataDir, s.cfg.ServerURL); err != nil {
		s.log.Warn("recording the server URL for admin commands", "err", err)
	}
	s.log.Info("postern listening", "addr", ln.Addr().String(), "server_url", s.cfg.ServerURL,
		"data_dir", absDir, "database", st.Backend(), "metrics_on_main_port", s.metricsMode())
	s.log.Info("admin console", "url", strings.TrimRight(s.cfg.ServerURL, "/")+"/admin/",
		"next_step", "run 'postern admin login-link --data-dir "+absDir+"' for a sign-in link (it creates the first owner if there is none)")
	return s, nil
}

// newHTTPServer returns an http.Server for h with the configured
// timeouts. Without ReadTimeout and WriteTimeout a client that sends its
// body or reads the answer a byte at a time holds a connection and a
// goroutine for as long as it likes.
func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: maxConcurrentStreams},
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// OpenStore opens the store cfg names, for the server and the CLI's
// admin commands alike.
func OpenStore(ctx context.Context, cfg Config) (store.Store, error) {
	cfg = withDefaults(cfg)
	if _, err := ensureDir(cfg.DataDir); err != nil {
		return nil, err
	}
	secret.WarnOpenDir(cfg.Logger, cfg.DataDir)
	box, err := secret.LoadOrCreate(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("loading the secret key: %w", err)
	}
	st, err := store.Open(ctx, store.Options{Database: cfg.Database, DataDir: cfg.DataDir, Secrets: box, Logger: cfg.Logger, Now: cfg.Now,
		SQLiteSynchronous: cfg.SQLiteSynchronous})
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	return st, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// MetricsAddr is the address of the metrics listener, or nil without one.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}

// URL is the URL clients and API callers use.
func (s *Server) URL() string { return s.cfg.ServerURL }

// Service is the tailnet's single writer.
func (s *Server) Service() *tailnet.Service { return s.svc }

// Tailnet is the default tailnet.
func (s *Server) Tailnet() postern.Tailnet { return s.tailnet }

// Wait blocks until the server stops serving on its own (an error) or ctx
// is done; then it shuts down.
func (s *Server) Wait(ctx context.Context) error {
	select {
	case err := <-s.done:
		if s.metricsHTTP != nil {
			s.metricsHTTP.Close()
		}
		s.stopPlanes()
		s.store.Close()
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
		return s.Close()
	}
}

// Close stops accepting connections, lets in-flight requests finish (up to
// 15 seconds), and closes the database.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	herr := s.http.Shutdown(ctx)
	if s.metricsHTTP != nil {
		herr = errors.Join(herr, s.metricsHTTP.Shutdown(ctx))
	}
	s.stopPlanes()
	serr := s.store.Close()
	s.log.Info("postern stopped")
	return errors.Join(herr, serr)
}

func withDefaults(c Config) Config {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./postern-data"
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 60 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = 15 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// ensureDir creates dir (mode 0700) if missing and checks it is a
// writable directory. created reports whether it made it.
func ensureDir(dir string) (created bool, err error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("creating data dir %s: %w", dir, unwrapPath(err))
		}
		created = true
	case err != nil:
		return false, fmt.Errorf("data dir %s: %w", dir, unwrapPath(err))
	case !fi.IsDir():
		return false, fmt.Errorf("data dir %s is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return created, fmt.Errorf("data dir %s is not writable: %w", dir, unwrapPath(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return created, nil
}

// unwrapPath drops the *PathError wrapper, whose path we already say.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// unwrapSyscall turns "listen tcp 127.0.0.1:8080: bind: address already in
// use" into "address already in use".
func unwrapSyscall(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

// DataDir is the server's data directory.
func (s *Server) DataDir() string { return s.cfg.DataDir }
