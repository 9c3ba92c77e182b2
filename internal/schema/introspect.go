package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// IntrospectionError reports a selection the introspection resolver cannot
// answer (only possible for operations that were not validated).
type IntrospectionError struct {
	Type  string
	Field string
}

func (e *IntrospectionError) Error() string {
	return fmt.Sprintf("field %q not found in type: '%s'", e.Field, e.Type)
}

// hiddenDirectives are gqlparser prelude directives Hasura does not have.
var hiddenDirectives = map[string]bool{"defer": true, "oneOf": true}

// Introspect answers one root field of a validated operation that is
// __schema, __type(name:) or __typename, writing its value as JSON (fields
// in selection order, under their aliases). vars are the operation's
// variables (for arguments and @include/@skip).
func Introspect(s *ast.Schema, f *ast.Field, vars map[string]any) (json.RawMessage, error) {
	in := &introspector{s: s, vars: vars}
	var buf bytes.Buffer
	in.buf = &buf
	var err error
	switch f.Name {
	case "__schema":
		err = in.schema(f.SelectionSet)
	case "__type":
		args := f.ArgumentMap(vars)
		name, _ := args["name"].(string)
		if d := s.Types[name]; d != nil {
			err = in.typ(typeRef{def: d}, f.SelectionSet)
		} else {
			buf.WriteString("null")
		}
	case "__typename":
		name := s.Query.Name
		if f.ObjectDefinition != nil {
			name = f.ObjectDefinition.Name
		}
		in.str(name)
	default:
		return nil, &IntrospectionError{Type: "query_root", Field: f.Name}
	}
	if err != nil {
		return nil, err
	}
	return json.RawMessage(buf.Bytes()), nil
}

// introspector writes introspection results.
type introspector struct {
	s    *ast.Schema
	vars map[string]any
	buf  *bytes.Buffer
	// collected caches the flattened selection set per (selection set,
	// type): the same selection is applied to thousands of types and fields.
	collected map[collectKey][]collected
}

// collectKey identifies a selection set applied to a type.
type collectKey struct {
	first    *ast.Selection
	n        int
	typeName string
}

// typeRef is a named type (def) or a LIST/NON_NULL wrapper of ofType.
type typeRef struct {
	def    *ast.Definition
	kind   string // "LIST" or "NON_NULL" for wrappers
	ofType *ast.Type
}

// refOf converts a type reference of the schema.
func (in *introspector) refOf(t *ast.Type) typeRef {
	if t.NonNull {
		inner := *t
		inner.NonNull = false
		return typeRef{kind: "NON_NULL", ofType: &inner}
	}
	if t.Elem != nil {
		return typeRef{kind: "LIST", ofType: t.Elem}
	}
	return typeRef{def: in.s.Types[t.NamedType]}
}

// collected is one response key with the fields that produce it.
type collected struct {
	key    string
	fields []*ast.Field
}

// collect flattens a selection set (fragments, @include/@skip) into
// response keys in order.
func (in *introspector) collect(set ast.SelectionSet, typeName string, out []collected) []collected {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if !in.included(sel.Directives) {
				continue
			}
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			found := false
			for i := range out {
				if out[i].key == key {
					out[i].fields = append(out[i].fields, sel)
					found = true
					break
				}
			}
			if !found {
				out = append(out, collected{key: key, fields: []*ast.Field{sel}})
			}
		case *ast.InlineFragment:
			if in.included(sel.Directives) && (sel.TypeCondition == "" || sel.TypeCondition == typeName) {
				out = in.collect(sel.SelectionSet, typeName, out)
			}
		case *ast.FragmentSpread:
			if in.included(sel.Directives) && sel.Definition != nil &&
				(sel.Definition.TypeCondition == "" || sel.Definition.TypeCondition == typeName) {
				out = in.collect(sel.Definition.SelectionSet, typeName, out)
			}
		}
	}
	return out
}

// included evaluates @skip and @include.
func (in *introspector) included(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		v, _ := d.ArgumentMap(in.vars)["if"].(bool)
		if d.Name == "skip" && v || d.Name == "include" && !v {
			return false
		}
	}
	return true
}

// object writes one introspection object: for each response key, the
// value produced by resolve (which writes JSON for a field name).
func (in *introspector) object(typeName string, set ast.SelectionSet, resolve func(f *ast.Field, sub ast.SelectionSet) error) error {
	in.buf.WriteByte('{')
	var cs []collected
	if len(set) > 0 {
		key := collectKey{first: &set[0], n: len(set), typeName: typeName}
		var ok bool
		if cs, ok = in.collected[key]; !ok {
			cs = in.collect(set, typeName, nil)
			if in.collected == nil {
				in.collected = map[collectKey][]collected{}
			}
			in.collected[key] = cs
		}
	}
	for i, c := range cs {
		if i > 0 {
			in.buf.WriteByte(',')
		}
		in.str(c.key)
		in.buf.WriteByte(':')
		f := c.fields[0]
		sub := f.SelectionSet
		if len(c.fields) > 1 {
			sub = nil
			for _, g := range c.fields {
				sub = append(sub, g.SelectionSet...)
			}
		}
		if f.Name == "__typename" {
			in.str(typeName)
			continue
		}
		if err := resolve(f, sub); err != nil {
			return err
		}
	}
	in.buf.WriteByte('}')
	return nil
}

// str writes a JSON string.
func (in *introspector) str(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			b, _ := json.Marshal(s)
			in.buf.Write(b)
			return
		}
	}
	in.buf.WriteByte('"')
	in.buf.WriteString(s)
	in.buf.WriteByte('"')
}

// optStr writes a JSON string, or null when empty.
func (in *introspector) optStr(s string) {
	if s == "" {
		in.buf.WriteString("null")
		return
	}
	in.str(s)
}

// boolean writes a JSON boolean.
func (in *introspector) boolean(v bool) { in.buf.WriteString(strconv.FormatBool(v)) }

// list writes a JSON array of n items.
func (in *introspector) list(n int, item func(i int) error) error {
	in.buf.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			in.buf.WriteByte(',')
		}
		if err := item(i); err != nil {
			return err
		}
	}
	in.buf.WriteByte(']')
	return nil
}

// schema writes a __Schema.
func (in *introspector) schema(set ast.SelectionSet) error {
	return in.object("__Schema", set, func(f *ast.Field, sub ast.SelectionSet) error {
		switch f.Name {
		case "description":
			in.optStr(in.s.Description)
		case "types":
			names := in.typeNames()
			return in.list(len(names), func(i int) error { return in.typ(typeRef{def: in.s.Types[names[i]]}, sub) })
		case "queryType":
			return in.typ(typeRef{def: in.s.Query}, sub)
		case "mutationType", "subscriptionType":
			d := in.s.Mutation
			if f.Name == "subscriptionType" {
				d = in.s.Subscription
			}
			if d == nil {
				in.buf.WriteString("null")
				return nil
			}
			return in.typ(typeRef{def: d}, sub)
		case "directives":
			var ds []*ast.DirectiveDefinition
			for _, d := range in.s.Directives {
				if !hiddenDirectives[d.Name] {
					ds = append(ds, d)
				}
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i].Name < ds[j].Name })
			return in.list(len(ds), func(i int) error { return in.directive(ds[i], sub) })
		default:
			return &IntrospectionError{Type: "__Schema", Field: f.Name}
		}
		return nil
	})
}

// typeNames lists the schema's types by name. Build keeps only types
// reachable from the roots, the introspection types and the directives, as
// Hasura lists them.
func (in *introspector) typeNames() []string {
	names := make([]string, 0, len(in.s.Types))
	for n := range in.s.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// typ writes a __Type.
func (in *introspector) typ(r typeRef, set ast.SelectionSet) error {
	if r.def == nil && r.kind == "" {
		in.buf.WriteString("null")
		return nil
	}
	d := r.def
	return in.object("__Type", set, func(f *ast.Field, sub ast.SelectionSet) error {
		args := f.ArgumentMap(in.vars)
		withDeprecated, _ := args["includeDeprecated"].(bool)
		switch f.Name {
		case "kind":
			if r.kind != "" {
				in.str(r.kind)
			} else {
				in.str(string(d.Kind))
			}
		case "name":
			if d == nil {
				in.buf.WriteString("null")
			} else {
				in.str(d.Name)
			}
		case "description":
			if d == nil {
				in.buf.WriteString("null")
			} else {
				in.optStr(d.Description)
			}
		case "specifiedByURL":
			url := ""
			if d != nil {
				if sb := d.Directives.ForName("specifiedBy"); sb != nil {
					if a := sb.Arguments.ForName("url"); a != nil && a.Value != nil {
						url = a.Value.Raw
					}
				}
			}
			in.optStr(url)
		case "fields":
			if d == nil || (d.Kind != ast.Object && d.Kind != ast.Interface) {
				in.buf.WriteString("null")
				return nil
			}
			var fs ast.FieldList
			for _, fd := range d.Fields {
				if len(fd.Name) > 1 && fd.Name[:2] == "__" {
					continue
				}
				if withDeprecated || fd.Directives.ForName("deprecated") == nil {
					fs = append(fs, fd)
				}
			}
			return in.list(len(fs), func(i int) error { return in.field(fs[i], sub) })
		case "interfaces":
			if d == nil || (d.Kind != ast.Object && d.Kind != ast.Interface) {
				in.buf.WriteString("null")
				return nil
			}
			return in.list(len(d.Interfaces), func(i int) error { return in.typ(typeRef{def: in.s.Types[d.Interfaces[i]]}, sub) })
		case "possibleTypes":
			if d == nil || (d.Kind != ast.Interface && d.Kind != ast.Union) {
				in.buf.WriteString("null")
				return nil
			}
			pts := in.s.PossibleTypes[d.Name]
			return in.list(len(pts), func(i int) error { return in.typ(typeRef{def: pts[i]}, sub) })
		case "enumValues":
			if d == nil || d.Kind != ast.Enum {
				in.buf.WriteString("null")
				return nil
			}
			var vs ast.EnumValueList
			for _, v := range d.EnumValues {
				if withDeprecated || v.Directives.ForName("deprecated") == nil {
					vs = append(vs, v)
				}
			}
			return in.list(len(vs), func(i int) error { return in.enumValue(vs[i], sub) })
		case "inputFields":
			if d == nil || d.Kind != ast.InputObject {
				in.buf.WriteString("null")
				return nil
			}
			var fs ast.FieldList
			for _, fd := range d.Fields {
				if withDeprecated || fd.Directives.ForName("deprecated") == nil {
					fs = append(fs, fd)
				}
			}
			return in.list(len(fs), func(i int) error {
				return in.inputValue(fs[i].Name, fs[i].Description, fs[i].Type, fs[i].DefaultValue, fs[i].Directives, sub)
			})
		case "ofType":
			if r.ofType == nil {
				in.buf.WriteString("null")
				return nil
			}
			return in.typ(in.refOf(r.ofType), sub)
		case "isOneOf":
			if d == nil || d.Kind != ast.InputObject {
				in.buf.WriteString("null")
			} else {
				in.boolean(d.Directives.ForName("oneOf") != nil)
			}
		default:
			return &IntrospectionError{Type: "__Type", Field: f.Name}
		}
		return nil
	})
}

// field writes a __Field.
func (in *introspector) field(fd *ast.FieldDefinition, set ast.SelectionSet) error {
	return in.object("__Field", set, func(f *ast.Field, sub ast.SelectionSet) error {
		switch f.Name {
		case "name":
			in.str(fd.Name)
		case "description":
			in.optStr(fd.Description)
		case "args":
			withDeprecated, _ := f.ArgumentMap(in.vars)["includeDeprecated"].(bool)
			return in.args(fd.Arguments, withDeprecated, sub)
		case "type":
			return in.typ(in.refOf(fd.Type), sub)
		case "isDeprecated":
			in.boolean(fd.Directives.ForName("deprecated") != nil)
		case "deprecationReason":
			in.deprecationReason(fd.Directives)
		default:
			return &IntrospectionError{Type: "__Field", Field: f.Name}
		}
		return nil
	})
}

// args writes a list of __InputValue for arguments.
func (in *introspector) args(as ast.ArgumentDefinitionList, withDeprecated bool, set ast.SelectionSet) error {
	var l ast.ArgumentDefinitionList
	for _, a := range as {
		if withDeprecated || a.Directives.ForName("deprecated") == nil {
			l = append(l, a)
		}
	}
	return in.list(len(l), func(i int) error {
		return in.inputValue(l[i].Name, l[i].Description, l[i].Type, l[i].DefaultValue, l[i].Directives, set)
	})
}

// inputValue writes an __InputValue.
func (in *introspector) inputValue(name, desc string, t *ast.Type, def *ast.Value, ds ast.DirectiveList, set ast.SelectionSet) error {
	return in.object("__InputValue", set, func(f *ast.Field, sub ast.SelectionSet) error {
		switch f.Name {
		case "name":
			in.str(name)
		case "description":
			in.optStr(desc)
		case "type":
			return in.typ(in.refOf(t), sub)
		case "defaultValue":
			if def == nil {
				in.buf.WriteString("null")
			} else {
				in.str(def.String())
			}
		case "isDeprecated":
			in.boolean(ds.ForName("deprecated") != nil)
		case "deprecationReason":
			in.deprecationReason(ds)
		default:
			return &IntrospectionError{Type: "__InputValue", Field: f.Name}
		}
		return nil
	})
}

// enumValue writes an __EnumValue.
func (in *introspector) enumValue(v *ast.EnumValueDefinition, set ast.SelectionSet) error {
	return in.object("__EnumValue", set, func(f *ast.Field, _ ast.SelectionSet) error {
		switch f.Name {
		case "name":
			in.str(v.Name)
		case "description":
			in.optStr(v.Description)
		case "isDeprecated":
			in.boolean(v.Directives.ForName("deprecated") != nil)
		case "deprecationReason":
			in.deprecationReason(v.Directives)
		default:
			return &IntrospectionError{Type: "__EnumValue", Field: f.Name}
		}
		return nil
	})
}

// directive writes a __Directive.
func (in *introspector) directive(d *ast.DirectiveDefinition, set ast.SelectionSet) error {
	return in.object("__Directive", set, func(f *ast.Field, sub ast.SelectionSet) error {
		switch f.Name {
		case "name":
			in.str(d.Name)
		case "description":
			in.optStr(d.Description)
		case "isRepeatable":
			in.boolean(d.IsRepeatable)
		case "locations":
			return in.list(len(d.Locations), func(i int) error { in.str(string(d.Locations[i])); return nil })
		case "args":
			withDeprecated, _ := f.ArgumentMap(in.vars)["includeDeprecated"].(bool)
			return in.args(d.Arguments, withDeprecated, sub)
		default:
			return &IntrospectionError{Type: "__Directive", Field: f.Name}
		}
		return nil
	})
}

// deprecationReason writes the reason of a @deprecated directive, or null.
func (in *introspector) deprecationReason(ds ast.DirectiveList) {
	d := ds.ForName("deprecated")
	if d == nil {
		in.buf.WriteString("null")
		return
	}
	reason := "No longer supported"
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		reason = a.Value.Raw
	}
	in.str(reason)
}
