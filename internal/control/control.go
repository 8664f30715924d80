// Package control owns Postern's side of the Tailscale control protocol
// (ts2021): the Noise upgrade, registration of nodes with auth keys or an
// admin-approved login URL, the long-poll map sessions that hand every
// client its peers, DNS, DERP map and packet filter, the control-to-node
// (c2n) channel used for Device Identity Collection, and an embedded DERP
// relay on the same port.
//
// It decides nothing about access itself: which peers a device sees and
// which packets it accepts come from a Policy. It writes no device rows
// either: what a client's request means is decided here and handed to the
// single Writer, and whoever consumes the writer's changes (the policy
// engine) tells the server what changed for clients by calling Notify
// with a Change. Each connected session merges the changes meant for it and sends
// one delta per coalescing window, so a slow client never holds up others.
package control

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"tailscale.com/derp/derpserver"
	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/realip"
	"github.com/postern/postern/internal/store"
)

// Policy is what the control server asks of the policy engine. Its methods
// must be fast (answers are expected to be precomputed) and safe for
// concurrent use.
type Policy interface {
	// Filter is the packet filter device enforces as a receiver.
	Filter(deviceID int64) []tailcfg.FilterRule
	// Peers lists the devices device must know about.
	Peers(deviceID int64) []int64
	// TagsAllowed reports whether the user with login name owner may
	// apply tags to a device; a non-nil error says why not, in words fit
	// for the person running "tailscale up".
	TagsAllowed(owner string, tags []string) error
}

// Config configures a Server. Store, Writer, Policy and Logger are
// required.
type Config struct {
	// ServerURL is the URL clients use to reach the server, e.g.
	// "http://127.0.0.1:8080". The DERP map and login URLs point at it.
	ServerURL string
	// DataDir holds the server's machine and DERP private keys.
	DataDir string
	// Store is read for devices, keys, users and tailnet settings, and
	// records when devices were last seen.
	Store store.Store
	// Writer commits every device change the server makes.
	Writer Writer
	Policy Policy
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BaseDomain is the MagicDNS suffix: a device named "laptop" is
	// "laptop.<BaseDomain>". Empty means "postern.internal".
	BaseDomain string

	// OnHostinfo, if set, is called (from a request goroutine) with a
	// device's node:* attributes whenever the Hostinfo it reports yields a
	// different set than before. The callee persists them as it sees fit.
	OnHostinfo func(deviceID int64, attrs map[string]postern.Value)
	// OnPostureIdentity, if set, is called after a device's posture
	// identity changed and was stored, e.g. to re-match it with vendors.
	OnPostureIdentity func(deviceID int64, pi postern.PostureIdentity)

	// KeepAlive is how often an idle map stream gets a keep-alive; zero
	// means 50s (clients give up after two minutes of silence).
	KeepAlive time.Duration
	// Coalesce is how long a session waits after the first pending
	// change before sending, to merge bursts; zero means 25ms.
	Coalesce time.Duration
	// EphemeralTimeout is how long an ephemeral device may stay offline
	// before it is deleted; zero means 30 minutes.
	EphemeralTimeout time.Duration
	// SweepInterval is how often interactive logins past their TTL and
	// ephemeral devices offline for EphemeralTimeout are cleaned up; zero
	// means one minute.
	SweepInterval time.Duration
	// IdentityInterval is how often connected clients are asked for their
	// posture identity when collection is on; zero means 24 hours.
	IdentityInterval time.Duration
	// STUNAddr, if set (e.g. ":3478"), is a UDP address to serve STUN on,
	// advertised in the DERP map.
	STUNAddr string
	// Proxies says which peers may report a client's address in
	// X-Forwarded-For; nil trusts none.
	Proxies *realip.Resolver
}

// Server is the control server. Create it with New.
type Server struct {
	cfg        Config
	log        *slog.Logger
	now        func() time.Time
	serverURL  *url.URL
	machineKey key.MachinePrivate
	derp       *derpserver.Server
	derpMap    *tailcfg.DERPMap
	stun       *stunServer
	mux        *http.ServeMux // outer: /key, /ts2021, /derp, /register/
	noiseMux   *http.ServeMux // inner, over Noise: /machine/...

	closeOnce sync.Once
	done      chan struct{}      // closed by Close
	ctx       context.Context    // canceled by Close; parent of background work
	cancel    context.CancelFunc //
	bg        sync.WaitGroup     // map sessions and background work, awaited by Close
	closed    bool               // guarded by mu; no new background work once set
	conns     connLimiter        // unregistered Noise connections per address

	mu       sync.Mutex
	sessions map[int64]*session        // connected streaming map sessions, by device ID
	live     map[int64]*liveNode       // what connected clients reported, by device ID
	nodes    map[int64]*postern.Device // device cache, by device ID
	pending  map[string]*pendingReg    // interactive registrations, by id
	c2n      map[string]chan *http.Response
	offline  map[int64]*time.Timer // ephemeral devices awaiting clean-up
	expiries map[int64]keyTimer    // cached devices' coming key expiries
	// derpConns are the relay's admitted connections and their node keys.
	derpConns map[net.Conn]key.NodePublic
}

// New returns a Server ready to serve Handler. It loads or creates the
// server's keys in cfg.DataDir and starts STUN if asked.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Writer == nil || cfg.Policy == nil || cfg.Logger == nil {
		return nil, errors.New("control: Config needs Store, Writer, Policy and Logger")
	}
	u, err := url.Parse(cfg.ServerURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("control: invalid server URL %q", cfg.ServerURL)
	}
	cfg.BaseDomain = cmp.Or(cfg.BaseDomain, "postern.internal")
	cfg.KeepAlive = cmp.Or(cfg.KeepAlive, 50*time.Second)
	cfg.Coalesce = cmp.Or(cfg.Coalesce, 25*time.Millisecond)
	cfg.EphemeralTimeout = cmp.Or(cfg.EphemeralTimeout, 30*time.Minute)
	cfg.IdentityInterval = cmp.Or(cfg.IdentityInterval, 24*time.Hour)
	cfg.SweepInterval = cmp.Or(cfg.SweepInterval, time.Minute)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	mk, err := loadMachineKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	dk, err := loadDERPKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		now:        cfg.Now,
		serverURL:  u,
		machineKey: mk,
		done:       make(chan struct{}),
		ctx:        ctx,
		cancel:     cancel,
		sessions:   map[int64]*session{},
		live:       map[int64]*liveNode{},
		nodes:      map[int64]*postern.Device{},
		pending:    map[string]*pendingReg{},
		c2n:        map[string]chan *http.Response{},
		offline:    map[int64]*time.Timer{},
		expiries:   map[int64]keyTimer{},
		derpConns:  map[net.Conn]key.NodePublic{},
	}
	s.derp = derpserver.New(dk, func(format string, args ...any) {
		s.log.Debug("derp", "msg", fmt.Sprintf(format, args...))
	})
	stunPort := -1
	if cfg.STUNAddr != "" {
		st, err := startSTUN(cfg.STUNAddr, s.log)
		if err != nil {
			s.derp.Close()
			return nil, err
		}
		s.stun = st
		stunPort = st.port()
	}
	s.derpMap = buildDERPMap(u, stunPort)
	s.initMux()
	s.background(s.housekeep)
	return s, nil
}

// Handler serves the control protocol, DERP and the login URLs. Mount it
// at "/".
func (s *Server) Handler() http.Handler { return s.mux }

// MachinePublicKey is the server's Noise public key.
func (s *Server) MachinePublicKey() key.MachinePublic { return s.machineKey.Public() }

// DERPMap returns the DERP map sent to clients.
func (s *Server) DERPMap() *tailcfg.DERPMap { return s.derpMap.Clone() }

// Close ends every map session and stops DERP and STUN.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		for _, t := range s.offline {
			t.Stop()
		}
		s.mu.Unlock()
		s.derp.Close()
		if s.stun != nil {
			s.stun.close()
		}
		s.mu.Lock()
		s.closed = true
		for id := range s.expiries {
			s.stopKeyTimerLocked(id)
		}
		s.mu.Unlock()
		s.cancel()
		s.bg.Wait()
	})
	return nil
}

// background runs f in a goroutine that Close cancels (through ctx) and
// waits for. It reports false, running nothing, once the server closed.
func (s *Server) background(f func(ctx context.Context)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f(s.ctx)
	}()
	return true
}

func (s *Server) initMux() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /key", s.serveKey)
	s.mux.HandleFunc("/ts2021", s.serveNoiseUpgrade)
	s.mux.HandleFunc("/derp", s.serveDERP)
	s.mux.HandleFunc("/derp/probe", derpserver.ProbeHandler)
	s.mux.HandleFunc("/derp/latency-check", derpserver.ProbeHandler)
	s.mux.HandleFunc("/generate_204", derpserver.ServeNoContent)
	s.mux.HandleFunc("GET /register/{id}", s.serveRegisterPage)

	s.noiseMux = http.NewServeMux()
	s.noiseMux.HandleFunc("POST /machine/register", s.serveRegister)
	s.noiseMux.HandleFunc("POST /machine/map", s.serveMap)
	s.noiseMux.HandleFunc("POST /c2n/{token}", s.serveC2NReply)
	// Endpoints clients call that Postern has no use for yet: accept
	// them so clients do not retry or log errors.
	for _, p := range []string{"/machine/set-dns", "/machine/update-health", "/machine/id-token",
		"/machine/audit-log", "/machine/set-device-attr", "/machine/tka/", "/machine/webclient/"} {
		s.noiseMux.HandleFunc(p, serveAccepted)
	}
}

func serveAccepted(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}
