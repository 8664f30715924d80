package fault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestForPage(t *testing.T) {
	var in Injector
	in.Inject(Fault{Page: 2, Status: 500, Times: 1})
	in.Inject(Fault{Status: 503, Times: 2})
	want := []int{503, 500, 503, 0, 0}
	pages := []int{1, 2, 2, 2, 1}
	for i, page := range pages {
		got := 0
		if f := in.ForPage("", page); f != nil {
			got = f.Status
		}
		if got != want[i] {
			t.Errorf("request %d (page %d): got status %d, want %d", i+1, page, got, want[i])
		}
	}
}

func TestForPageEndpoint(t *testing.T) {
	var in Injector
	in.Inject(Fault{Endpoint: "/a", Status: 401})
	if f := in.ForPage("/b", 1); f != nil {
		t.Errorf("/b: got a fault with status %d, want none", f.Status)
	}
	if f := in.ForPage("/a", 7); f == nil || f.Status != 401 {
		t.Errorf("/a: got %+v, want status 401", f)
	}
}

func TestForPageReturnsCopy(t *testing.T) {
	var in Injector
	in.Inject(Fault{Status: 500})
	in.ForPage("", 1).Status = 200
	if got := in.ForPage("", 1).Status; got != 500 {
		t.Errorf("status after changing a returned fault: got %d, want 500", got)
	}
}

func TestForRequest(t *testing.T) {
	var in Injector
	in.Inject(Fault{Endpoint: "/token", Page: 3, Status: 403})
	for i := 1; i <= 4; i++ {
		f := in.ForRequest("/token")
		if got, want := f != nil, i == 3; got != want {
			t.Errorf("request %d: got fault %v, want %v", i, got, want)
		}
	}
}

func TestForBatch(t *testing.T) {
	var in Injector
	in.Inject(Fault{Page: 2, Status: 500})
	// The second distinct batch fails, also when retried; a batch on
	// another endpoint is a batch of its own.
	steps := []struct {
		ep    Endpoint
		batch string
		want  bool
	}{
		{"/details", "a/100", false},
		{"/details", "a/100", false},
		{"/details", "b/100", true},
		{"/details", "b/100", true},
		{"/zta", "a/100", false},
		{"/details", "a/100", false},
	}
	for i, s := range steps {
		if got := in.ForBatch(s.ep, s.batch) != nil; got != s.want {
			t.Errorf("step %d (%s %s): got fault %v, want %v", i+1, s.ep, s.batch, got, s.want)
		}
	}
}

func TestCountsBehindPickedFault(t *testing.T) {
	// A fault that does not apply because an earlier one did still sees
	// the request, so its Page counts every request.
	var in Injector
	in.Inject(Fault{Status: 429, Times: 1})
	in.Inject(Fault{Page: 2, Status: 500})
	first, second := in.ForRequest("/t"), in.ForRequest("/t")
	if first == nil || first.Status != 429 {
		t.Fatalf("request 1: got %+v, want status 429", first)
	}
	if second == nil || second.Status != 500 {
		t.Errorf("request 2: got %+v, want status 500", second)
	}
}

func TestClear(t *testing.T) {
	var in Injector
	in.Inject(Fault{Status: 500})
	in.Clear()
	if f := in.ForPage("", 1); f != nil {
		t.Errorf("after Clear: got %+v, want no fault", f)
	}
}

func TestRetry(t *testing.T) {
	tests := []struct {
		after    time.Duration
		wantWait time.Duration
		wantSecs int
	}{
		{0, time.Second, 1},
		{-time.Second, time.Second, 1},
		{3 * time.Second, 3 * time.Second, 3},
		{1500 * time.Millisecond, 1500 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		f := &Fault{RetryAfter: tt.after}
		if got := f.RetryWait(); got != tt.wantWait {
			t.Errorf("RetryWait for %v: got %v, want %v", tt.after, got, tt.wantWait)
		}
		if got := f.RetrySeconds(); got != tt.wantSecs {
			t.Errorf("RetrySeconds for %v: got %d, want %d", tt.after, got, tt.wantSecs)
		}
	}
}

func TestCut(t *testing.T) {
	body := []byte(`{"a":1234}`)
	var none *Fault
	if got := string(none.Cut(body)); got != string(body) {
		t.Errorf("nil fault: got %q, want %q", got, body)
	}
	if got := string((&Fault{Status: 500}).Cut(body)); got != string(body) {
		t.Errorf("no truncation: got %q, want %q", got, body)
	}
	if got, want := string((&Fault{Truncate: true}).Cut(body)), `{"a":`; got != want {
		t.Errorf("truncated: got %q, want %q", got, want)
	}
}

func TestWait(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	t.Run("no delay", func(t *testing.T) {
		var in Injector
		if !in.Wait(req, nil) || !in.Wait(req, &Fault{Status: 500}) {
			t.Error("got false, want true")
		}
	})
	t.Run("short delay", func(t *testing.T) {
		var in Injector
		if !in.Wait(req, &Fault{Delay: time.Millisecond}) {
			t.Error("got false, want true")
		}
	})
	t.Run("client gives up", func(t *testing.T) {
		var in Injector
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if in.Wait(req.WithContext(ctx), &Fault{Delay: time.Hour}) {
			t.Error("got true, want false")
		}
	})
	t.Run("closed", func(t *testing.T) {
		var in Injector
		done := make(chan bool)
		go func() { done <- in.Wait(req, &Fault{Delay: time.Hour}) }()
		in.Close()
		in.Close() // a second Close is harmless
		if <-done {
			t.Error("waiting across Close: got true, want false")
		}
		if in.Wait(req, &Fault{Delay: time.Hour}) {
			t.Error("waiting after Close: got true, want false")
		}
	})
}

func TestApply(t *testing.T) {
	answer := func(w http.ResponseWriter, f *Fault) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(f.Status)
	}
	tests := []struct {
		name       string
		fault      *Fault
		wantDone   bool
		wantStatus int
	}{
		{"nil", nil, false, 200},
		{"truncate only", &Fault{Truncate: true}, false, 200},
		{"status", &Fault{Status: 429}, true, 429},
		{"delayed status", &Fault{Status: 503, Delay: time.Millisecond}, true, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in Injector
			w := httptest.NewRecorder()
			done := in.Apply(w, httptest.NewRequest("GET", "/", nil), tt.fault, answer)
			if done != tt.wantDone {
				t.Errorf("done: got %v, want %v", done, tt.wantDone)
			}
			if w.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d", w.Code, tt.wantStatus)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	var in Injector
	in.Inject(Fault{Status: 500, Times: 50})
	var wg sync.WaitGroup
	var mu sync.Mutex
	hits := 0
	for range 8 {
		wg.Go(func() {
			for i := range 20 {
				if in.ForBatch("/x", string(rune('a'+i))) != nil {
					mu.Lock()
					hits++
					mu.Unlock()
				}
				in.Inject(Fault{Endpoint: "/never"})
			}
		})
	}
	wg.Wait()
	if hits != 50 {
		t.Errorf("hits: got %d, want 50 (Times)", hits)
	}
}
