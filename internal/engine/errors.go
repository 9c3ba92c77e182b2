package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// validationRules are the GraphQL validation rules Hasura applies: the
// standard set, except that unused variables are allowed and that an
// offset argument accepts a String (see offsetStringValues).
func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.RemoveRule(rules.NoUnusedVariablesRule.Name)
	r.ReplaceRule(rules.ValuesOfCorrectTypeRule.Name, offsetStringValues(rules.ValuesOfCorrectTypeRule.RuleFunc))
	return r
}

// offsetStringValues wraps the values-of-correct-type rule so that a String
// literal given for a field argument named offset of type Int passes:
// Hasura types offset as Int but also takes a 64-bit integer written as a
// string. The planner parses the string and rejects one that is not a
// non-negative integer. Every other value is checked as before.
func offsetStringValues(inner core.RuleFunc) core.RuleFunc {
	return func(observers *core.Events, addError core.AddErrFunc) {
		var offsets map[*ast.Value]bool // the document's offset String literals
		skip := false                   // the value being checked is one of them
		observers.OnValue(func(w *core.Walker, v *ast.Value) {
			if offsets == nil {
				offsets = offsetStrings(w.Document)
			}
			skip = offsets[v] && v.ExpectedType != nil && v.ExpectedType.Elem == nil &&
				v.Definition != nil && v.Definition.Name == "Int"
		})
		inner(observers, func(opts ...core.ErrorOption) {
			if !skip {
				addError(opts...)
			}
		})
		observers.OnValue(func(*core.Walker, *ast.Value) { skip = false })
	}
}

// offsetStrings finds the String literals given for field arguments named
// offset anywhere in doc.
func offsetStrings(doc *ast.QueryDocument) map[*ast.Value]bool {
	out := map[*ast.Value]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					if a.Name == "offset" && a.Value != nil && a.Value.Kind == ast.StringValue {
						out[a.Value] = true
					}
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	return out
}

// parseQuery parses a query document, mapping syntax errors to Hasura's
// parse-failed error.
func parseQuery(q string) (*ast.QueryDocument, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		msg := err.Error()
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			msg = ge.Message
		}
		if msg == "" {
			msg = "not a valid graphql query"
		}
		return nil, apierr.New(apierr.ParseFailed, msg).WithPath("$.query")
	}
	return doc, nil
}

var (
	reCannotQuery     = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"`)
	reUnknownInput    = regexp.MustCompile(`^Field "([^"]+)" is not defined by type "([^"]+)"`)
	reUnknownArg      = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"`)
	reUnknownDir      = regexp.MustCompile(`^Unknown directive "@([^"]+)"`)
	reMisplacedDir    = regexp.MustCompile(`^Directive "@([^"]+)" may not be used on ([A-Z_]+)`)
	reDuplicateDir    = regexp.MustCompile(`^The directive "@([^"]+)" can only be used once`)
	reVarPosition     = regexp.MustCompile(`^Variable "\$([^"]+)" of type "([^"]+)" used in position expecting type "([^"]+)"`)
	reMissingArg      = regexp.MustCompile(`^Field "([^"]+)" argument "([^"]+)" of type "([^"]+)" is required`)
	reMissingInput    = regexp.MustCompile(`^Field "([^".]+)\.([^"]+)" of required type "([^"]+)" was not provided`)
	reFragmentCycle   = regexp.MustCompile(`^Cannot spread fragment "([^"]+)" within itself(?: via (.*))?\.$`)
	reUnsupportedRoot = regexp.MustCompile(`^Schema does not support operation type "([^"]+)"`)
	reNoSubfields     = regexp.MustCompile(`^Field "([^"]+)" must not have a selection since type`)
	reNeedsSubfields  = regexp.MustCompile(`^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields`)
)

// firstError picks the error Hasura, which checks a document top-down,
// reports: the one earliest in the document.
func firstError(errs gqlerror.List) *gqlerror.Error {
	best := errs[0]
	pos := func(e *gqlerror.Error) (int, int) {
		if len(e.Locations) == 0 {
			return 1 << 30, 0
		}
		return e.Locations[0].Line, e.Locations[0].Column
	}
	for _, e := range errs[1:] {
		bl, bc := pos(best)
		l, c := pos(e)
		if l < bl || (l == bl && c < bc) {
			best = e
		}
	}
	return best
}

// validationError turns a gqlparser validation error into Hasura's
// validation-failed error with Hasura's message and JSON path.
func validationError(doc *ast.QueryDocument, ge *gqlerror.Error) error {
	loc := newLocator(doc)
	var line, col int
	if len(ge.Locations) > 0 {
		line, col = ge.Locations[0].Line, ge.Locations[0].Column
	}
	at := func(kind nodeKind) string {
		if p, ok := loc.find(kind, line, col); ok {
			return p
		}
		return "$"
	}
	msg, path := ge.Message, "$"
	switch m := ge.Message; {
	case reCannotQuery.MatchString(m):
		s := reCannotQuery.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("field %q not found in type: '%s'", s[1], s[2]), at(nodeField)
	case reUnknownInput.MatchString(m):
		s := reUnknownInput.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("field %q not found in type: '%s'", s[1], s[2]), at(nodeValue)
	case reUnknownArg.MatchString(m):
		s := reUnknownArg.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("%q has no argument named %q", s[3], s[1]), at(nodeField)
		if path == "$" {
			path = at(nodeArgField)
		}
	case reUnknownDir.MatchString(m):
		s := reUnknownDir.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("directive %q is not defined in the schema", s[1]), at(nodeDirective)
	case reMisplacedDir.MatchString(m):
		s := reMisplacedDir.FindStringSubmatch(m)
		where := strings.ToLower(strings.ReplaceAll(s[2], "_", " "))
		msg, path = fmt.Sprintf("directive %q is not allowed on a %s", s[1], where), at(nodeDirective)
	case reDuplicateDir.MatchString(m):
		s := reDuplicateDir.FindStringSubmatch(m)
		msg, path = "the following directives are used more than once: "+s[1], at(nodeDirective)
	case reVarPosition.MatchString(m):
		s := reVarPosition.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("variable %q is declared as %s, but used where %s is expected", s[1], s[2], s[3]), at(nodeValue)
	case reMissingArg.MatchString(m):
		s := reMissingArg.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("missing required field %q", s[2]), at(nodeField)
		if path != "$" {
			path += ".args." + s[2]
		}
	case reMissingInput.MatchString(m):
		s := reMissingInput.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("missing required field %q", s[2]), at(nodeValue)
		if path != "$" {
			path += "." + s[2]
		}
	case reNeedsSubfields.MatchString(m):
		s := reNeedsSubfields.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("missing selection set for %q", strings.Trim(s[2], "[]!")), at(nodeField)
		if path != "$" {
			path += ".selectionSet"
		}
	case reNoSubfields.MatchString(m):
		msg, path = "unexpected subselection set for non-object field", at(nodeField)
	case ge.Rule == "ValuesOfCorrectType":
		if v := loc.values[posKey{nodeValue, line, col}]; v != nil {
			msg = typeMismatch(v)
		}
		path = at(nodeValue)
	case reFragmentCycle.MatchString(m):
		s := reFragmentCycle.FindStringSubmatch(m)
		via := strings.ReplaceAll(strings.ReplaceAll(s[2], `"`, ""), ", ", ",")
		if via != "" {
			via += ","
		}
		msg, path = fmt.Sprintf("cannot spread fragment %q within itself via %s%s", s[1], via, s[1]), at(nodeSpread)
	case reUnsupportedRoot.MatchString(m):
		s := reUnsupportedRoot.FindStringSubmatch(m)
		msg = fmt.Sprintf("no %ss exist", s[1])
	default:
		if p, ok := loc.find(nodeValue, line, col); ok {
			path = p
		} else if p, ok := loc.find(nodeField, line, col); ok {
			path = p
		}
	}
	return apierr.New(apierr.ValidationFailed, msg).WithPath(path)
}

// nodeKind is what a located path points to.
type nodeKind int

const (
	nodeField     nodeKind = iota // a field: $.selectionSet.a
	nodeArgField                  // the field owning an argument at a position
	nodeValue                     // an argument or input value: ...args.where.id._eq
	nodeDirective                 // the selection set holding a directive
	nodeSpread                    // the selection set reached through a fragment spread
)

type posKey struct {
	kind      nodeKind
	line, col int
}

// locator maps source positions of a query document to Hasura's JSON
// paths ($.selectionSet.<field>.args.<arg>...).
type locator struct {
	doc    *ast.QueryDocument
	paths  map[posKey]string
	values map[posKey]*ast.Value
}

func newLocator(doc *ast.QueryDocument) *locator {
	l := &locator{doc: doc, paths: map[posKey]string{}, values: map[posKey]*ast.Value{}}
	for _, op := range doc.Operations {
		for _, d := range op.Directives {
			l.add(nodeDirective, d.Position, "$")
		}
		l.selections(op.SelectionSet, "$", map[string]bool{}, 0)
	}
	return l
}

func (l *locator) add(k nodeKind, p *ast.Position, path string) {
	if p == nil {
		return
	}
	key := posKey{k, p.Line, p.Column}
	if _, ok := l.paths[key]; !ok {
		l.paths[key] = path
	}
}

func (l *locator) find(k nodeKind, line, col int) (string, bool) {
	p, ok := l.paths[posKey{k, line, col}]
	return p, ok
}

// selections records the paths under a selection set owned by parent.
func (l *locator) selections(set ast.SelectionSet, parent string, active map[string]bool, depth int) {
	if depth > 100 {
		return
	}
	sel := parent + ".selectionSet"
	for _, s := range set {
		switch x := s.(type) {
		case *ast.Field:
			key := x.Alias
			if key == "" {
				key = x.Name
			}
			fp := sel + "." + key
			l.add(nodeField, x.Position, fp)
			for _, d := range x.Directives {
				l.add(nodeDirective, d.Position, sel)
			}
			for _, a := range x.Arguments {
				l.add(nodeArgField, a.Position, fp)
				l.value(a.Value, fp+".args."+a.Name)
			}
			l.selections(x.SelectionSet, fp, active, depth+1)
		case *ast.FragmentSpread:
			for _, d := range x.Directives {
				l.add(nodeDirective, d.Position, sel)
			}
			fp := sel + "." + x.Name
			l.add(nodeSpread, x.Position, sel)
			if active[x.Name] {
				continue
			}
			if f := l.doc.Fragments.ForName(x.Name); f != nil {
				active[x.Name] = true
				l.selections(f.SelectionSet, fp, active, depth+1)
				delete(active, x.Name)
			}
		case *ast.InlineFragment:
			for _, d := range x.Directives {
				l.add(nodeDirective, d.Position, sel)
			}
			l.selections(x.SelectionSet, parent, active, depth+1)
		}
	}
}

func (l *locator) value(v *ast.Value, path string) {
	if v == nil {
		return
	}
	l.add(nodeValue, v.Position, path)
	if v.Position != nil {
		k := posKey{nodeValue, v.Position.Line, v.Position.Column}
		if _, ok := l.values[k]; !ok {
			l.values[k] = v
		}
	}
	for i, c := range v.Children {
		cp := path + "." + c.Name
		if v.Kind == ast.ListValue {
			cp = fmt.Sprintf("%s[%d]", path, i)
		}
		l.add(nodeValue, c.Position, cp)
		l.value(c.Value, cp)
	}
}

// typeMismatch describes a literal of the wrong type as Hasura does:
// expected <what the type takes> for type "T", but found <what was given>.
func typeMismatch(v *ast.Value) string {
	name := ""
	if v.ExpectedType != nil {
		name = v.ExpectedType.Name()
	}
	found := describeValue(v)
	if v.Definition != nil && v.Definition.Kind == ast.Enum && v.ExpectedType != nil && v.ExpectedType.Elem == nil &&
		(v.Kind == ast.EnumValue || v.Kind == ast.StringValue) {
		names := make([]string, len(v.Definition.EnumValues))
		for i, ev := range v.Definition.EnumValues {
			names[i] = fmt.Sprintf("%q", ev.Name)
		}
		if v.Kind == ast.EnumValue {
			return fmt.Sprintf("expected one of the values %s for type %q, but found %q", englishList("or", names), name, v.Raw)
		}
	}
	var want string
	switch {
	case v.ExpectedType != nil && v.ExpectedType.Elem != nil:
		want = "a list"
	case v.Definition == nil:
		want = "a value"
	case v.Definition.Kind == ast.Enum:
		want = "an enum value"
	case v.Definition.Kind == ast.InputObject:
		want = "an object"
	default:
		switch v.Definition.Name {
		case "Int":
			want = "a 32-bit integer"
		case "Float":
			want = "a float"
		case "String", "ID":
			want = "a string"
		case "Boolean":
			want = "a boolean"
		default:
			want = "a scalar"
		}
	}
	return fmt.Sprintf("expected %s for type %q, but found %s", want, name, found)
}

func describeValue(v *ast.Value) string {
	switch v.Kind {
	case ast.IntValue:
		return "an integer"
	case ast.FloatValue:
		return "a float"
	case ast.StringValue, ast.BlockValue:
		return "a string"
	case ast.BooleanValue:
		return "a boolean"
	case ast.NullValue:
		return "null"
	case ast.EnumValue:
		return "an enum value"
	case ast.ListValue:
		return "a list"
	case ast.ObjectValue:
		return "an object"
	}
	return "a variable"
}

// englishList joins items as "a", "a or b", or "a, b, or c".
func englishList(joiner string, items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " " + joiner + " " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + ", " + joiner + " " + items[len(items)-1]
}
