package server

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSecretFilesRule checks the server holds every secret file in its
// data dir to one rule: new ones are 0600, a group- or world-readable one
// stops the start with the chmod to run, and an open data dir is warned
// about.
func TestSecretFilesRule(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	s := startTest(t, Config{DataDir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if !strings.Contains(logs.String(), "chmod 700 "+dir) {
		t.Errorf("no warning about the open data dir in the log:\n%s", logs.String())
	}
	files := []string{"secret.key", "control-machine.key", "control-derp.key", "postern.db"}
	for _, f := range files {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: got mode %04o, want 0600", f, got)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			path := filepath.Join(dir, f)
			if err := os.Chmod(path, 0o640); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(path, 0o600)
			s, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: dir})
			if err == nil {
				s.Close()
				t.Fatalf("started with %s readable by its group, want a refusal", f)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600 "+path) {
				t.Errorf("got %q, want it to name %s and the chmod to run", err, path)
			}
		})
	}
}

func TestHTTPServerLimits(t *testing.T) {
	s := startTest(t, Config{})
	h := s.http
	if h.ReadTimeout != 30*time.Second || h.WriteTimeout != time.Minute || h.IdleTimeout != 2*time.Minute || h.ReadHeaderTimeout != 10*time.Second {
		t.Errorf("got read %v, write %v, idle %v, header %v; want 30s, 60s, 2m, 10s", h.ReadTimeout, h.WriteTimeout, h.IdleTimeout, h.ReadHeaderTimeout)
	}
	if h.HTTP2 == nil || h.HTTP2.MaxConcurrentStreams != maxConcurrentStreams {
		t.Errorf("got HTTP/2 config %+v, want MaxConcurrentStreams %d", h.HTTP2, maxConcurrentStreams)
	}
}
