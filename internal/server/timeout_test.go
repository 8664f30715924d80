package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"tailscale.com/control/ts2021"
	"tailscale.com/net/netmon"
	"tailscale.com/net/tsdial"
	"tailscale.com/types/key"
)

// shortTimeouts are server timeouts short enough for a test to outlast.
var shortTimeouts = Config{ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}

// TestSlowBodyCutOff checks a client that sends its body a byte at a time
// (slow loris) is disconnected by ReadTimeout instead of holding the
// connection for as long as it likes.
func TestSlowBodyCutOff(t *testing.T) {
	s := startTest(t, shortTimeouts)
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	host := s.Addr().String()
	// The sign-in form reads its body; the Origin makes it a same-origin
	// post, so nothing refuses it before the body is read.
	fmt.Fprintf(c, "POST /admin/signin HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", host, host)
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for range 1000 {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var readErr error
	for readErr == nil {
		_, readErr = r.ReadByte()
	}
	elapsed := time.Since(start)
	if errors.Is(readErr, os.ErrDeadlineExceeded) {
		t.Fatalf("the server still held the connection after %v of a trickled body; want it cut off after ReadTimeout (%v)", elapsed, shortTimeouts.ReadTimeout)
	}
	if elapsed < shortTimeouts.ReadTimeout-50*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("connection closed after %v (%v), want shortly after ReadTimeout %v", elapsed, readErr, shortTimeouts.ReadTimeout)
	}
}

// TestNoiseConnectionOutlivesTimeouts checks the /ts2021 connection,
// which carries every request of a client and its map long-poll, is not
// cut off by the read and write timeouts that bound ordinary requests:
// two requests far apart travel over the one connection.
func TestNoiseConnectionOutlivesTimeouts(t *testing.T) {
	s := startTest(t, shortTimeouts)
	var dials atomic.Int32
	d := tsdial.NewDialer(netmon.NewStatic())
	d.SetSystemDialerForTest(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	})
	nc, err := ts2021.NewClient(ts2021.ClientOpts{
		ServerURL: s.URL(), PrivKey: key.NewMachine(), ServerPubKey: s.control.MachinePublicKey(),
		Dialer: d, Logf: func(string, ...any) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nk := key.NewNode().Public()
	for i := range 2 {
		if i > 0 {
			// Idle for longer than every timeout of the outer server.
			time.Sleep(4 * shortTimeouts.WriteTimeout)
		}
		res, err := nc.Post(ctx, "/postern-test-no-such-path", nk, struct{}{})
		if err != nil {
			t.Fatalf("request %d over the Noise connection: %v", i+1, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("request %d: got %d, want 404 from the Noise mux", i+1, res.StatusCode)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("got %d connections for two requests, want 1: the first was cut off", n)
	}
}

// TestLongLivedClearsDeadlines checks the wrapper of /ts2021 and /derp
// lifts the read and write deadlines for a handler that streams for
// longer than WriteTimeout, while the same handler unwrapped is cut off.
func TestLongLivedClearsDeadlines(t *testing.T) {
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		for i := range 3 {
			fmt.Fprintf(w, "chunk %d\n", i)
			if err := rc.Flush(); err != nil {
				return
			}
			time.Sleep(2 * shortTimeouts.WriteTimeout)
		}
	})
	for _, tt := range []struct {
		name string
		h    http.Handler
		want string
	}{
		{"wrapped", longLived(stream), "chunk 0\nchunk 1\nchunk 2\n"},
		{"unwrapped", stream, "chunk 0\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{cfg: withDefaults(shortTimeouts)}
			s.log = s.cfg.Logger
			srv := s.newHTTPServer(tt.h)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			resp, err := http.Get("http://" + ln.Addr().String() + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.want {
				t.Errorf("got %q, want %q", b, tt.want)
			}
		})
	}
}
