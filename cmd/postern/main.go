// Command postern is the Postern control server and its admin tools.
// It parses flags and environment, then hands over to internal packages;
// it holds no logic of its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Postern: a self-hosted control server for Tailscale clients, with device posture.

Usage:
  postern serve                   run the server (control protocol, API, console)
  postern user create EMAIL       add a user (--admin for an admin)
  postern apikey create           print a new admin API key (tskey-api-...)
  postern authkey create          print a new auth key for joining devices (tskey-auth-...)
  postern admin login-link        print a one-time sign-in link for the admin console
  postern policy check FILE       validate a policy file offline
  postern policy test FILE        validate a policy file and run its tests
  postern policy filters FILE --topology T.json
                                  print each node's packet filter as JSON
  postern version                 print the version

Run 'postern COMMAND -h' for a command's flags. Every flag also reads an
environment variable, named in its help (e.g. POSTERN_DATA_DIR).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if errors.As(err, new(usageError)) {
		os.Exit(2) // the flag package already said what was wrong
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "postern:", err)
		os.Exit(1)
	}
}

// run dispatches a command line; stdout gets results, stderr messages.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	if cmd != "serve" && cmd != "version" && len(rest) > 0 && isHelp(rest[0]) {
		// "postern policy --help": the command group's lines of the usage.
		fmt.Fprint(stdout, groupUsage(cmd))
		return nil
	}
	sub := func(want string) ([]string, error) {
		if len(rest) == 0 || rest[0] != want {
			fmt.Fprint(stderr, groupUsage(cmd))
			return nil, fmt.Errorf("usage: postern %s %s (see 'postern -h')", cmd, want)
		}
		return rest[1:], nil
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, stderr)
	case "user":
		a, err := sub("create")
		if err != nil {
			return err
		}
		return userCreate(ctx, a, stdout, stderr)
	case "apikey":
		a, err := sub("create")
		if err != nil {
			return err
		}
		return apikeyCreate(ctx, a, stdout, stderr)
	case "authkey":
		a, err := sub("create")
		if err != nil {
			return err
		}
		return authkeyCreate(ctx, a, stdout, stderr)
	case "policy":
		return policyCmd(ctx, rest, stdout, stderr)
	case "admin":
		return adminCmd(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "postern", version)
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "--help", "-help":
		return true
	}
	return false
}

// groupUsage is the part of the usage about one command group ("policy"),
// or the whole usage for a command it does not know.
func groupUsage(cmd string) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	lines := strings.Split(usage, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "  postern "+cmd+" ") {
			continue
		}
		b.WriteString(l + "\n")
		// A continuation line (deeper indent) belongs to the line above.
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "                ") {
			b.WriteString(lines[i+1] + "\n")
		}
	}
	if b.Len() == len("Usage:\n") {
		return usage
	}
	b.WriteString("\nRun 'postern " + cmd + " SUBCOMMAND -h' for its flags.\n")
	return b.String()
}
