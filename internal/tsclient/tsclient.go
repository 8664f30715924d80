// Package tsclient runs real tailscaled and tailscale processes, built from
// the tailscale.com module version in go.mod, in userspace-networking mode
// on loopback, for end-to-end tests of the control server.
package tsclient

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/proxy"
	"tailscale.com/client/local"
	"tailscale.com/ipn/ipnstate"
)

// Binaries are built tailscaled and tailscale executables.
type Binaries struct {
	Tailscaled string
	Tailscale  string
}

// Build compiles tailscaled and tailscale into dir with the module's own
// tailscale.com version. It runs from the module containing the current
// directory.
func Build(ctx context.Context, dir string) (Binaries, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"tailscale.com/cmd/tailscaled", "tailscale.com/cmd/tailscale")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Binaries{}, fmt.Errorf("building tailscaled: %w: %s", err, out)
	}
	return Binaries{Tailscaled: filepath.Join(dir, "tailscaled"), Tailscale: filepath.Join(dir, "tailscale")}, nil
}

// Node is one running tailscaled.
type Node struct {
	Name   string
	Dir    string // state directory
	Sock   string // LocalAPI socket
	SOCKS5 string // host:port of its SOCKS5 proxy into the tailnet
	Local  *local.Client

	bins Binaries
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
}

// NodeOptions tune how a node starts.
type NodeOptions struct {
	// Env is added to the daemon's environment.
	Env []string
	// Wrap, if set, returns the command line that runs argv instead, e.g.
	// to run the daemon under unshare.
	Wrap func(argv []string) []string
}

// Start runs tailscaled for a node called name with its state under dir.
func Start(ctx context.Context, bins Binaries, name, dir string, opt NodeOptions) (*Node, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating node dir: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	n := &Node{
		Name:   name,
		Dir:    dir,
		Sock:   filepath.Join(dir, "tailscaled.sock"),
		SOCKS5: fmt.Sprintf("127.0.0.1:%d", port),
		bins:   bins,
		logs:   &syncBuffer{},
		done:   make(chan struct{}),
	}
	n.Local = &local.Client{Socket: n.Sock, UseSocketOnly: true}
	argv := []string{bins.Tailscaled, "--tun=userspace-networking", "--statedir=" + dir,
		"--socket=" + n.Sock, "--port=0", "--socks5-server=" + n.SOCKS5}
	if opt.Wrap != nil {
		argv = opt.Wrap(argv)
	}
	n.cmd = exec.Command(argv[0], argv[1:]...)
	n.cmd.Env = append(os.Environ(), "TS_NO_LOGS_NO_SUPPORT=true", "TS_DEBUG_USE_DERP_HTTP=1")
	n.cmd.Env = append(n.cmd.Env, opt.Env...)
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting tailscaled: %w", err)
	}
	go func() { n.cmd.Wait(); close(n.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := n.Local.StatusWithoutPeers(ctx); err == nil {
			return n, nil
		}
		select {
		case <-n.done:
			return nil, fmt.Errorf("tailscaled %s exited: %s", name, n.Logs())
		case <-ctx.Done():
			n.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.Stop()
			return nil, fmt.Errorf("tailscaled %s did not start: %s", name, n.Logs())
		}
	}
}

// CLI runs the tailscale CLI against this node and returns its combined
// output.
func (n *Node) CLI(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, n.bins.Tailscale, append([]string{"--socket=" + n.Sock}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Up runs "tailscale up --login-server=url --authkey=key" plus extra flags.
func (n *Node) Up(ctx context.Context, url, authKey string, extra ...string) (string, error) {
	args := append([]string{"up", "--login-server=" + url, "--authkey=" + authKey, "--hostname=" + n.Name}, extra...)
	return n.CLI(ctx, args...)
}

// Status returns the daemon's status with peers.
func (n *Node) Status(ctx context.Context) (*ipnstate.Status, error) { return n.Local.Status(ctx) }

// Dial connects to addr (a Tailscale IP and port) through the node's
// SOCKS5 proxy, that is, through the tailnet.
func (n *Node) Dial(ctx context.Context, addr string) (net.Conn, error) {
	d, err := proxy.SOCKS5("tcp", n.SOCKS5, nil, &net.Dialer{})
	if err != nil {
		return nil, err
	}
	return d.(proxy.ContextDialer).DialContext(ctx, "tcp", addr)
}

// Logs returns what the daemon printed so far.
func (n *Node) Logs() string { return n.logs.String() }

// Stop kills the daemon and waits for it to exit.
func (n *Node) Stop() {
	if n.cmd.Process != nil {
		n.cmd.Process.Kill()
	}
	<-n.done
}

// Tail returns the last n lines of the daemon's output, for failure
// messages.
func (n *Node) Tail(lines int) string {
	l := strings.Split(n.Logs(), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
