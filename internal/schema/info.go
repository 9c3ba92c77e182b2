// Package schema builds, for one role, the GraphQL schema Hasura v2 would
// generate from the catalog and metadata, together with the information the
// planner needs to map every generated field back to database objects.
//
// Build produces the schema (query_root, mutation_root, subscription_root
// and every generated type, as a gqlparser schema ready for validation);
// LoadEnumValues reads the rows of enum tables Build needs; Introspect
// answers __schema, __type and __typename; Schema.SDL prints the schema.
package schema

import (
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
)

// Schema is the GraphQL schema of one role plus its resolution tables.
type Schema struct {
	Role string
	// AST is the schema gqlparser validates queries against (introspection
	// types included).
	AST *ast.Schema
	// Query, Mutation and Subscription map root field names to their meaning.
	Query        map[string]*RootField
	Mutation     map[string]*RootField
	Subscription map[string]*RootField
	// Objects maps a generated object type name ("author",
	// "author_aggregate", "author_aggregate_fields", "author_max_fields",
	// "author_mutation_response", ...) to the table it describes.
	Objects map[string]*Table
	// Tables maps every table the role has some permission on by name (a
	// table with only mutation permissions has Perm.Select nil and no
	// object type).
	Tables map[catalog.QName]*Table
	// Namespace is the source's root field namespace, or "". When set,
	// query_root, mutation_root and subscription_root each have the single
	// field Namespace, whose object type (<ns>_query,
	// <ns>_mutation_frontend, <ns>_subscription) holds the root fields that
	// Query, Mutation and Subscription describe.
	Namespace string
}

// RootKind says what a root field does.
type RootKind int

// Root field kinds.
const (
	RootSelect RootKind = iota
	RootSelectByPK
	RootSelectAggregate
	RootSelectStream
	RootFunction          // a tracked function returning SETOF <table>
	RootFunctionAggregate // <function>_aggregate
	RootInsert
	RootInsertOne
	RootUpdate
	RootUpdateByPK
	RootUpdateMany
	RootDelete
	RootDeleteByPK
)

// RootField is one generated root field.
type RootField struct {
	Name     string
	Kind     RootKind
	Table    *Table
	Function *Function // for RootFunction / RootFunctionAggregate
}

// Table is a tracked table as one role sees it.
type Table struct {
	Name    catalog.QName
	Catalog *catalog.Table
	Meta    *metadata.Table
	// GQLName is the base of its GraphQL names ("author", or the custom
	// name); TypeName gives its type names.
	GQLName string
	// Fields maps a GraphQL field name of the table's object type to its meaning.
	Fields map[string]*Field
	// ColumnField maps a column's database name to its GraphQL field name.
	ColumnField map[string]string
	// Columns maps the GraphQL name of every column, selectable or not, to
	// the column (mutation inputs name columns the role may not select).
	Columns map[string]*catalog.Column
	// Relationships maps the name of every relationship of the table that
	// resolves against the catalog, including those to tables the role
	// cannot select from (nested inserts use them).
	Relationships map[string]*Relationship
	// Perm is the role's permissions on the table (for admin: everything, no filters).
	Perm Permissions
	// IsEnum is true for enum tables (is_enum); EnumType names their GraphQL enum.
	IsEnum   bool
	EnumType string
	// Description is the description of the table's object type.
	Description string
	// QuotedName is the table name as Hasura quotes it in descriptions:
	// "author", or "schema.author" outside public.
	QuotedName string

	typePrefix, typeSuffix string
}

// IR returns the table's name in the IR.
func (t *Table) IR() ir.Table { return ir.Table{Schema: t.Name.Schema, Name: t.Name.Name} }

// TypeName returns the name of one of the table's generated types: suffix
// is "" for the object type, or "_bool_exp", "_aggregate",
// "_mutation_response", ... The source's type name prefix and suffix
// (customization.type_names) are applied.
func (t *Table) TypeName(suffix string) string {
	return t.typePrefix + t.GQLName + suffix + t.typeSuffix
}

// FieldKind says what a table field is.
type FieldKind int

// Field kinds.
const (
	FieldColumn FieldKind = iota
	FieldObjectRel
	FieldArrayRel
	FieldArrayAggregate // <rel>_aggregate
	FieldComputedScalar
	FieldComputedSet // computed field returning SETOF <table>
	FieldComputedSetAggregate
)

// Field is one field of a table's object type (and of its bool_exp / order_by inputs).
type Field struct {
	Name     string // GraphQL name
	Kind     FieldKind
	Column   *catalog.Column
	Rel      *Relationship
	Computed *Computed
	// Type is the GraphQL named type of a column or scalar computed field
	// ("Int", "timestamptz", "color_enum"); EnumTable is set when the column
	// references an enum table.
	Type      string
	EnumTable *Table
}

// Relationship is an object or array relationship.
type Relationship struct {
	Name       string
	Object     bool
	Target     *Table // nil if the role cannot select from the target
	TargetName catalog.QName
	Mapping    []ir.ColumnPair
	// Nullable is false for object relationships Hasura types as non-null
	// (defined by a foreign key on non-nullable local columns).
	Nullable bool
	// InsertionOrder says when a related row of a nested insert is inserted:
	// "before_parent" (object relationships on local foreign key columns)
	// or "after_parent" (array relationships, reverse object
	// relationships); for manual relationships it is the metadata's
	// insertion_order, and "" when unset (no nested inserts then).
	InsertionOrder string
}

// IR returns the relationship in the IR.
func (r *Relationship) IR() ir.Relationship {
	return ir.Relationship{Target: ir.Table{Schema: r.TargetName.Schema, Name: r.TargetName.Name}, Mapping: r.Mapping}
}

// Computed is a computed field.
type Computed struct {
	Name     string
	Function *catalog.Function
	// TableArgIndex is the position of the row argument; SessionArgIndex is
	// the position of the session argument, or -1.
	TableArgIndex   int
	SessionArgIndex int
	// Returns is the returned table for set-returning computed fields.
	Returns *Table
	// ReturnType is the scalar type for scalar computed fields.
	ReturnType catalog.ColumnType
}

// Function is a tracked function exposed as root fields.
type Function struct {
	Name            catalog.QName
	Catalog         *catalog.Function
	Meta            *metadata.Function
	Returns         *Table
	SessionArgIndex int // -1 when none
}

// Permissions is a role's access to a table. Nil pointers mean no access of
// that kind. Filters and checks are parsed by the planner from the metadata
// JSON (BoolExp) against the table.
type Permissions struct {
	Select *SelectPerm
	Insert *metadata.InsertPermission
	Update *metadata.UpdatePermission
	Delete *metadata.DeletePermission
}

// SelectPerm is a resolved select permission.
type SelectPerm struct {
	// Columns are the database names of the selectable columns.
	Columns           map[string]bool
	ComputedFields    map[string]bool
	Filter            metadata.BoolExp
	Limit             *int
	AllowAggregations bool
	// Admin is true for the admin role (no filter, no limit).
	Admin bool
	// Filters are the row filters to OR together. An ordinary role has
	// exactly one (its Filter); an inherited role has one per parent role
	// that can select from the table.
	Filters []metadata.BoolExp
	// Parents holds, for an inherited role, the resolved permission of each
	// parent role that can select from the table (in role_set order), so a
	// column can be returned only for rows a parent granting that column
	// may see. Nil for ordinary roles.
	Parents []*SelectPerm
	// QueryRootFields and SubscriptionRootFields restrict the root fields
	// ("select", "select_by_pk", "select_aggregate", "select_stream"); nil
	// means all.
	QueryRootFields        []string
	SubscriptionRootFields []string
}
