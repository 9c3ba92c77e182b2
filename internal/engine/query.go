package engine

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/plan"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
)

// jsonbOID is the type OID of jsonb, whose binary form starts with a
// version byte.
const jsonbOID = 3802

// maxSizeHint caps the capacity a response is given from the size of the
// previous one, so one huge answer does not make every later one as large.
const maxSizeHint = 1 << 20

// envelope is the fixed text of a query's response around its values:
// head[i] precedes field i's value, static[i] is the value of a field
// answered without the database, tail[i] the fixed bytes after field i's
// value (what the buffer must still hold once the value is in).
type envelope struct {
	head, static [][]byte
	tail         []int
}

func newEnvelope(pl *plan.Plan) *envelope {
	n := len(pl.Fields)
	env := &envelope{head: make([][]byte, n), static: make([][]byte, n), tail: make([]int, n)}
	quote := func(s string) []byte { q, _ := json.Marshal(s); return q }
	for i, f := range pl.Fields {
		h := []byte(`{"data":{`)
		if i > 0 {
			h = []byte{','}
		}
		h = append(append(h, quote(f.Alias)...), ':')
		env.head[i] = h
		switch {
		case f.Root != nil:
		case f.Typename != "":
			env.static[i] = quote(f.Typename)
		case f.Text != "":
			env.static[i] = quote(f.Text)
		}
	}
	rest := len("}}")
	for i := n - 1; i >= 0; i-- {
		env.tail[i] = rest
		rest += len(env.head[i]) + len(env.static[i])
	}
	return env
}

// respond runs the SQL statements of a query's plan (in one round trip when
// there are several) and returns the response. Each root field's JSON is
// copied once, from the connection's read buffer into the response, which
// is allocated with the size of the plan's previous response. One
// pipelined batch on one connection measured about 2.5 times faster than
// one query per root field run concurrently on the pool
// (BenchmarkExecuteThreeRoots). Identical queries waiting at the same time
// share one execution (coalesce.go) unless Options.NoCoalesce is set.
func (e *Engine) respond(ctx context.Context, p *prepared, s session.Session) ([]byte, error) {
	c := p.c
	args := make([][]any, len(c.stmts))
	jobs := 0
	for i, st := range c.stmts {
		if st == nil {
			continue
		}
		a, err := sqlgen.Args(st.Params, p.vars, s.Vars)
		if err != nil {
			return nil, err
		}
		args[i] = a
		jobs++
	}
	if jobs == 0 || e.o.NoCoalesce {
		return e.execute(ctx, p, args, jobs)
	}
	key, ok := flightKeyFor(c, args)
	if !ok {
		return e.execute(ctx, p, args, jobs)
	}
	return e.flights.do(ctx, key, func(ctx context.Context) ([]byte, error) {
		return e.execute(ctx, p, args, jobs)
	})
}

// execute runs a compiled query with its bound arguments (jobs of them are
// statements) and returns the response.
func (e *Engine) execute(ctx context.Context, p *prepared, args [][]any, jobs int) ([]byte, error) {
	c := p.c
	env := c.env
	if env == nil {
		env = newEnvelope(c.plan)
	}
	var (
		intros [][]byte
		// introErr is the first introspection error in field order,
		// reported once the statements ran (database errors come first).
		introErr error
	)
	for i, f := range c.plan.Fields {
		if f.Root != nil || f.Typename != "" || f.Text != "" || f.Introspect == nil {
			continue
		}
		if intros == nil {
			intros = make([][]byte, len(c.plan.Fields))
		}
		b, err := e.introspect(p, i)
		if err != nil && introErr == nil {
			introErr = err
		}
		intros[i] = b
	}
	// next returns the rows of the next statement, in field order.
	var (
		next   func(i int) (pgx.Rows, error)
		finish = func() error { return nil }
	)
	switch jobs {
	case 0:
	case 1:
		next = func(i int) (pgx.Rows, error) { return e.pool.Query(ctx, c.stmts[i].SQL, args[i]...) }
	default:
		batch := &pgx.Batch{}
		for i, st := range c.stmts {
			if st != nil {
				batch.Queue(st.SQL, args[i]...)
			}
		}
		br := e.pool.SendBatch(ctx, batch)
		closed := false
		finish = func() error {
			if closed {
				return nil
			}
			closed = true
			return br.Close()
		}
		defer func() { _ = finish() }()
		next = func(int) (pgx.Rows, error) { return br.Query() }
	}
	hint := int(c.size.Load())
	if hint <= 0 {
		hint = 512
	}
	out := make([]byte, 0, hint)
	for i, f := range c.plan.Fields {
		out = append(out, env.head[i]...)
		switch {
		case f.Root != nil:
			rows, err := next(i)
			if err != nil {
				return nil, e.dbError(err)
			}
			if out, err = appendJSON(out, rows, env.tail[i]); err != nil {
				return nil, e.dbError(err)
			}
		case env.static[i] != nil:
			out = append(out, env.static[i]...)
		case intros != nil:
			out = append(out, intros[i]...)
		}
	}
	if err := finish(); err != nil {
		return nil, e.dbError(err)
	}
	if introErr != nil {
		return nil, introErr
	}
	out = append(out, "}}"...)
	c.size.Store(int64(min(len(out), maxSizeHint)))
	return out, nil
}

// appendJSON appends the single json value a statement produces ("null"
// when there is no row) to out, making room for reserve more bytes after
// it so that the rest of the response does not move it again.
func appendJSON(out []byte, rows pgx.Rows, reserve int) ([]byte, error) {
	defer rows.Close()
	wrote := false
	if rows.Next() {
		v := rows.RawValues()[0]
		if fd := rows.FieldDescriptions(); len(fd) > 0 && fd[0].DataTypeOID == jsonbOID && fd[0].Format == pgx.BinaryFormatCode && len(v) > 0 {
			v = v[1:]
		}
		if v != nil {
			if need := len(out) + len(v) + reserve; need > cap(out) {
				grown := make([]byte, len(out), need)
				copy(grown, out)
				out = grown
			}
			out = append(out, v...)
			wrote = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !wrote {
		out = append(out, "null"...)
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
