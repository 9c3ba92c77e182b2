package catalog

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/pgtest"
)

var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = (*pgx.Conn)(nil)
	_ Querier = (pgx.Tx)(nil)
)

// queryOnly hides every method but Query.
type queryOnly struct{ Querier }

func TestLoadThroughEachQuerier(t *testing.T) {
	u := pgtest.URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE a (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// Uncommitted DDL is visible to a load inside the same transaction.
	if _, err := tx.Exec(ctx, `CREATE TABLE b (id int)`); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]Querier{"tx": tx, "query only": queryOnly{tx}} {
		c, err := Load(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Table(pub("a")) == nil || c.Table(pub("b")) == nil {
			t.Errorf("%s: tables %v", name, c.Tables)
		}
		if _, err := TakeFingerprint(ctx, q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// The savepoint used by Load left the transaction usable and its
	// settings untouched.
	var jit string
	if err := tx.QueryRow(ctx, "SHOW jit").Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := Load(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if c.Table(pub("a")) == nil || c.Table(pub("b")) != nil {
		t.Errorf("conn: tables %v", c.Tables)
	}
	var setting string
	if err := conn.QueryRow(ctx, "SHOW jit").Scan(&setting); err != nil || setting != jit {
		t.Errorf("jit setting leaked out of Load: %q (was %q) %v", setting, jit, err)
	}
}
