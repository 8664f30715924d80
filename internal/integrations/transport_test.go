package integrations

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDNS answers A queries for every name with addr, so that a test can
// make any host name resolve anywhere. It returns a resolver using it.
func fakeDNS(t *testing.T, addr netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := dnsAnswer(buf[:n], addr); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// dnsAnswer answers the one question in query: addr for an A (or AAAA)
// question of its family, no records otherwise.
func dnsAnswer(query []byte, addr netip.Addr) []byte {
	if len(query) < 12 {
		return nil
	}
	i := 12
	for i < len(query) && query[i] != 0 {
		i += int(query[i]) + 1
	}
	if i+5 > len(query) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(query[i+1:])
	question := query[12 : i+5]
	resp := append([]byte{}, query[:2]...)                  // id
	resp = append(resp, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0) // response, recursion; one question
	resp = append(resp, question...)
	want := uint16(1) // A
	if addr.Is6() {
		want = 28 // AAAA
	}
	if qtype != want {
		return resp
	}
	resp[7] = 1                   // one answer
	resp = append(resp, 0xc0, 12) // the question's name
	resp = binary.BigEndian.AppendUint16(resp, qtype)
	resp = append(resp, 0, 1, 0, 0, 0, 60) // class IN, TTL 60
	ip := addr.AsSlice()
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(ip)))
	return append(resp, ip...)
}

// clientWith is NewClient with its dialer using resolver.
func clientWith(resolver *net.Resolver) *http.Client {
	c := NewClient()
	c.Transport.(*http.Transport).DialContext = (&dialer{resolver: resolver}).dial
	return c
}

func TestDialRefusesResolvedAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, tc := range []struct {
		name     string
		resolves string // what every name resolves to
		url      string
		want     string // "" means the request goes through
	}{
		{"loopback literal", "127.0.0.1", "http://127.0.0.1:" + port, ""},
		{"localhost", "127.0.0.1", "http://localhost:" + port, ""},
		{"name resolving to loopback", "127.0.0.1", "http://fleet.example.com:" + port, "loopback"},
		{"name resolving to metadata", "169.254.169.254", "http://fleet.example.com:" + port, "link-local"},
		{"name resolving to unspecified", "0.0.0.0", "http://fleet.example.com:" + port, "unspecified"},
		{"name resolving to aws v6 metadata", "fd00:ec2::254", "http://fleet.example.com:" + port, "metadata"},
		{"metadata name", "127.0.0.1", "http://metadata.google.internal:" + port, "metadata service"},
		{"link-local literal", "127.0.0.1", "http://169.254.169.254:" + port, "link-local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			c := clientWith(fakeDNS(t, netip.MustParseAddr(tc.resolves)))
			defer c.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tc.url, nil)
			resp, err := c.Do(req)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("GET %s: got %v, want it to go through", tc.url, err)
				}
				resp.Body.Close()
				return
			}
			if err == nil {
				resp.Body.Close()
			}
			var ae *AddressError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("GET %s: got %v, want an *AddressError saying %q", tc.url, err, tc.want)
			}
			if got := hits.Load(); got != before {
				t.Errorf("requests that reached the server: got %d, want none", got-before)
			}
		})
	}
}

func TestDoRedirects(t *testing.T) {
	fast := RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}
	var elsewhereHits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
		w.Write([]byte("elsewhere"))
	}))
	defer elsewhere.Close()
	var vendorHits atomic.Int32
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vendorHits.Add(1)
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/other-port":
			http.Redirect(w, r, elsewhere.URL+"/x", http.StatusFound)
		case "/other-host":
			// localhost is the same machine but another origin.
			http.Redirect(w, r, strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1), http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/ok":
			w.Write([]byte("ok"))
		}
	}))
	defer vendor.Close()
	for _, tc := range []struct {
		name, path string
		client     *http.Client // nil: Config.HTTP left nil
		want       string       // "" means the body "ok"
	}{
		{"same origin followed", "/same", nil, ""},
		{"other port refused", "/other-port", nil, "redirected to http://127.0.0.1:"},
		{"other host refused", "/other-host", nil, "redirected to http://localhost:"},
		{"other host refused with the caller's client", "/other-host", &http.Client{}, "redirected to http://localhost:"},
		{"endless chain refused", "/loop", nil, "more than 5 times"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vendorHits.Store(0)
			cfg := Config{Retry: fast, HTTP: tc.client}
			body, err := cfg.Do(context.Background(), func(ctx context.Context) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodGet, vendor.URL+tc.path, nil)
			})
			if tc.want == "" {
				if err != nil || string(body) != "ok" {
					t.Fatalf("Do: got %q, %v; want ok", body, err)
				}
				return
			}
			var re *RedirectError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Do: got %v, want a *RedirectError saying %q", err, tc.want)
			}
			if got := elsewhereHits.Load(); got != 0 {
				t.Errorf("requests that reached the other origin: got %d, want none", got)
			}
			if tc.path != "/loop" && vendorHits.Load() != 1 {
				t.Errorf("requests to the vendor: got %d, want 1 (a refused redirect is not retried)", vendorHits.Load())
			}
		})
	}
}

func TestOrigin(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"https://Fleet.Example.com/a", "https://fleet.example.com:443/b"},
		{"http://127.0.0.1/", "http://127.0.0.1:80"},
		{"https://[2001:DB8::1]:8443", "https://[2001:db8:0::1]:8443/x"},
		{"https://fleet.example.com./", "https://fleet.example.com"},
	} {
		if Origin(mustURL(t, tc.a)) != Origin(mustURL(t, tc.b)) {
			t.Errorf("Origin(%q) = %q, Origin(%q) = %q; want equal", tc.a, Origin(mustURL(t, tc.a)), tc.b, Origin(mustURL(t, tc.b)))
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"https://fleet.example.com", "http://fleet.example.com"},
		{"https://fleet.example.com", "https://fleet.example.com:8443"},
		{"https://fleet.example.com", "https://fleet2.example.com"},
	} {
		if Origin(mustURL(t, tc.a)) == Origin(mustURL(t, tc.b)) {
			t.Errorf("Origin(%q) == Origin(%q) = %q; want different", tc.a, tc.b, Origin(mustURL(t, tc.a)))
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCheckRedirect(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"https://fleet.example.com/a", "https://fleet.example.com/b", true},
		{"https://fleet.example.com/a", "https://FLEET.example.com:443/b", true},
		{"https://fleet.example.com/a", "http://fleet.example.com/b", false},
		{"https://fleet.example.com/a", "https://fleet.example.com:8443/b", false},
		{"https://fleet.example.com/a", "https://169.254.169.254/latest/meta-data", false},
		{"http://127.0.0.1:8080/a", "http://10.0.0.1:8080/a", false},
	} {
		req := &http.Request{URL: mustURL(t, tc.to)}
		via := []*http.Request{{URL: mustURL(t, tc.from)}}
		err := CheckRedirect(req, via)
		var re *RedirectError
		if tc.ok && err != nil || !tc.ok && !errors.As(err, &re) {
			t.Errorf("CheckRedirect(%s -> %s): got %v, want ok %v", tc.from, tc.to, err, tc.ok)
		}
	}
}
