package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"tailscale.com/tailcfg"
)

func TestCheckFile(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		if err := CheckFile("policy.hujson", []byte(posturePolicy), testCatalog); err != nil {
			t.Errorf("CheckFile: got %v, want nil", err)
		}
	})
	t.Run("errors carry file:line:col", func(t *testing.T) {
		path := "dir/policy.hujson"
		err := CheckFile(path, []byte("{\n  \"acls\": [{\"action\": \"accept\", \"src\": [\"tag:nope\"], \"dst\": [\"x\"]}]\n}"), testCatalog)
		var fe *FileError
		if !errors.As(err, &fe) || len(fe.Lines) != 2 {
			t.Fatalf("CheckFile: got %v, want a FileError with 2 lines", err)
		}
		if want := path + `:2:41: src=tag not found: "tag:nope"`; fe.Lines[0] != want {
			t.Errorf("first line: got %q, want %q", fe.Lines[0], want)
		}
	})
}

func TestTestFile(t *testing.T) {
	text := `{"tagOwners": {"tag:db": []},
  "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:db:5432"]}],
  "tests": [{"src": "alice@example.com", "accept": ["tag:db:5432"], "deny": ["tag:db:22"]}]}`
	if err := TestFile("policy.hujson", []byte(text), testCatalog, nil); err != nil {
		t.Errorf("TestFile with a synthetic topology: got %v, want nil", err)
	}
	bad := strings.Replace(text, `"deny": ["tag:db:22"]`, `"deny": ["tag:db:5432"]`, 1)
	err := TestFile("policy.hujson", []byte(bad), testCatalog, nil)
	if err == nil || !strings.Contains(err.Error(), ":3:13: test(s) failed") || !strings.Contains(err.Error(), "want: Drop, got: Accept") {
		t.Errorf("TestFile failing: got %v, want a positioned test(s) failed", err)
	}
}

func TestFiltersJSON(t *testing.T) {
	topo := `{"users": [{"name": "a", "email": "alice@example.com"}],
  "nodes": {"laptop": {"ipv4": "100.64.0.1", "ipv6": "fd7a:115c:a1e0::1", "tags": [], "user": "alice@example.com", "routable_ips": [], "approved_routes": []},
            "db": {"ipv4": "100.64.0.2", "ipv6": "fd7a:115c:a1e0::2", "tags": ["tag:db"], "user": null, "routable_ips": [], "approved_routes": []}}}`
	users, nodes, err := LoadTopology(strings.NewReader(topo))
	if err != nil {
		t.Fatalf("LoadTopology: %v", err)
	}
	p, err := Parse([]byte(`{"tagOwners": {"tag:db": []}, "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:db:5432"], "proto": "tcp"}]}`), testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FiltersJSON(p, users, nodes)
	if err != nil {
		t.Fatalf("FiltersJSON: %v", err)
	}
	var got map[string][]tailcfg.FilterRule
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got["laptop"]) != 0 || !bytes.Contains(b, []byte(`"laptop": []`)) {
		t.Errorf("laptop: got %v, want []", got["laptop"])
	}
	db := got["db"]
	if len(db) != 1 || len(db[0].DstPorts) != 2 || db[0].DstPorts[0].Ports.First != 5432 || len(db[0].IPProto) != 1 || db[0].IPProto[0] != 6 {
		t.Errorf("db: got %+v, want one tcp rule to 5432 on both addresses", db)
	}
}

func TestProtoNumber(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		err  bool
	}{{"", 6, false}, {"tcp", 6, false}, {"UDP", 17, false}, {"icmp", 1, false}, {"47", 47, false}, {"0", 0, true}, {"bogus", 0, true}} {
		got, err := ProtoNumber(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ProtoNumber(%q): got %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
