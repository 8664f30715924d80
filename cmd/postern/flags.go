package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/server"
)

// newFlagSet returns a FlagSet that prints its usage to stderr and
// returns errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: postern %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// env returns the environment variable's value, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// storeFlags are the flags every command that opens the database takes.
func storeFlags(fs *flag.FlagSet, cfg *server.Config) {
	fs.StringVar(&cfg.DataDir, "data-dir", env("POSTERN_DATA_DIR", "./postern-data"),
		"directory for the SQLite database and keys (env POSTERN_DATA_DIR)")
	fs.StringVar(&cfg.Database, "database", env("POSTERN_DATABASE", ""),
		"empty for SQLite in the data dir, or a postgres:// URL (env POSTERN_DATABASE)")
	fs.StringVar(&cfg.SQLiteSynchronous, "sqlite-synchronous", env("POSTERN_SQLITE_SYNCHRONOUS", "full"),
		"full: every commit survives power failure; normal: faster, the last commits may be lost on power failure (env POSTERN_SQLITE_SYNCHRONOUS)")
	cfg.SecretKey = os.Getenv("POSTERN_SECRET_KEY")
}

// parse parses args with fs, allowing flags before and after positional
// arguments ("user create EMAIL --admin"), and returns the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// durationFlag is a time.Duration flag that also takes days ("90d").
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// parseDuration parses Go durations plus a whole number of days ("90d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("invalid duration %q: want e.g. 90d, 24h or 30m", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid duration %q: want e.g. 90d, 24h or 30m", s)
	}
	return d, nil
}

// usageError is a flag error the FlagSet has already printed with usage.
type usageError struct{ error }
