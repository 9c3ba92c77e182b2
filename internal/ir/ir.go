// Package ir is the engine's intermediate representation: what a GraphQL
// operation asks of the database, after the schema has resolved names and the
// planner has applied the role's permissions. It is pure data. The sqlgen
// package alone turns it into SQL; nothing here knows SQL syntax or GraphQL.
//
// Column, relationship and table names in the IR are database names (never
// GraphQL aliases or custom names). Every value that comes from a request is a
// Value that sqlgen binds as a parameter.
package ir

// Table is a schema-qualified relation or function name.
type Table struct {
	Schema string
	Name   string
}

// ---------------------------------------------------------------------------
// Values

// Value is something bound as a query parameter, cast to Type.
type Value interface{ isValue() }

// Literal is a value known when the plan is built (from the query text, from
// a variable that decides the plan's shape, or from metadata). Val is the JSON
// form decoded by encoding/json with UseNumber: nil, bool, json.Number,
// string, []any or map[string]any.
type Literal struct {
	Val  any
	Type string // Postgres type to cast to, e.g. "integer", "text[]", "jsonb"
}

// Variable is a GraphQL variable bound at execution, so one plan serves every
// value of it. Path selects inside the variable's value (field names and list
// indexes) when the variable is an input object or list.
type Variable struct {
	Name string
	Path []any
	Type string
	// Default is the variable definition's default value, used when absent.
	Default any
}

// SessionVar is a session variable (x-hasura-*) bound at execution.
type SessionVar struct {
	Name string // lower-case, e.g. "x-hasura-user-id"
	Type string
}

func (Literal) isValue()    {}
func (Variable) isValue()   {}
func (SessionVar) isValue() {}

// ---------------------------------------------------------------------------
// Boolean expressions. Column references are relative to the row of the
// relation the expression is attached to.

// BoolExp is a filter. A nil BoolExp means true.
type BoolExp interface{ isBoolExp() }

// And is true when every member is (true when empty).
type And []BoolExp

// Or is true when some member is (false when empty).
type Or []BoolExp

// Not negates Exp.
type Not struct{ Exp BoolExp }

// Const is a constant true or false.
type Const bool

// Operand is the left side of a comparison: a column, possibly cast or the
// result of a computed field.
type Operand interface{ isOperand() }

// ColumnOp is a column of the current row, optionally cast (Hasura's _cast).
type ColumnOp struct {
	Name string
	Type string // the column's type
	Cast string // when set, compare (column)::Cast
	// Visible, when set, makes the operand null on rows not matching it
	// (an inherited role filtering on a column only some parents grant;
	// see ColumnField).
	Visible BoolExp
}

// ComputedOp is a scalar computed field of the current row.
type ComputedOp struct {
	Function Table
	// Args are the function's arguments by position or name; the one with
	// RowArg set receives the current row (when none has it, the row is
	// passed first).
	Args []Arg
	Type string
	// Visible is as in ColumnOp, for comparisons and orderings.
	Visible BoolExp
}

func (ColumnOp) isOperand()   {}
func (ComputedOp) isOperand() {}

// Compare applies Op to Left and Right.
type Compare struct {
	Left Operand
	Op   CompareOp
	// Right is a Value, or a ColumnOp for column comparisons (_ceq etc.), or
	// a RootColumnOp when the value is a column of the outermost row.
	Right any
}

// RootColumnOp refers to a column of the root table of the filter (Hasura's
// ["$", "col"] in column comparisons).
type RootColumnOp struct {
	Name string
}

// CompareOp is a comparison operator; the names follow Hasura's operators.
type CompareOp string

// Comparison operators.
const (
	OpEq               CompareOp = "_eq"
	OpNeq              CompareOp = "_neq"
	OpGt               CompareOp = "_gt"
	OpLt               CompareOp = "_lt"
	OpGte              CompareOp = "_gte"
	OpLte              CompareOp = "_lte"
	OpIn               CompareOp = "_in"  // Right is an array-typed Value
	OpNin              CompareOp = "_nin" // Right is an array-typed Value
	OpLike             CompareOp = "_like"
	OpNlike            CompareOp = "_nlike"
	OpIlike            CompareOp = "_ilike"
	OpNilike           CompareOp = "_nilike"
	OpSimilar          CompareOp = "_similar"
	OpNsimilar         CompareOp = "_nsimilar"
	OpRegex            CompareOp = "_regex"
	OpNregex           CompareOp = "_nregex"
	OpIregex           CompareOp = "_iregex"
	OpNiregex          CompareOp = "_niregex"
	OpContains         CompareOp = "_contains"
	OpContainedIn      CompareOp = "_contained_in"
	OpHasKey           CompareOp = "_has_key"
	OpHasKeysAny       CompareOp = "_has_keys_any"
	OpHasKeysAll       CompareOp = "_has_keys_all"
	OpCeq              CompareOp = "_ceq"
	OpCneq             CompareOp = "_cneq"
	OpCgt              CompareOp = "_cgt"
	OpClt              CompareOp = "_clt"
	OpCgte             CompareOp = "_cgte"
	OpClte             CompareOp = "_clte"
	OpSTContains       CompareOp = "_st_contains"
	OpSTCrosses        CompareOp = "_st_crosses"
	OpSTEquals         CompareOp = "_st_equals"
	OpSTIntersects     CompareOp = "_st_intersects"
	OpSTOverlaps       CompareOp = "_st_overlaps"
	OpSTTouches        CompareOp = "_st_touches"
	OpSTWithin         CompareOp = "_st_within"
	OpSTDWithin        CompareOp = "_st_d_within" // Right is a DWithin
	OpSTIntersectsRast CompareOp = "_st_intersects_rast"
)

// DWithin is the right side of _st_d_within: {from, distance, use_spheroid}.
type DWithin struct {
	From        Value
	Distance    Value
	UseSpheroid Value // nil for geometry
}

// IsNull tests a column for NULL (IsNull false tests NOT NULL).
type IsNull struct {
	Left   Operand
	IsNull bool
}

// RelExists is true when some row of the relationship's target matches Where
// (a filter through an object or array relationship).
type RelExists struct {
	Rel   Relationship
	Where BoolExp
}

// Exists is Hasura's _exists: some row of an unrelated table matches Where.
type Exists struct {
	Table Table
	Where BoolExp
}

// ComputedExists is true when some row that a set-returning computed field
// returns for the current row matches Where (a filter through a computed
// field returning SETOF a table).
type ComputedExists struct {
	Function Table
	// Args are the function's arguments; the one with RowArg set receives
	// the current row (when none has it, the row is passed first).
	Args  []Arg
	Where BoolExp
}

// AggregatePredicate is Hasura's aggregate predicate over an array
// relationship: Function(Columns) over the related rows matching Filter,
// compared with Predicate.
type AggregatePredicate struct {
	Rel      Relationship
	Function string // count, bool_and, bool_or
	Columns  []string
	// Visible, when set, is parallel to Columns: each column's visibility
	// condition on the related rows (see ColumnField), nil for always.
	Visible   []BoolExp
	Distinct  bool
	Filter    BoolExp
	Op        CompareOp
	Value     Value
	ValueType string
}

func (And) isBoolExp()                {}
func (Or) isBoolExp()                 {}
func (Not) isBoolExp()                {}
func (Const) isBoolExp()              {}
func (Compare) isBoolExp()            {}
func (IsNull) isBoolExp()             {}
func (RelExists) isBoolExp()          {}
func (Exists) isBoolExp()             {}
func (ComputedExists) isBoolExp()     {}
func (AggregatePredicate) isBoolExp() {}

// ---------------------------------------------------------------------------
// Relationships

// Relationship joins the current row to rows of Target.
type Relationship struct {
	Target Table
	// Mapping pairs a column of the current row with a column of Target.
	Mapping []ColumnPair
}

// ColumnPair maps Outer (current row) to Inner (target row).
type ColumnPair struct {
	Outer string
	Inner string
}

// ---------------------------------------------------------------------------
// Selections

// From is the relation a selection reads: a table, or a function call that
// returns rows of a table.
type From struct {
	Table    Table
	Function *FunctionCall
}

// FunctionCall calls a set-returning function.
type FunctionCall struct {
	Name Table
	Args []Arg
}

// Arg is one function argument. Name is empty for positional arguments.
// A RowArg argument passes the current (outer) row.
type Arg struct {
	Name   string
	Value  Value
	RowArg bool
}

// Select reads rows. It is used for root list fields, _by_pk fields, object
// and array relationships and set-returning computed fields.
type Select struct {
	From       From
	Where      BoolExp
	OrderBy    []OrderBy
	DistinctOn []string
	Limit      Value // nil for no limit; an integer Value otherwise
	Offset     Value
	// PermLimit is the role's row limit; the effective limit is the
	// smaller of it and Limit.
	PermLimit *int
	Fields    []Field
	// Single makes the result one object (or null) instead of an array.
	Single bool
}

// OrderBy is one ordering term.
type OrderBy struct {
	Expr OrderExpr
	Desc bool
	// NullsFirst follows Hasura: asc defaults to nulls last, desc to nulls first.
	NullsFirst bool
}

// OrderExpr is what rows are ordered by.
type OrderExpr interface{ isOrderExpr() }

// OrderColumn orders by a column; Visible is as in ColumnOp.
type OrderColumn struct {
	Name    string
	Visible BoolExp
}

// OrderObjectRel orders by an expression on the row an object relationship
// points to (Where holds the target's permission filter).
type OrderObjectRel struct {
	Rel   Relationship
	Where BoolExp
	Expr  OrderExpr
}

// OrderArrayAggregate orders by an aggregate of an array relationship:
// Function is "count" (Column empty) or max, min, sum, avg, ... of Column.
type OrderArrayAggregate struct {
	Rel      Relationship
	Where    BoolExp
	Function string
	Column   string
	// Visible is as in ColumnOp, for Column of the related rows.
	Visible BoolExp
	// Source, when set, replaces Rel: the rows are those a set-returning
	// computed field returns for the current row (its RowArg argument).
	Source *FunctionCall
}

// OrderComputed orders by a scalar computed field.
type OrderComputed struct{ Op ComputedOp }

func (OrderColumn) isOrderExpr()         {}
func (OrderObjectRel) isOrderExpr()      {}
func (OrderArrayAggregate) isOrderExpr() {}
func (OrderComputed) isOrderExpr()       {}

// Field is one output field of an object, under its response key.
type Field struct {
	Alias string
	Value FieldValue
}

// FieldValue is how one output field is computed.
type FieldValue interface{ isFieldValue() }

// Encoding says how a scalar is written into the JSON response.
type Encoding int

// Encodings.
const (
	EncodeDefault Encoding = iota // Postgres's own to_json of the value
	EncodeText                    // the value's text form as a JSON string (stringified numerics, money, ...)
	EncodeGeoJSON                 // PostGIS geometry/geography as GeoJSON
)

// ColumnField outputs a column.
type ColumnField struct {
	Name     string
	Type     string
	Encoding Encoding
	// JSONPath, when set, selects inside a json/jsonb column (Hasura's
	// path argument), e.g. "$.a.b[0]".
	JSONPath string
	// Visible, when set, is the condition under which the row may show the
	// column; on other rows the value is null. An inherited role reads a
	// column only on the rows of the parents granting it.
	Visible BoolExp
}

// ConstField outputs a constant string (e.g. __typename).
type ConstField struct{ Value string }

// ObjectRelField outputs the row an object relationship points to (or null).
type ObjectRelField struct {
	Rel    Relationship
	Select *Select // Single is true
}

// ArrayRelField outputs the rows of an array relationship.
type ArrayRelField struct {
	Rel    Relationship
	Select *Select
}

// ArrayAggregateField outputs an aggregate over an array relationship.
type ArrayAggregateField struct {
	Rel       Relationship
	Aggregate *Aggregate
}

// ComputedScalarField outputs a scalar computed field.
type ComputedScalarField struct {
	Op       ComputedOp
	Encoding Encoding
	// Visible is as in ColumnField.
	Visible BoolExp
}

// ComputedSetField outputs a set-returning computed field; Select.From holds
// the function call with its RowArg.
type ComputedSetField struct {
	Select *Select
}

func (ColumnField) isFieldValue()         {}
func (ConstField) isFieldValue()          {}
func (ObjectRelField) isFieldValue()      {}
func (ArrayRelField) isFieldValue()       {}
func (ArrayAggregateField) isFieldValue() {}
func (ComputedScalarField) isFieldValue() {}
func (ComputedSetField) isFieldValue()    {}

// Aggregate is a <t>_aggregate selection: the same row source as Select,
// and the fields of the <t>_aggregate object.
type Aggregate struct {
	From       From
	Where      BoolExp
	OrderBy    []OrderBy
	DistinctOn []string
	Limit      Value
	Offset     Value
	PermLimit  *int
	Fields     []AggregateField
}

// AggregateField is a field of <t>_aggregate: "aggregate", "nodes" or __typename.
type AggregateField struct {
	Alias string
	// Exactly one of the following is set.
	Summary []SummaryField // the "aggregate" object's fields
	Nodes   []Field        // the "nodes" list's fields
	Const   *string        // __typename
}

// SummaryField is a field of <t>_aggregate_fields.
type SummaryField struct {
	Alias string
	// Count: count(*) when Columns is empty, else count(columns).
	Count         bool
	CountColumns  []string
	CountDistinct bool
	// CountVisible, when set, is parallel to CountColumns: each column's
	// visibility condition (see ColumnField), nil for always.
	CountVisible []BoolExp
	// Op is sum, avg, max, min, stddev, stddev_pop, stddev_samp, variance,
	// var_pop or var_samp, applied to each of Columns.
	Op      string
	Columns []OpColumn
	Const   *string // __typename
}

// OpColumn is one column under an aggregate operator.
type OpColumn struct {
	Alias    string
	Name     string
	Type     string
	Encoding Encoding
	Const    *string // __typename
	// Visible is as in ColumnField: rows not matching it do not count.
	Visible BoolExp
}

// ---------------------------------------------------------------------------
// Root fields

// Root is one root field of a query, compiled to one SQL statement whose single
// row and column is the field's JSON value.
type Root struct {
	Alias string
	// Exactly one of the following is set.
	Select    *Select
	Aggregate *Aggregate
}

// SessionJSON is the whole session (every x-hasura-* variable) as a json
// object, bound at execution; it is what a function's session argument
// receives.
type SessionJSON struct{}

func (SessionJSON) isValue() {}
