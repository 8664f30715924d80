package control

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"tailscale.com/derp"
	"tailscale.com/types/key"

	"github.com/postern/postern"
)

// serveDERP is derpserver.Handler with admission control: the embedded
// relay serves only node keys of current, authorized devices whose key
// has not expired. derpserver can ask an admission URL or a local
// tailscaled, both a network hop away; instead the handshake is read as
// it passes: the client's first frame starts with its node key in the
// clear (derpserver then proves the client holds it), and the connection
// is dropped before derpserver reads further if the key is not admitted.
// Admitted connections are checked again by the housekeeping loop and
// closed once their device is gone, expired or deauthorized.
func (s *Server) serveDERP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "derp") {
		http.Error(w, "DERP requires connection upgrade", http.StatusUpgradeRequired)
		return
	}
	h, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "connection cannot be upgraded", http.StatusInternalServerError)
		return
	}
	nc, brw, err := h.Hijack()
	if err != nil {
		s.log.Info("derp: hijack failed", "err", err)
		return
	}
	if r.Header.Get(derp.FastStartHeader) != "1" {
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Version: %v\r\nDerp-Public-Key: %s\r\n\r\n",
			derp.ProtocolVersion, s.derp.PublicKey().UntypedHexString())
	}
	ctx := r.Context()
	ar := &admitReader{r: brw.Reader, admit: func(k key.NodePublic) error {
		if err := s.derpAdmit(ctx, k); err != nil {
			s.log.Info("derp: client refused", "node_key", k.ShortString(), "remote", r.RemoteAddr, "reason", err)
			return err
		}
		s.mu.Lock()
		s.derpConns[nc] = k
		s.mu.Unlock()
		return nil
	}}
	defer func() {
		s.mu.Lock()
		delete(s.derpConns, nc)
		s.mu.Unlock()
	}()
	s.derp.Accept(ctx, nc, bufio.NewReadWriter(bufio.NewReader(ar), brw.Writer), nc.RemoteAddr().String())
}

// derpAdmit reports why node key k may not use the relay, or nil if it
// may: it must belong to an authorized device whose key has not expired.
func (s *Server) derpAdmit(ctx context.Context, k key.NodePublic) error {
	d, err := s.cfg.Store.DeviceByNodeKey(ctx, k.String())
	if postern.IsNotFound(err) {
		return fmt.Errorf("node key %s belongs to no device", k.ShortString())
	}
	if err != nil {
		return fmt.Errorf("looking up node key %s: %w", k.ShortString(), err)
	}
	switch {
	case !d.Authorized:
		return fmt.Errorf("device %d is not authorized", d.ID)
	case keyExpired(&d, s.now()):
		return fmt.Errorf("device %d's node key expired", d.ID)
	}
	return nil
}

// recheckDERP closes relay connections whose node key is no longer
// admitted.
func (s *Server) recheckDERP(ctx context.Context) {
	s.mu.Lock()
	conns := make(map[net.Conn]key.NodePublic, len(s.derpConns))
	for c, k := range s.derpConns {
		conns[c] = k
	}
	s.mu.Unlock()
	for c, k := range conns {
		if err := s.derpAdmit(ctx, k); err != nil && ctx.Err() == nil {
			s.log.Info("derp: closing connection", "node_key", k.ShortString(), "reason", err)
			c.Close()
		}
	}
}

// clientKeyPrefix is how much of a DERP client's first frame precedes and
// includes its node key: the frame header and the raw key.
const clientKeyPrefix = derp.FrameHeaderLen + derp.KeyLen

// admitReader passes a DERP client's bytes through, but reads no further
// than its node key until admit has accepted that key.
type admitReader struct {
	r     io.Reader
	admit func(key.NodePublic) error
	head  []byte // the first bytes read, until the key is complete
	err   error  // admit's refusal
	open  bool   // the key was admitted or the frame is not a client key
}

func (a *admitReader) Read(p []byte) (int, error) {
	if a.open {
		return a.r.Read(p)
	}
	if a.err != nil {
		return 0, a.err
	}
	p = p[:min(len(p), clientKeyPrefix-len(a.head))]
	n, err := a.r.Read(p)
	a.head = append(a.head, p[:n]...)
	if len(a.head) < clientKeyPrefix {
		return n, err
	}
	if derp.FrameType(a.head[0]) != derp.FrameClientInfo {
		a.open = true // derpserver refuses it itself
		return n, err
	}
	var k key.NodePublic
	if e := k.UnmarshalText([]byte("nodekey:" + hex.EncodeToString(a.head[derp.FrameHeaderLen:]))); e != nil {
		a.err = fmt.Errorf("reading DERP client key: %w", e)
		return 0, a.err
	}
	if e := a.admit(k); e != nil {
		a.err = e
		return 0, e
	}
	a.open = true
	return n, err
}
