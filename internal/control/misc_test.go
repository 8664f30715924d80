package control

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/postern/postern"
)

func TestMachineKeyPersisted(t *testing.T) {
	dir := t.TempDir()
	k1, err := loadMachineKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := loadMachineKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.Public() != k2.Public() {
		t.Errorf("reloaded key: got %v, want %v", k2.Public(), k1.Public())
	}
	fi, err := os.Stat(filepath.Join(dir, machineKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode: got %v, want 0600", got)
	}
}

func TestDNSLabel(t *testing.T) {
	for in, want := range map[string]string{
		"Alice's MacBook Pro": "alices-macbook-pro",
		"web-01.corp.example": "web-01",
		"--":                  "node",
		"":                    "node",
		"ÜBER_host":           "ber-host",
	} {
		t.Run(in, func(t *testing.T) {
			if got := dnsLabel(in); got != want {
				t.Errorf("dnsLabel(%q): got %q, want %q", in, got, want)
			}
		})
	}
}

type tagPolicy struct {
	fakePolicy
	allowed []string
}

func (p *tagPolicy) TagsAllowed(owner string, tags []string) error {
	for _, t := range tags {
		if !slices.Contains(p.allowed, t) {
			return errors.New("no tagOwner match for " + t)
		}
	}
	return nil
}

func TestCheckTags(t *testing.T) {
	s := &Server{cfg: Config{Policy: &tagPolicy{allowed: []string{"tag:ok"}}}}
	tests := []struct {
		name            string
		requested, keys []string
		want            []string
		wantErr         bool
	}{
		{"none requested takes key tags", nil, []string{"tag:b", "tag:a"}, []string{"tag:a", "tag:b"}, false},
		{"key's own tags", []string{"tag:a"}, []string{"tag:a", "tag:b"}, []string{"tag:a"}, false},
		{"owned by policy", []string{"tag:ok"}, nil, []string{"tag:ok"}, false},
		{"not permitted", []string{"tag:evil"}, []string{"tag:a"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.checkTags("alice@example.com", tt.requested, tt.keys)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if err != nil && postern.ErrorCode(err) != postern.EFORBIDDEN {
				t.Errorf("error code: got %v, want %v", postern.ErrorCode(err), postern.EFORBIDDEN)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("tags: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDERPMap(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080")
	m := buildDERPMap(u, -1)
	n := m.Regions[derpRegionID].Nodes[0]
	if n.HostName != "127.0.0.1" || n.IPv4 != "127.0.0.1" || n.DERPPort != 8080 || n.STUNPort != -1 {
		t.Errorf("DERP node: got %+v, want 127.0.0.1:8080 without STUN", n)
	}
	u, _ = url.Parse("https://control.example.com")
	n = buildDERPMap(u, 3478).Regions[derpRegionID].Nodes[0]
	if n.HostName != "control.example.com" || n.DERPPort != 443 || n.STUNPort != 3478 || n.InsecureForTests {
		t.Errorf("DERP node: got %+v, want control.example.com:443 with STUN 3478", n)
	}
}
