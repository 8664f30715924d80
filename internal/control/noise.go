package control

import (
	"context"
	"encoding/json"
	"net/http"

	"golang.org/x/net/http2"
	"tailscale.com/control/controlhttp/controlhttpserver"
	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
)

// peerKey is the context key under which requests over Noise carry the
// client's machine public key, proven by the Noise handshake.
type peerKey struct{}

// machineKeyOf returns the Noise-authenticated machine key of r's client.
func machineKeyOf(r *http.Request) (key.MachinePublic, bool) {
	k, ok := r.Context().Value(peerKey{}).(key.MachinePublic)
	return k, ok
}

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
	conn, err := controlhttpserver.AcceptHTTP(r.Context(), w, r, s.machineKey, nil)
	if err != nil {
		s.log.Info("noise upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), peerKey{}, conn.Peer()))
	defer cancel()
	go func() {
		select {
		case <-s.done:
			conn.Close()
		case <-ctx.Done():
		}
	}()
	var h2 http2.Server
	h2.ServeConn(conn, &http2.ServeConnOpts{
		Context:    ctx,
		BaseConfig: &http.Server{Handler: s.noiseMux},
	})
}
