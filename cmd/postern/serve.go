package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/postern/postern/internal/realip"
	"github.com/postern/postern/internal/server"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	var cfg server.Config
	fs := newFlagSet("serve", "serve [flags]", stderr)
	fs.StringVar(&cfg.Listen, "listen", env("POSTERN_LISTEN", "127.0.0.1:8080"),
		"address for the control protocol, API and console (env POSTERN_LISTEN)")
	fs.StringVar(&cfg.ServerURL, "server-url", env("POSTERN_SERVER_URL", ""),
		"URL clients use to reach this server; default http:// + listen address (env POSTERN_SERVER_URL)")
	storeFlags(fs, &cfg)
	cfg.SyncInterval = 15 * time.Minute
	if v := os.Getenv("POSTERN_SYNC_INTERVAL"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		cfg.SyncInterval = d
	}
	fs.Var(durationFlag{&cfg.SyncInterval}, "sync-interval", "how often posture integrations sync (env POSTERN_SYNC_INTERVAL)")
	proxies := fs.String("trusted-proxies", env("POSTERN_TRUSTED_PROXIES", ""),
		"comma-separated addresses or CIDR prefixes of TLS-terminating proxies whose X-Forwarded-For is believed (env POSTERN_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", env("POSTERN_METRICS_LISTEN", ""),
		"separate address serving only /metrics, e.g. 127.0.0.1:9090 (env POSTERN_METRICS_LISTEN)")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", env("POSTERN_METRICS_TOKEN", ""),
		"bearer token every /metrics scrape must send; prefer the environment variable, which ps does not show (env POSTERN_METRICS_TOKEN)")
	logLevel := fs.String("log-level", env("POSTERN_LOG_LEVEL", "info"), "debug, info, warn or error (env POSTERN_LOG_LEVEL)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if cfg.TrustedProxies, err = realip.ParsePrefixes(*proxies); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Wait(ctx)
}
