package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const defs = `"tagOwners": {"tag:server": []}, "groups": {"group:eng": ["a@example.com"]},
  "hosts": {"web": "100.64.0.5"},`
	tests := []struct {
		name, policy, want string
	}{
		{"unknown top-level key", `{"aclz": []}`, `1:2: unknown top-level key "aclz"`},
		{"unknown acl field", `{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"], "port": 1}]}`, `1:62: acls: unknown field "port"`},
		{"tag not in tagOwners src", `{"acls": [{"action": "accept", "src": ["tag:x"], "dst": ["*:*"]}]}`, `1:40: src=tag not found: "tag:x"`},
		{"tag not in tagOwners dst", `{"acls": [{"action": "accept", "src": ["*"], "dst": ["tag:x:22"]}]}`, `dst="tag:x": tag not found: "tag:x"`},
		{"no colon", `{"acls": [{"action": "accept", "src": ["*"], "dst": ["100.64.0.1"]}]}`, `dst="100.64.0.1": hostport must contain a colon (":")`},
		{"port zero", `{"acls": [{"action": "accept", "src": ["*"], "dst": ["100.64.0.1:0"]}]}`, `dst="100.64.0.1:0": port range "0": first port must be >0, or use '*' for wildcard`},
		{"named port", "{" + defs + `"acls": [{"action": "accept", "src": ["*"], "dst": ["tag:server:ssh"]}]}`, `dst="tag:server:ssh": port range "ssh": invalid first integer`},
		{"deny", `{"acls": [{"action": "deny", "src": ["*"], "dst": ["*:*"]}]}`, `action="deny" is not supported`},
		{"self on src", `{"acls": [{"action": "accept", "src": ["autogroup:self"], "dst": ["*:*"]}]}`, `"autogroup:self" not valid on the src side of a rule`},
		{"self with tag", "{" + defs + `"acls": [{"action": "accept", "src": ["tag:server"], "dst": ["autogroup:self:*"]}]}`, `autogroup:self can only be used with users, groups, or supported autogroups`},
		{"internet on src", `{"acls": [{"action": "accept", "src": ["autogroup:internet"], "dst": ["*:*"]}]}`, `"autogroup:internet" not valid on the src side`},
		{"grant dst with port", "{" + defs + `"grants": [{"src": ["*"], "dst": ["tag:server:22"], "ip": ["*"]}]}`, `dst="tag:server:22": tag not found: "tag:server:22"`},
		{"undefined posture", `{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"], "srcPosture": ["posture:x"]}]}`, `srcPosture=posture not found: "posture:x"`},
		{"posture type error", "{\n \"postures\": {\"posture:a\": [\"falcon:ztaScore >= 'high'\"]}}", `2:`},
		{"hujson syntax", "{\n  \"acls\": [,]}", `2:`},
		{"unknown host", `{"acls": [{"action": "accept", "src": ["nohost"], "dst": ["*:*"]}]}`, `host not found: "nohost"`},
		{"bad ssh dst", "{" + defs + `"ssh": [{"action": "accept", "src": ["group:eng"], "dst": ["*"], "users": ["root"]}]}`, `invalid dst`},
		{"unknown test field", `{"tests": [{"src": "a@example.com", "acept": ["x:1"]}]}`, `tests: unknown field "acept"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.policy), testCatalog)
			if err == nil {
				t.Fatalf("Parse: got no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: got %q, want it to contain %q", err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Col < 1 {
				t.Errorf("Parse: got %T %v, want a positioned *Error", err, err)
			}
		})
	}
}

func TestParseAcceptsFullPolicy(t *testing.T) {
	const text = `{
  // comments and trailing commas are HuJSON
  "groups": {"group:eng": ["alice@example.com",],},
  "tagOwners": {"tag:server": ["group:eng"], "tag:router": ["autogroup:admin"]},
  "hosts": {"db": "10.1.2.3", "lan": "10.1.0.0/16"},
  "ipsets": {"ipset:lan": ["add host:lan", "remove 10.1.9.0/24"], "ipset:more": ["ipset:lan", "192.168.0.1-192.168.0.9"]},
  "postures": {"posture:mac": ["node:os == 'macos'", "node:tsVersion >= '1.40'"], "posture:fleet": ["fleet:present"]},
  "defaultSrcPosture": ["posture:mac"],
  "acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:server:22,80", "db:5432", "ipset:lan:*"], "proto": "tcp"},
    {"action": "accept", "users": ["autogroup:member"], "ports": ["autogroup:self:*"], "srcPosture": ["posture:fleet"]},
  ],
  "grants": [{"src": ["*"], "dst": ["autogroup:internet"], "ip": ["tcp:443", "icmp:*"], "via": ["tag:router"]},
             {"src": ["group:eng"], "dst": ["tag:server"], "app": {"example.com/cap/x": [{"a": 1}]}}],
  "ssh": [{"action": "check", "src": ["group:eng"], "dst": ["tag:server"], "users": ["root"], "checkPeriod": "20h"}],
  "tests": [{"src": "alice@example.com", "srcPostureAttrs": {"node:os": "macos", "node:tsVersion": "1.80.0"}, "accept": ["db:5432"], "deny": ["db:22"]}],
  "sshTests": [{"src": "alice@example.com", "dst": ["tag:server"], "check": ["root"]}],
  "nodeAttrs": [{"target": ["*"], "attr": ["funnel"]}],
  "autoApprovers": {"routes": {"10.1.0.0/16": ["tag:router"]}, "exitNode": ["tag:router"]},
  "attrConfig": {"custom:tier": {"type": "string", "allowSetByNode": false, "broadcastToPeers": ["*"]}},
}`
	p, err := Parse([]byte(text), testCatalog)
	if err != nil {
		t.Fatalf("Parse: got %v, want nil", err)
	}
	if got, want := len(p.Rules), 4; got != want {
		t.Errorf("rules: got %d, want %d", got, want)
	}
	if got, want := len(p.Rules[0].Legs), 3; got != want {
		t.Errorf("legs of the first rule: got %d, want %d", got, want)
	}
	if got := p.Rules[1].Line; got != 11 {
		t.Errorf("second rule line: got %d, want 11", got)
	}
	if !p.IPSets["ipset:more"].Contains(mustAddr("192.168.0.5")) || p.IPSets["ipset:lan"].Contains(mustAddr("10.1.9.1")) {
		t.Errorf("ipsets: got %v / %v, want add and remove applied", p.IPSets["ipset:lan"], p.IPSets["ipset:more"])
	}
}

func TestConditionErrorPosition(t *testing.T) {
	for _, tt := range []struct {
		name, cond string
		wantCol    int
	}{
		// {"postures": {"posture:a": [" is 29 bytes; the condition starts at column 30.
		{"plain", `falcon:ztaScore >= 'high'`, 30 + len(`falcon:ztaScore >= `)},
		{"after an escape", `node:os == \u0027x\u0027 && 1`, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := `{"postures": {"posture:a": ["` + tt.cond + `"]}}`
			_, err := Parse([]byte(text), testCatalog)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse: got %v, want an *Error", err)
			}
			if tt.wantCol == 0 {
				// The error must point inside the string literal, past the escapes it follows.
				if pe.Col <= 30 || pe.Col > 30+len(tt.cond) {
					t.Errorf("column: got %d, want inside the literal (30..%d)", pe.Col, 30+len(tt.cond))
				}
				return
			}
			if pe.Col != tt.wantCol {
				t.Errorf("column: got %d (%v), want %d", pe.Col, err, tt.wantCol)
			}
		})
	}
}

func TestRawOffset(t *testing.T) {
	lit := []byte(`"a\u0027b\"c\u00e9d"`)
	// decoded: a ' b " c é(2 bytes) d
	for _, tt := range []struct{ decoded, want int }{{0, 1}, {1, 2}, {2, 8}, {3, 9}, {4, 11}, {5, 12}, {7, 18}} {
		if got := rawOffset(lit, tt.decoded); got != tt.want {
			t.Errorf("rawOffset(%d): got %d, want %d", tt.decoded, got, tt.want)
		}
	}
}

func TestFieldNamesCaseInsensitive(t *testing.T) {
	p, err := Parse([]byte(`{"ACLs": [{"Action": "accept", "SRC": ["*"], "Dst": ["*:22"]}], "OneCGNATRoute": "mullvad"}`), testCatalog)
	if err != nil {
		t.Fatalf("Parse: got %v, want nil", err)
	}
	if len(p.Rules) != 1 || len(p.Rules[0].Legs) != 1 {
		t.Errorf("rules: got %+v, want one rule with one leg", p.Rules)
	}
}
