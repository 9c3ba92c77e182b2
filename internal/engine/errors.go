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
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// validationRules are the GraphQL validation rules Hasura applies: the
// standard set, except that unused variables are allowed.
func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.RemoveRule(rules.NoUnusedVariablesRule.Name)
	return r
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
)

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
		msg, path = fmt.Sprintf("'%s' has no argument named '%s'", s[3], s[1]), at(nodeArgField)
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
		msg, path = fmt.Sprintf("missing required field '%s'", s[2]), at(nodeField)
		if path != "$" {
			path += ".args"
		}
	case reMissingInput.MatchString(m):
		s := reMissingInput.FindStringSubmatch(m)
		msg, path = fmt.Sprintf("missing required field '%s'", s[2]), at(nodeValue)
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
	doc   *ast.QueryDocument
	paths map[posKey]string
}

func newLocator(doc *ast.QueryDocument) *locator {
	l := &locator{doc: doc, paths: map[posKey]string{}}
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
	for i, c := range v.Children {
		cp := path + "." + c.Name
		if v.Kind == ast.ListValue {
			cp = fmt.Sprintf("%s[%d]", path, i)
		}
		l.add(nodeValue, c.Position, cp)
		l.value(c.Value, cp)
	}
}
