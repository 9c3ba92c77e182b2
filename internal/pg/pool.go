// Package pg is the engine's access to PostgreSQL: connection pools, the
// per-transaction session settings, and the mapping of database errors to
// the API errors Hasura returns.
package pg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOptions configures a connection pool. Zero values keep pgx's defaults
// (or those of the connection string).
type PoolOptions struct {
	// MaxConns caps the number of open connections
	// (HASURA_GRAPHQL_PG_CONNECTIONS).
	MaxConns int32
	// MinConns keeps this many connections open when idle.
	MinConns int32
	// ConnectTimeout bounds establishing one connection.
	ConnectTimeout time.Duration
	// MaxConnLifetime closes connections older than this
	// (HASURA_GRAPHQL_PG_CONN_LIFETIME).
	MaxConnLifetime time.Duration
	// MaxConnIdleTime closes connections idle for longer than this
	// (HASURA_GRAPHQL_PG_TIMEOUT).
	MaxConnIdleTime time.Duration
	// DisablePreparedStatements sends every query without a named prepared
	// statement (HASURA_GRAPHQL_USE_PREPARED_STATEMENTS=false), as PgBouncer
	// in transaction mode requires.
	DisablePreparedStatements bool
	// ApplicationName is reported to the server (pg_stat_activity).
	ApplicationName string
}

// DefaultPoolOptions returns Hasura's defaults: 50 connections, 180 s idle
// timeout, 600 s connection lifetime, prepared statements on.
func DefaultPoolOptions() PoolOptions {
	return PoolOptions{
		MaxConns:        50,
		ConnectTimeout:  30 * time.Second,
		MaxConnLifetime: 600 * time.Second,
		MaxConnIdleTime: 180 * time.Second,
		ApplicationName: "postgate",
	}
}

// NewPool returns a pool for the database at url. It does not connect:
// the first query (or Ping) does, so a server can start while its database
// is still coming up. Statements are prepared and cached per connection
// unless o.DisablePreparedStatements is set.
func NewPool(ctx context.Context, url string, o PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := PoolConfig(url, o)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pg: new pool: %w", err)
	}
	return pool, nil
}

// PoolConfig parses url and applies o, for callers that need to adjust the
// configuration further (tracers, AfterConnect hooks) before creating a pool.
func PoolConfig(url string, o PoolOptions) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password in ParseConfigError.
		return nil, fmt.Errorf("pg: invalid database url: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.MinConns > 0 {
		cfg.MinConns = o.MinConns
	}
	if o.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	}
	if o.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = o.MaxConnLifetime
	}
	if o.MaxConnIdleTime > 0 {
		cfg.MaxConnIdleTime = o.MaxConnIdleTime
	}
	if o.DisablePreparedStatements {
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
		cfg.ConnConfig.StatementCacheCapacity = 0
		cfg.ConnConfig.DescriptionCacheCapacity = 0
	}
	if o.ApplicationName != "" {
		if _, set := cfg.ConnConfig.RuntimeParams["application_name"]; !set {
			cfg.ConnConfig.RuntimeParams["application_name"] = o.ApplicationName
		}
	}
	return cfg, nil
}
