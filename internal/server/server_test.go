package server

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func startTest(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthzAndMetrics(t *testing.T) {
	s := startTest(t, Config{})
	if code, body := get(t, s.URL()+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz: got %d %q, want 200 \"ok\\n\"", code, body)
	}
	code, body := get(t, s.URL()+"/metrics")
	for _, want := range []string{"go_goroutines", "postern_devices 0", "postern_devices_connected 0", "postern_policy_version 0"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics: got %d without %q, want 200 with it", code, want)
		}
	}
}

func TestDefaultTailnetCreatedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	s := startTest(t, Config{DataDir: dir})
	first := s.Tailnet()
	if first.ID == "" {
		t.Fatalf("no default tailnet after start")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2 := startTest(t, Config{DataDir: dir})
	if got := s2.Tailnet().ID; got != first.ID {
		t.Errorf("tailnet after restart: got %q, want %q", got, first.ID)
	}
}

func TestStartFailuresLeaveNothingBehind(t *testing.T) {
	s := startTest(t, Config{})
	t.Run("port in use", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "fresh")
		_, err := Start(context.Background(), Config{Listen: s.Addr().String(), DataDir: dir})
		if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), s.Addr().String()) {
			t.Fatalf("got %v, want an error naming %s and 'address already in use'", err, s.Addr())
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("data dir %s exists after a failed start", dir)
		}
	})
	t.Run("data dir is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, []byte("x"), 0o600)
		_, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: f})
		if err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("got %v, want 'not a directory'", err)
		}
	})
	t.Run("database file is not a database", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "postern.db"), []byte(strings.Repeat("not a database ", 500)), 0o600)
		_, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: dir})
		if err == nil || !strings.Contains(err.Error(), "postern.db") {
			t.Fatalf("got %v, want an error naming postern.db", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error spans lines: %q", err)
		}
	})
	t.Run("unreachable postgres", func(t *testing.T) {
		_, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(),
			Database: "postgres://nobody:secretpw@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"})
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Fatalf("got %v, want an error naming 127.0.0.1:1", err)
		}
		if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("error leaks the password: %v", err)
		}
	})
}
