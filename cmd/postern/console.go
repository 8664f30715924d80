package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/server"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/web"
)

// adminCmd dispatches "postern admin SUBCOMMAND".
func adminCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "login-link" {
		return fmt.Errorf("usage: postern admin login-link [--data-dir DIR] (see 'postern -h')")
	}
	return loginLink(ctx, args[1:], stdout, stderr)
}

// loginLink prints a one-time admin console sign-in URL as the last line
// of stdout, for --user or the tailnet owner (created if there is none).
func loginLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg server.Config
	fs := newFlagSet("admin login-link", "admin login-link [flags]", stderr)
	storeFlags(fs, &cfg)
	serverURL := fs.String("server-url", env("POSTERN_SERVER_URL", ""),
		"the server's URL, which the link starts with; default: the URL the server last started in the data dir recorded (env POSTERN_SERVER_URL)")
	user := fs.String("user", "", "the owner, admin or auditor to sign in as (default: the tailnet owner)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *serverURL == "" {
		recorded, err := server.RecordedURL(cfg.DataDir)
		if err != nil {
			return err
		}
		if recorded == "" {
			return fmt.Errorf("no server has started with data dir %s yet, so its URL is unknown: start it with 'postern serve', or give --server-url", cfg.DataDir)
		}
		*serverURL = recorded
	}
	return withService(ctx, cfg, func(svc *tailnet.Service, t postern.Tailnet) error {
		u, err := keyOwner(ctx, svc, t, *user, stderr)
		if err != nil {
			return err
		}
		link, err := web.CreateSignInLink(ctx, svc.Store(), *serverURL, u, svc.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "sign-in link for %s (%s), valid once for %s:\n", u.LoginName, u.Role, web.LinkTTL.Round(time.Minute))
		fmt.Fprintln(stdout, link)
		return nil
	})
}
