package main

import (
	"strings"
	"testing"
)

func TestSQLiteSynchronousFlag(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := runCmd(t, "user", "create", "ann@example.com", "--data-dir", dir, "--sqlite-synchronous", "normal"); err != nil {
		t.Errorf("--sqlite-synchronous normal: got %v, want success", err)
	}
	_, _, err := runCmd(t, "user", "create", "bob@example.com", "--data-dir", dir, "--sqlite-synchronous", "off")
	if err == nil || !strings.Contains(err.Error(), "full or normal") {
		t.Errorf("--sqlite-synchronous off: got %v, want an error naming full or normal", err)
	}
	t.Setenv("POSTERN_SQLITE_SYNCHRONOUS", "sometimes")
	if _, _, err := runCmd(t, "user", "create", "cy@example.com", "--data-dir", dir); err == nil {
		t.Error("POSTERN_SQLITE_SYNCHRONOUS=sometimes: got no error, want one")
	}
}
