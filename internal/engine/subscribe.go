package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/plan"
	"github.com/postgate/postgate/internal/schema"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
	"github.com/vektah/gqlparser/v2/ast"
)

// ErrNotSubscription is returned by Subscribe when the request is a query or
// a mutation; run those with Execute.
var ErrNotSubscription = errors.New("the operation is not a subscription")

// LiveQuery is a subscription operation compiled for polling: one
// multiplexed statement per root field, each serving a whole cohort of
// subscribers at once. It is shared by every subscriber with the same Key.
type LiveQuery struct {
	gen   uint64
	c     *compiled
	alias []string
}

// Generation is the metadata generation the live query was planned
// against; see Engine.Generation.
func (q *LiveQuery) Generation() uint64 { return q.gen }

// Live is one subscriber's live query: the shared LiveQuery, the cohort key
// and the subscriber's own arguments (its variables and session).
type Live struct {
	// Key identifies the cohort: the metadata generation, role, query text,
	// operation name and the variable values that shaped the plan.
	// Subscribers with equal keys can be polled by one statement.
	Key string
	// Query is what every poll of the cohort runs.
	Query *LiveQuery
	// Args holds this subscriber's arguments, one list per statement.
	Args [][]any
	// OperationName is the requested operation's name, for logs.
	OperationName string

	// vars are the request's decoded variables.
	vars map[string]any
	// stream is set for a streaming subscription.
	stream *stream
}

// Generation returns the current metadata generation; it changes whenever
// the metadata does.
func (e *Engine) Generation() uint64 { return e.state.Load().gen }

// Subscribe validates and plans a subscription request body for session s.
// It returns ErrNotSubscription when the operation is a query or mutation,
// and otherwise a GraphQL error (*apierr.Error) for anything Hasura reports
// before execution: parse and validation errors, bad variables, missing
// session variables.
func (e *Engine) Subscribe(s session.Session, body []byte) (live *Live, err error) {
	defer func() {
		if v := recover(); v != nil {
			e.o.Logger.Error("subscription planning panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			live, err = nil, apierr.From(fmt.Errorf("panic: %v", v))
		}
	}()
	if len(body) > e.o.MaxBodyBytes {
		return nil, apierr.From(apierr.ErrBodyTooLarge)
	}
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '[' {
		return nil, apierr.New(apierr.BadRequest, "a batch of operations cannot be sent over WebSocket")
	}
	var r request
	if err := decodeRequest(body, &r); err != nil {
		return nil, err
	}
	return e.subscribe(s, &r, true)
}

// subscribe is Subscribe on a decoded request; streaming subscriptions are
// rewritten (see streamRequest) when stream is set.
func (e *Engine) subscribe(s session.Session, r *request, streams bool) (*Live, error) {
	st := e.state.Load()
	rl, err := st.role(s.Role)
	if err != nil {
		return nil, err
	}
	key := cacheKey{gen: st.gen, role: s.Role, query: r.Query, op: r.OperationName}
	ent := e.cache.get(key)
	if ent == nil {
		ent = e.parse(rl.schema, key)
		ent = e.cache.put(ent)
	}
	if ent.err != nil {
		return nil, ent.err
	}
	if ent.op.Operation != ast.Subscription {
		return nil, ErrNotSubscription
	}
	vars, err := e.variables(rl.schema, ent, r.Variables)
	if err != nil {
		return nil, err
	}
	if streams {
		nr, alias, ok, err := streamRequest(rl.schema, ent.op, r, vars)
		if err != nil {
			return nil, err
		}
		if ok {
			live, err := e.subscribe(s, nr, false)
			if err != nil {
				return nil, err
			}
			live.stream = &stream{alias: alias, vars: live.vars, sess: s.Vars}
			return live, nil
		}
	}
	c := ent.find(r.Variables)
	if c == nil {
		if c, err = e.compileLive(st, rl, ent, r.Variables); err != nil {
			return nil, err
		}
		ent.add(c)
	} else {
		e.stats.hits.Add(1)
	}
	if err := runChecks(c.plan, vars); err != nil {
		return nil, err
	}
	if err := checkSession(c, s); err != nil {
		return nil, err
	}
	args := make([][]any, len(c.stmts))
	for i, stmt := range c.stmts {
		if stmt == nil {
			continue
		}
		if args[i], err = sqlgen.Args(stmt.Params, vars, s.Vars); err != nil {
			return nil, err
		}
	}
	q := &LiveQuery{gen: st.gen, c: c}
	for _, f := range c.plan.Fields {
		q.alias = append(q.alias, f.Alias)
	}
	return &Live{Key: liveKey(key, c.plan), Query: q, Args: args, OperationName: r.OperationName, vars: vars}, nil
}

// compileLive plans a subscription operation and compiles each root field
// as a cohort statement. The statements are kept in the cached entry like a
// query's, so later subscribers with the same shape reuse them.
func (e *Engine) compileLive(st *state, rl *role, ent *entry, vars map[string]json.RawMessage) (*compiled, error) {
	e.stats.plans.Add(1)
	pl, err := plan.Build(&plan.Input{
		Schema: rl.schema,
		Op:     ent.op,
		Vars:   vars,
		Filter: func(t *schema.Table) (ir.BoolExp, error) { return st.filter(rl, t) },
		Visible: func(t *schema.Table, name string, computed bool) (ir.BoolExp, error) {
			return st.visible(rl, t, name, computed)
		},
		Options: plan.Options{StringifyNumeric: e.o.StringifyNumeric},
	})
	if err != nil {
		return nil, err
	}
	c := &compiled{plan: pl, stmts: make([]*sqlgen.Statement, len(pl.Fields))}
	for i, f := range pl.Fields {
		if f.Introspect != nil {
			return nil, apierr.New(apierr.ValidationFailed, "introspection is not supported in subscriptions").WithPath(f.Path)
		}
		if f.Root == nil {
			continue
		}
		co, err := sqlgen.QueryCohort(f.Root)
		if err != nil {
			return nil, apierr.Internalf("compile %s: %w", f.Alias, err)
		}
		c.stmts[i] = &sqlgen.Statement{SQL: co.SQL, Params: co.Params}
	}
	c.session = sessionVars(c.stmts)
	return c, nil
}

// liveKey names a cohort: subscribers whose requests share the query
// document, role, generation and plan shape.
func liveKey(k cacheKey, p *plan.Plan) string {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], k.gen)
	h.Write(n[:])
	for _, s := range []string{k.role, k.op, k.query} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	shape, _ := json.Marshal(struct {
		Shape   []plan.ShapeVar
		Present []string
	}{p.Shape, p.Present})
	h.Write(shape)
	return hex.EncodeToString(h.Sum(nil))
}

// Poll runs live query q once for a cohort of subscribers: ids[i] names
// subscriber i and args[i] is its Live.Args. It returns each subscriber's
// response body ({"data":{...}}) by id. An error (*apierr.Error) concerns
// the whole cohort.
func (e *Engine) Poll(ctx context.Context, q *LiveQuery, ids []string, args [][][]any) (out map[string][]byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			e.o.Logger.Error("live query poll panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			out, err = nil, apierr.From(fmt.Errorf("panic: %v", v))
		}
	}()
	if len(ids) != len(args) {
		return nil, apierr.Internalf("poll: %d subscribers with %d argument lists", len(ids), len(args))
	}
	c := q.c
	// values[field][id] is the root field's JSON for one subscriber.
	values := make([]map[string][]byte, len(c.stmts))
	batch := &pgx.Batch{}
	var fields []int
	for i, st := range c.stmts {
		if st == nil {
			continue
		}
		per := make([][]any, len(ids))
		for j := range ids {
			if i >= len(args[j]) {
				return nil, apierr.Internalf("poll: subscriber %s lacks arguments", ids[j])
			}
			per[j] = args[j][i]
		}
		batch.Queue(st.SQL, sqlgen.CohortArgs(ids, per)...)
		fields = append(fields, i)
	}
	if len(fields) > 0 {
		br := e.pool.SendBatch(ctx, batch)
		for _, i := range fields {
			rows, err := br.Query()
			if err != nil {
				_ = br.Close()
				return nil, e.liveError(err)
			}
			if values[i], err = readCohort(rows, len(ids)); err != nil {
				_ = br.Close()
				return nil, e.liveError(err)
			}
		}
		if err := br.Close(); err != nil {
			return nil, e.liveError(err)
		}
	}
	out = make(map[string][]byte, len(ids))
	for _, id := range ids {
		var b bytes.Buffer
		b.WriteString(`{"data":{`)
		for i, f := range c.plan.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(&b, q.alias[i])
			b.WriteByte(':')
			switch {
			case f.Root != nil:
				v := values[i][id]
				if v == nil {
					v = []byte("null")
				}
				b.Write(v)
			case f.Typename != "":
				writeString(&b, f.Typename)
			case f.Text != "":
				writeString(&b, f.Text)
			default:
				b.WriteString("null")
			}
		}
		b.WriteString("}}")
		out[id] = b.Bytes()
	}
	return out, nil
}

// liveError is dbError without the execution marker: a poll's error is
// reported as the subscription's result.
func (e *Engine) liveError(err error) error {
	var xe *execError
	if errors.As(e.dbError(err), &xe) {
		return apierr.From(xe.err)
	}
	return apierr.From(err)
}

// readCohort reads a cohort statement's (id, root) rows.
func readCohort(rows pgx.Rows, n int) (map[string][]byte, error) {
	defer rows.Close()
	out := make(map[string][]byte, n)
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) < 2 || raw[0] == nil {
			continue
		}
		v := raw[1]
		if fd := rows.FieldDescriptions(); len(fd) > 1 && fd[1].DataTypeOID == jsonbOID && fd[1].Format == pgx.BinaryFormatCode && len(v) > 0 {
			v = v[1:]
		}
		if v != nil {
			v = append(make([]byte, 0, len(v)), v...)
		}
		out[string(raw[0])] = v
	}
	return out, rows.Err()
}
