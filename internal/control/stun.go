package control

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"tailscale.com/net/stun"
)

// stunServer answers STUN binding requests so clients learn their public
// address, which helps direct connections.
type stunServer struct {
	conn *net.UDPConn
	log  *slog.Logger
}

func startSTUN(addr string, log *slog.Logger) (*stunServer, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("control: resolving STUN address %q: %w", addr, err)
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("control: listening for STUN on %q: %w", addr, err)
	}
	s := &stunServer{conn: c, log: log}
	go s.serve()
	return s, nil
}

func (s *stunServer) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

func (s *stunServer) close() { s.conn.Close() }

func (s *stunServer) serve() {
	buf := make([]byte, 2048)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		if !stun.Is(buf[:n]) {
			continue
		}
		tx, err := stun.ParseBindingRequest(buf[:n])
		if err != nil {
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if _, err := s.conn.WriteToUDPAddrPort(stun.Response(tx, from), from); err != nil {
			s.log.Debug("stun reply failed", "to", from, "err", err)
		}
	}
}
