package main

import (
	"context"
	"strings"
	"testing"

	"github.com/postern/postern/internal/server"
)

func TestAdminLoginLink(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runCmd(t, "admin", "login-link", "--data-dir", dir, "--server-url", "https://postern.example.com/")
	if err != nil {
		t.Fatalf("admin login-link: %v", err)
	}
	link := lastLine(out)
	if !strings.HasPrefix(link, "https://postern.example.com/admin/signin?token=") || len(link) < len("https://postern.example.com/admin/signin?token=")+40 {
		t.Errorf("got link %q, want https://postern.example.com/admin/signin?token=<random>", link)
	}
	if !strings.Contains(errOut, "created owner user admin@postern.local") {
		t.Errorf("stderr %q: want it to say the bootstrap owner was created", errOut)
	}
	again, _, err := runCmd(t, "admin", "login-link", "--data-dir", dir, "--server-url", "https://postern.example.com/")
	if err != nil || lastLine(again) == link {
		t.Errorf("second link: got %q, %v, want a different link", lastLine(again), err)
	}
	if _, _, err := runCmd(t, "user", "create", "mem@example.com", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "admin", "login-link", "--data-dir", dir, "--server-url", "https://postern.example.com", "--user", "mem@example.com"); err == nil || !strings.Contains(err.Error(), "member") {
		t.Errorf("member: got %v, want a refusal naming the role", err)
	}
	if _, _, err := runCmd(t, "admin", "nope"); err == nil || !strings.Contains(err.Error(), "login-link") {
		t.Errorf("unknown admin subcommand: got %v, want usage naming login-link", err)
	}
}

// TestAdminLoginLinkUsesRunningServer: without --server-url the link
// starts with the URL the server running on the data dir recorded, so it
// works whatever --listen said; before any server started it says so.
func TestAdminLoginLinkUsesRunningServer(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := runCmd(t, "admin", "login-link", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "give --server-url") {
		t.Errorf("before any server started: got %v, want advice to start it or give --server-url", err)
	}
	srv, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out, _, err := runCmd(t, "admin", "login-link", "--data-dir", dir)
	if err != nil {
		t.Fatalf("admin login-link: %v", err)
	}
	if link := lastLine(out); !strings.HasPrefix(link, srv.URL()+"/admin/signin?token=") {
		t.Errorf("got link %q, want it to start with the running server's %s", link, srv.URL())
	}
}
