package control

import (
	"net/http"
	"net/netip"
	"sync"
)

// maxUnregisteredConns bounds the Noise connections one source address
// (for IPv6, one /64) may hold open before any of them shows a registered
// device. A connection stops counting once it does, so a large office
// behind one NAT is limited only in how many machines may wait for an
// interactive login or fail to register at once.
const maxUnregisteredConns = 64

// connLimiter counts unregistered Noise connections per source address.
// The zero value is ready to use.
type connLimiter struct {
	mu           sync.Mutex
	unregistered map[netip.Prefix]int
}

// connGate is one Noise connection's place in its connLimiter.
type connGate struct {
	l       *connLimiter
	group   netip.Prefix
	counted bool // guarded by l.mu
}

// open counts a new connection from source, reporting false (counting
// nothing) when its address is at the limit. Connections of unknown
// source are not limited.
func (l *connLimiter) open(source netip.Addr) (*connGate, bool) {
	g := &connGate{l: l}
	if !source.IsValid() {
		return g, true
	}
	g.group = addrGroup(source)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unregistered[g.group] >= maxUnregisteredConns {
		return nil, false
	}
	if l.unregistered == nil {
		l.unregistered = map[netip.Prefix]int{}
	}
	l.unregistered[g.group]++
	g.counted = true
	return g, true
}

// registered stops counting the connection: it showed a registered
// device. Later calls do nothing.
func (g *connGate) registered() { g.uncount() }

// close stops counting the connection, if it still counted.
func (g *connGate) close() { g.uncount() }

func (g *connGate) uncount() {
	if g == nil {
		return
	}
	g.l.mu.Lock()
	defer g.l.mu.Unlock()
	if !g.counted {
		return
	}
	g.counted = false
	if g.l.unregistered[g.group]--; g.l.unregistered[g.group] <= 0 {
		delete(g.l.unregistered, g.group)
	}
}

// markRegistered records that r's Noise connection belongs to a
// registered device.
func markRegistered(r *http.Request) {
	if p := peerOf(r); p != nil {
		p.gate.registered()
	}
}
