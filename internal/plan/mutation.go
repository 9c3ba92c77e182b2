package plan

import (
	"encoding/json"
	"fmt"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
)

// MutationInput is everything planning a mutation operation needs: the
// query planner's input (the returning selections are planned by the same
// read planner, with the role's select permissions) plus the role's
// insert, update and delete rules.
type MutationInput struct {
	Input
	// Rule parses a permission rule (metadata JSON with database names and
	// session variables) on table t: an insert check, an update filter or
	// check, a delete filter. Nil rules and "{}" give nil.
	Rule func(t *schema.Table, raw metadata.BoolExp) (ir.BoolExp, error)
	// Lookup returns the admin view of a table, used to resolve nested
	// inserts through relationships whose target the role cannot select.
	// It may be nil.
	Lookup func(catalog.QName) *schema.Table
}

// MutationPlan is a planned mutation operation: its root fields, run in
// order in one transaction.
type MutationPlan struct {
	Fields []MutationField
	// Checks are run on scalar variable values before execution.
	Checks []Check
	// Shape and Present say which requests the plan serves (see Plan).
	Shape   []ShapeVar
	Present []string
}

// MutationKind says which statement a mutation root field runs.
type MutationKind int

// Mutation kinds.
const (
	MutInsert MutationKind = iota + 1
	MutUpdate
	MutDelete
)

// MutationField is one root field of a mutation, in response order.
// Exactly one of Root and Typename is set.
type MutationField struct {
	Alias    string
	Root     *ir.MutationRoot
	Typename string
	Kind     MutationKind
	// Path is the field's JSON path; ErrorPath is where Hasura reports
	// the field's database and permission-check errors.
	Path      string
	ErrorPath string
}

// CheckMessage is Hasura's message for a failed permission check of the
// field's statement.
func (f *MutationField) CheckMessage() string {
	if f.Kind == MutUpdate {
		return "Check constraint violation. update check constraint failed"
	}
	return "Check constraint violation. insert check constraint failed"
}

// Mutation plans a mutation operation.
func Mutation(in *MutationInput) (*MutationPlan, error) {
	p := &planner{in: &in.Input, out: &Plan{}, shapeSeen: map[string]bool{}}
	p.env = perm.Env{
		GraphQL: true,
		RelFilter: func(t *schema.Table) (ir.BoolExp, error) {
			return p.filter(t)
		},
		Resolve: p.resolve,
		Leaf:    p.leafCompare,
		Visible: p.visible,
	}
	m := &mutPlanner{planner: p, in: in}
	out, err := m.root()
	if err != nil {
		return nil, err
	}
	out.Checks, out.Shape, out.Present = p.out.Checks, p.out.Shape, p.out.Present
	return out, nil
}

// Matches reports whether vars carries the same values for every shape
// variable of p, so that p can serve a request with vars.
func (mp *MutationPlan) Matches(vars map[string]json.RawMessage) bool {
	pl := Plan{Shape: mp.Shape, Present: mp.Present}
	return pl.Matches(vars)
}

// mutPlanner plans the root fields of one mutation operation.
type mutPlanner struct {
	*planner
	in *MutationInput
}

func (m *mutPlanner) root() (*MutationPlan, error) {
	rootType := "mutation_root"
	if s := m.in.Schema.AST; s != nil && s.Mutation != nil {
		rootType = s.Mutation.Name
	}
	fields, err := m.collect(m.in.Op.SelectionSet, rootType)
	if err != nil {
		return nil, err
	}
	out := &MutationPlan{}
	for _, f := range fields {
		path := "$.selectionSet." + f.alias
		mf := MutationField{Alias: f.alias, Path: path, ErrorPath: "$"}
		if f.name() == "__typename" {
			mf.Typename = rootType
			out.Fields = append(out.Fields, mf)
			continue
		}
		def := m.in.Schema.Mutation[f.name()]
		if def == nil || def.Table == nil {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", f.name(), rootType)).WithPath(path)
		}
		r, err := m.rootField(def, f, path, &mf)
		if err != nil {
			return nil, err
		}
		r.Alias = f.alias
		mf.Root = r
		out.Fields = append(out.Fields, mf)
	}
	return out, nil
}

func (m *mutPlanner) rootField(def *schema.RootField, f *field, path string, mf *MutationField) (*ir.MutationRoot, error) {
	t := def.Table
	switch def.Kind {
	case schema.RootInsert, schema.RootInsertOne:
		mf.Kind = MutInsert
		return m.insertRoot(t, f, path, def.Kind == schema.RootInsertOne, mf)
	case schema.RootUpdate, schema.RootUpdateByPK:
		mf.Kind = MutUpdate
		u, err := m.update(t, f, argsOf(m.planner, f), path, path+".args", def.Kind == schema.RootUpdateByPK)
		if err != nil {
			return nil, err
		}
		return &ir.MutationRoot{Update: u}, nil
	case schema.RootUpdateMany:
		mf.Kind = MutUpdate
		return m.updateMany(t, f, path)
	case schema.RootDelete, schema.RootDeleteByPK:
		mf.Kind = MutDelete
		d, err := m.delete(t, f, path, def.Kind == schema.RootDeleteByPK)
		if err != nil {
			return nil, err
		}
		return &ir.MutationRoot{Delete: d}, nil
	}
	return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("field %q is not a mutation field", f.name())).WithPath(path)
}

// rule parses a permission rule of t.
func (m *mutPlanner) rule(t *schema.Table, raw metadata.BoolExp) (ir.BoolExp, error) {
	if m.in.Rule == nil || len(raw) == 0 {
		return nil, nil
	}
	return m.in.Rule(t, raw)
}

// output plans the selection of a mutation field on t: the mutation
// response object, or the row itself for single-row fields.
func (m *mutPlanner) output(t *schema.Table, f *field, path string, single bool) (ir.MutationOutput, error) {
	if single {
		row, err := m.fields(t, f, path)
		if err != nil {
			return ir.MutationOutput{}, err
		}
		return ir.MutationOutput{Single: true, Row: row}, nil
	}
	typeName := t.GQLName + "_mutation_response"
	if d := f.first().Definition; d != nil && d.Type != nil {
		typeName = d.Type.Name()
	}
	subs, err := m.collect(f.selections(), typeName)
	if err != nil {
		return ir.MutationOutput{}, err
	}
	var out ir.MutationOutput
	for _, s := range subs {
		sp := path + ".selectionSet." + s.alias
		mf := ir.MutationField{Alias: s.alias}
		switch s.name() {
		case "__typename":
			n := typeName
			mf.Const = &n
		case "affected_rows":
			mf.AffectedRows = true
		case "returning":
			if t.Perm.Select == nil {
				return out, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", s.name(), typeName)).WithPath(sp)
			}
			row, err := m.fields(t, s, sp)
			if err != nil {
				return out, err
			}
			if row == nil {
				row = []ir.Field{}
			}
			mf.Returning = row
		default:
			return out, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", s.name(), typeName)).WithPath(sp)
		}
		out.Response = append(out.Response, mf)
	}
	return out, nil
}

// columnByGQL returns the column of t whose GraphQL name is name, or nil.
func columnByGQL(t *schema.Table, name string) *catalog.Column {
	if t.Columns != nil {
		return t.Columns[name]
	}
	if t.Catalog == nil {
		return nil
	}
	for _, c := range t.Catalog.Columns {
		g := t.ColumnField[c.Name]
		if g == "" {
			g = c.Name
		}
		if g == name {
			return c
		}
	}
	return nil
}

// gqlColumn is the GraphQL name of column c of t.
func gqlColumn(t *schema.Table, c string) string {
	if g := t.ColumnField[c]; g != "" {
		return g
	}
	return c
}

// value turns an input value for a column of type typ into an IR value:
// variables are bound at execution, literals are constants of the plan.
func (m *mutPlanner) value(v any, c *catalog.Column, path string) (ir.Value, error) {
	if x, ok := v.(perm.Var); ok {
		return m.leaf(x, c.Type.Name, path, NotNull, false), nil
	}
	if err := checkInt(v, c, path); err != nil {
		return nil, err
	}
	pv, err := perm.Plain(v, m.resolve)
	if err != nil {
		return nil, apierr.New(apierr.ValidationFailed, err.Error()).WithPath(path)
	}
	return ir.Literal{Val: pv, Type: c.Type.Name}, nil
}

// absent reports whether v is a variable the request does not carry and
// whose definition has no default: GraphQL input coercion then treats the
// input field as not given (an inserted column takes its default, an
// updated column is left alone). Absence shapes the plan.
func (m *mutPlanner) absent(v any) bool {
	x, ok := v.(perm.Var)
	if !ok {
		return false
	}
	if _, present := m.in.Vars[x.Name]; present {
		m.present(x.Name)
		return false
	}
	if d := m.varDef(x.Name); d != nil && d.DefaultValue != nil {
		return false
	}
	_, _ = m.resolve(x)
	return true
}

// object resolves v into an input object (nil for null).
func (m *mutPlanner) object(v any, path string) (perm.Object, error) {
	v, err := m.concrete(v)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case perm.Object:
		return x, nil
	}
	return nil, apierr.New(apierr.ValidationFailed, "expected an object").WithPath(path)
}

// list resolves v into a list; a single value is a list of one (GraphQL
// input coercion), null is nil.
func (m *mutPlanner) list(v any) ([]any, error) {
	v, err := m.concrete(v)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	}
	return []any{v}, nil
}

// argsOf returns the arguments of f as an input object.
func argsOf(p *planner, f *field) perm.Object {
	var o perm.Object
	for _, a := range f.args() {
		o = append(o, perm.Member{Name: a.Name, Value: p.tree(a.Value)})
	}
	return o
}
