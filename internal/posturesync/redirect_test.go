package posturesync_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/tailnet"
)

// syncLog is a concurrency-safe buffer for the engine's log.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// A vendor that redirects elsewhere (here: to the real fake Fleet under
// another origin) must not get the token sent on: the sync fails with a
// plain status, changes no attribute, and the detail goes to the log.
func TestSyncRefusesRedirectToAnotherOrigin(t *testing.T) {
	log := &syncLog{}
	e := newEnv(t, posturesync.Config{Logger: slog.New(slog.NewTextHandler(log, nil))})
	e.mustSync()
	before, beforeStatus := e.attrs(), e.status()

	elsewhere := strings.Replace(e.fake.URL(), "127.0.0.1", "localhost", 1)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", elsewhere+r.URL.RequestURI())
		w.WriteHeader(http.StatusTemporaryRedirect)
		w.Write([]byte("moved: internal note from the vendor"))
	}))
	defer redirector.Close()
	cloud, tok := redirector.URL, token
	if _, err := e.svc.UpdateIntegration(e.ctx, admin, e.tn.ID, e.in.ID, tailnet.IntegrationConfig{CloudID: &cloud, ClientSecret: &tok}); err != nil {
		t.Fatalf("UpdateIntegration: %v", err)
	}
	e.changes.take()
	requests := e.fake.Requests()

	_, err := e.eng.Sync(e.ctx, e.in.ID)
	var re *integrations.RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("Sync: got %v, want a *RedirectError", err)
	}
	if got := e.fake.Requests(); got != requests {
		t.Errorf("requests that reached the other origin: got %d, want none", got-requests)
	}
	if got := e.attrs(); !attrsEqual(got, before) {
		t.Errorf("attributes after a refused redirect: got %v, want unchanged %v", got, before)
	}
	if ch := e.changes.take(); len(ch) != 0 {
		t.Errorf("changes emitted: got %+v, want none", ch)
	}
	st := e.status()
	want := "Fleet answered with a redirect to another host or scheme (http://localhost:" + e.fake.URL()[strings.LastIndex(e.fake.URL(), ":")+1:] + "), which Postern does not follow."
	if st.Error != want {
		t.Errorf("status error: got %q, want %q", st.Error, want)
	}
	if st.ProviderHostCount != beforeStatus.ProviderHostCount || !st.PausedUntil.IsZero() {
		t.Errorf("status: got %d hosts, paused until %v; want the last good count and no pause", st.ProviderHostCount, st.PausedUntil)
	}
	logged := log.String()
	if !strings.Contains(logged, "posture sync failed") || !strings.Contains(logged, "redirected to http://localhost:") {
		t.Errorf("log: got %q, want the failure with its detail", logged)
	}
	if strings.Contains(logged, token) {
		t.Errorf("log holds the vendor token: %q", logged)
	}
}
