// Package plan turns a validated GraphQL query operation into one IR root
// per root field, with the role's permissions applied: select filters
// through every relationship, aggregate and by-primary-key path, row limits,
// and aggregation rights. Column permissions are enforced by the role's
// schema, against which the operation was validated.
//
// Variables used as scalar values become ir.Variable, so one plan serves
// every value of them. Variables whose value decides the plan's shape (whole
// input objects, lists of objects, directive conditions, enum arguments) are
// resolved while planning and recorded in Plan.Shape, so the plan can be
// reused only for requests carrying the same values.
package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options tune how values are written.
type Options struct {
	// StringifyNumeric writes bigint, numeric and double precision values as
	// JSON strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumeric bool
}

// Input is everything planning needs.
type Input struct {
	Schema *schema.Schema
	Op     *ast.OperationDefinition
	// Vars holds the request's variable values as raw JSON.
	Vars map[string]json.RawMessage
	// Filter returns the role's select filter on a table (nil for none).
	Filter func(*schema.Table) (ir.BoolExp, error)
	// Visible returns the condition under which the role sees column (or
	// scalar computed field, when computed is set) name of t on the rows
	// it may select: nil when it sees it on all of them. Only inherited
	// roles whose parents grant different columns need it (optional).
	Visible func(t *schema.Table, name string, computed bool) (ir.BoolExp, error)
	Options
}

// Plan is a planned query operation.
type Plan struct {
	Fields []RootField
	// Shape lists the variables resolved while planning with their
	// compacted JSON values (nil when absent).
	Shape []ShapeVar
	// Present lists the variables bound as comparison values; the plan
	// serves only requests that carry them.
	Present []string
	// Checks are run on scalar variable values before execution.
	Checks []Check
}

// RootField is one root field of the response, in response order. Exactly
// one of Root, Typename, Text and Introspect is set.
type RootField struct {
	Alias    string
	Root     *ir.Root
	Typename string
	// Text is a constant string answer (no_queries_available).
	Text       string
	Introspect *ast.Field
	// Path is the field's JSON path for error messages.
	Path string
}

// ShapeVar records what of a variable shaped the plan: that it was absent,
// the structure (Sig) of the object or list at Path inside it, or the
// exact value (Value, JSON) of the scalar at Path.
type ShapeVar struct {
	Name   string
	Path   []any
	Absent bool
	Sig    string
	Value  []byte
}

func (s ShapeVar) key() string {
	k := fmt.Sprintf("%s%v", s.Name, s.Path)
	switch {
	case s.Absent:
		return k + "!absent"
	case s.Value != nil:
		return k + "=value"
	}
	return k + "=sig"
}

// CheckKind is a constraint on a scalar variable value.
type CheckKind int

// Check kinds.
const (
	// NotNull rejects null (comparison values).
	NotNull CheckKind = iota
	// NonNegative rejects negative numbers (limit, offset).
	NonNegative
)

// Check constrains the value of variable Name (at VarPath inside it) used
// at Path.
type Check struct {
	Name    string
	VarPath []any
	Kind    CheckKind
	Path    string
	// Scalar is the GraphQL type name for messages.
	Scalar string
	// HasDefault is true when the variable's definition has a default.
	HasDefault bool
}

// Matches reports whether p can serve a request with vars: every variable
// it binds is there, and every part of a variable that shaped it has the
// same structure or value.
func (p *Plan) Matches(vars map[string]json.RawMessage) bool {
	for _, n := range p.Present {
		if _, ok := vars[n]; !ok {
			return false
		}
	}
	var decoded map[string]any
	for _, s := range p.Shape {
		raw, ok := vars[s.Name]
		if s.Absent || !ok {
			if s.Absent != !ok {
				return false
			}
			continue
		}
		if decoded == nil {
			decoded = map[string]any{}
		}
		root, done := decoded[s.Name]
		if !done {
			t, err := perm.DecodeJSON(raw)
			if err != nil {
				return false
			}
			decoded[s.Name], root = t, t
		}
		v, found := at(root, s.Path)
		if !found {
			return false
		}
		if s.Value != nil {
			b, err := json.Marshal(v)
			if err != nil || !bytes.Equal(b, s.Value) {
				return false
			}
			continue
		}
		if signature(v) != s.Sig {
			return false
		}
	}
	return true
}

// at returns the value at path inside v.
func at(v any, path []any) (any, bool) {
	for _, step := range path {
		switch x := step.(type) {
		case string:
			o, ok := v.(perm.Object)
			if !ok {
				return nil, false
			}
			if v, ok = o.Get(x); !ok {
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

// kindOf classifies a decoded value: 'o' object, 'l' list, 'n' null, 's'
// scalar.
func kindOf(v any) byte {
	switch v.(type) {
	case perm.Object:
		return 'o'
	case []any:
		return 'l'
	case nil:
		return 'n'
	}
	return 's'
}

// signature describes the structure of an object (its keys in order and
// the kind of each value) or a list (the kind of each element); scalars
// have none.
func signature(v any) string {
	var b strings.Builder
	switch x := v.(type) {
	case perm.Object:
		b.WriteByte('{')
		for _, m := range x {
			q, _ := json.Marshal(m.Name)
			b.Write(q)
			b.WriteByte(':')
			b.WriteByte(kindOf(m.Value))
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for _, e := range x {
			b.WriteByte(kindOf(e))
		}
		b.WriteByte(']')
	default:
		b.WriteByte(kindOf(v))
	}
	return b.String()
}

// Build plans a query operation, or a subscription operation as the query
// each poll of it runs (streaming fields excepted).
func Build(in *Input) (*Plan, error) {
	p := &planner{in: in, out: &Plan{}, shapeSeen: map[string]bool{}}
	p.env = perm.Env{
		GraphQL: true,
		RelFilter: func(t *schema.Table) (ir.BoolExp, error) {
			return p.filter(t)
		},
		Resolve: p.resolve,
		Leaf:    p.leafCompare,
		Visible: p.visible,
	}
	if err := p.root(); err != nil {
		return nil, err
	}
	return p.out, nil
}
