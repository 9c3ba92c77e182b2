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

// ShapeVar is a variable whose value shaped the plan.
type ShapeVar struct {
	Name  string
	Value []byte
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

// Check constrains the value of variable Name used at Path.
type Check struct {
	Name string
	Kind CheckKind
	Path string
	// Scalar is the GraphQL type name for messages.
	Scalar string
	// HasDefault is true when the variable's definition has a default.
	HasDefault bool
}

// Matches reports whether vars carries the same values for every shape
// variable of p, so that p can serve a request with vars.
func (p *Plan) Matches(vars map[string]json.RawMessage) bool {
	for _, n := range p.Present {
		if _, ok := vars[n]; !ok {
			return false
		}
	}
	for _, s := range p.Shape {
		raw, ok := vars[s.Name]
		if !ok {
			if s.Value != nil {
				return false
			}
			continue
		}
		if s.Value == nil || !bytes.Equal(compact(raw), s.Value) {
			return false
		}
	}
	return true
}

func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
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
	}
	if err := p.root(); err != nil {
		return nil, err
	}
	return p.out, nil
}
