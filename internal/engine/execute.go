package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/optype"
	"github.com/postgate/postgate/internal/plan"
	"github.com/postgate/postgate/internal/schema"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// Execute answers a GraphQL request body (one request or a JSON array of
// them) for session s. It returns the HTTP status and the JSON response.
// Errors follow Hasura: HTTP 200 with {"errors": [...]}, or the error's own
// status when legacy is set (/v1alpha1/graphql). The type of each
// operation is recorded in ctx's optype.Recorder, if any: one per response,
// in order ("" for a body or document whose operation is unknown).
func (e *Engine) Execute(ctx context.Context, s session.Session, body []byte, legacy bool) (int, []byte) {
	if len(body) > e.o.MaxBodyBytes {
		optype.Record(ctx, "")
		return e.fail(apierr.From(apierr.ErrBodyTooLarge), legacy, s)
	}
	reqs, batch, err := decodeRequests(body, e.o.MaxBatch)
	if err != nil {
		optype.Record(ctx, "")
		return e.fail(err, legacy, s)
	}
	if !batch {
		return e.one(ctx, s, &reqs[0], legacy)
	}
	var out bytes.Buffer
	out.WriteByte('[')
	for i := range reqs {
		if i > 0 {
			out.WriteByte(',')
		}
		_, b := e.one(ctx, s, &reqs[i], legacy)
		out.Write(b)
	}
	out.WriteByte(']')
	return http.StatusOK, out.Bytes()
}

func (e *Engine) one(ctx context.Context, s session.Session, r *request, legacy bool) (status int, resp []byte) {
	var op ast.Operation // set by run once the operation is selected
	defer func() {
		// A bug must cost one request, not the server.
		if v := recover(); v != nil {
			e.o.Logger.Error("graphql request panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			status, resp = e.fail(apierr.From(fmt.Errorf("panic: %v", v)), legacy, s)
		}
		optype.Record(ctx, string(op))
	}()
	b, err := e.run(ctx, s, r, &op)
	if err != nil {
		return e.fail(err, legacy, s)
	}
	return http.StatusOK, b
}

// fail writes err as a GraphQL error response for session s.
func (e *Engine) fail(err error, legacy bool, s session.Session) (int, []byte) {
	ae := apierr.From(err)
	if ae.Status >= 500 {
		e.o.Logger.Error("graphql request failed", "code", ae.Code, "error", err)
	}
	status := http.StatusOK
	if legacy {
		status = ae.Status
	}
	o := apierr.Options{DevMode: e.o.DevMode || (e.o.AdminInternalErrors && s.IsAdmin())}
	var xe *execError
	if errors.As(err, &xe) {
		// Errors raised while the statements ran come with "data": null.
		var b bytes.Buffer
		b.WriteString(`{"data":null,"errors":[`)
		b.Write(apierr.GraphQLError(ae, o))
		b.WriteString("]}")
		return status, b.Bytes()
	}
	return status, apierr.GraphQLBody(ae, o)
}

// execError marks an error raised while running a plan's statements.
type execError struct{ err error }

func (e *execError) Error() string { return e.err.Error() }
func (e *execError) Unwrap() error { return e.err }

// prepared is what run needs from the cache for one request.
type prepared struct {
	schema *schema.Schema
	op     *ast.OperationDefinition
	c      *compiled
	vars   map[string]any
}

// prepare finds or builds the validated operation and the compiled plan
// for r. On an error, p is nil or its op is the operation r selects (nil
// when it selects none; the rest is not to be used), for the error to be
// reported under its type.
func (e *Engine) prepare(s session.Session, r *request) (*prepared, error) {
	st := e.state.Load()
	rk := st.roleKey(s.Role, s.BackendOnly)
	rl, err := st.roleFor(rk.name, rk.backendOnly)
	if err != nil {
		return nil, err
	}
	key := cacheKey{gen: st.gen, role: s.Role, backendOnly: rk.backendOnly, query: r.Query, op: r.OperationName}
	ent := e.cache.get(key)
	if ent == nil {
		ent = e.parse(rl.schema, key)
		ent = e.cache.put(ent)
	}
	p := &prepared{schema: rl.schema, op: ent.op}
	if ent.err != nil {
		return p, ent.err
	}
	vars, err := e.variables(rl.schema, ent, r.Variables)
	if err != nil {
		return p, err
	}
	p.vars = vars
	switch ent.op.Operation {
	case ast.Query:
	case ast.Mutation:
		if p.c, err = e.compileMutation(st, rl, ent, r); err != nil {
			return p, err
		}
		return p, nil
	default:
		return p, nil
	}
	if c := ent.find(r.Variables); c != nil {
		e.stats.hits.Add(1)
		p.c = c
		return p, nil
	}
	e.stats.plans.Add(1)
	in := e.planInput(st, rl, ent, r)
	pl, err := plan.Build(&in)
	if err != nil {
		return p, err
	}
	c := &compiled{plan: pl, stmts: make([]*sqlgen.Statement, len(pl.Fields))}
	for i, f := range pl.Fields {
		if f.Root == nil {
			continue
		}
		stmt, err := sqlgen.Query(f.Root)
		if err != nil {
			return p, apierr.Internalf("compile %s: %w", f.Alias, err)
		}
		c.stmts[i] = &stmt
	}
	c.session = sessionVars(c.stmts)
	c.env = newEnvelope(pl)
	ent.add(c)
	p.c = c
	return p, nil
}

// planInput is what the planners need to plan operation ent of request r
// for role rl: its schema and the role's permissions in state st.
func (e *Engine) planInput(st *state, rl *role, ent *entry, r *request) plan.Input {
	return plan.Input{
		Schema: rl.schema,
		Op:     ent.op,
		Vars:   r.Variables,
		Filter: func(t *schema.Table) (ir.BoolExp, error) { return st.filter(rl, t) },
		Visible: func(t *schema.Table, name string, computed bool) (ir.BoolExp, error) {
			return st.visible(rl, t, name, computed)
		},
		Options: plan.Options{StringifyNumeric: e.o.StringifyNumeric},
	}
}

// parse parses and validates a query document and picks its operation.
func (e *Engine) parse(sc *schema.Schema, key cacheKey) *entry {
	e.stats.parses.Add(1)
	ent := &entry{key: key}
	if err := checkNesting(key.query, maxNesting(e.o.MaxDepth)); err != nil {
		ent.err = err
		return ent
	}
	doc, perr := parseQuery(key.query)
	if perr != nil {
		ent.err = perr
		return ent
	}
	// The operation is selected before the document is checked so that,
	// as in Hasura's metrics, a rejected document's error is reported
	// under its operation's type; the document's errors come first.
	op, err := selectOperation(doc, key.op)
	if lerr := checkLimits(doc, e.o.MaxDepth, e.o.MaxFields); lerr != nil {
		ent.op, ent.err = typeOnly(op), lerr
		return ent
	}
	if errs := validator.ValidateWithRules(sc.AST, doc, validationRules()); len(errs) > 0 {
		ent.op, ent.err = typeOnly(op), validationError(doc, firstError(errs))
		return ent
	}
	if err != nil {
		ent.err = err
		return ent
	}
	ent.op = op
	ent.used = usedVariables(doc, op)
	return ent
}

// usedVariables lists the variables an operation refers to, through its
// fragments too. Hasura rejects values for any other variable.
func usedVariables(doc *ast.QueryDocument, op *ast.OperationDefinition) map[string]bool {
	used := map[string]bool{}
	seen := map[string]bool{}
	var value func(v *ast.Value)
	value = func(v *ast.Value) {
		if v == nil {
			return
		}
		if v.Kind == ast.Variable {
			used[v.Raw] = true
		}
		for _, c := range v.Children {
			value(c.Value)
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				value(a.Value)
			}
		}
	}
	var set func(ast.SelectionSet)
	set = func(ss ast.SelectionSet) {
		for _, s := range ss {
			switch x := s.(type) {
			case *ast.Field:
				directives(x.Directives)
				for _, a := range x.Arguments {
					value(a.Value)
				}
				set(x.SelectionSet)
			case *ast.InlineFragment:
				directives(x.Directives)
				set(x.SelectionSet)
			case *ast.FragmentSpread:
				directives(x.Directives)
				if !seen[x.Name] {
					seen[x.Name] = true
					if f := doc.Fragments.ForName(x.Name); f != nil {
						set(f.SelectionSet)
					}
				}
			}
		}
	}
	directives(op.Directives)
	set(op.SelectionSet)
	return used
}

// typeOnly returns an operation holding only op's type, for the entry of a
// rejected document (which is not kept), or nil when op is nil.
func typeOnly(op *ast.OperationDefinition) *ast.OperationDefinition {
	if op == nil {
		return nil
	}
	return &ast.OperationDefinition{Operation: op.Operation}
}

func selectOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		op := doc.Operations.ForName(name)
		if op == nil {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("no such operation found in the document: %q", name))
		}
		return op, nil
	}
	switch len(doc.Operations) {
	case 0:
		return nil, apierr.New(apierr.ValidationFailed, "no operation found in the document")
	case 1:
		return doc.Operations[0], nil
	}
	return nil, apierr.New(apierr.ValidationFailed, "exactly one operation has to be present in the document when operationName is not specified")
}

// variables checks the request's variables against the operation's
// definitions and decodes them for binding.
func (e *Engine) variables(sc *schema.Schema, ent *entry, raw map[string]json.RawMessage) (map[string]any, error) {
	op := ent.op
	var unexpected []string
	for k := range raw {
		if !ent.used[k] {
			unexpected = append(unexpected, k)
		}
	}
	if len(unexpected) > 0 {
		sort.Strings(unexpected)
		return nil, apierr.New(apierr.ValidationFailed, "unexpected variables in variableValues: "+strings.Join(unexpected, ", "))
	}
	vars, err := decodeVars(raw)
	if err != nil {
		return nil, err
	}
	// Null for a non-null variable is reported where the variable is used
	// (Hasura's "unexpected null value"), so it is left out of coercion.
	check := op.VariableDefinitions
	for _, d := range op.VariableDefinitions {
		if !d.Type.NonNull {
			continue
		}
		v, ok := vars[d.Variable]
		switch {
		case d.DefaultValue != nil && ok && v == nil:
			// Hasura lets null stand for "use the default" here.
			delete(vars, d.Variable)
			delete(raw, d.Variable)
		case d.DefaultValue == nil && !ok:
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("expecting a value for non-nullable variable: %q", d.Variable)).WithPath("$.variableValues")
		case d.DefaultValue == nil && v == nil:
			check = withoutVariable(check, d.Variable)
		}
	}
	// List input coercion: a single value given for a list variable is a
	// list of one.
	for _, d := range op.VariableDefinitions {
		if v, ok := vars[d.Variable]; ok && d.Type.Elem != nil && v != nil {
			if _, isList := v.([]any); !isList {
				vars[d.Variable] = []any{v}
			}
		}
	}
	if len(check) > 0 {
		vop := op
		if len(check) != len(op.VariableDefinitions) {
			cp := *op
			cp.VariableDefinitions = check
			vop = &cp
		}
		if _, err := validator.VariableValues(sc.AST, vop, vars); err != nil {
			return nil, variableError(sc.AST, vop, err)
		}
	}
	return vars, nil
}

func withoutVariable(defs ast.VariableDefinitionList, name string) ast.VariableDefinitionList {
	out := make(ast.VariableDefinitionList, 0, len(defs))
	for _, d := range defs {
		if d.Variable != name {
			out = append(out, d)
		}
	}
	return out
}

// run executes one request; it sets *op to the type of the operation it
// selects.
func (e *Engine) run(ctx context.Context, s session.Session, r *request, op *ast.Operation) ([]byte, error) {
	p, err := e.prepare(s, r)
	if p != nil && p.op != nil {
		*op = p.op.Operation
	}
	if err != nil {
		return nil, err
	}
	switch p.op.Operation {
	case ast.Mutation:
		return e.mutate(ctx, s, r, p)
	case ast.Subscription:
		return nil, apierr.New(apierr.NotSupported, "subscriptions are not supported over HTTP; use the WebSocket protocol")
	}
	if err := runChecks(p.c.plan, p.vars); err != nil {
		return nil, err
	}
	if err := checkSession(p.c, s); err != nil {
		return nil, err
	}
	if e.queryLog {
		e.logQuery(ctx, r, p, s)
	}
	return e.respond(ctx, p, s)
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// valueAt returns the value at path inside a decoded variable value.
func valueAt(v any, path []any) (any, bool) {
	for _, step := range path {
		switch x := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[x]; !ok {
				return nil, false
			}
		case int:
			l, ok := v.([]any)
			if !ok || x < 0 || x >= len(l) {
				return nil, false
			}
			v = l[x]
		default:
			return nil, false
		}
	}
	return v, true
}

// checkSession reports the first session variable the plan reads that the
// session lacks, as Hasura does.
func checkSession(c *compiled, s session.Session) error {
	for _, name := range c.session {
		if _, ok := s.Get(name); !ok {
			return apierr.New(apierr.NotFound, fmt.Sprintf("missing session variable: %q", name))
		}
	}
	return nil
}

// runChecks applies the plan's constraints on scalar variable values.
func runChecks(p *plan.Plan, vars map[string]any) error {
	for _, c := range p.Checks {
		v, ok := vars[c.Name]
		if ok && len(c.VarPath) > 0 {
			v, ok = valueAt(v, c.VarPath)
		}
		switch c.Kind {
		case plan.NotNull:
			if (ok && v == nil) || (!ok && !c.HasDefault) {
				return apierr.New(apierr.ValidationFailed, fmt.Sprintf("unexpected null value for type '%s'", c.Scalar)).WithPath(c.Path)
			}
		case plan.NonNegative:
			if n, isNum := v.(json.Number); isNum && strings.HasPrefix(string(n), "-") {
				return apierr.New(apierr.NotSupported, "unexpected negative value").WithPath(c.Path)
			}
		}
	}
	return nil
}
