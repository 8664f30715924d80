package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern/internal/tailnet"
)

// runCmd runs a command line and returns stdout, stderr and the error.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	out, _, err := runCmd(t, "user", "create", "ann@example.com", "--admin", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "ann@example.com (admin") {
		t.Fatalf("user create: got %q, %v", out, err)
	}
	if _, _, err := runCmd(t, "user", "create", "ANN@example.com", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("duplicate user (other case): got %v, want an 'exists' error", err)
	}
	out, _, err = runCmd(t, "apikey", "create", "--data-dir", dir, "--expiry", "30d")
	if err != nil || !strings.HasPrefix(lastLine(out), "tskey-api-") {
		t.Fatalf("apikey create: got %q, %v; want a tskey-api- key as the last line", out, err)
	}
	out, errOut, err := runCmd(t, "authkey", "create", "--data-dir", dir, "--reusable", "--ephemeral", "--tags", "tag:a,tag:b", "--user", "ann@example.com")
	if err != nil || !strings.HasPrefix(lastLine(out), "tskey-auth-") || !strings.Contains(errOut, "ann@example.com") {
		t.Fatalf("authkey create: got %q %q, %v", out, errOut, err)
	}
	if _, _, err := runCmd(t, "authkey", "create", "--data-dir", dir, "--user", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "postern user create") {
		t.Errorf("unknown --user: got %v, want advice to create the user", err)
	}
	if _, _, err := runCmd(t, "authkey", "create", "--data-dir", dir, "--tags", "server"); err == nil || !strings.Contains(err.Error(), `must be tag: followed by a letter`) {
		t.Errorf("bad tag: got %v, want the tag syntax error", err)
	}
}

func TestApikeyCreatesOwnerOnEmptyTailnet(t *testing.T) {
	out, errOut, err := runCmd(t, "apikey", "create", "--data-dir", t.TempDir())
	if err != nil || !strings.HasPrefix(lastLine(out), "tskey-api-") || !strings.Contains(errOut, "created owner user admin@postern.local") {
		t.Fatalf("got %q %q, %v", out, errOut, err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"user"}, {"apikey", "delete"}, {"authkey", "create", "--expiry", "2x"}} {
		if _, _, err := runCmd(t, args...); err == nil {
			t.Errorf("%q: got no error, want one", args)
		}
	}
	out, _, err := runCmd(t, "version")
	if err != nil || !strings.HasPrefix(out, "postern ") {
		t.Errorf("version: got %q, %v", out, err)
	}
}

func TestPolicyCommands(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.hujson", `{
	"tagOwners": {"tag:web": ["alice@example.com"]},
	"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:web:443"]}],
	"tests": [{"src": "alice@example.com", "accept": ["tag:web:443"], "deny": ["tag:web:22"]}],
}`)
	bad := write("bad.hujson", "{\n  \"acls\": [\n    {\"action\": \"accept\", \"src\": [\"tag:nope\"], \"dst\": [\"*:*\"]},\n  ],\n}\n")
	failing := write("failing.hujson", `{
	"tagOwners": {"tag:web": ["alice@example.com"]},
	"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:web:443"]}],
	"tests": [{"src": "alice@example.com", "accept": ["tag:web:22"]}],
}`)
	if out, _, err := runCmd(t, "policy", "check", good); err != nil || !strings.Contains(out, "ok") {
		t.Errorf("check good: got %q, %v", out, err)
	}
	if _, _, err := runCmd(t, "policy", "check", bad); err == nil || !strings.Contains(err.Error(), bad+":3:") || !strings.Contains(err.Error(), `tag not found: "tag:nope"`) {
		t.Errorf("check bad: got %v, want %s:3:col: ... tag not found", err, bad)
	}
	// Offline, postures are checked against every provider's catalogue.
	typo := write("typo.hujson", "{\n  \"postures\": {\n    \"posture:m\": [\"fleet:presnt\", \"kandji:mdmEnabled\"],\n  },\n}\n")
	if _, _, err := runCmd(t, "policy", "check", typo); err == nil || !strings.Contains(err.Error(), typo+`:3:20: posture:m: "fleet:presnt": unknown attribute fleet:presnt (did you mean fleet:present?)`) {
		t.Errorf("check typo: got %v, want %s:3:20: ... did you mean fleet:present?", err, typo)
	}
	// A custom feed's namespace is unknown offline unless --namespace
	// declares it, open (any name, any type); it may not be a provider's.
	feedPolicy := write("feed.hujson", "{\n  \"postures\": {\n    \"posture:m\": [\"acme:diskEncrypted == true\", \"globex:tier == 'gold'\"],\n  },\n}\n")
	if _, _, err := runCmd(t, "policy", "check", feedPolicy); err == nil || !strings.Contains(err.Error(), feedPolicy+":3:20:") || !strings.Contains(err.Error(), "acme") {
		t.Errorf("check feed without --namespace: got %v, want %s:3:20 naming acme", err, feedPolicy)
	}
	if out, _, err := runCmd(t, "policy", "check", "--namespace", "acme", "--namespace", "globex", feedPolicy); err != nil || !strings.Contains(out, "ok") {
		t.Errorf("check feed with --namespace acme --namespace globex: got %q, %v; want ok", out, err)
	}
	if _, _, err := runCmd(t, "policy", "check", "--namespace", "fleet", feedPolicy); err == nil || !strings.Contains(err.Error(), `--namespace: namespace "fleet" is already Postern's or a provider's`) {
		t.Errorf("check with --namespace fleet: got %v, want it refused", err)
	}
	if _, _, err := runCmd(t, "policy", "test", good); err != nil {
		t.Errorf("test good: got %v", err)
	}
	if _, _, err := runCmd(t, "policy", "test", failing); err == nil || !strings.Contains(err.Error(), "test(s) failed") || !strings.Contains(err.Error(), failing+":4:") {
		t.Errorf("test failing: got %v, want test(s) failed at %s:4", err, failing)
	}
	topo := write("topo.json", `{"users": [{"name": "alice", "email": "alice@example.com"}],
	 "nodes": {"laptop": {"ipv4": "100.64.0.1", "ipv6": "fd7a:115c:a1e0::1", "tags": [], "user": "alice@example.com"},
	           "web": {"ipv4": "100.64.0.2", "ipv6": "fd7a:115c:a1e0::2", "tags": ["tag:web"], "user": null}}}`)
	out, _, err := runCmd(t, "policy", "filters", good, "--topology", topo)
	if err != nil || !strings.Contains(out, `"web"`) || !strings.Contains(out, `"100.64.0.1"`) || !strings.Contains(out, `"First": 443`) {
		t.Errorf("filters: got %s, %v; want web's filter admitting 100.64.0.1 on 443", out, err)
	}
}

// TestEveryHelpExitsZero runs each command and command group with --help:
// each must print usage and report no error (main exits 0 on flag.ErrHelp).
func TestEveryHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"serve", "--help"}, {"version", "--help"},
		{"user", "--help"}, {"user", "create", "--help"},
		{"apikey", "--help"}, {"apikey", "create", "--help"},
		{"authkey", "-h"}, {"authkey", "create", "--help"},
		{"admin", "--help"}, {"admin", "login-link", "--help"},
		{"policy", "--help"}, {"policy", "check", "--help"}, {"policy", "test", "--help"}, {"policy", "filters", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, err := runCmd(t, args...)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("got error %v, want none or flag.ErrHelp", err)
			}
			if !strings.Contains(out+errOut, "Usage") && !strings.Contains(out, "postern") {
				t.Errorf("got stdout %q stderr %q, want a usage text", out, errOut)
			}
		})
	}
	_, errOut, _ := runCmd(t, "policy", "filters", "--help")
	if !strings.Contains(errOut, "policy filters FILE --topology TOPOLOGY.json") || strings.Contains(errOut, "[--topology") {
		t.Errorf("policy filters --help: got %q, want --topology shown as required", errOut)
	}
}

// TestPolicyCLIDocExample runs the topology example of docs/policy-cli.md
// through "policy filters", so the documented format stays true.
func TestPolicyCLIDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy-cli.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	topo, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/policy-cli.md has no ```json block")
	}
	dir := t.TempDir()
	topoPath, policyPath := dir+"/topology.json", dir+"/policy.hujson"
	policy := `{"tagOwners": {"tag:db": ["ann@example.com"]},
  "postures": {"posture:managed": ["custom:managed == true"]},
  "acls": [{"action": "accept", "src": ["autogroup:admin"], "srcPosture": ["posture:managed"], "dst": ["tag:db:5432"]}]}`
	if err := os.WriteFile(topoPath, []byte(topo), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policyPath, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "policy", "filters", policyPath, "--topology", topoPath)
	if err != nil {
		t.Fatalf("policy filters with the documented topology: %v", err)
	}
	// ann is an admin and her laptop is managed: db admits the laptop.
	if !strings.Contains(out, `"db"`) || !strings.Contains(out, "100.64.0.1") {
		t.Errorf("got %s, want db's filter to admit the laptop (100.64.0.1)", out)
	}
}

// TestKeyCreateDefaultExpiry checks that authkey and apikey create give
// a key the same default lifetime as the console and the API.
func TestKeyCreateDefaultExpiry(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"authkey", "apikey"} {
		t.Run(kind, func(t *testing.T) {
			start := time.Now()
			_, errOut, err := runCmd(t, kind, "create", "--data-dir", dir)
			if err != nil {
				t.Fatalf("%s create: %v", kind, err)
			}
			_, at, ok := strings.Cut(strings.TrimSpace(errOut), ", expires ")
			exp, perr := time.Parse(time.RFC3339, lastLine(at))
			if !ok || perr != nil {
				t.Fatalf("%s create said %q, want \", expires <RFC3339>\"", kind, errOut)
			}
			if d := exp.Sub(start); d < tailnet.DefaultKeyExpiry-time.Minute || d > tailnet.DefaultKeyExpiry+time.Minute {
				t.Errorf("%s lifetime: got %s, want %s", kind, d.Round(time.Hour), tailnet.DefaultKeyExpiry)
			}
		})
	}
}
