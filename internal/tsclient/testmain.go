package tsclient

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// RunTests is the body of an end-to-end test package's TestMain: it
// builds tailscaled and tailscale into a temporary directory (stored in
// *bins, or the failure in *buildErr), runs the tests, removes the
// directory and returns the exit code.
func RunTests(m *testing.M, bins *Binaries, buildErr *error) int {
	dir, err := os.MkdirTemp("", "postern-tsbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	*bins, *buildErr = Build(ctx, dir)
	cancel()
	return m.Run()
}

// RequireBuilt stops a test that needs real clients when they could not
// be built: it fails under CI=true, where they must run, and skips with
// the reason elsewhere.
func RequireBuilt(t testing.TB, buildErr error) {
	t.Helper()
	if buildErr == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("cannot build tailscaled from the module: %v", buildErr)
	}
	t.Skipf("cannot build tailscaled from the module: %v", buildErr)
}
