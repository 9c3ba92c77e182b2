// Package pgtest gives tests a real, empty PostgreSQL database of their own.
//
// The server is named by TEST_DATABASE_URL (a superuser connection string);
// `make test` starts a private cluster and sets it. Without it a test skips,
// except under CI=true, where a missing database is a failure.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var counter atomic.Int64

// BaseURL returns TEST_DATABASE_URL, skipping (or failing under CI) when unset.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set: PostgreSQL is required under CI")
		}
		t.Skip("TEST_DATABASE_URL is not set; run `make test` to start PostgreSQL")
	}
	return u
}

// URL creates a fresh empty database for the test, drops it when the test
// ends, and returns its connection string.
func URL(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	name := fmt.Sprintf("pgt_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return WithDatabase(base, name)
}

// WithDatabase returns connection string u pointed at database name.
func WithDatabase(u, name string) string {
	if strings.Contains(u, "://") {
		p, err := url.Parse(u)
		if err == nil {
			p.Path = "/" + name
			return p.String()
		}
	}
	return u + " dbname=" + name
}

// Pool returns a pool on a fresh database, closed when the test ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	u := URL(t)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Exec runs SQL statements on a pool, failing the test on error.
func Exec(t testing.TB, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("pgtest: exec %q: %v", sql, err)
	}
}
