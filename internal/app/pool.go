package app

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postgate/postgate/internal/config"
)

// connectTries is how often a database is tried at start-up, a second apart.
const connectTries = 3

// openPool creates a pool with the configured settings and checks that the
// database answers.
func openPool(ctx context.Context, dsn string, p config.Pool) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL %s: %w", redactURL(dsn), err)
	}
	pc.MaxConns = int32(p.MaxConnections)
	if p.IdleTimeout > 0 {
		pc.MaxConnIdleTime = p.IdleTimeout
	}
	if p.ConnLifetime > 0 {
		pc.MaxConnLifetime = p.ConnLifetime
	} else {
		pc.MaxConnLifetime = 100 * 365 * 24 * time.Hour
	}
	if !p.UsePreparedStatements {
		// Unnamed statements only: safe behind PgBouncer in transaction mode.
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	for i := 1; ; i++ {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = pool.Ping(pctx)
		cancel()
		if err == nil {
			return pool, nil
		}
		if i == connectTries || ctx.Err() != nil {
			pool.Close()
			return nil, fmt.Errorf("cannot connect to %s: %w", redactURL(dsn), err)
		}
		time.Sleep(time.Second)
	}
}

// poolHealth reports the server unhealthy when the database does not answer.
type poolHealth struct{ pool *pgxpool.Pool }

// Health pings the database.
func (h poolHealth) Health(ctx context.Context, _ bool) error {
	if h.pool == nil {
		return fmt.Errorf("no database")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return h.pool.Ping(ctx)
}

// redactURL hides the password of a postgres:// URL for logs.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "(connection string)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
