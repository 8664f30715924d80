package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// URLFile is the file in the data directory where a running server
// records the URL clients use, so that admin commands run beside it
// (postern admin login-link) print links that work.
const URLFile = "server-url"

// defaultServerURL is the URL clients use when --server-url is not given:
// http:// and the address the listener is bound to. An unspecified
// address (0.0.0.0, ::) names no host a client can dial, so it is refused
// with what to do instead.
func defaultServerURL(addr net.Addr) (string, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return "http://" + addr.String(), nil
	}
	if ap.Addr().IsUnspecified() {
		return "", fmt.Errorf("listening on %s, every interface, Postern cannot tell which address clients reach it at: "+
			"give --server-url (for example https://postern.example.com or http://192.0.2.10:%d)", addr, ap.Port())
	}
	return "http://" + addr.String(), nil
}

// recordURL writes the server URL into the data directory for the admin
// commands. A failure is only logged by the caller: serving does not
// depend on it.
func recordURL(dataDir, url string) error {
	return os.WriteFile(filepath.Join(dataDir, URLFile), []byte(url+"\n"), 0o644)
}

// RecordedURL returns the URL the server last started with in dataDir
// recorded, or "" if none did.
func RecordedURL(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, URLFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the server URL the server recorded: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
