package server

import (
	"context"
	"strings"
	"testing"
)

func TestServerURLFromListener(t *testing.T) {
	t.Run("every interface needs --server-url", func(t *testing.T) {
		dir := t.TempDir()
		for _, listen := range []string{"0.0.0.0:0", "[::]:0"} {
			_, err := Start(context.Background(), Config{Listen: listen, DataDir: dir})
			if err == nil || !strings.Contains(err.Error(), "give --server-url") {
				t.Errorf("listen %s without --server-url: got %v, want a refusal saying to give --server-url", listen, err)
			}
		}
		if got, err := RecordedURL(dir); err != nil || got != "" {
			t.Errorf("recorded URL after refused starts: got %q, %v, want none", got, err)
		}
	})
	t.Run("every interface with --server-url", func(t *testing.T) {
		srv, err := Start(context.Background(), Config{Listen: "0.0.0.0:0", ServerURL: "https://postern.example.com", DataDir: t.TempDir()})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		defer srv.Close()
		if got, _ := RecordedURL(srv.DataDir()); got != "https://postern.example.com" {
			t.Errorf("recorded URL: got %q, want https://postern.example.com", got)
		}
	})
	t.Run("loopback is derived and recorded", func(t *testing.T) {
		srv, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		defer srv.Close()
		if want := "http://" + srv.Addr().String(); srv.URL() != want {
			t.Errorf("URL: got %q, want %q", srv.URL(), want)
		}
		if got, _ := RecordedURL(srv.DataDir()); got != srv.URL() {
			t.Errorf("recorded URL: got %q, want %q", got, srv.URL())
		}
	})
}
