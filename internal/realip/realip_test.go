package realip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAddr(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.1, 192.168.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	r := New(trusted)
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no proxy", "203.0.113.9:4000", nil, "203.0.113.9"},
		{"untrusted peer's header ignored", "203.0.113.9:4000", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted proxy", "10.0.0.1:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"client-written entries to the left are ignored", "10.0.0.1:4000", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.1:4000", []string{"198.51.100.7, 192.168.3.3"}, "198.51.100.7"},
		{"several header lines", "10.0.0.1:4000", []string{"6.6.6.6", "198.51.100.7"}, "198.51.100.7"},
		{"trusted proxy without header", "10.0.0.1:4000", nil, "10.0.0.1"},
		{"malformed hop", "10.0.0.1:4000", []string{"198.51.100.7, junk"}, "10.0.0.1"},
		{"ipv6 peer", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"mapped v4 peer", "[::ffff:10.0.0.1]:443", []string{"198.51.100.7"}, "198.51.100.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = c.remote
			for _, v := range c.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.Addr(req); got != netip.MustParseAddr(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestNilResolverTrustsNobody(t *testing.T) {
	var r *Resolver
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.1:1"
	req.Header.Set("X-Forwarded-For", "1.2.3.4")
	if got := r.Addr(req); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("got %v, want the peer 10.0.0.1", got)
	}
}

func TestParsePrefixesError(t *testing.T) {
	if _, err := ParsePrefixes("10.0.0.1, nope"); err == nil || err.Error() != `trusted proxy "nope" is neither an IP address nor a CIDR prefix` {
		t.Errorf("got %v", err)
	}
}
