package engine

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
)

// jsonbOID is the type OID of jsonb, whose binary form starts with a
// version byte.
const jsonbOID = 3802

// query runs the SQL statements of a compiled plan (in one round trip when
// there are several) and returns each root field's JSON, parallel to the
// plan's fields. One pipelined batch on one connection measured about 2.5
// times faster than one query per root field run concurrently on the pool
// (BenchmarkExecuteThreeRoots).
func (e *Engine) query(ctx context.Context, c *compiled, vars map[string]any, s session.Session) ([][]byte, error) {
	results := make([][]byte, len(c.stmts))
	type job struct {
		i    int
		sql  string
		args []any
	}
	var jobs []job
	for i, st := range c.stmts {
		if st == nil {
			continue
		}
		args, err := sqlgen.Args(st.Params, vars, s.Vars)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{i: i, sql: st.SQL, args: args})
	}
	switch len(jobs) {
	case 0:
		return results, nil
	case 1:
		rows, err := e.pool.Query(ctx, jobs[0].sql, jobs[0].args...)
		if err != nil {
			return nil, e.dbError(err)
		}
		b, err := readJSON(rows)
		if err != nil {
			return nil, e.dbError(err)
		}
		results[jobs[0].i] = b
		return results, nil
	}
	batch := &pgx.Batch{}
	for _, j := range jobs {
		batch.Queue(j.sql, j.args...)
	}
	br := e.pool.SendBatch(ctx, batch)
	for _, j := range jobs {
		rows, err := br.Query()
		if err != nil {
			_ = br.Close()
			return nil, e.dbError(err)
		}
		b, err := readJSON(rows)
		if err != nil {
			_ = br.Close()
			return nil, e.dbError(err)
		}
		results[j.i] = b
	}
	if err := br.Close(); err != nil {
		return nil, e.dbError(err)
	}
	return results, nil
}

// readJSON returns the raw bytes of the single json value a statement
// produces ("null" when there is no row).
func readJSON(rows pgx.Rows) ([]byte, error) {
	defer rows.Close()
	var out []byte
	if rows.Next() {
		v := rows.RawValues()[0]
		if fd := rows.FieldDescriptions(); len(fd) > 0 && fd[0].DataTypeOID == jsonbOID && fd[0].Format == pgx.BinaryFormatCode && len(v) > 0 {
			v = v[1:]
		}
		if v != nil {
			out = append(make([]byte, 0, len(v)), v...)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		out = []byte("null")
	}
	return out, nil
}

// dbError turns a database error into a client-visible error.
func (e *Engine) dbError(err error) error {
	if ae := apierr.As(err); ae != nil {
		return &execError{ae}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &execError{apierr.New(apierr.Unexpected, "the request was cancelled").Wrap(err)}
	}
	if e.o.MapError != nil {
		return &execError{e.o.MapError(err)}
	}
	return &execError{apierr.Internalf("database query error: %w", err)}
}
