package pg

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

func TestNewPoolOptions(t *testing.T) {
	u := pgtest.URL(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		opts     PoolOptions
		execMode pgx.QueryExecMode
	}{
		{"defaults", DefaultPoolOptions(), pgx.QueryExecModeCacheStatement},
		{"no prepared statements", PoolOptions{MaxConns: 3, DisablePreparedStatements: true}, pgx.QueryExecModeExec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPool(ctx, u, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			cfg := p.Config()
			if tc.opts.MaxConns > 0 && cfg.MaxConns != tc.opts.MaxConns {
				t.Errorf("max conns %d", cfg.MaxConns)
			}
			if tc.opts.MaxConnIdleTime > 0 && cfg.MaxConnIdleTime != tc.opts.MaxConnIdleTime {
				t.Errorf("idle %v", cfg.MaxConnIdleTime)
			}
			if tc.opts.MaxConnLifetime > 0 && cfg.MaxConnLifetime != tc.opts.MaxConnLifetime {
				t.Errorf("lifetime %v", cfg.MaxConnLifetime)
			}
			if cfg.ConnConfig.DefaultQueryExecMode != tc.execMode {
				t.Errorf("exec mode %v", cfg.ConnConfig.DefaultQueryExecMode)
			}
			// The same parameterised statement runs repeatedly in either mode.
			for i := range 3 {
				var n int
				if err := p.QueryRow(ctx, "SELECT $1::int + 1", i).Scan(&n); err != nil || n != i+1 {
					t.Fatalf("query: %d %v", n, err)
				}
			}
			var prepared int
			if err := p.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements").Scan(&prepared); err != nil {
				t.Fatal(err)
			}
			if tc.opts.DisablePreparedStatements && prepared != 0 {
				t.Errorf("%d named prepared statements with prepared statements off", prepared)
			}
			var app string
			if err := p.QueryRow(ctx, "SELECT current_setting('application_name')").Scan(&app); err != nil {
				t.Fatal(err)
			}
			if tc.opts.ApplicationName != "" && app != tc.opts.ApplicationName {
				t.Errorf("application_name %q", app)
			}
		})
	}
	if _, err := NewPool(ctx, "postgres://u:secret@host:notaport/db", PoolOptions{}); err == nil {
		t.Error("invalid url accepted")
	}
	if o := DefaultPoolOptions(); o.MaxConns != 50 || o.MaxConnIdleTime != 180*time.Second || o.MaxConnLifetime != 600*time.Second {
		t.Errorf("defaults %+v", o)
	}
}

func TestSetSession(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	s := session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "42"}}
	if err := SetSession(ctx, tx, s); err != nil {
		t.Fatal(err)
	}
	var id, role string
	err = tx.QueryRow(ctx, `SELECT current_setting('hasura.user')::json->>'x-hasura-user-id',
		current_setting('hasura.user')::json->>'x-hasura-role'`).Scan(&id, &role)
	if err != nil || id != "42" || role != "user" {
		t.Errorf("got %q %q %v", id, role, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// Transaction-local: gone after the transaction.
	var v *string
	if err := pool.QueryRow(ctx, "SELECT nullif(current_setting('hasura.user', true), '')").Scan(&v); err != nil || v != nil {
		t.Errorf("setting outlived the transaction: %v %v", v, err)
	}
}
