package control

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"tailscale.com/tailcfg"
)

// maxC2NReply bounds a client's c2n response.
const maxC2NReply = 4 << 20

// C2N sends req to the connected client of device id over the
// control-to-node channel and waits for its answer: the request rides in
// a PingRequest of type "c2n" on the map stream, and the client posts the
// response back over Noise to a one-time URL.
func (s *Server) C2N(ctx context.Context, id int64, req *http.Request) (*http.Response, error) {
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, fmt.Errorf("encoding c2n request: %w", err)
	}
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	ch := make(chan *http.Response, 1)
	s.mu.Lock()
	ss := s.sessions[id]
	if ss == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("c2n: device %d is not connected", id)
	}
	s.c2n[token] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.c2n, token)
		s.mu.Unlock()
	}()
	pr := &tailcfg.PingRequest{
		URL:     "https://" + s.serverURL.Host + "/c2n/" + token,
		Types:   "c2n",
		Payload: buf.Bytes(),
	}
	ss.push(func(pend *delta, _ map[int64]bool) { pend.pings = append(pend.pings, pr) })
	select {
	case res := <-ch:
		return res, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("c2n: waiting for device %d: %w", id, ctx.Err())
	}
}

// serveC2NReply receives a client's answer to a c2n request.
func (s *Server) serveC2NReply(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	s.mu.Lock()
	ch := s.c2n[token]
	delete(s.c2n, token)
	s.mu.Unlock()
	if ch == nil {
		http.Error(w, "unknown c2n token", http.StatusNotFound)
		return
	}
	res, err := http.ReadResponse(bufio.NewReader(io.LimitReader(r.Body, maxC2NReply)), nil)
	if err != nil {
		http.Error(w, "bad c2n response", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		http.Error(w, "bad c2n response body", http.StatusBadRequest)
		return
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	ch <- res
	w.WriteHeader(http.StatusNoContent)
}
