// Package catalog describes the PostgreSQL objects the engine can expose:
// tables, views, columns and their types, keys, foreign keys, functions and
// enum types. Load introspects a database with a few queries.
//
// After arbitrary DDL, compare a TakeFingerprint taken before with one taken
// after (Diff) and pass the Changes to (*Catalog).Refresh, which reloads
// only what changed (and what depends on it) into a copy of the catalog.
package catalog

// QName is a schema-qualified object name.
type QName struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

// String returns schema.name (unquoted, for messages).
func (q QName) String() string { return q.Schema + "." + q.Name }

// Catalog is a snapshot of the introspected database.
type Catalog struct {
	Tables    map[QName]*Table
	Functions map[QName][]*Function // overloads grouped by name
	Types     map[QName]*Type       // enum, composite, domain and other user types by name
	// PostGIS reports whether the postgis extension is installed.
	PostGIS bool
	// Extensions maps each installed extension's name to its version.
	Extensions map[string]string
	// ServerVersion is the server_version_num setting, e.g. 150004.
	ServerVersion int
}

// TableKind tells what kind of relation a Table is.
type TableKind string

// Relation kinds.
const (
	KindTable            TableKind = "table"
	KindView             TableKind = "view"
	KindMaterializedView TableKind = "materialized_view"
	KindForeignTable     TableKind = "foreign_table"
	KindPartitionedTable TableKind = "partitioned_table"
)

// Table is a table, view, materialized view or foreign table.
type Table struct {
	Name        QName
	OID         uint32
	Kind        TableKind
	Description string
	Columns     []*Column // in ordinal order
	// PrimaryKey is nil when the relation has none.
	PrimaryKey *Constraint
	// Uniques are unique constraints and unique indexes without predicates
	// (primary key excluded).
	Uniques     []*Constraint
	ForeignKeys []*ForeignKey
	// For views: whether rows can be inserted, updated or deleted.
	Insertable, Updatable, Deletable bool
	// IsPartition is true for a partition of a partitioned table.
	IsPartition bool
}

// Column returns the column named name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Column is one column of a relation.
type Column struct {
	Name        string
	Ordinal     int
	Type        ColumnType
	Nullable    bool
	HasDefault  bool
	IsIdentity  bool
	IsGenerated bool
	Description string
	// IdentityAlways is true for GENERATED ALWAYS AS IDENTITY columns, which
	// reject explicit values on insert.
	IdentityAlways bool
	// Default is the column's default (or generation) expression as
	// Postgres prints it, e.g. "now()"; empty when none.
	Default string
	// FullType is the type with its modifiers as Postgres prints it, e.g.
	// "character varying(64)" or "numeric(10,2)" (user types may be
	// unqualified here when on the search path).
	FullType string
}

// ColumnType is a column's type as the engine needs it for schema and SQL.
type ColumnType struct {
	// Name is the type as Postgres formats it for casts, without modifiers
	// (so a cast never truncates), e.g. "integer", "character varying",
	// "bpchar", "timestamp with time zone", "text[]", "public.mood" (user
	// types schema-qualified, array types with [] suffix).
	Name string
	// UDT is the base type name without schema (pg_type.typname), e.g. "int4",
	// "varchar", "_text" for arrays, "mood".
	UDT string
	// Schema of the type (pg_catalog for built-ins).
	Schema string
	// Category is pg_type.typcategory: 'N' numeric, 'S' string, 'B' boolean,
	// 'D' date/time, 'U' user, 'A' array, 'E' enum, 'C' composite, ...
	Category byte
	// Elem is the element type for arrays, else nil.
	Elem *ColumnType
	// EnumValues lists the labels of a Postgres enum type, else nil.
	EnumValues []string
	// OID of the type.
	OID uint32
	// Base is the underlying type of a domain, else nil.
	Base *ColumnType
	// Kind is pg_type.typtype: 'b' base, 'c' composite, 'd' domain, 'e' enum,
	// 'r' range, 'm' multirange, 'p' pseudo.
	Kind byte
}

// IsArray reports whether the column type is an array.
func (c ColumnType) IsArray() bool { return c.Elem != nil }

// Constraint is a primary key or unique constraint.
type Constraint struct {
	Name    string
	Columns []string
}

// ForeignKey is a foreign-key constraint from Table to RefTable.
type ForeignKey struct {
	Name     string
	Table    QName
	RefTable QName
	// Columns and RefColumns are parallel: Columns[i] references RefColumns[i].
	Columns    []string
	RefColumns []string
}

// Volatility of a function.
type Volatility string

// Function volatilities.
const (
	Volatile  Volatility = "VOLATILE"
	Stable    Volatility = "STABLE"
	Immutable Volatility = "IMMUTABLE"
)

// Function is one SQL function.
type Function struct {
	Name        QName
	OID         uint32
	Description string
	Args        []FunctionArg
	// ReturnType is the return type; for SETOF <table> functions it names the table's row type.
	ReturnType QName
	ReturnsSet bool
	// ReturnsTable is true when the return type is a table's row type (composite of a relation).
	ReturnsTable bool
	Volatility   Volatility
	HasVariadic  bool
	// Return describes the return type (the element type for SETOF).
	Return ColumnType
	// HasOutArgs is true when the function declares OUT, INOUT or TABLE
	// arguments.
	HasOutArgs bool
}

// FunctionArg is one input argument of a function.
type FunctionArg struct {
	Name       string // may be empty for unnamed arguments
	Type       ColumnType
	HasDefault bool
}

// Type is a user-defined type.
type Type struct {
	Name       QName
	OID        uint32
	Kind       byte // pg_type.typtype: 'e' enum, 'c' composite, 'd' domain, 'b' base, 'r' range
	EnumValues []string
	// Category is pg_type.typcategory (see ColumnType.Category).
	Category    byte
	Description string
	// Base is the underlying type of a domain, else nil.
	Base *ColumnType
	// Fields lists the attributes of a composite type in order, else nil.
	Fields []TypeField
}

// TypeField is one attribute of a composite type.
type TypeField struct {
	Name string
	Type ColumnType
}
