package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/server"
	"github.com/postern/postern/internal/tailnet"
)

// cliActor is the audit context of admin commands run on the server's
// machine: whoever can read the data dir is trusted as the operator.
var cliActor = audit.Context{Origin: audit.OriginCLI, Actor: postern.AuditActor{ID: "cli", Type: audit.ActorUser, DisplayName: "postern CLI"}}

// withService opens the store cfg names, ensures the default tailnet and
// calls fn with the single writer.
func withService(ctx context.Context, cfg server.Config, fn func(*tailnet.Service, postern.Tailnet) error) error {
	cfg.Logger = slog.New(slog.DiscardHandler)
	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := tailnet.New(st, cfg.Logger, nil)
	t, _, err := svc.EnsureDefault(ctx)
	if err != nil {
		return err
	}
	return fn(svc, t)
}

// keyOwner resolves --user, or the tailnet owner (created if need be).
func keyOwner(ctx context.Context, svc *tailnet.Service, t postern.Tailnet, email string, stderr io.Writer) (postern.User, error) {
	if email != "" {
		u, err := svc.Store().UserByLoginName(ctx, t.ID, email)
		if postern.IsNotFound(err) {
			return u, fmt.Errorf("no user %q; create it first with 'postern user create %s'", email, email)
		}
		return u, err
	}
	u, created, err := svc.Owner(ctx, cliActor, t.ID)
	if created {
		fmt.Fprintf(stderr, "created owner user %s\n", u.LoginName)
	}
	return u, err
}

func userCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg server.Config
	fs := newFlagSet("user create", "user create EMAIL [--admin | --role ROLE] [flags]", stderr)
	storeFlags(fs, &cfg)
	admin := fs.Bool("admin", false, "make the user an admin")
	role := fs.String("role", "member", "owner, admin, member or auditor")
	name := fs.String("name", "", "display name (default: the part of EMAIL before @)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("user create takes one EMAIL, got %d arguments", len(pos))
	}
	r := postern.Role(*role)
	if *admin {
		r = postern.RoleAdmin
	}
	return withService(ctx, cfg, func(svc *tailnet.Service, t postern.Tailnet) error {
		u, err := svc.CreateUser(ctx, cliActor, t.ID, pos[0], *name, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s (%s, id %s)\n", u.LoginName, u.Role, u.ID)
		return nil
	})
}

func apikeyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg server.Config
	fs := newFlagSet("apikey create", "apikey create [flags]", stderr)
	storeFlags(fs, &cfg)
	expiry := tailnet.DefaultKeyExpiry
	fs.Var(durationFlag{&expiry}, "expiry", "lifetime, e.g. 90d or 12h (at most 365d)")
	user := fs.String("user", "", "the user the key acts as (default: the tailnet owner)")
	desc := fs.String("description", "", "a note to tell keys apart")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return withService(ctx, cfg, func(svc *tailnet.Service, t postern.Tailnet) error {
		u, err := keyOwner(ctx, svc, t, *user, stderr)
		if err != nil {
			return err
		}
		text, k, err := svc.CreateKey(ctx, cliActor, t.ID, tailnet.KeyRequest{
			Type: postern.KeyTypeAPI, UserID: u.ID, Description: *desc, Expiry: expiry,
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "API key %s for %s, expires %s\n", k.ID, u.LoginName, k.Expires.Format(time.RFC3339))
		fmt.Fprintln(stdout, text)
		return nil
	})
}

func authkeyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg server.Config
	fs := newFlagSet("authkey create", "authkey create [flags]", stderr)
	storeFlags(fs, &cfg)
	var r tailnet.KeyRequest
	r.Type = postern.KeyTypeAuth
	r.Expiry = tailnet.DefaultKeyExpiry
	fs.Var(durationFlag{&r.Expiry}, "expiry", "lifetime, e.g. 24h or 7d (at most 90d)")
	user := fs.String("user", "", "the user devices joining with the key belong to (default: the tailnet owner)")
	fs.BoolVar(&r.Reusable, "reusable", false, "allow more than one device to join with the key")
	fs.BoolVar(&r.Ephemeral, "ephemeral", false, "devices are removed when they log out or stay offline")
	fs.BoolVar(&r.Preauthorized, "preauthorized", false, "devices need no approval even when device approval is on")
	tags := fs.String("tags", "", "comma-separated tags given to devices, e.g. tag:server,tag:prod")
	fs.StringVar(&r.Description, "description", "", "a note to tell keys apart")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *tags != "" {
		for _, t := range strings.Split(*tags, ",") {
			r.Tags = append(r.Tags, strings.TrimSpace(t))
		}
	}
	return withService(ctx, cfg, func(svc *tailnet.Service, t postern.Tailnet) error {
		u, err := keyOwner(ctx, svc, t, *user, stderr)
		if err != nil {
			return err
		}
		r.UserID = u.ID
		text, k, err := svc.CreateKey(ctx, cliActor, t.ID, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "auth key %s for %s, expires %s\n", k.ID, u.LoginName, k.Expires.Format(time.RFC3339))
		fmt.Fprintln(stdout, text)
		return nil
	})
}
