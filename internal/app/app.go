// Package app wires Postgate together: the configuration, the embedded
// cluster when no database URL is given, the connection pools, the HTTP
// server and their lifecycle (graceful drain on SIGTERM/SIGINT).
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/metrics"
	"github.com/postgate/postgate/internal/pgcluster"
	"github.com/postgate/postgate/internal/server"
)

// App is one running Postgate: its databases and its HTTP handler.
//
// The engine parts (Auth, GraphQL, Metadata, Health, WebSocket, Mounts) are
// filled in by the caller after New and before Handler or Run; a nil part
// makes its endpoints answer Hasura's not-found error (Auth nil is Hasura's
// no-auth mode, Health nil pings the metadata database).
type App struct {
	// Auth authenticates requests (admin secret, JWT, webhook).
	Auth server.Authenticator
	// GraphQL executes /v1/graphql, /v1alpha1/graphql and explain requests.
	GraphQL server.GraphQL
	// Metadata serves /v1/metadata, /v2/query and /v1/query.
	Metadata server.MetadataAPI
	// Health answers /healthz.
	Health server.Health
	// WebSocket serves GraphQL subscriptions (GET /v1/graphql upgrades).
	WebSocket http.Handler
	// Mounts serves further handlers by path, such as the identity provider
	// under "/auth/" (see server.Options.Mounts).
	Mounts map[string]http.Handler
	// PGDump serves /v1alpha1/pg_dump (nil: not found).
	PGDump server.PGDump
	// Metrics holds the Prometheus metrics served on /v1/metrics and fed by
	// the HTTP layer (nil: no metrics).
	Metrics *metrics.Metrics

	// Config is the configuration the App was built from.
	Config *config.Config
	// Logger writes Hasura-shaped log lines.
	Logger *slog.Logger
	// Pool is the data database's pool.
	Pool *pgxpool.Pool
	// MetadataPool is the metadata database's pool (Pool itself when both
	// URLs are the same).
	MetadataPool *pgxpool.Pool
	// DatabaseURL is the data database's URL (the embedded cluster's when
	// none was configured).
	DatabaseURL string
	// MetadataDatabaseURL is the metadata database's URL.
	MetadataDatabaseURL string

	cluster  *pgcluster.Cluster
	metadata *metadata.Service
	// stopBackground ends the App's background work (the metadata listener).
	stopBackground context.CancelFunc
}

// New connects to the configured databases, first starting the embedded
// cluster in cfg.DataDir when no database URL is set.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &App{Config: cfg, Logger: logger, DatabaseURL: cfg.DatabaseURL, MetadataDatabaseURL: cfg.MetadataDatabaseURL}
	if a.DatabaseURL == "" {
		c, err := pgcluster.Start(ctx, cfg.DataDir, logger)
		if err != nil {
			return nil, fmt.Errorf("embedded PostgreSQL: %w", err)
		}
		a.cluster = c
		a.DatabaseURL = c.URL()
		logging.Startup(logger, "postgres_connection", map[string]any{"database": "embedded", "data_dir": c.DataDir(), "port": c.Port()})
	}
	if a.MetadataDatabaseURL == "" {
		a.MetadataDatabaseURL = a.DatabaseURL
	}
	var err error
	if a.Pool, err = openPool(ctx, a.DatabaseURL, cfg.Pool); err != nil {
		a.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	if a.MetadataDatabaseURL == a.DatabaseURL {
		a.MetadataPool = a.Pool
	} else if a.MetadataPool, err = openPool(ctx, a.MetadataDatabaseURL, cfg.Pool); err != nil {
		a.Close()
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	if a.cluster == nil {
		logging.Startup(logger, "postgres_connection", map[string]any{
			"database_url": redactURL(a.DatabaseURL), "metadata_database_url": redactURL(a.MetadataDatabaseURL)})
	}
	if err := a.assemble(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Handler returns the HTTP handler for the App's current parts.
func (a *App) Handler() http.Handler {
	h := a.Health
	if h == nil {
		h = poolHealth{a.MetadataPool}
	}
	return server.New(server.Options{
		Auth: a.Auth, GraphQL: a.GraphQL, Metadata: a.Metadata, Health: h,
		WebSocket: a.WebSocket, Mounts: a.Mounts, Logger: a.Logger, Config: a.Config,
		Observer: a.observer(), PGDump: a.PGDump,
	})
}

// Run listens on the configured host and port and serves until ctx ends or
// the process receives SIGTERM or SIGINT; then it drains in-flight requests
// (up to the graceful shutdown timeout) and closes the App.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.ListenAddr())
	if err != nil {
		a.Close()
		return fmt.Errorf("listen on %s: %w", a.Config.ListenAddr(), err)
	}
	return a.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	defer a.Close()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
		ConnState:         a.Metrics.ConnState,
	}
	logging.Startup(a.Logger, "server_configuration", a.startupInfo(ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down: draining in-flight requests", "type", "startup")
	timeout := a.Config.GracefulShutdownTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close closes the pools and stops the embedded cluster. It is safe to call
// more than once.
func (a *App) Close() {
	if a.stopBackground != nil {
		a.stopBackground()
	}
	if a.MetadataPool != nil && a.MetadataPool != a.Pool {
		a.MetadataPool.Close()
	}
	if a.Pool != nil {
		a.Pool.Close()
	}
	if a.cluster != nil {
		if err := a.cluster.Stop(); err != nil {
			a.Logger.Error("stopping the embedded PostgreSQL", "error", err.Error())
		}
	}
}

// startupInfo is the server_configuration startup detail (no secrets).
func (a *App) startupInfo(addr string) map[string]any {
	c := a.Config
	types := make([]string, 0, len(c.LogTypes))
	for t := range c.LogTypes {
		types = append(types, t)
	}
	db := redactURL(a.DatabaseURL)
	if a.cluster != nil {
		db = "embedded (" + a.cluster.DataDir() + ")"
	}
	return map[string]any{
		"listen_address":             addr,
		"port":                       c.Port,
		"server_host":                c.Host,
		"database":                   db,
		"metadata_database":          redactURL(a.MetadataDatabaseURL),
		"admin_secret_set":           c.Auth.AdminSecret != "" || c.Auth.AdminSecrets != "",
		"jwt_secret_set":             c.Auth.JWTSecret != "" || c.Auth.JWTSecrets != "",
		"auth_hook":                  c.Auth.AuthHook != "",
		"unauth_role":                c.Auth.UnauthorizedRole,
		"cors_config":                corsInfo(c.CORS),
		"enable_console":             c.EnableConsole,
		"dev_mode":                   c.DevMode,
		"stringify_numeric_types":    c.StringifyNumeric,
		"use_prepared_statements":    c.Pool.UsePreparedStatements,
		"pg_connections":             c.Pool.MaxConnections,
		"enabled_log_types":          types,
		"log_level":                  c.LogLevel.String(),
		"infer_function_permissions": c.InferFunctionPermissions,
		"experimental_features":      c.ExperimentalFeatures,
		"graceful_shutdown_timeout":  c.GracefulShutdownTimeout.Seconds(),
		"version":                    server.Version,
	}
}

func corsInfo(c config.CORS) map[string]any {
	switch {
	case c.Disabled:
		return map[string]any{"disabled": true}
	case c.AllowAll:
		return map[string]any{"allowed_origins": "*", "disabled": false}
	default:
		return map[string]any{"allowed_origins": c.Domains, "disabled": false}
	}
}
