package engine

import (
	"fmt"
	"regexp"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

var (
	reCannotUse   = regexp.MustCompile(`^cannot use (\S+) as (\S+)$`)
	reNotValid    = regexp.MustCompile(`^(.*) is not a valid (\S+)$`)
	reMustBeA     = regexp.MustCompile(`^must be a (\S+), not a (\S+)$`)
	kindsByGoKind = map[string]string{
		"string": "a string", "bool": "a boolean", "float64": "a number", "float32": "a number",
		"int": "a number", "int64": "a number", "int32": "a number", "map": "an object", "slice": "a list",
	}
)

// variableError turns a variable coercion error into Hasura's wording,
// with the JSON path of the offending value ($.variableValues.<name>...).
func variableError(sc *ast.Schema, op *ast.OperationDefinition, err error) error {
	ge, ok := err.(*gqlerror.Error)
	if !ok {
		return apierr.New(apierr.ValidationFailed, err.Error()).WithPath("$.variableValues")
	}
	path := "$.variableValues"
	var typ *ast.Type    // the type of the value at the path
	var container string // the input object holding the last field
	var last string      // the last field name on the path
	for i, el := range ge.Path {
		switch x := el.(type) {
		case ast.PathName:
			if i == 0 && x == "variable" {
				continue
			}
			path += "." + string(x)
			last = string(x)
			if typ == nil {
				if d := op.VariableDefinitions.ForName(string(x)); d != nil {
					typ = d.Type
				}
				continue
			}
			if def := sc.Types[typ.Name()]; def != nil {
				container = def.Name
				if f := def.Fields.ForName(string(x)); f != nil {
					typ = f.Type
				} else {
					typ = nil
				}
			}
		case ast.PathIndex:
			path += fmt.Sprintf("[%d]", int(x))
			if typ != nil && typ.Elem != nil {
				typ = typ.Elem
			}
		}
	}
	msg := ge.Message
	name := ""
	if typ != nil {
		name = typ.Name()
	}
	switch m := ge.Message; {
	case m == "unknown field":
		msg = fmt.Sprintf("field %q not found in type: '%s'", last, container)
	case m == "must be defined":
		msg = fmt.Sprintf("missing required field %q", last)
	case m == "cannot be null":
		msg = fmt.Sprintf("expected %s for type %q, but found null", want(sc, typ), name)
	case reCannotUse.MatchString(m):
		s := reCannotUse.FindStringSubmatch(m)
		msg = fmt.Sprintf("expected %s for type %q, but found %s", want(sc, typ), s[2], found(s[1]))
	case reMustBeA.MatchString(m):
		s := reMustBeA.FindStringSubmatch(m)
		msg = fmt.Sprintf("expected an object for type %q, but found %s", s[1], found(s[2]))
	case reNotValid.MatchString(m):
		s := reNotValid.FindStringSubmatch(m)
		if def := sc.Types[s[2]]; def != nil && def.Kind == ast.Enum {
			names := make([]string, len(def.EnumValues))
			for i, ev := range def.EnumValues {
				names[i] = fmt.Sprintf("%q", ev.Name)
			}
			msg = fmt.Sprintf("expected one of the values %s for type %q, but found %q", englishList("or", names), s[2], s[1])
		}
	}
	return apierr.New(apierr.ValidationFailed, msg).WithPath(path)
}

// want says what a value of type t must be, in Hasura's words.
func want(sc *ast.Schema, t *ast.Type) string {
	if t == nil {
		return "a value"
	}
	if t.Elem != nil {
		return "a list"
	}
	def := sc.Types[t.Name()]
	switch {
	case def == nil:
		return "a value"
	case def.Kind == ast.Enum:
		return "an enum value"
	case def.Kind == ast.InputObject:
		return "an object"
	}
	switch def.Name {
	case "Int":
		return "a 32-bit integer"
	case "Float":
		return "a float"
	case "String", "ID":
		return "a string"
	case "Boolean":
		return "a boolean"
	}
	return "a scalar"
}

// found describes a decoded JSON value's Go kind.
func found(kind string) string {
	if s, ok := kindsByGoKind[kind]; ok {
		return s
	}
	return "a " + kind
}
