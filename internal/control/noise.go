package control

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"

	"golang.org/x/net/http2"
	"tailscale.com/control/controlhttp/controlhttpserver"
	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
)

// peerKey is the context key under which requests over Noise carry what
// is known of the client: its machine public key, proven by the Noise
// handshake, and the address its connection came from.
type peerKey struct{}

// noisePeer is what requests over one Noise connection know of its client.
type noisePeer struct {
	machine key.MachinePublic
	source  netip.Addr // invalid if unknown
	gate    *connGate  // nil in tests that call handlers directly
}

// machineKeyOf returns the Noise-authenticated machine key of r's client.
func machineKeyOf(r *http.Request) (key.MachinePublic, bool) {
	p, ok := r.Context().Value(peerKey{}).(*noisePeer)
	if !ok {
		return key.MachinePublic{}, false
	}
	return p.machine, true
}

// peerOf returns what is known of r's Noise client; nil if r did not come
// over Noise.
func peerOf(r *http.Request) *noisePeer {
	p, _ := r.Context().Value(peerKey{}).(*noisePeer)
	return p
}

// sourceOf returns the address of the Noise client whose request ctx
// belongs to; invalid if unknown.
func sourceOf(ctx context.Context) netip.Addr {
	if p, ok := ctx.Value(peerKey{}).(*noisePeer); ok {
		return p.source
	}
	return netip.Addr{}
}

// withPeer returns ctx carrying the Noise client p.
func withPeer(ctx context.Context, p *noisePeer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// maxStreamsPerConn bounds the requests one Noise connection may have in
// flight at once. A client needs a handful (a map long poll, a register
// follow-up, c2n answers, one-off updates).
const maxStreamsPerConn = 16

// serveKey answers GET /key?v=N with the server's public keys. There is no
// legacy (pre-Noise) protocol, so the legacy key is the Noise key too.
func (s *Server) serveKey(w http.ResponseWriter, r *http.Request) {
	pub := s.machineKey.Public()
	if r.FormValue("v") == "" {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(pub.UntypedHexString()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(tailcfg.OverTLSPublicKeyResponse{LegacyPublicKey: pub, PublicKey: pub})
}

// serveNoiseUpgrade turns POST /ts2021 into a Noise connection and serves
// HTTP/2 over it until the client hangs up or the server closes.
func (s *Server) serveNoiseUpgrade(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		http.Error(w, "POST required", http.StatusMethodNotAllowed)
		return
	}
	source := s.cfg.Proxies.Addr(r)
	gate, ok := s.conns.open(source)
	if !ok {
		s.log.Info("noise upgrade refused", "source", source, "reason", "too many unregistered connections from this address")
		http.Error(w, "too many connections from your address that have not registered a device; try again later", http.StatusTooManyRequests)
		return
	}
	defer gate.close()
	conn, err := controlhttpserver.AcceptHTTP(r.Context(), w, r, s.machineKey, nil)
	if err != nil {
		s.log.Info("noise upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(withPeer(context.Background(), &noisePeer{machine: conn.Peer(), source: source, gate: gate}))
	defer cancel()
	go func() {
		select {
		case <-s.done:
			conn.Close()
		case <-ctx.Done():
		}
	}()
	h2 := http2.Server{MaxConcurrentStreams: maxStreamsPerConn}
	h2.ServeConn(conn, &http2.ServeConnOpts{
		Context:    ctx,
		BaseConfig: &http.Server{Handler: s.noiseMux},
	})
}
