package store_test

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

const (
	helperDirEnv     = "POSTERN_STORE_TEST_HELPER_DIR"
	helperTailnetEnv = "POSTERN_STORE_TEST_HELPER_TAILNET"
	helperNameEnv    = "POSTERN_STORE_TEST_HELPER_NAME"
	usersPerWriter   = 25
)

// TestHelperWriter is not a test: TestSQLiteWritersInSeparateProcesses
// runs the test binary with it to write from another process.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestSQLiteWritersInSeparateProcesses")
	}
	writeUsers(t, store.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)},
		os.Getenv(helperTailnetEnv), os.Getenv(helperNameEnv))
}

// writeUsers opens the store and creates users in transactions that read
// before they write, the pattern that deadlocks SQLite without BEGIN
// IMMEDIATE.
func writeUsers(t *testing.T, o store.Options, tailnetID, name string) {
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	defer s.Close()
	for i := range usersPerWriter {
		err := s.InTx(ctx, func(q store.Queries) error {
			if _, err := q.Users(ctx, tailnetID); err != nil {
				return err
			}
			time.Sleep(time.Millisecond) // let the other writers in
			return q.CreateUser(ctx, &postern.User{TailnetID: tailnetID, LoginName: fmt.Sprintf("%s-%d@example.com", name, i)})
		})
		if err != nil {
			t.Fatalf("%s: write %d: %v", name, i, err)
		}
	}
}

// TestSQLiteWritersInSeparateProcesses writes to one SQLite database from
// three processes at once, as the server and CLI commands do.
func TestSQLiteWritersInSeparateProcesses(t *testing.T) {
	if os.Getenv(helperDirEnv) != "" {
		t.Skip("inside a helper process")
	}
	o := storetest.SQLiteOptions(t)
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tn := storetest.NewTailnet(t, s)

	var cmds []*exec.Cmd
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+o.DataDir, helperTailnetEnv+"="+tn.ID, fmt.Sprintf("%s=proc%d", helperNameEnv, i))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	writeUsers(t, o, tn.ID, "parent")
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper process %d: %v", i, err)
		}
	}
	users, err := s.Users(ctx, tn.ID)
	if err != nil || len(users) != 3*usersPerWriter {
		t.Errorf("got %d users, %v, want %d", len(users), err, 3*usersPerWriter)
	}
}
