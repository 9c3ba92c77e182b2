package ir

// Mutations. Each root mutation field compiles to one statement (data-changing
// CTEs plus the JSON result); several root fields run in one transaction.

// MutationOutput is what a mutation returns: either a <t>_mutation_response
// object (affected_rows, returning, __typename) or, when Single is set, the one
// affected row as an object (or null) for insert_<t>_one, update_<t>_by_pk and
// delete_<t>_by_pk.
type MutationOutput struct {
	Single bool
	// Fields of the mutation response (when Single is false).
	Response []MutationField
	// Row holds the fields of the returned row (when Single is true).
	Row []Field
}

// MutationField is a field of <t>_mutation_response.
type MutationField struct {
	Alias string
	// Exactly one of the following is set.
	AffectedRows bool
	Returning    []Field
	Const        *string // __typename
}

// Insert inserts rows into Table.
type Insert struct {
	Table Table
	// Columns lists the inserted columns (union over all rows, presets
	// included) with their types.
	Columns []InsertColumn
	// Rows holds one value per column; a nil Value means DEFAULT.
	Rows       [][]Value
	OnConflict *OnConflict
	// Check is the insert permission's check, evaluated on every inserted row
	// (nil when unrestricted). A failing row aborts the statement with
	// Hasura's "insert check constraint failed".
	Check  BoolExp
	Output MutationOutput
	// Nested holds inserts through relationships (see NestedInsert).
	Nested []NestedInsert
}

// InsertColumn is one inserted column.
type InsertColumn struct {
	Name string
	Type string
}

// NestedInsert inserts related rows for the row at RowIndex of the parent
// insert: for an object relationship before the parent (the parent's Mapping
// Outer columns take the child's Inner values), for an array relationship
// after it (the children's Inner columns take the parent's Outer values).
type NestedInsert struct {
	RowIndex int
	Rel      Relationship
	Object   bool
	Insert   *Insert
}

// OnConflict is an upsert clause. Empty UpdateColumns means DO NOTHING.
type OnConflict struct {
	Constraint    string
	UpdateColumns []string
	Where         BoolExp
	// Check is the update permission's check for upserted rows.
	Check BoolExp
	// Presets are the update permission's set presets, assigned (as _set
	// values) on the rows the upsert updates, after UpdateColumns.
	Presets []SetColumn
}

// UpdateOp is an update operator.
type UpdateOp string

// Update operators (Hasura's argument names).
const (
	UpdSet          UpdateOp = "_set"
	UpdInc          UpdateOp = "_inc"
	UpdAppend       UpdateOp = "_append"
	UpdPrepend      UpdateOp = "_prepend"
	UpdDeleteKey    UpdateOp = "_delete_key"
	UpdDeleteElem   UpdateOp = "_delete_elem"
	UpdDeleteAtPath UpdateOp = "_delete_at_path"
)

// SetColumn assigns one column.
type SetColumn struct {
	Column string
	Type   string
	Op     UpdateOp
	Value  Value
}

// Update updates the rows of Table matching Where.
type Update struct {
	Table Table
	Where BoolExp
	Set   []SetColumn
	// Check is the update permission's check on the new row.
	Check  BoolExp
	Output MutationOutput
}

// Delete deletes the rows of Table matching Where.
type Delete struct {
	Table  Table
	Where  BoolExp
	Output MutationOutput
}

// MutationRoot is one root field of a mutation.
type MutationRoot struct {
	Alias string
	// Exactly one of the following is set.
	Insert  *Insert
	Update  *Update
	Delete  *Delete
	Updates []*Update // update_<t>_many: run in order, results in a list
}
