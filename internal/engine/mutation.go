package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/pg"
	"github.com/postgate/postgate/internal/plan"
	"github.com/postgate/postgate/internal/schema"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
)

// mutationStep is one compiled statement of a mutation root field.
type mutationStep struct {
	field int
	stmt  sqlgen.Statement
}

// compileMutation returns the plan and statements of a mutation request,
// from the cache entry when one serves its variables; mutation plans are
// cached like query plans (per role, backend-only flag, query text and
// shape-deciding variable values).
func (e *Engine) compileMutation(st *state, rl *role, ent *entry, r *request) (*compiled, error) {
	if c := ent.find(r.Variables); c != nil {
		e.stats.hits.Add(1)
		return c, nil
	}
	e.stats.plans.Add(1)
	var lookup func(catalog.QName) *schema.Table
	if admin, err := st.role(schema.AdminRole); err == nil {
		lookup = func(q catalog.QName) *schema.Table { return admin.schema.Tables[q] }
	}
	mp, err := plan.Mutation(&plan.MutationInput{
		Input:  e.planInput(st, rl, ent, r),
		Rule:   func(t *schema.Table, raw metadata.BoolExp) (ir.BoolExp, error) { return st.mutationRule(t, raw) },
		Lookup: lookup,
	})
	if err != nil {
		return nil, err
	}
	c := &compiled{plan: &plan.Plan{Shape: mp.Shape, Present: mp.Present, Checks: mp.Checks}, mut: mp}
	for i := range mp.Fields {
		f := &mp.Fields[i]
		if f.Root == nil {
			continue
		}
		stmts, err := sqlgen.MutationSteps(f.Root)
		if err != nil {
			return nil, apierr.Internalf("compile %s: %w", f.Alias, err)
		}
		for _, stmt := range stmts {
			c.steps = append(c.steps, mutationStep{field: i, stmt: stmt})
		}
	}
	ent.add(c)
	return c, nil
}

// mutate runs a mutation operation: every root field in order, in one
// transaction whose session variables are visible to triggers
// (current_setting('hasura.user')). A failed permission check or a
// database error rolls the whole operation back.
func (e *Engine) mutate(ctx context.Context, s session.Session, r *request, p *prepared) ([]byte, error) {
	mp := p.c.mut
	if err := runChecks(p.c.plan, p.vars); err != nil {
		return nil, err
	}
	// Bind everything before the transaction starts, so that a request
	// error never opens one.
	type bound struct {
		mutationStep
		args []any
	}
	steps := make([]bound, 0, len(p.c.steps))
	for _, st := range p.c.steps {
		args, err := sqlgen.Args(st.stmt.Params, p.vars, s.Vars)
		if err != nil {
			return nil, err
		}
		steps = append(steps, bound{st, args})
	}
	if e.queryLog {
		gen := map[string]logging.SQL{}
		for _, b := range steps {
			alias := mp.Fields[b.field].Alias
			if _, dup := gen[alias]; dup {
				alias = fmt.Sprintf("%s.%d", alias, len(gen))
			}
			gen[alias] = logging.SQL{Query: b.stmt.SQL, PreparedArguments: b.args}
		}
		q, _ := json.Marshal(map[string]any{"query": r.Query, "variables": r.Variables, "operationName": r.OperationName})
		id := ""
		if e.o.RequestID != nil {
			id = e.o.RequestID(ctx)
		}
		logging.QueryLog(ctx, e.o.Logger, logging.Query{RequestID: id, Query: q, GeneratedSQL: gen})
	}
	results := make([][][]byte, len(mp.Fields))
	if len(steps) > 0 {
		err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			if err := pg.SetSession(ctx, tx, s); err != nil {
				return err
			}
			for _, b := range steps {
				f := &mp.Fields[b.field]
				res, ok, err := runMutationStep(ctx, tx, b.stmt.SQL, b.args)
				if err != nil {
					return mutationError(err, f, b.stmt.SQL, b.args)
				}
				if ok == nil {
					return apierr.New(apierr.NotSupported, zeroRowsMessage(f.Root.Insert)).WithPath(f.ErrorPath)
				}
				if !*ok {
					return apierr.New(apierr.PermissionError, f.CheckMessage()).WithPath(f.ErrorPath)
				}
				results[b.field] = append(results[b.field], res)
			}
			return nil
		})
		if err != nil {
			if ae := apierr.As(err); ae != nil {
				return nil, ae
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, apierr.New(apierr.Unexpected, "the request was cancelled").Wrap(err)
			}
			return nil, pg.MapError(err)
		}
	}
	var out bytes.Buffer
	out.WriteString(`{"data":{`)
	for i, f := range mp.Fields {
		if i > 0 {
			out.WriteByte(',')
		}
		writeString(&out, f.Alias)
		out.WriteByte(':')
		switch {
		case f.Root == nil:
			writeString(&out, f.Typename)
		case f.Root.Updates != nil:
			out.WriteByte('[')
			for j, r := range results[i] {
				if j > 0 {
					out.WriteByte(',')
				}
				out.Write(r)
			}
			out.WriteByte(']')
		case len(results[i]) == 1:
			out.Write(results[i][0])
		default:
			out.WriteString("null")
		}
	}
	out.WriteString("}}")
	return out.Bytes(), nil
}

// runMutationStep runs one mutation statement and returns its JSON result
// and whether every permission check held (nil when a nested insert
// depended on a row an upsert did not write).
func runMutationStep(ctx context.Context, tx pgx.Tx, sql string, args []any) ([]byte, *bool, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var res []byte
	t := true
	ok := &t
	if rows.Next() {
		if err := rows.Scan(&res, &ok); err != nil {
			return nil, nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if res == nil {
		res = []byte("null")
	}
	return res, ok, nil
}

// zeroRowsMessage is Hasura's error for nested inserts under an upsert
// that wrote no row: the first such upsert of ins, in insertion order.
func zeroRowsMessage(ins *ir.Insert) string {
	var find func(*ir.Insert) string
	find = func(ins *ir.Insert) string {
		for _, n := range ins.Nested {
			if !n.Object || n.Insert == nil {
				continue
			}
			if n.Insert.OnConflict != nil {
				return "cannot proceed to insert object relation since insert to table " + quotedTable(n.Insert.Table) + " affects zero rows"
			}
			if m := find(n.Insert); m != "" {
				return m
			}
		}
		for _, n := range ins.Nested {
			if n.Object || n.Insert == nil {
				continue
			}
			if ins.OnConflict != nil {
				return "cannot proceed to insert array relations since insert to table " + quotedTable(ins.Table) + " affects zero rows"
			}
			if m := find(n.Insert); m != "" {
				return m
			}
		}
		return ""
	}
	if ins != nil {
		if m := find(ins); m != "" {
			return m
		}
	}
	return "cannot proceed to insert relations since an insert affects zero rows"
}

// quotedTable names a table as Hasura does in messages: "author", or
// "schema.author" outside public.
func quotedTable(t ir.Table) string {
	if t.Schema == "" || t.Schema == "public" {
		return `"` + t.Name + `"`
	}
	return `"` + t.Schema + "." + t.Name + `"`
}

// mutationError maps a database error of field f's statement to Hasura's
// error, reported at the field's error path.
func mutationError(err error, f *plan.MutationField, sql string, args []any) error {
	if ae := apierr.As(err); ae != nil {
		return ae
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apierr.New(apierr.Unexpected, "the request was cancelled").Wrap(err)
	}
	mapped := pg.MapErrorFor(err, pg.Statement{SQL: sql, Args: args, Prepared: true})
	ae := apierr.As(mapped)
	if ae == nil {
		return apierr.Internalf("database query error: %w", err)
	}
	cp := *ae
	if cp.Code != apierr.Unexpected && cp.Code != apierr.PostgresError {
		cp.Path = f.ErrorPath
	}
	return &cp
}

// mutationRule parses a permission rule (insert check, update filter or
// check, delete filter) of table t against the admin view of the tables.
func (s *state) mutationRule(t *schema.Table, raw metadata.BoolExp) (ir.BoolExp, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return nil, nil
	}
	admin, err := s.role(schema.AdminRole)
	if err != nil {
		return nil, err
	}
	full := admin.schema.Tables[t.Name]
	if full == nil {
		full = t
	}
	return perm.Filter(full, raw, func(q catalog.QName) *schema.Table { return admin.schema.Tables[q] })
}
