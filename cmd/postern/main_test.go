package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
	if _, _, err := runCmd(t, "authkey", "create", "--data-dir", dir, "--tags", "server"); err == nil || !strings.Contains(err.Error(), "tag:name") {
		t.Errorf("bad tag: got %v, want a tag:name error", err)
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
