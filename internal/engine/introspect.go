package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// introspect answers a __schema or __type root field from the role's schema.
func introspect(sc *schema.Schema, op *ast.OperationDefinition, f *ast.Field, vars map[string]any) ([]byte, error) {
	in := &introspector{s: sc.AST, vars: vars, op: op}
	var root any
	switch f.Name {
	case "__schema":
		root = schemaObj{}
	case "__type":
		name, _ := in.argValue(f, "name").(string)
		def := sc.AST.Types[name]
		if def == nil {
			return []byte("null"), nil
		}
		root = typeObj{t: &ast.Type{NamedType: name}}
	}
	var b bytes.Buffer
	if err := in.write(&b, root, []*ast.Field{f}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// introspector resolves introspection selections against a schema.
type introspector struct {
	s    *ast.Schema
	op   *ast.OperationDefinition
	vars map[string]any
}

// Introspection objects.
type (
	schemaObj     struct{}
	typeObj       struct{ t *ast.Type }
	fieldObj      struct{ f *ast.FieldDefinition }
	inputValueObj struct{ a *ast.ArgumentDefinition }
	enumValueObj  struct{ v *ast.EnumValueDefinition }
	directiveObj  struct{ d *ast.DirectiveDefinition }
)

func (in *introspector) argValue(f *ast.Field, name string) any {
	a := f.Arguments.ForName(name)
	if a == nil {
		return nil
	}
	v, err := a.Value.Value(in.vars)
	if err != nil {
		return nil
	}
	return v
}

// write writes v for the merged fields fs (which share one response key).
func (in *introspector) write(b *bytes.Buffer, v any, fs []*ast.Field) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
		return nil
	case string, bool:
		enc, _ := json.Marshal(x)
		b.Write(enc)
		return nil
	case *string:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		enc, _ := json.Marshal(*x)
		b.Write(enc)
		return nil
	case []string:
		enc, _ := json.Marshal(x)
		b.Write(enc)
		return nil
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := in.write(b, e, fs); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	var set ast.SelectionSet
	for _, f := range fs {
		set = append(set, f.SelectionSet...)
	}
	p := &introPlanner{in: in}
	fields, err := p.collect(set, in.typename(v), 0)
	if err != nil {
		return err
	}
	b.WriteByte('{')
	for i, k := range fields.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		enc, _ := json.Marshal(k)
		b.Write(enc)
		b.WriteByte(':')
		group := fields.byKey[k]
		val, err := in.resolve(v, group[0])
		if err != nil {
			return err
		}
		if err := in.write(b, val, group); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// introPlanner collects introspection selections with fragments and
// @skip/@include.
type introPlanner struct{ in *introspector }

type collected struct {
	keys  []string
	byKey map[string][]*ast.Field
}

func (p *introPlanner) collect(set ast.SelectionSet, typeName string, depth int) (*collected, error) {
	out := &collected{byKey: map[string][]*ast.Field{}}
	var walk func(ast.SelectionSet, int) error
	walk = func(set ast.SelectionSet, depth int) error {
		if depth > 64 {
			return apierr.New(apierr.ValidationFailed, "fragments are nested too deeply")
		}
		for _, s := range set {
			switch x := s.(type) {
			case *ast.Field:
				if !p.included(x.Directives) {
					continue
				}
				k := x.Alias
				if k == "" {
					k = x.Name
				}
				if _, ok := out.byKey[k]; !ok {
					out.keys = append(out.keys, k)
				}
				out.byKey[k] = append(out.byKey[k], x)
			case *ast.FragmentSpread:
				if !p.included(x.Directives) || x.Definition == nil {
					continue
				}
				if tc := x.Definition.TypeCondition; tc != "" && tc != typeName {
					continue
				}
				if err := walk(x.Definition.SelectionSet, depth+1); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if !p.included(x.Directives) || (x.TypeCondition != "" && x.TypeCondition != typeName) {
					continue
				}
				if err := walk(x.SelectionSet, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk(set, depth)
}

func (p *introPlanner) included(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			continue
		}
		v, _ := a.Value.Value(p.in.vars)
		b, _ := v.(bool)
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false
		}
	}
	return true
}

func (in *introspector) typename(v any) string {
	switch v.(type) {
	case schemaObj:
		return "__Schema"
	case typeObj:
		return "__Type"
	case fieldObj:
		return "__Field"
	case inputValueObj:
		return "__InputValue"
	case enumValueObj:
		return "__EnumValue"
	case directiveObj:
		return "__Directive"
	}
	return ""
}

func desc(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deprecation(ds ast.DirectiveList) (bool, *string) {
	d := ds.ForName("deprecated")
	if d == nil {
		return false, nil
	}
	reason := "No longer supported"
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		reason = a.Value.Raw
	}
	return true, &reason
}

// resolve returns the value of field f of introspection object v.
func (in *introspector) resolve(v any, f *ast.Field) (any, error) {
	if f.Name == "__typename" {
		return in.typename(v), nil
	}
	switch x := v.(type) {
	case schemaObj:
		return in.schemaField(f)
	case typeObj:
		return in.typeField(x, f)
	case fieldObj:
		switch f.Name {
		case "name":
			return x.f.Name, nil
		case "description":
			return desc(x.f.Description), nil
		case "args":
			return inputValues(x.f.Arguments), nil
		case "type":
			return typeObj{t: x.f.Type}, nil
		case "isDeprecated":
			d, _ := deprecation(x.f.Directives)
			return d, nil
		case "deprecationReason":
			_, r := deprecation(x.f.Directives)
			return r, nil
		}
	case inputValueObj:
		switch f.Name {
		case "name":
			return x.a.Name, nil
		case "description":
			return desc(x.a.Description), nil
		case "type":
			return typeObj{t: x.a.Type}, nil
		case "defaultValue":
			if x.a.DefaultValue == nil {
				return nil, nil
			}
			return x.a.DefaultValue.String(), nil
		case "isDeprecated":
			d, _ := deprecation(x.a.Directives)
			return d, nil
		case "deprecationReason":
			_, r := deprecation(x.a.Directives)
			return r, nil
		}
	case enumValueObj:
		switch f.Name {
		case "name":
			return x.v.Name, nil
		case "description":
			return desc(x.v.Description), nil
		case "isDeprecated":
			d, _ := deprecation(x.v.Directives)
			return d, nil
		case "deprecationReason":
			_, r := deprecation(x.v.Directives)
			return r, nil
		}
	case directiveObj:
		switch f.Name {
		case "name":
			return x.d.Name, nil
		case "description":
			return desc(x.d.Description), nil
		case "locations":
			locs := make([]string, len(x.d.Locations))
			for i, l := range x.d.Locations {
				locs[i] = string(l)
			}
			return locs, nil
		case "args":
			return inputValues(x.d.Arguments), nil
		case "isRepeatable":
			return x.d.IsRepeatable, nil
		}
	}
	return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", f.Name, in.typename(v)))
}

func inputValues(args ast.ArgumentDefinitionList) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = inputValueObj{a: a}
	}
	return out
}

func (in *introspector) schemaField(f *ast.Field) (any, error) {
	named := func(d *ast.Definition) any {
		if d == nil {
			return nil
		}
		return typeObj{t: &ast.Type{NamedType: d.Name}}
	}
	switch f.Name {
	case "description":
		return desc(in.s.Description), nil
	case "types":
		names := make([]string, 0, len(in.s.Types))
		for n := range in.s.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = typeObj{t: &ast.Type{NamedType: n}}
		}
		return out, nil
	case "queryType":
		return named(in.s.Query), nil
	case "mutationType":
		return named(in.s.Mutation), nil
	case "subscriptionType":
		return named(in.s.Subscription), nil
	case "directives":
		names := make([]string, 0, len(in.s.Directives))
		for n := range in.s.Directives {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = directiveObj{d: in.s.Directives[n]}
		}
		return out, nil
	}
	return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '__Schema'", f.Name))
}

func (in *introspector) typeField(x typeObj, f *ast.Field) (any, error) {
	t := x.t
	if t.NonNull || t.Elem != nil {
		switch f.Name {
		case "kind":
			if t.NonNull {
				return "NON_NULL", nil
			}
			return "LIST", nil
		case "ofType":
			if t.NonNull {
				inner := *t
				inner.NonNull = false
				return typeObj{t: &inner}, nil
			}
			return typeObj{t: t.Elem}, nil
		case "fields", "interfaces", "possibleTypes", "enumValues", "inputFields", "name", "description", "specifiedByURL", "isOneOf":
			return nil, nil
		}
		return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '__Type'", f.Name))
	}
	def := in.s.Types[t.NamedType]
	if def == nil {
		return nil, nil
	}
	includeDeprecated, _ := in.argValue(f, "includeDeprecated").(bool)
	switch f.Name {
	case "kind":
		return string(def.Kind), nil
	case "name":
		return def.Name, nil
	case "description":
		return desc(def.Description), nil
	case "specifiedByURL":
		return nil, nil
	case "isOneOf":
		if def.Kind != ast.InputObject {
			return nil, nil
		}
		return def.Directives.ForName("oneOf") != nil, nil
	case "ofType":
		return nil, nil
	case "fields":
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			return nil, nil
		}
		var out []any
		for _, fd := range def.Fields {
			if len(fd.Name) > 1 && fd.Name[:2] == "__" {
				continue
			}
			if d, _ := deprecation(fd.Directives); d && !includeDeprecated {
				continue
			}
			out = append(out, fieldObj{f: fd})
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	case "interfaces":
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			return nil, nil
		}
		out := []any{}
		for _, n := range def.Interfaces {
			out = append(out, typeObj{t: &ast.Type{NamedType: n}})
		}
		return out, nil
	case "possibleTypes":
		if def.Kind != ast.Interface && def.Kind != ast.Union {
			return nil, nil
		}
		out := []any{}
		for _, d := range in.s.GetPossibleTypes(def) {
			out = append(out, typeObj{t: &ast.Type{NamedType: d.Name}})
		}
		return out, nil
	case "enumValues":
		if def.Kind != ast.Enum {
			return nil, nil
		}
		out := []any{}
		for _, ev := range def.EnumValues {
			if d, _ := deprecation(ev.Directives); d && !includeDeprecated {
				continue
			}
			out = append(out, enumValueObj{v: ev})
		}
		return out, nil
	case "inputFields":
		if def.Kind != ast.InputObject {
			return nil, nil
		}
		out := []any{}
		for _, fd := range def.Fields {
			out = append(out, inputValueObj{a: &ast.ArgumentDefinition{
				Description: fd.Description, Name: fd.Name, DefaultValue: fd.DefaultValue, Type: fd.Type, Directives: fd.Directives,
			}})
		}
		return out, nil
	}
	return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '__Type'", f.Name))
}
