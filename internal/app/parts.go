package app

import (
	"context"
	"fmt"
	"time"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/auth"
	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pg"
	"github.com/postgate/postgate/internal/pgdump"
	"github.com/postgate/postgate/internal/schema"
	"github.com/postgate/postgate/internal/server"
	"github.com/postgate/postgate/internal/subscription"
)

// assemble builds the engine parts on the App's pools: the metadata service
// (which introspects the database and checks the stored metadata), the
// GraphQL engine kept in step with every metadata change, and the
// authenticator.
func (a *App) assemble(ctx context.Context) error {
	cfg := a.Config
	idpOpts, err := a.buildIdP(ctx)
	if err != nil {
		return err
	}
	authn, err := auth.New(auth.Config{
		AdminSecret:             cfg.Auth.AdminSecret,
		AdminSecrets:            cfg.Auth.AdminSecrets,
		JWTSecret:               cfg.Auth.JWTSecret,
		JWTSecrets:              cfg.Auth.JWTSecrets,
		AuthHook:                cfg.Auth.AuthHook,
		AuthHookMode:            cfg.Auth.AuthHookMode,
		AuthHookSendRequestBody: cfg.Auth.AuthHookSendRequestBody,
		UnauthorizedRole:        cfg.Auth.UnauthorizedRole,
	}, append([]auth.Option{auth.WithLogger(a.Logger)}, idpOpts...)...)
	if err != nil {
		return err
	}
	md, err := metadata.Open(ctx, a.MetadataPool, a.Pool, metadata.Options{})
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	eng := engine.New(a.Pool, engine.Options{
		StringifyNumeric: cfg.StringifyNumeric,
		NoCoalesce:       !cfg.QueryCoalescing,
		DevMode:          cfg.DevMode,
		Logger:           a.Logger,
		MapError:         pg.MapError,
		RequestID:        server.RequestID,
		// Admins see internal error details unless
		// HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS=false, as in Hasura.
		AdminInternalErrors: cfg.AdminInternalErrors,
		Schema:              schema.Options{ExplicitFunctionPermissions: !cfg.InferFunctionPermissions},
	})
	apply := func(s *metadata.Snapshot) {
		var inherited []*metadata.InheritedRole
		src := s.Source()
		inherited = s.Metadata.InheritedRoles
		if src == nil {
			src = &metadata.Source{Name: "default", Kind: "postgres"}
		}
		opts := eng.SchemaOptions()
		lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		enums, err := schema.LoadEnumValues(lctx, a.Pool, s.Catalog, src)
		cancel()
		if err != nil {
			a.Logger.Warn("reading enum table values", "type", "startup", "error", err.Error())
		} else {
			opts.EnumValues = enums
		}
		eng.UpdateWith(s.Catalog, src, inherited, opts)
	}
	apply(md.Current())
	md.OnChange(apply)

	// Metadata changes made by other instances arrive by LISTEN/NOTIFY; the
	// listener reconnects (and re-reads the metadata) after a failure.
	lctx, cancel := context.WithCancel(context.Background())
	a.stopBackground = cancel
	// A one-second poll of the resource version backs the listener up where
	// LISTEN cannot work (PgBouncer in transaction mode) or a notification
	// was missed while the listener reconnected.
	go md.Watch(lctx, time.Second)
	go func() {
		for lctx.Err() == nil {
			if err := md.Listen(lctx); err != nil && lctx.Err() == nil {
				a.Logger.Warn("metadata change listener stopped; reconnecting", "type", "startup", "error", err.Error())
			}
			select {
			case <-lctx.Done():
				return
			case <-time.After(time.Second):
			}
			_, _ = md.Refresh(lctx)
		}
	}()

	a.Auth = authn
	a.Metadata = md
	a.GraphQL = eng
	// GraphQL over WebSocket; its connections close (1001) before the pools.
	ws := subscription.New(subscription.Options{
		Engine:                eng,
		Auth:                  authn,
		Interval:              time.Duration(cfg.LiveQueries.RefetchDelayMS) * time.Millisecond,
		BatchSize:             cfg.LiveQueries.BatchSize,
		StreamInterval:        time.Duration(cfg.StreamingQueries.RefetchDelayMS) * time.Millisecond,
		StreamBatchSize:       cfg.StreamingQueries.BatchSize,
		KeepAlive:             cfg.WebSocket.KeepAlive,
		InitTimeout:           cfg.WebSocket.InitTimeout,
		CloseOnMetadataChange: cfg.WebSocket.CloseOnMetadataChange,
		AllowOrigin:           func(o string) bool { return cfg.CORS.Disabled || cfg.CORS.Allows(o) },
		DropCookie:            cfg.CORS.Disabled && !cfg.WebSocket.ReadCookie,
		MaxMessageBytes:       cfg.MaxBodyBytes,
		DevMode:               cfg.DevMode,
		Logger:                a.Logger,
	})
	a.WebSocket = ws
	a.setupMetrics(eng, md, ws)
	a.stopBackground = func() {
		ws.Close()
		cancel()
	}
	a.Health = md
	a.metadata = md
	a.PGDump = pgdump.New(pgdump.Options{DatabaseURL: a.sourceURL})
	return nil
}

// sourceURL returns the database URL of the named source for pg_dump: the
// data database's, which serves the metadata's one Postgres source.
func (a *App) sourceURL(_ context.Context, source string) (string, error) {
	name := "default"
	if a.metadata != nil {
		if s := a.metadata.Current(); s != nil && s.SourceName != "" {
			name = s.SourceName
		}
	}
	if source != name {
		return "", apierr.Newf(apierr.NotFound, "source %q not found", source)
	}
	return a.DatabaseURL, nil
}
