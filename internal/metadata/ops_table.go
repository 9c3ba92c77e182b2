package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/postgate/postgate/internal/apierr"
)

// source returns the named source (the default one when name is empty).
func (o *opCtx) source(name string) (*Source, error) {
	if name == "" {
		name = o.s.sourceName(o.md)
	}
	s := o.md.Source(name)
	if s == nil {
		return nil, apierr.Newf(apierr.NotExists, "source with name %q does not exist", name)
	}
	return s, nil
}

// table returns the tracked table n of the named source (the default one
// when source is empty), and that source; the table is the request's own
// (see own), which it may modify.
func (o *opCtx) table(source string, n TableName) (*Source, *Table, error) {
	s, err := o.source(source)
	if err != nil {
		return nil, nil, err
	}
	if n.Name == "" {
		return nil, nil, required("table")
	}
	t := o.own(s, s.FindTable(n))
	if t == nil {
		if o.legacy {
			return nil, nil, apierr.Newf(apierr.NotExists, "table %s does not exist", n.quoted())
		}
		return nil, nil, apierr.Newf(apierr.NotExists, "table %s does not exist in source: %s", n.quoted(), s.Name)
	}
	return s, t, nil
}

// trackTableArgs are pg_track_table's arguments.
type trackTableArgs struct {
	Source                 string          `json:"source"`
	Table                  TableName       `json:"table"`
	Configuration          *TableConfig    `json:"configuration"`
	IsEnum                 bool            `json:"is_enum"`
	ApolloFederationConfig json.RawMessage `json:"apollo_federation_config"`
}

// bareName decodes the legacy form of arguments that name a table or a
// function under key: the bare name, a string or an object with "name" and
// without key. ok reports whether raw has that form; n is empty on error.
func bareName(raw json.RawMessage, key string) (n TableName, ok bool, err error) {
	var probe map[string]json.RawMessage
	legacy := bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) ||
		(json.Unmarshal(raw, &probe) == nil && probe != nil && probe[key] == nil && probe["name"] != nil)
	if !legacy {
		return TableName{}, false, nil
	}
	if err := decodeStrict(raw, &n, "$"); err != nil {
		return TableName{}, true, err
	}
	return n, true, nil
}

// parseTrackTable accepts {table, ...} or the legacy bare table name form.
func parseTrackTable(raw json.RawMessage) (trackTableArgs, error) {
	var a trackTableArgs
	if n, ok, err := bareName(raw, "table"); ok {
		a.Table = n
		return a, err
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return a, err
	}
	if a.Table.Name == "" {
		return a, required("table")
	}
	return a, nil
}

func opTrackTable(o *opCtx, raw json.RawMessage) (any, error) {
	a, err := parseTrackTable(raw)
	if err != nil {
		return nil, err
	}
	if err := o.trackTable(a); err != nil {
		return nil, err
	}
	return successMsg, nil
}

func (o *opCtx) trackTable(a trackTableArgs) error {
	s, err := o.source(a.Source)
	if err != nil {
		return err
	}
	if s.FindTable(a.Table) != nil {
		return apierr.Newf(apierr.AlreadyTracked, "view/table already tracked : %s", a.Table.quoted())
	}
	if s.FindFunction(a.Table) != nil {
		return apierr.Newf(apierr.NotSupported, "function with name %s already exists", a.Table.quoted())
	}
	if o.cat.Tables[a.Table.qname()] == nil {
		return apierr.Newf(apierr.NotExists, "no such table/view exists in source: %s", a.Table.quoted())
	}
	if err := validateTableConfig(a.Configuration); err != nil {
		return err
	}
	normalizeTableConfig(a.Configuration)
	t := &Table{Table: a.Table, IsEnum: a.IsEnum, Configuration: a.Configuration}
	if len(a.ApolloFederationConfig) > 0 {
		t.Extra = map[string]json.RawMessage{"apollo_federation_config": a.ApolloFederationConfig}
	}
	s.Tables = append(s.Tables, t)
	o.markOwned(t)
	return o.changedTable(s, t.Table, true)
}

// rootFieldKeys are the custom root fields a table may rename.
var rootFieldKeys = []string{"select", "select_by_pk", "select_aggregate", "select_stream", "insert", "insert_one",
	"update", "update_by_pk", "update_many", "delete", "delete_by_pk"}

// validateTableConfig checks the GraphQL names of a table customisation.
func validateTableConfig(c *TableConfig) error {
	if c == nil {
		return nil
	}
	if c.CustomName != "" && !isGraphQLName(c.CustomName) {
		return apierr.Newf(apierr.ParseFailed, "%s is not a valid GraphQL name", q(c.CustomName)).WithPath("$.configuration.custom_name")
	}
	seen := map[string]string{}
	for _, k := range sortedKeys(c.CustomRootFields) {
		if !slices.Contains(rootFieldKeys, k) {
			return apierr.Newf(apierr.ParseFailed, "unexpected key %q", k).WithPath("$.configuration.custom_root_fields")
		}
		f := c.CustomRootFields[k]
		if f.Name == nil {
			continue
		}
		if !isGraphQLName(*f.Name) {
			return apierr.Newf(apierr.ParseFailed, "%s is not a valid GraphQL name", q(*f.Name)).WithPath("$.configuration.custom_root_fields." + k)
		}
		if other, dup := seen[*f.Name]; dup {
			return apierr.Newf(apierr.NotSupported, "the following custom root field names are duplicated: %s (%s and %s)", q(*f.Name), other, k)
		}
		seen[*f.Name] = k
	}
	for _, col := range sortedKeys(c.ColumnConfig) {
		n := c.ColumnConfig[col].CustomName
		if n == "" {
			continue
		}
		if !isGraphQLName(n) {
			return apierr.Newf(apierr.ParseFailed, "%s is not a valid GraphQL name", q(n)).WithPath("$.configuration.column_config." + col)
		}
	}
	for _, col := range sortedKeys(c.CustomColumnNames) {
		n := c.CustomColumnNames[col]
		if !isGraphQLName(n) {
			return apierr.Newf(apierr.ParseFailed, "%s is not a valid GraphQL name", q(n)).WithPath("$.configuration.custom_column_names." + col)
		}
	}
	return nil
}

// normalizeTableConfig merges the deprecated custom_column_names into
// column_config (column_config wins) and writes custom_column_names back
// from it, as Hasura stores a customisation it is given.
func normalizeTableConfig(c *TableConfig) {
	if c == nil || (len(c.ColumnConfig) == 0 && len(c.CustomColumnNames) == 0) {
		return
	}
	cc := map[string]ColumnConfig{}
	for col, n := range c.CustomColumnNames {
		cc[col] = ColumnConfig{CustomName: n}
	}
	for col, v := range c.ColumnConfig {
		if v.CustomName == "" {
			v.CustomName = cc[col].CustomName
		}
		cc[col] = v
	}
	names := map[string]string{}
	for col, v := range cc {
		if v.CustomName != "" {
			names[col] = v.CustomName
		}
	}
	c.ColumnConfig, c.CustomColumnNames = cc, names
}

// untrackTableArgs are pg_untrack_table's arguments.
type untrackTableArgs struct {
	Source  string    `json:"source"`
	Table   TableName `json:"table"`
	Cascade bool      `json:"cascade"`
}

func opUntrackTable(o *opCtx, raw json.RawMessage) (any, error) {
	var a untrackTableArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if err := o.untrackTable(a); err != nil {
		return nil, err
	}
	return successMsg, nil
}

func (o *opCtx) untrackTable(a untrackTableArgs) error {
	if a.Table.Name == "" {
		return required("table")
	}
	s, err := o.source(a.Source)
	if err != nil {
		return err
	}
	if s.FindTable(a.Table) == nil {
		return apierr.Newf(apierr.AlreadyUntracked, "view/table already untracked : %s", a.Table.quoted())
	}
	return o.removeWithDependents(func() {
		s.Tables = slices.DeleteFunc(s.Tables, func(t *Table) bool { return t.Table == a.Table })
	}, a.Cascade, nil)
}

// bulkTableResult is the reply of pg_track_tables / pg_untrack_tables.
type bulkTableResult struct {
	Message  string           `json:"message"`
	Warnings []map[string]any `json:"warnings,omitempty"`
}

func opTrackTables(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		AllowWarnings *bool             `json:"allow_warnings"`
		Tables        []json.RawMessage `json:"tables"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	allow := a.AllowWarnings == nil || *a.AllowWarnings
	res := bulkTableResult{Message: "success"}
	for i, tr := range a.Tables {
		ta, err := parseTrackTable(tr)
		if err == nil {
			err = o.trackTable(ta)
		}
		if err != nil {
			if !allow {
				return nil, placeError(err, fmt.Sprintf("$.tables[%d]", i))
			}
			res.Warnings = append(res.Warnings, warning("track_table", ta.Table, err))
		}
	}
	return res, nil
}

func opUntrackTables(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		AllowWarnings *bool              `json:"allow_warnings"`
		Tables        []untrackTableArgs `json:"tables"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	allow := a.AllowWarnings == nil || *a.AllowWarnings
	res := bulkTableResult{Message: "success"}
	for i, ua := range a.Tables {
		if err := o.untrackTable(ua); err != nil {
			if !allow {
				return nil, placeError(err, fmt.Sprintf("$.tables[%d]", i))
			}
			res.Warnings = append(res.Warnings, warning("untrack_table", ua.Table, err))
		}
	}
	return res, nil
}

// warning describes an item a bulk table operation skipped.
func warning(typ string, t TableName, err error) map[string]any {
	msg := err.Error()
	code := apierr.Unexpected
	if e := apierr.As(err); e != nil {
		msg, code = e.Message, e.Code
	}
	return map[string]any{"type": typ, "name": t.display(), "code": code, "message": msg}
}

func opSetTableCustomization(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source        string       `json:"source"`
		Table         TableName    `json:"table"`
		Configuration *TableConfig `json:"configuration"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	_, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	if err := validateTableConfig(a.Configuration); err != nil {
		return nil, err
	}
	if a.Configuration != nil && t.Configuration != nil && a.Configuration.Comment == nil {
		a.Configuration.Comment = t.Configuration.Comment
	}
	normalizeTableConfig(a.Configuration)
	t.Configuration = a.Configuration
	return successMsg, o.changedMetadata()
}

// opSetTableCustomFields is the v1 set_table_custom_fields: custom root
// fields and custom column names.
func opSetTableCustomFields(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source            string                     `json:"source"`
		Table             TableName                  `json:"table"`
		CustomRootFields  map[string]CustomRootField `json:"custom_root_fields"`
		CustomColumnNames map[string]string          `json:"custom_column_names"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	_, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	cfg := &TableConfig{}
	if t.Configuration != nil {
		cfg.CustomName = t.Configuration.CustomName
		cfg.Comment = t.Configuration.Comment
	}
	cfg.CustomRootFields = a.CustomRootFields
	if len(a.CustomColumnNames) > 0 {
		cfg.CustomColumnNames = a.CustomColumnNames
		cfg.ColumnConfig = map[string]ColumnConfig{}
		for col, n := range a.CustomColumnNames {
			cfg.ColumnConfig[col] = ColumnConfig{CustomName: n}
		}
	}
	if err := validateTableConfig(cfg); err != nil {
		return nil, err
	}
	normalizeTableConfig(cfg)
	t.Configuration = cfg
	return successMsg, o.changedMetadata()
}

func opSetTableIsEnum(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source string    `json:"source"`
		Table  TableName `json:"table"`
		IsEnum *bool     `json:"is_enum"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.IsEnum == nil {
		return nil, required("is_enum")
	}
	_, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	t.IsEnum = *a.IsEnum
	return successMsg, o.changedMetadata()
}
