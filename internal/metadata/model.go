package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Metadata is the whole metadata document.
type Metadata struct {
	Version        int              `json:"version"`
	Sources        []*Source        `json:"sources"`
	InheritedRoles []*InheritedRole `json:"inherited_roles,omitzero"`
	// Extra keeps every other top-level section (remote_schemas, actions,
	// custom_types, cron_triggers, query_collections, allowlist,
	// rest_endpoints, api_limits, network, backend_configs, ...) verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

// Source is one database source (Postgres only).
type Source struct {
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Tables        []*Table        `json:"tables"`
	Functions     []*Function     `json:"functions,omitzero"`
	Configuration json.RawMessage `json:"configuration,omitempty"`
	// Customization is the source's root field / type name customisation, kept verbatim.
	Customization json.RawMessage `json:"customization,omitempty"`
	// Extra keeps other source keys verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

// TableName is a schema-qualified table or function name. In JSON it is either
// a bare string (schema "public") or {"schema": ..., "name": ...}.
type TableName struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

// UnmarshalJSON accepts "name" or {"schema","name"}.
func (t *TableName) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = TableName{Schema: "public", Name: s}
		return nil
	}
	var v struct {
		Schema *string `json:"schema"`
		Name   *string `json:"name"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if v.Name == nil {
		return fmt.Errorf(`key "name" not found`)
	}
	t.Name = *v.Name
	t.Schema = "public"
	if v.Schema != nil {
		t.Schema = *v.Schema
	}
	return nil
}

func (t TableName) String() string { return t.Schema + "." + t.Name }

// Table is one tracked table with its relationships, computed fields and permissions.
type Table struct {
	Table               TableName              `json:"table"`
	IsEnum              bool                   `json:"is_enum,omitempty"`
	Configuration       *TableConfig           `json:"configuration,omitempty"`
	ObjectRelationships []*ObjectRelationship  `json:"object_relationships,omitzero"`
	ArrayRelationships  []*ArrayRelationship   `json:"array_relationships,omitzero"`
	ComputedFields      []*ComputedField       `json:"computed_fields,omitzero"`
	SelectPermissions   []*SelectPermissionDef `json:"select_permissions,omitzero"`
	InsertPermissions   []*InsertPermissionDef `json:"insert_permissions,omitzero"`
	UpdatePermissions   []*UpdatePermissionDef `json:"update_permissions,omitzero"`
	DeletePermissions   []*DeletePermissionDef `json:"delete_permissions,omitzero"`
	// Extra keeps sections not implemented yet (event_triggers,
	// remote_relationships, apollo_federation_config, ...) verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

// TableConfig is a table's customisation.
type TableConfig struct {
	CustomName string `json:"custom_name,omitempty"`
	// CustomRootFields maps select, select_by_pk, select_aggregate,
	// select_stream, insert, insert_one, update, update_by_pk, update_many,
	// delete, delete_by_pk to a name (a string, or {"name","comment"} in JSON).
	CustomRootFields  map[string]CustomRootField `json:"custom_root_fields,omitzero"`
	ColumnConfig      map[string]ColumnConfig    `json:"column_config,omitzero"`
	CustomColumnNames map[string]string          `json:"custom_column_names,omitzero"`
	Comment           *string                    `json:"comment,omitempty"`
}

// CustomRootField is a custom root field name with an optional comment.
// It is written as a plain string when it has no comment.
type CustomRootField struct {
	Name    *string `json:"name,omitempty"`
	Comment *string `json:"comment,omitempty"`
}

// UnmarshalJSON accepts a string, null or {"name","comment"}.
func (c *CustomRootField) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*c = CustomRootField{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = CustomRootField{Name: &s}
		return nil
	}
	type plain CustomRootField
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*c = CustomRootField(p)
	return nil
}

// MarshalJSON writes a plain string when there is no comment.
func (c CustomRootField) MarshalJSON() ([]byte, error) {
	if c.Comment == nil {
		if c.Name == nil {
			return []byte("null"), nil
		}
		return json.Marshal(*c.Name)
	}
	type plain CustomRootField
	return json.Marshal(plain(c))
}

// ColumnConfig customises one column.
type ColumnConfig struct {
	CustomName string  `json:"custom_name,omitempty"`
	Comment    *string `json:"comment,omitempty"`
}

// ObjectRelationship is a many-to-one (or one-to-one) relationship.
type ObjectRelationship struct {
	Name    string      `json:"name"`
	Using   ObjRelUsing `json:"using"`
	Comment *string     `json:"comment,omitempty"`
}

// ObjRelUsing says how an object relationship is defined.
type ObjRelUsing struct {
	// ForeignKeyConstraintOn is a column name, a list of column names (on this
	// table), or {"table": T, "column(s)": ...} for a foreign key on the remote
	// table pointing here. Kept raw; see ParseFKOn.
	ForeignKeyConstraintOn json.RawMessage     `json:"foreign_key_constraint_on,omitempty"`
	ManualConfiguration    *ManualRelationship `json:"manual_configuration,omitempty"`
}

// ArrayRelationship is a one-to-many relationship.
type ArrayRelationship struct {
	Name    string      `json:"name"`
	Using   ArrRelUsing `json:"using"`
	Comment *string     `json:"comment,omitempty"`
}

// ArrRelUsing says how an array relationship is defined.
type ArrRelUsing struct {
	// ForeignKeyConstraintOn is {"table": T, "column": c} or {"table": T, "columns": [...]}.
	ForeignKeyConstraintOn *RemoteFK           `json:"foreign_key_constraint_on,omitempty"`
	ManualConfiguration    *ManualRelationship `json:"manual_configuration,omitempty"`
}

// RemoteFK names a foreign key on another table by its columns.
type RemoteFK struct {
	Table   TableName `json:"table"`
	Column  string    `json:"column,omitempty"`
	Columns []string  `json:"columns,omitzero"`
}

// ManualRelationship is a relationship given by a column mapping.
type ManualRelationship struct {
	RemoteTable    TableName         `json:"remote_table"`
	ColumnMapping  map[string]string `json:"column_mapping"`
	InsertionOrder *string           `json:"insertion_order"`
}

// ComputedField is a field backed by a SQL function taking the table row.
type ComputedField struct {
	Name       string                  `json:"name"`
	Definition ComputedFieldDefinition `json:"definition"`
	Comment    *string                 `json:"comment,omitempty"`
}

// ComputedFieldDefinition names the function behind a computed field.
type ComputedFieldDefinition struct {
	Function        TableName `json:"function"`
	TableArgument   *string   `json:"table_argument,omitempty"`
	SessionArgument *string   `json:"session_argument,omitempty"`
}

// Columns is either every column ("*") or a list of column names.
type Columns struct {
	All   bool
	Names []string
}

// UnmarshalJSON accepts "*" or a list of names.
func (c *Columns) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s != "*" {
			return fmt.Errorf("expected \"*\" or a list of columns")
		}
		*c = Columns{All: true}
		return nil
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	if names == nil {
		names = []string{}
	}
	*c = Columns{Names: names}
	return nil
}

// MarshalJSON writes "*" or the list.
func (c Columns) MarshalJSON() ([]byte, error) {
	if c.All {
		return []byte(`"*"`), nil
	}
	if c.Names == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(c.Names)
}

// BoolExp is a permission boolean expression, kept as JSON; the perm
// package interprets it.
type BoolExp = json.RawMessage

// SelectPermissionDef is a role's select permission on a table.
type SelectPermissionDef struct {
	Role       string           `json:"role"`
	Permission SelectPermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// SelectPermission is what a role may read.
type SelectPermission struct {
	Columns           Columns  `json:"columns"`
	ComputedFields    []string `json:"computed_fields,omitzero"`
	Filter            BoolExp  `json:"filter"`
	Limit             *int     `json:"limit,omitempty"`
	AllowAggregations bool     `json:"allow_aggregations,omitempty"`
	// QueryRootFields and SubscriptionRootFields: nil means all root fields;
	// a non-nil empty list means none. Values: select, select_by_pk,
	// select_aggregate, select_stream.
	QueryRootFields        []string `json:"query_root_fields,omitzero"`
	SubscriptionRootFields []string `json:"subscription_root_fields,omitzero"`
}

// InsertPermissionDef is a role's insert permission on a table.
type InsertPermissionDef struct {
	Role       string           `json:"role"`
	Permission InsertPermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// InsertPermission is what a role may insert.
type InsertPermission struct {
	Check       BoolExp        `json:"check"`
	Set         map[string]any `json:"set,omitzero"`
	Columns     Columns        `json:"columns"`
	BackendOnly bool           `json:"backend_only,omitempty"`
	// ValidateInput is Hasura's input validation webhook, kept verbatim.
	ValidateInput json.RawMessage `json:"validate_input,omitempty"`
}

// UpdatePermissionDef is a role's update permission on a table.
type UpdatePermissionDef struct {
	Role       string           `json:"role"`
	Permission UpdatePermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// UpdatePermission is what a role may update.
type UpdatePermission struct {
	Columns     Columns        `json:"columns"`
	Filter      BoolExp        `json:"filter"`
	Check       BoolExp        `json:"check,omitempty"`
	Set         map[string]any `json:"set,omitzero"`
	BackendOnly bool           `json:"backend_only,omitempty"`
	// ValidateInput is Hasura's input validation webhook, kept verbatim.
	ValidateInput json.RawMessage `json:"validate_input,omitempty"`
}

// DeletePermissionDef is a role's delete permission on a table.
type DeletePermissionDef struct {
	Role       string           `json:"role"`
	Permission DeletePermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// DeletePermission is what a role may delete.
type DeletePermission struct {
	Filter      BoolExp `json:"filter"`
	BackendOnly bool    `json:"backend_only,omitempty"`
	// ValidateInput is Hasura's input validation webhook, kept verbatim.
	ValidateInput json.RawMessage `json:"validate_input,omitempty"`
}

// Function is a tracked SQL function.
type Function struct {
	Function      TableName             `json:"function"`
	Configuration *FunctionConfig       `json:"configuration,omitempty"`
	Permissions   []*FunctionPermission `json:"permissions,omitzero"`
	Comment       *string               `json:"comment,omitempty"`
}

// FunctionConfig customises a tracked function.
type FunctionConfig struct {
	CustomName       string                     `json:"custom_name,omitempty"`
	CustomRootFields map[string]CustomRootField `json:"custom_root_fields,omitzero"`
	SessionArgument  *string                    `json:"session_argument,omitempty"`
	// ExposedAs is "query" or "mutation"; empty means Hasura's default
	// (query for STABLE/IMMUTABLE functions, mutation for VOLATILE).
	ExposedAs string `json:"exposed_as,omitempty"`
}

// FunctionPermission lets a role call a function.
type FunctionPermission struct {
	Role string `json:"role"`
}

// InheritedRole combines the permissions of several roles.
type InheritedRole struct {
	RoleName string   `json:"role_name"`
	RoleSet  []string `json:"role_set"`
}

// FindTable returns the tracked table named n in source s, or nil.
func (s *Source) FindTable(n TableName) *Table {
	for _, t := range s.Tables {
		if t.Table == n {
			return t
		}
	}
	return nil
}

// FindFunction returns the tracked function named n in source s, or nil.
func (s *Source) FindFunction(n TableName) *Function {
	for _, f := range s.Functions {
		if f.Function == n {
			return f
		}
	}
	return nil
}

// Source returns the source named name, or nil.
func (m *Metadata) Source(name string) *Source {
	for _, s := range m.Sources {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// FKOn is a parsed foreign_key_constraint_on: either columns of the table
// that holds the relationship (Table nil), or columns of Table, whose foreign
// key points back at the relationship's table.
type FKOn struct {
	Table   *TableName
	Columns []string
}

// ParseFKOn decodes a foreign_key_constraint_on value: "col", ["a","b"],
// {"table": T, "column": c} or {"table": T, "columns": [...]}.
func ParseFKOn(raw json.RawMessage) (FKOn, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return FKOn{}, fmt.Errorf("foreign_key_constraint_on is empty")
	}
	switch raw[0] {
	case '"':
		var c string
		if err := json.Unmarshal(raw, &c); err != nil {
			return FKOn{}, err
		}
		return FKOn{Columns: []string{c}}, nil
	case '[':
		var cs []string
		if err := json.Unmarshal(raw, &cs); err != nil {
			return FKOn{}, err
		}
		if len(cs) == 0 {
			return FKOn{}, fmt.Errorf("foreign_key_constraint_on: empty list of columns")
		}
		return FKOn{Columns: cs}, nil
	case '{':
		var r RemoteFK
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return FKOn{}, err
		}
		return r.parsed()
	}
	return FKOn{}, fmt.Errorf("foreign_key_constraint_on: expected a column, a list of columns or an object")
}

// parsed validates a remote foreign key reference.
func (r RemoteFK) parsed() (FKOn, error) {
	if r.Table.Name == "" {
		return FKOn{}, fmt.Errorf(`key "table" not found`)
	}
	cols := r.Columns
	if r.Column != "" {
		if len(cols) > 0 {
			return FKOn{}, fmt.Errorf(`only one of "column" and "columns" may be given`)
		}
		cols = []string{r.Column}
	}
	if len(cols) == 0 {
		return FKOn{}, fmt.Errorf(`key "column" or "columns" not found`)
	}
	t := r.Table
	return FKOn{Table: &t, Columns: cols}, nil
}
