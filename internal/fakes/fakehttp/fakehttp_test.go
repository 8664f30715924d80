package fakehttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/postern/postern/internal/fakes/fault"
)

func TestServer(t *testing.T) {
	var c *Core
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", func(w http.ResponseWriter, r *http.Request) {
		c.Count("/a")
		f := c.Faults().ForRequest("/a")
		if c.Faults().Apply(w, r, f, func(w http.ResponseWriter, f *fault.Fault) {
			WriteString(w, f.Status, JSON, `{"error":"injected"}`)
		}) {
			return
		}
		WriteString(w, http.StatusOK, JSONUTF8, c.Token())
	})
	srv, core := Start(mux, "tok")
	c = core
	defer srv.Close()
	cred := c.Credential()

	get := func() (int, string, string) {
		t.Helper()
		resp, err := http.Get(srv.URL() + "/a")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Length"), string(b)
	}
	if code, n, body := get(); code != 200 || n != "3" || body != "tok" {
		t.Errorf("got %d, Content-Length %q, %q; want 200, \"3\", \"tok\"", code, n, body)
	}
	cred.SetToken("new")
	if _, _, body := get(); body != "new" {
		t.Errorf("after SetToken: got %q, want %q", body, "new")
	}
	srv.Inject(fault.Fault{Status: http.StatusForbidden, Times: 1})
	if code, _, _ := get(); code != http.StatusForbidden {
		t.Errorf("with a fault: got %d, want 403", code)
	}
	srv.Inject(fault.Fault{Status: http.StatusForbidden})
	srv.ClearFaults()
	if code, _, _ := get(); code != 200 {
		t.Errorf("after ClearFaults: got %d, want 200", code)
	}
	if got, want := c.Requests("/a"), 4; got != want {
		t.Errorf("Requests(/a): got %d, want %d", got, want)
	}
	if got, want := c.Total(), 4; got != want {
		t.Errorf("Total: got %d, want %d", got, want)
	}
}

func TestCloseCutsDelay(t *testing.T) {
	var c *Core
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f := c.Faults().ForRequest("")
		c.Faults().Apply(w, r, f, func(w http.ResponseWriter, f *fault.Fault) {})
	})
	srv, core := Start(mux, "")
	c = core
	srv.Inject(fault.Fault{Delay: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get(srv.URL())
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	srv.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not cut the injected delay short")
	}
}

func TestWriteJSON(t *testing.T) {
	c := &Core{}
	for _, tc := range []struct {
		name string
		f    *fault.Fault
		want string
	}{
		{"whole", nil, "{\"a\":1}\n"},
		{"truncated", &fault.Fault{Truncate: true}, "{\"a\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := c.WriteJSON(w, http.StatusOK, JSON, map[string]int{"a": 1}, tc.f); err != nil {
				t.Fatal(err)
			}
			if got := w.Body.String(); got != tc.want {
				t.Errorf("got body %q, want %q", got, tc.want)
			}
			if got, want := w.Header().Get("Content-Length"), strconv.Itoa(len(tc.want)); got != want {
				t.Errorf("got Content-Length %s, want %s", got, want)
			}
		})
	}
	w := httptest.NewRecorder()
	if err := c.WriteJSON(w, http.StatusOK, JSON, func() {}, nil); err == nil {
		t.Error("WriteJSON of a func: got no error, want one")
	}
	if w.Body.Len() != 0 {
		t.Errorf("after an encode error: got body %q, want none", w.Body.String())
	}
}

func TestWriteAppended(t *testing.T) {
	c := &Core{}
	for i := range 2 { // the second round reuses the pooled buffer
		w := httptest.NewRecorder()
		c.WriteAppended(w, http.StatusCreated, HTML, &fault.Fault{Truncate: i == 1}, func(b []byte) []byte {
			return append(b, "abcdef"...)
		})
		want := []string{"abcdef", "abc"}[i]
		if got := w.Body.String(); got != want || w.Code != http.StatusCreated {
			t.Errorf("round %d: got %d %q, want 201 %q", i, w.Code, got, want)
		}
	}
}
