package plan

import (
	"encoding/json"
	"fmt"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// planner holds the state of one Build call.
type planner struct {
	in        *Input
	out       *Plan
	env       perm.Env
	shapeSeen map[string]bool
	filters   map[*schema.Table]ir.BoolExp
	// roots maps the operation's root field names to their meaning.
	roots map[string]*schema.RootField
	// decoded caches the variables decoded while planning.
	decoded map[string]any
}

// field is one response key of a selection set: the fields merged under
// it, in order.
type field struct {
	alias  string
	fields []*ast.Field
}

func (f *field) name() string           { return f.fields[0].Name }
func (f *field) first() *ast.Field      { return f.fields[0] }
func (f *field) args() ast.ArgumentList { return f.fields[0].Arguments }

// arg returns the tree of argument name, and whether it was given.
func (p *planner) arg(f *field, name string) (any, bool) {
	a := f.args().ForName(name)
	if a == nil {
		return nil, false
	}
	return p.tree(a.Value), true
}

// selections merges the sub-selections of every field under f.
func (f *field) selections() ast.SelectionSet {
	if len(f.fields) == 1 {
		return f.fields[0].SelectionSet
	}
	var out ast.SelectionSet
	for _, x := range f.fields {
		out = append(out, x.SelectionSet...)
	}
	return out
}

// collect groups a selection set's fields by response key, following
// fragments and applying @skip/@include.
func (p *planner) collect(set ast.SelectionSet, typeName string) ([]*field, error) {
	var out []*field
	index := map[string]*field{}
	var walk func(ast.SelectionSet, int) error
	walk = func(set ast.SelectionSet, depth int) error {
		if depth > 64 {
			return apierr.New(apierr.ValidationFailed, "fragments are nested too deeply")
		}
		for _, s := range set {
			switch x := s.(type) {
			case *ast.Field:
				ok, err := p.included(x.Directives)
				if err != nil || !ok {
					if err != nil {
						return err
					}
					continue
				}
				key := x.Alias
				if key == "" {
					key = x.Name
				}
				if f := index[key]; f != nil {
					f.fields = append(f.fields, x)
					continue
				}
				f := &field{alias: key, fields: []*ast.Field{x}}
				index[key] = f
				out = append(out, f)
			case *ast.FragmentSpread:
				ok, err := p.included(x.Directives)
				if err != nil {
					return err
				}
				if !ok || x.Definition == nil {
					continue
				}
				if tc := x.Definition.TypeCondition; tc != "" && tc != typeName {
					continue
				}
				if err := walk(x.Definition.SelectionSet, depth+1); err != nil {
					return err
				}
			case *ast.InlineFragment:
				ok, err := p.included(x.Directives)
				if err != nil {
					return err
				}
				if !ok || (x.TypeCondition != "" && x.TypeCondition != typeName) {
					continue
				}
				if err := walk(x.SelectionSet, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(set, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// included evaluates @skip and @include.
func (p *planner) included(ds ast.DirectiveList) (bool, error) {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			continue
		}
		v := p.tree(a.Value)
		if x, ok := v.(perm.Var); ok {
			r, err := p.resolve(x)
			if err != nil {
				return false, err
			}
			v = r
		}
		b, _ := v.(bool)
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false, nil
		}
	}
	return true, nil
}

// tree converts a GraphQL value into an input tree; variables stay Var.
func (p *planner) tree(v *ast.Value) any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.Variable:
		return perm.Var{Name: v.Raw}
	case ast.IntValue, ast.FloatValue:
		return json.Number(v.Raw)
	case ast.StringValue, ast.BlockValue, ast.EnumValue:
		return v.Raw
	case ast.BooleanValue:
		return v.Raw == "true"
	case ast.ListValue:
		l := make([]any, len(v.Children))
		for i, c := range v.Children {
			l[i] = p.tree(c.Value)
		}
		return l
	case ast.ObjectValue:
		o := make(perm.Object, len(v.Children))
		for i, c := range v.Children {
			o[i] = perm.Member{Name: c.Name, Value: p.tree(c.Value)}
		}
		return o
	}
	return nil
}

// concrete resolves v when it is a variable.
func (p *planner) concrete(v any) (any, error) {
	if x, ok := v.(perm.Var); ok {
		return p.resolve(x)
	}
	return v, nil
}

// resolve returns the value of a variable (or of the part of it at v.Path)
// for a position that needs it concretely, and records what of it shaped
// the plan. An object or list is returned with its members as variable
// references again, so that only the structure is recorded and scalars
// deeper down can still be bound at execution; a scalar is recorded by
// value.
func (p *planner) resolve(v perm.Var) (any, error) {
	root, present, err := p.varValue(v.Name)
	if err != nil {
		return nil, err
	}
	if !present {
		p.shape(ShapeVar{Name: v.Name, Absent: true})
		if def := p.varDef(v.Name); def != nil && def.DefaultValue != nil && len(v.Path) == 0 {
			return p.tree(def.DefaultValue), nil
		}
		return nil, nil
	}
	val, _ := at(root, v.Path)
	switch x := val.(type) {
	case perm.Object:
		p.shape(ShapeVar{Name: v.Name, Path: v.Path, Sig: signature(x)})
		out := make(perm.Object, len(x))
		for i, m := range x {
			out[i] = perm.Member{Name: m.Name, Value: perm.Var{Name: v.Name, Path: extend(v.Path, m.Name), Kind: kindOf(m.Value)}}
		}
		return out, nil
	case []any:
		p.shape(ShapeVar{Name: v.Name, Path: v.Path, Sig: signature(x)})
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = perm.Var{Name: v.Name, Path: extend(v.Path, i), Kind: kindOf(e)}
		}
		return out, nil
	}
	b, _ := json.Marshal(val)
	p.shape(ShapeVar{Name: v.Name, Path: v.Path, Value: b})
	return val, nil
}

// varValue returns the decoded value of variable name and whether the
// request carries it.
func (p *planner) varValue(name string) (any, bool, error) {
	raw, ok := p.in.Vars[name]
	if !ok {
		return nil, false, nil
	}
	if v, ok := p.decoded[name]; ok {
		return v, true, nil
	}
	t, err := perm.DecodeJSON(raw)
	if err != nil {
		return nil, true, apierr.New(apierr.ValidationFailed, "invalid JSON in variable "+name).WithPath("$.variableValues." + name)
	}
	if p.decoded == nil {
		p.decoded = map[string]any{}
	}
	p.decoded[name] = t
	return t, true, nil
}

// shape records s once.
func (p *planner) shape(s ShapeVar) {
	k := s.key()
	if p.shapeSeen[k] {
		return
	}
	p.shapeSeen[k] = true
	p.out.Shape = append(p.out.Shape, s)
}

func extend(path []any, step any) []any {
	out := make([]any, len(path), len(path)+1)
	copy(out, path)
	return append(out, step)
}

func (p *planner) varDef(name string) *ast.VariableDefinition {
	return p.in.Op.VariableDefinitions.ForName(name)
}

// leaf turns a variable (or a value inside one) in a scalar position into
// an ir.Variable.
func (p *planner) leaf(v perm.Var, typ, path string, kind CheckKind, check bool) ir.Value {
	out := ir.Variable{Name: v.Name, Path: v.Path, Type: typ}
	def := p.varDef(v.Name)
	if def != nil && def.DefaultValue != nil && len(v.Path) == 0 {
		if d, err := perm.Plain(p.tree(def.DefaultValue), nil); err == nil {
			out.Default = d
		}
	}
	if check {
		p.out.Checks = append(p.out.Checks, Check{Name: v.Name, VarPath: v.Path, Kind: kind, Path: path, Scalar: scalarOf(typ), HasDefault: out.Default != nil})
	}
	return out
}

// leafCompare is a variable used as a comparison value. An absent variable
// without default omits the comparison (GraphQL input coercion), which
// shapes the plan; a present one is bound at execution.
func (p *planner) leafCompare(v perm.Var, typ, path string) (ir.Value, error) {
	if len(v.Path) > 0 {
		// Inside a variable: its presence is part of the recorded structure.
		return p.leaf(v, typ, path, NotNull, true), nil
	}
	if def := p.varDef(v.Name); def == nil || def.DefaultValue == nil {
		// Without a default, presence decides whether the comparison exists.
		if _, ok := p.in.Vars[v.Name]; !ok {
			_, err := p.resolve(v)
			return nil, err
		}
		p.present(v.Name)
	}
	return p.leaf(v, typ, path, NotNull, true), nil
}

// present records that the plan binds variable name, so it serves only
// requests that carry it.
func (p *planner) present(name string) {
	for _, n := range p.out.Present {
		if n == name {
			return
		}
	}
	p.out.Present = append(p.out.Present, name)
}

// filter returns the role's select filter on t.
func (p *planner) filter(t *schema.Table) (ir.BoolExp, error) {
	if t.Perm.Select == nil {
		return nil, apierr.New(apierr.PermissionDenied, fmt.Sprintf("no select permission on table %q", t.Name.String()))
	}
	if t.Perm.Select.Admin || p.in.Filter == nil {
		return nil, nil
	}
	if p.filters == nil {
		p.filters = map[*schema.Table]ir.BoolExp{}
	}
	if b, ok := p.filters[t]; ok {
		return b, nil
	}
	b, err := p.in.Filter(t)
	if err != nil {
		return nil, err
	}
	p.filters[t] = b
	return b, nil
}

// scalarOf names the GraphQL scalar of a Postgres type for messages.
func scalarOf(typ string) string {
	switch typ {
	case "integer", "smallint":
		return "Int"
	case "text", "character varying", "character":
		return "String"
	case "boolean":
		return "Boolean"
	case "double precision", "real":
		return "Float"
	}
	return typ
}

// visible returns the condition under which the role sees column (or
// computed field) name of t, nil when always.
// Without Input.Visible, a value only some parents grant is always null
// (never shown where it should not be).
func (p *planner) visible(t *schema.Table, name string, computed bool) (ir.BoolExp, error) {
	sp := t.Perm.Select
	if sp == nil || len(sp.Parents) == 0 || sp.GrantedByAll(name, computed) {
		return nil, nil
	}
	if p.in.Visible == nil {
		return ir.Const(false), nil
	}
	return p.in.Visible(t, name, computed)
}
