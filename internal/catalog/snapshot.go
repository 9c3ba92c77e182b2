package catalog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// txBeginner is satisfied by *pgxpool.Pool and *pgx.Conn.
type txBeginner interface {
	BeginTx(ctx context.Context, o pgx.TxOptions) (pgx.Tx, error)
}

// beginner is satisfied by pgx.Tx (a savepoint).
type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// inSnapshot runs fn in a read-only transaction (a savepoint when q already
// is a transaction) so that the introspection queries see one consistent
// state, with JIT compilation off: the catalog queries are estimated
// expensive on large schemas, and compiling them costs more than running
// them. Queriers that cannot open a transaction run fn directly.
func inSnapshot(ctx context.Context, q Querier, fn func(Querier) error) error {
	var tx pgx.Tx
	var err error
	switch b := q.(type) {
	case txBeginner:
		tx, err = b.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	case beginner:
		tx, err = b.Begin(ctx)
	default:
		return fn(q)
	}
	if err != nil {
		return fmt.Errorf("catalog: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return fn(tx)
}
