// Package perm turns Hasura boolean expressions into IR filters: permission
// rules from metadata (database names, session variables such as
// X-Hasura-User-Id) and GraphQL where arguments (GraphQL field names,
// variables). It also resolves column presets. It never writes SQL.
package perm

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/schema"
	"github.com/postgate/postgate/internal/session"
)

// Env says how to read a boolean expression.
type Env struct {
	// GraphQL is true for where arguments: keys are GraphQL field names and
	// strings are plain values. When false (permission rules) keys are
	// database names and x-hasura-* strings are session variables.
	GraphQL bool
	// Lookup returns a table by name, for _exists and, in permission rules,
	// relationship targets. The table must describe every column and
	// relationship (the admin view).
	Lookup func(catalog.QName) *schema.Table
	// RelFilter returns the permission filter of a related table, ANDed
	// into filters through relationships (GraphQL mode). Nil means none.
	RelFilter func(*schema.Table) (ir.BoolExp, error)
	// Resolve returns the value of a variable used where the expression
	// needs a concrete input (an object, a list, a flag).
	Resolve func(Var) (any, error)
	// Leaf turns a variable used as a scalar value of Postgres type typ
	// into an IR value (normally an ir.Variable).
	Leaf func(v Var, typ, path string) (ir.Value, error)
	// Visible returns the condition under which the role sees column (or
	// scalar computed field) name of t, nil when always (GraphQL mode;
	// optional). A comparison on a column the role sees only on some rows
	// compares null on the others, as Hasura does for inherited roles.
	Visible func(t *schema.Table, name string, computed bool) (ir.BoolExp, error)
}

// Filter parses a permission rule (metadata JSON) on table t, which must be
// the admin view of the table. Lookup resolves other tables by name.
func Filter(t *schema.Table, raw json.RawMessage, lookup func(catalog.QName) *schema.Table) (ir.BoolExp, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	tree, err := DecodeJSON(raw)
	if err != nil {
		return nil, apierr.New(apierr.ParseFailed, "invalid boolean expression: "+err.Error())
	}
	e := &Env{Lookup: lookup}
	b, err := e.BoolExp(t, tree, "$")
	if err != nil {
		return nil, err
	}
	return Simplify(b), nil
}

// BoolExp parses expression v on table t; path is the JSON path of v for
// error messages.
func (e *Env) BoolExp(t *schema.Table, v any, path string) (ir.BoolExp, error) {
	obj, err := e.object(v, path)
	if err != nil {
		return nil, err
	}
	var and ir.And
	for _, m := range obj {
		p := path + "." + m.Name
		b, err := e.member(t, m, p)
		if err != nil {
			return nil, err
		}
		if b != nil {
			and = append(and, b)
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func (e *Env) object(v any, path string) (Object, error) {
	if x, ok := v.(Var); ok {
		r, err := e.resolve(x, path)
		if err != nil {
			return nil, err
		}
		v = r
	}
	switch x := v.(type) {
	case Object:
		return x, nil
	case map[string]any:
		return objectFromMap(x), nil
	case nil:
		return Object{}, nil
	}
	return nil, validation(path, "expecting an object for boolean expression")
}

func objectFromMap(m map[string]any) Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := make(Object, len(keys))
	for i, k := range keys {
		o[i] = Member{Name: k, Value: m[k]}
	}
	return o
}

func (e *Env) list(v any, path string) ([]any, error) {
	if x, ok := v.(Var); ok {
		r, err := e.resolve(x, path)
		if err != nil {
			return nil, err
		}
		v = r
	}
	switch x := v.(type) {
	case []any:
		return x, nil
	case nil:
		return nil, nil
	}
	// GraphQL input coercion: a single value where a list is expected.
	return []any{v}, nil
}

func (e *Env) resolve(v Var, path string) (any, error) {
	if e.Resolve == nil {
		return nil, validation(path, "variables are not allowed here")
	}
	return e.Resolve(v)
}

func (e *Env) member(t *schema.Table, m Member, path string) (ir.BoolExp, error) {
	switch m.Name {
	case "_and", "$and", "_or", "$or":
		items, err := e.list(m.Value, path)
		if err != nil {
			return nil, err
		}
		var out []ir.BoolExp
		for i, it := range items {
			b, err := e.BoolExp(t, it, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		if m.Name == "_and" || m.Name == "$and" {
			return ir.And(out), nil
		}
		return ir.Or(out), nil
	case "_not", "$not":
		b, err := e.BoolExp(t, m.Value, path)
		if err != nil {
			return nil, err
		}
		return ir.Not{Exp: b}, nil
	case "_exists", "$exists":
		return e.exists(m.Value, path)
	}
	f := e.field(t, m.Name)
	if f == nil {
		return nil, validation(path, fmt.Sprintf("field %q not found in type: '%s_bool_exp'", m.Name, t.GQLName))
	}
	switch f.Kind {
	case schema.FieldColumn:
		left := ir.ColumnOp{Name: f.Column.Name, Type: f.Column.Type.Name}
		vis, err := e.visible(t, f.Column.Name, false)
		if err != nil {
			return nil, err
		}
		left.Visible = vis
		return e.comparison(left, f.Column.Type, m.Value, path)
	case schema.FieldComputedScalar:
		left := ComputedOp(f.Computed, nil)
		vis, err := e.visible(t, f.Computed.Name, true)
		if err != nil {
			return nil, err
		}
		left.Visible = vis
		return e.comparison(left, f.Computed.ReturnType, m.Value, path)
	case schema.FieldObjectRel, schema.FieldArrayRel:
		target, err := e.target(f.Rel, path)
		if err != nil {
			return nil, err
		}
		w, err := e.BoolExp(target, m.Value, path)
		if err != nil {
			return nil, err
		}
		if w, err = e.withRelFilter(target, w); err != nil {
			return nil, err
		}
		return ir.RelExists{Rel: f.Rel.IR(), Where: w}, nil
	case schema.FieldArrayAggregate:
		return e.aggregatePredicate(f.Rel, m.Value, path)
	case schema.FieldComputedSet:
		return e.computedExists(f.Computed, m.Value, path)
	}
	return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("field %q cannot be used in a boolean expression", m.Name)).WithPath(path)
}

// computedExists parses a filter through a computed field returning SETOF
// a table: some returned row matches it. In GraphQL mode the returned
// table's permission filter applies to those rows.
func (e *Env) computedExists(c *schema.Computed, v any, path string) (ir.BoolExp, error) {
	target := c.Returns
	if !e.GraphQL && e.Lookup != nil && target != nil {
		if full := e.Lookup(target.Name); full != nil {
			target = full
		}
	}
	if target == nil {
		return nil, validation(path, fmt.Sprintf("computed field %q returns a table that is not available", c.Name))
	}
	w, err := e.BoolExp(target, v, path)
	if err != nil {
		return nil, err
	}
	if w, err = e.withRelFilter(target, w); err != nil {
		return nil, err
	}
	op := ComputedOp(c, nil)
	return ir.ComputedExists{Function: op.Function, Args: op.Args, Where: w}, nil
}

// visible returns the visibility condition of a column or computed field
// of t in GraphQL mode, nil when always visible.
func (e *Env) visible(t *schema.Table, name string, computed bool) (ir.BoolExp, error) {
	if !e.GraphQL || e.Visible == nil || t.Perm.Select == nil || len(t.Perm.Select.Parents) == 0 {
		return nil, nil
	}
	return e.Visible(t, name, computed)
}

// field finds a table field by GraphQL name (GraphQL mode) or by database
// name (permission rules).
func (e *Env) field(t *schema.Table, name string) *schema.Field {
	if e.GraphQL {
		return t.Fields[name]
	}
	if g, ok := t.ColumnField[name]; ok {
		if f := t.Fields[g]; f != nil {
			return f
		}
	}
	if t.Catalog != nil {
		if c := t.Catalog.Column(name); c != nil {
			return &schema.Field{Name: name, Kind: schema.FieldColumn, Column: c}
		}
	}
	if f := t.Fields[name]; f != nil && f.Kind != schema.FieldColumn {
		return f
	}
	// Aggregate predicates are written <rel>_aggregate.
	if base, ok := strings.CutSuffix(name, "_aggregate"); ok {
		if f := t.Fields[base]; f != nil && f.Kind == schema.FieldArrayRel {
			return &schema.Field{Name: name, Kind: schema.FieldArrayAggregate, Rel: f.Rel}
		}
	}
	return nil
}

func (e *Env) target(r *schema.Relationship, path string) (*schema.Table, error) {
	if !e.GraphQL && e.Lookup != nil {
		if t := e.Lookup(r.TargetName); t != nil {
			return t, nil
		}
	}
	if r.Target != nil {
		return r.Target, nil
	}
	return nil, validation(path, fmt.Sprintf("relationship %q points to a table that is not available", r.Name))
}

func (e *Env) withRelFilter(t *schema.Table, w ir.BoolExp) (ir.BoolExp, error) {
	if !e.GraphQL || e.RelFilter == nil {
		return w, nil
	}
	pf, err := e.RelFilter(t)
	if err != nil {
		return nil, err
	}
	return AndAll(pf, w), nil
}

func (e *Env) exists(v any, path string) (ir.BoolExp, error) {
	obj, err := e.object(v, path)
	if err != nil {
		return nil, err
	}
	rawTable, ok := obj.Get("_table")
	if !ok {
		return nil, validation(path, `key "_table" not found`)
	}
	q, err := qname(rawTable)
	if err != nil {
		return nil, validation(path+"._table", err.Error())
	}
	var t *schema.Table
	if e.Lookup != nil {
		t = e.Lookup(q)
	}
	if t == nil {
		return nil, validation(path+"._table", fmt.Sprintf("table %q does not exist", q.String()))
	}
	where, _ := obj.Get("_where")
	w, err := e.BoolExp(t, where, path+"._where")
	if err != nil {
		return nil, err
	}
	return ir.Exists{Table: t.IR(), Where: w}, nil
}

func qname(v any) (catalog.QName, error) {
	switch x := v.(type) {
	case string:
		return catalog.QName{Schema: "public", Name: x}, nil
	case Object:
		q := catalog.QName{Schema: "public"}
		if s, ok := x.Get("schema"); ok {
			q.Schema, _ = s.(string)
		}
		n, _ := x.Get("name")
		q.Name, _ = n.(string)
		if q.Name == "" {
			return q, fmt.Errorf(`key "name" not found`)
		}
		return q, nil
	}
	return catalog.QName{}, fmt.Errorf("expecting a table name")
}

// ComputedOp returns the operand computing scalar computed field c for the
// current row; args are its extra arguments.
func ComputedOp(c *schema.Computed, args []ir.Arg) ir.ComputedOp {
	return ir.ComputedOp{
		Function: ir.Table{Schema: c.Function.Name.Schema, Name: c.Function.Name.Name},
		Args:     ComputedArgs(c, args),
		Type:     c.ReturnType.Name,
	}
}

// ComputedArgs places the row and session arguments of computed field c
// among the other arguments args.
func ComputedArgs(c *schema.Computed, args []ir.Arg) []ir.Arg {
	out := make([]ir.Arg, 0, len(args)+2)
	n := len(args) + 1
	if c.SessionArgIndex >= 0 {
		n++
	}
	named := false
	for _, a := range args {
		named = named || a.Name != ""
	}
	argName := func(i int) string {
		if named && c.Function != nil && i < len(c.Function.Args) {
			return c.Function.Args[i].Name
		}
		return ""
	}
	next := 0
	for i := 0; i < n; i++ {
		switch {
		case i == c.TableArgIndex:
			out = append(out, ir.Arg{Name: argName(i), RowArg: true})
		case i == c.SessionArgIndex:
			out = append(out, ir.Arg{Name: argName(i), Value: ir.SessionJSON{}})
		case next < len(args):
			out = append(out, args[next])
			next++
		}
	}
	return out
}

func validation(path, msg string) error {
	return apierr.New(apierr.ValidationFailed, msg).WithPath(path)
}

// isSessionVar reports whether s names a session variable in a permission rule.
func (e *Env) isSessionVar(s string) bool { return !e.GraphQL && session.IsSessionVar(s) }
