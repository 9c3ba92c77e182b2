package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/sqlgen"
)

// InconsistentObject is a metadata object that does not match the database
// (or other metadata). It is kept in the stored metadata and left out of what
// the engine serves, as Hasura does.
type InconsistentObject struct {
	// Type is Hasura's object type: table, object_relation, array_relation,
	// computed_field, select_permission, ..., function, function_permission,
	// source.
	Type string `json:"type"`
	// Name identifies the object, e.g. "table author in source default".
	Name string `json:"name"`
	// Reason says what is wrong, without Hasura's "Inconsistent object: " prefix.
	Reason string `json:"reason"`
	// Definition is the object's metadata.
	Definition json.RawMessage `json:"definition"`

	// Where the object lives, to name it in dependency errors and drop it.
	source string
	table  *TableName
	object string // relationship, computed field, role or function name
	kind   string // permission kind for permissions
}

// report is the JSON of an inconsistent object in get_inconsistent_metadata.
func (o InconsistentObject) report() map[string]any {
	return map[string]any{"type": o.Type, "name": o.Name, "reason": "Inconsistent object: " + o.Reason, "definition": o.Definition}
}

// errorEntry is the JSON of an inconsistent object in an error's internal list.
func (o InconsistentObject) errorEntry() map[string]any {
	return map[string]any{"type": o.Type, "reason": o.Reason, "definition": o.Definition}
}

// enumFetcher reads the primary key (and comment) values of an enum table.
type enumFetcher func(ctx context.Context, t *catalog.Table, pk, comment string) ([]string, error)

// checker compares metadata with a catalog and collects what does not match.
type checker struct {
	ctx    context.Context
	cat    *catalog.Catalog
	source string
	enums  enumFetcher
	out    []InconsistentObject
	// tables indexes the consistent tables of the source being checked
	// (filled once its tables are pruned), so that lookups do not scan.
	tables   map[TableName]*Table
	tablesOf *Source
	// counted, when the context carries one (tests), counts the tables
	// whose own objects are checked.
	counted *atomic.Int64
}

// checkCountKey is the context key of a counter of checked tables, with
// which tests see how much of the metadata a change re-checks.
type checkCountKey struct{}

func newChecker(ctx context.Context, cat *catalog.Catalog, source string, enums enumFetcher) *checker {
	c := &checker{ctx: ctx, cat: cat, source: source, enums: enums}
	c.counted, _ = ctx.Value(checkCountKey{}).(*atomic.Int64)
	return c
}

// count records that the objects of one table are checked.
func (c *checker) count() {
	if c.counted != nil {
		c.counted.Add(1)
	}
}

// findTable returns the tracked table named n in s, through the index when s
// is the source being checked.
func (c *checker) findTable(s *Source, n TableName) *Table {
	if s == c.tablesOf && c.tables != nil {
		return c.tables[n]
	}
	return s.FindTable(n)
}

// checkConsistency returns the consistent part of md (a copy) and the
// inconsistent objects. source names the one source backed by the data
// database; every other source is reported as unavailable.
func checkConsistency(ctx context.Context, md *Metadata, cat *catalog.Catalog, source string, enums enumFetcher) (*Metadata, []InconsistentObject) {
	c := newChecker(ctx, cat, source, enums)
	good := md.Clone()
	var sources []*Source
	for _, s := range good.Sources {
		if s.Name != source || cat == nil {
			c.out = append(c.out, InconsistentObject{Type: "source", Name: "source " + s.Name, Reason: fmt.Sprintf("source %s is not available", q(s.Name)),
				Definition: rawJSON(map[string]any{"name": s.Name, "kind": s.Kind}), source: s.Name})
			continue
		}
		c.checkSource(s)
		sources = append(sources, s)
	}
	good.Sources = sources
	if good.Sources == nil {
		good.Sources = []*Source{}
	}
	return good, c.out
}

func (c *checker) tableObj(t *Table, typ, obj, reason string, def json.RawMessage) {
	tn := t.Table
	kind, _ := strings.CutSuffix(typ, "_permission")
	c.out = append(c.out, InconsistentObject{Type: typ, Name: typ + " " + obj + " in table " + t.Table.display() + " in source " + c.source,
		Reason: reason, Definition: def, source: c.source, table: &tn, object: obj, kind: kind})
}

// checkSource prunes s in place.
func (c *checker) checkSource(s *Source) {
	// 1. Tables and their own configuration.
	var tables []*Table
	seen := map[TableName]bool{}
	for _, t := range s.Tables {
		c.count()
		name := "table " + t.Table.display() + " in source " + s.Name
		tn := t.Table
		addTable := func(reason string) {
			c.out = append(c.out, InconsistentObject{Type: "table", Name: name, Reason: reason, Definition: rawJSON(t.Table), source: s.Name, table: &tn})
		}
		if seen[t.Table] {
			addTable("duplication definition for table")
			continue
		}
		seen[t.Table] = true
		if reason := c.tableProblem(t); reason != "" {
			addTable(reason)
			continue
		}
		tables = append(tables, t)
	}
	s.Tables = tables
	if s.Tables == nil {
		s.Tables = []*Table{}
	}
	c.tables = make(map[TableName]*Table, len(s.Tables))
	for _, t := range s.Tables {
		c.tables[t.Table] = t
	}
	c.tablesOf = s
	// 2. Functions (computed fields depend on them being in the catalog only).
	var funcs []*Function
	for _, f := range s.Functions {
		if reason := c.functionProblem(s, f); reason != "" {
			c.out = append(c.out, InconsistentObject{Type: "function", Name: "function " + f.Function.display() + " in source " + s.Name,
				Reason: reason, Definition: rawJSON(f.Function), source: s.Name, table: &f.Function})
			continue
		}
		funcs = append(funcs, f)
	}
	s.Functions = funcs
	// 3. Relationships and computed fields.
	for _, t := range s.Tables {
		c.checkFields(s, t)
	}
	// 4. Permissions (they may traverse relationships of other tables).
	for _, t := range s.Tables {
		c.checkPermissions(s, t)
	}
	// 5. Function permissions.
	for _, f := range s.Functions {
		var perms []*FunctionPermission
		for _, p := range f.Permissions {
			if p.Role == "admin" {
				c.out = append(c.out, InconsistentObject{Type: "function_permission", Name: p.Role + " permission for function " + f.Function.display() + " in source " + s.Name,
					Reason: "cannot define permission for admin role", Definition: rawJSON(map[string]any{"function": f.Function, "role": p.Role}),
					source: s.Name, table: &f.Function, object: p.Role})
				continue
			}
			perms = append(perms, p)
		}
		f.Permissions = perms
	}
}

// checkFields prunes the inconsistent relationships and computed fields of
// t, a table of s (whose tables and functions are pruned).
func (c *checker) checkFields(s *Source, t *Table) {
	ct := c.cat.Tables[t.Table.qname()]
	fields := map[string]bool{}
	for _, col := range ct.Columns {
		fields[col.Name] = true
	}
	var objs []*ObjectRelationship
	for _, r := range t.ObjectRelationships {
		if reason := c.relProblem(s, t, ct, r.Name, true, r.Using.ForeignKeyConstraintOn, r.Using.ManualConfiguration, fields); reason != "" {
			def := relDefinition(t.Table, r.Name, r.Using, r.Comment)
			c.tableObj(t, "object_relation", r.Name, inTable(t, "in relationship "+q(r.Name)+": "+reason), def)
			continue
		}
		fields[r.Name] = true
		objs = append(objs, r)
	}
	t.ObjectRelationships = objs
	var arrs []*ArrayRelationship
	for _, r := range t.ArrayRelationships {
		var fk json.RawMessage
		if r.Using.ForeignKeyConstraintOn != nil {
			fk = rawJSON(r.Using.ForeignKeyConstraintOn)
		}
		if reason := c.relProblem(s, t, ct, r.Name, false, fk, r.Using.ManualConfiguration, fields); reason != "" {
			def := relDefinition(t.Table, r.Name, r.Using, r.Comment)
			c.tableObj(t, "array_relation", r.Name, inTable(t, "in relationship "+q(r.Name)+": "+reason), def)
			continue
		}
		fields[r.Name] = true
		arrs = append(arrs, r)
	}
	t.ArrayRelationships = arrs
	var cfs []*ComputedField
	for _, cf := range t.ComputedFields {
		reason := ""
		if fields[cf.Name] {
			reason = fmt.Sprintf("column/relationship %s of table %s already exists", q(cf.Name), t.Table.quoted())
		} else {
			reason = c.computedFieldProblem(t, cf)
		}
		if reason != "" {
			def := rawJSON(map[string]any{"table": t.Table, "name": cf.Name, "definition": cf.Definition, "comment": cf.Comment})
			c.tableObj(t, "computed_field", cf.Name, inTable(t, "in computed field "+q(cf.Name)+": "+reason), def)
			continue
		}
		fields[cf.Name] = true
		cfs = append(cfs, cf)
	}
	t.ComputedFields = cfs
}

// tableProblem checks a table's own definition against the catalog.
func (c *checker) tableProblem(t *Table) string {
	ct := c.cat.Tables[t.Table.qname()]
	if ct == nil {
		return "no such table/view exists in source: " + t.Table.quoted()
	}
	if reason := c.tableConfigProblem(t, ct); reason != "" {
		return reason
	}
	if t.IsEnum {
		return c.enumProblem(t, ct)
	}
	return ""
}

// inTable prefixes a reason with the table, as Hasura does.
func inTable(t *Table, reason string) string {
	return "in table " + t.Table.quoted() + ": " + reason
}

// relDefinition is a relationship's definition in reports.
func relDefinition(table TableName, name string, using any, comment *string) json.RawMessage {
	return rawJSON(map[string]any{"table": table, "name": name, "using": using, "comment": comment})
}

// tableConfigProblem checks a table's column customisation.
func (c *checker) tableConfigProblem(t *Table, ct *catalog.Table) string {
	if t.Configuration == nil {
		return ""
	}
	var cols []string
	for col := range t.Configuration.ColumnConfig {
		cols = append(cols, col)
	}
	for col := range t.Configuration.CustomColumnNames {
		cols = append(cols, col)
	}
	sort.Strings(cols)
	for _, col := range cols {
		if ct.Column(col) == nil {
			custom := t.Configuration.ColumnConfig[col].CustomName
			if custom == "" {
				custom = t.Configuration.CustomColumnNames[col]
			}
			return fmt.Sprintf("the custom field name %s was given for the column %s, but no such column exists", q(custom), q(col))
		}
	}
	// Two columns may not end up with the same field name.
	byField := map[string][]string{}
	var fields []string
	for _, c := range ct.Columns {
		f := c.Name
		if n := t.Configuration.ColumnConfig[c.Name].CustomName; n != "" {
			f = n
		} else if n := t.Configuration.CustomColumnNames[c.Name]; n != "" {
			f = n
		}
		if byField[f] == nil {
			fields = append(fields, f)
		}
		byField[f] = append(byField[f], c.Name)
	}
	for _, f := range fields {
		if cols := byField[f]; len(cols) > 1 {
			quoted := make([]string, len(cols))
			for i, c := range cols {
				quoted[i] = q(c)
			}
			list := strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
			return fmt.Sprintf("the definitions of columns %s are in conflict: they are mapped to the same field name, %s", list, q(f))
		}
	}
	return ""
}

// enumProblem validates an enum table: a single-column text primary key, at
// most one other (text) column, at least one row, and valid value names.
func (c *checker) enumProblem(t *Table, ct *catalog.Table) string {
	var errs []string
	pk := ""
	switch {
	case ct.PrimaryKey == nil || len(ct.PrimaryKey.Columns) == 0:
		errs = append(errs, "the table must have a primary key")
	case len(ct.PrimaryKey.Columns) > 1:
		cols := slices.Clone(ct.PrimaryKey.Columns)
		sort.Strings(cols)
		errs = append(errs, "the table’s primary key must not span multiple columns ("+strings.Join(cols, ", ")+")")
	default:
		col := ct.Column(ct.PrimaryKey.Columns[0])
		if col != nil && !isText(col.Type) {
			errs = append(errs, fmt.Sprintf("the table’s primary key (%s) must have type \"text\", not type %s", q(col.Name), q(col.Type.Name)))
		} else {
			pk = ct.PrimaryKey.Columns[0]
		}
	}
	var others []*catalog.Column
	for _, col := range ct.Columns {
		if ct.PrimaryKey != nil && slices.Contains(ct.PrimaryKey.Columns, col.Name) {
			continue
		}
		others = append(others, col)
	}
	comment := ""
	switch {
	case len(others) == 1:
		if isText(others[0].Type) {
			comment = others[0].Name
		} else {
			errs = append(errs, fmt.Sprintf("the table’s comment column (%s) must have type \"text\", not type %s", q(others[0].Name), q(others[0].Type.Name)))
		}
	case len(others) > 1:
		var names []string
		for _, o := range others {
			names = append(names, o.Name)
		}
		sort.Strings(names)
		errs = append(errs, fmt.Sprintf("the table must have exactly one primary key and optionally one comment column, not %d columns (%s)", len(names), strings.Join(names, ", ")))
	}
	if pk != "" && len(errs) == 0 && c.enums != nil {
		values, err := c.enums(c.ctx, ct, pk, comment)
		switch {
		case err != nil:
			errs = append(errs, "its values could not be read")
		case len(values) == 0:
			errs = append(errs, "the table must have at least one row")
		default:
			var bad []string
			for _, v := range values {
				if !isGraphQLName(v) || v == "true" || v == "false" || v == "null" {
					bad = append(bad, v)
				}
			}
			if len(bad) > 0 {
				sort.Strings(bad)
				if len(bad) == 1 {
					errs = append(errs, "the value "+q(bad[0])+" is not a valid GraphQL enum value name")
				} else {
					quoted := make([]string, len(bad))
					for i, b := range bad {
						quoted[i] = q(b)
					}
					list := strings.Join(quoted[:len(quoted)-1], ", ")
					if len(bad) == 2 {
						errs = append(errs, "the values "+list+" and "+quoted[1]+" are not valid GraphQL enum value names")
					} else {
						errs = append(errs, "the values "+list+", and "+quoted[len(quoted)-1]+" are not valid GraphQL enum value names")
					}
				}
			}
		}
	}
	return reasonMessage("the table "+t.Table.quoted()+" cannot be used as an enum ", errs)
}

// isText reports whether a column type is text.
func isText(t catalog.ColumnType) bool { return t.UDT == "text" }

// isGraphQLName reports whether s matches /[_A-Za-z][_0-9A-Za-z]*/.
func isGraphQLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// fetchEnumValues reads an enum table's values with q.
func fetchEnumValues(qr catalog.Querier) enumFetcher {
	return func(ctx context.Context, t *catalog.Table, pk, _ string) ([]string, error) {
		rows, err := qr.Query(ctx, "SELECT "+sqlgen.QuoteIdent(pk)+"::text FROM "+sqlgen.QuoteIdent(t.Name.Schema)+"."+sqlgen.QuoteIdent(t.Name.Name))
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[string])
	}
}

// trackedTable returns the consistent tracked table named n with its catalog entry.
func (c *checker) trackedTable(s *Source, n TableName) (*Table, *catalog.Table) {
	t := c.findTable(s, n)
	if t == nil {
		return nil, nil
	}
	return t, c.cat.Tables[n.qname()]
}

// relProblem validates one relationship definition.
func (c *checker) relProblem(s *Source, t *Table, ct *catalog.Table, name string, object bool, fkRaw json.RawMessage, manual *ManualRelationship, fields map[string]bool) string {
	if fields[name] {
		return fmt.Sprintf("column/relationship %s of table %s already exists", q(name), t.Table.quoted())
	}
	if manual != nil {
		if len(fkRaw) > 0 {
			return `only one of "foreign_key_constraint_on" and "manual_configuration" may be given`
		}
		rt, rct := c.trackedTable(s, manual.RemoteTable)
		if rt == nil || rct == nil {
			return "table " + manual.RemoteTable.quoted() + " does not exist"
		}
		if len(manual.ColumnMapping) == 0 {
			return "column_mapping must not be empty"
		}
		for _, lc := range sortedKeys(manual.ColumnMapping) {
			if ct.Column(lc) == nil {
				return fmt.Sprintf("column %s does not exist", q(lc))
			}
			rc := manual.ColumnMapping[lc]
			if rct.Column(rc) == nil {
				return fmt.Sprintf("column %s does not exist in table %s", q(rc), manual.RemoteTable.quoted())
			}
		}
		return ""
	}
	if len(fkRaw) == 0 {
		return `one of "foreign_key_constraint_on" and "manual_configuration" is required`
	}
	fk, err := ParseFKOn(fkRaw)
	if err != nil {
		return err.Error()
	}
	if !object && fk.Table == nil {
		return "array relationships need foreign_key_constraint_on of the form {table, columns}"
	}
	if fk.Table == nil {
		for _, col := range fk.Columns {
			if ct.Column(col) == nil {
				return fmt.Sprintf("column %s does not exist", q(col))
			}
		}
		f := findFK(ct.ForeignKeys, fk.Columns, nil)
		if f == nil {
			return "no foreign constraint exists on the given column"
		}
		if countFKs(ct.ForeignKeys, fk.Columns, nil) > 1 {
			return "more than one foreign key constraint exists on the given column"
		}
		if rt, _ := c.trackedTable(s, fromQName(f.RefTable)); rt == nil {
			return "table " + fromQName(f.RefTable).quoted() + " is not tracked"
		}
		return ""
	}
	rt, rct := c.trackedTable(s, *fk.Table)
	if rt == nil || rct == nil {
		return "table " + fk.Table.quoted() + " does not exist"
	}
	for _, col := range fk.Columns {
		if rct.Column(col) == nil {
			return fmt.Sprintf("column %s does not exist in table %s", q(col), fk.Table.quoted())
		}
	}
	ref := t.Table.qname()
	if findFK(rct.ForeignKeys, fk.Columns, &ref) == nil {
		return "no foreign constraint exists on the given column"
	}
	if countFKs(rct.ForeignKeys, fk.Columns, &ref) > 1 {
		return "more than one foreign key constraint exists on the given column"
	}
	return ""
}

// findFK returns the foreign key over exactly cols (any order), pointing at
// ref when given.
func findFK(fks []*catalog.ForeignKey, cols []string, ref *catalog.QName) *catalog.ForeignKey {
	for _, f := range fks {
		if ref != nil && f.RefTable != *ref {
			continue
		}
		if sameSet(f.Columns, cols) {
			return f
		}
	}
	return nil
}

// countFKs counts the foreign keys findFK could return.
func countFKs(fks []*catalog.ForeignKey, cols []string, ref *catalog.QName) int {
	n := 0
	for _, f := range fks {
		if (ref == nil || f.RefTable == *ref) && sameSet(f.Columns, cols) {
			n++
		}
	}
	return n
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lookupFunction returns the single function named n, or a reason.
func (c *checker) lookupFunction(n TableName) (*catalog.Function, string) {
	fs := c.cat.Functions[n.qname()]
	switch len(fs) {
	case 0:
		return nil, "no such function exists in postgres : " + n.quoted()
	case 1:
		return fs[0], ""
	}
	return nil, "function " + n.quoted() + " is overloaded. Overloaded functions are not supported"
}

// functionProblem validates a tracked function, with Hasura's reasons.
func (c *checker) functionProblem(s *Source, f *Function) string {
	fn, reason := c.lookupFunction(f.Function)
	if reason != "" {
		return reason
	}
	var errs []string
	if !isGraphQLName(f.Function.Name) && (f.Function.Schema == "public" || !isGraphQLName(f.Function.Schema+"_"+f.Function.Name)) {
		errs = append(errs, "function name is not a legal GraphQL identifier")
	}
	if fn.HasVariadic {
		errs = append(errs, `function with "VARIADIC" parameters are not supported`)
	}
	switch {
	case !fn.ReturnsTable:
		errs = append(errs, `the function does not return a "COMPOSITE" type`)
	case !fn.ReturnsSet:
		errs = append(errs, "the function does not return a SETOF")
	case c.findTable(s, fromQName(fn.ReturnType)) == nil:
		errs = append(errs, "the function does not return a SETOF table")
	}
	if cfg := f.Configuration; cfg != nil {
		if cfg.ExposedAs == "mutation" && fn.Volatility != catalog.Volatile {
			errs = append(errs, "the function was requested to be exposed as a mutation, but is not marked VOLATILE. Maybe the function was given the wrong volatility when it was defined?")
		}
		if cfg.ExposedAs != "" && cfg.ExposedAs != "query" && cfg.ExposedAs != "mutation" {
			errs = append(errs, `exposed_as must be "query" or "mutation"`)
		}
		if sa := cfg.SessionArgument; sa != nil {
			switch {
			case !hasArg(fn, *sa, ""):
				errs = append(errs, "given session argument "+q(*sa)+" not the input argument of the function")
			case !hasArg(fn, *sa, "json"):
				errs = append(errs, "given session argument "+q(*sa)+" is not of type json")
			}
		}
	}
	var bad []string
	for _, a := range fn.Args {
		if a.Name != "" && !isGraphQLName(a.Name) {
			bad = append(bad, a.Name)
		}
	}
	if len(bad) > 0 {
		errs = append(errs, "the function arguments "+strings.Join(bad, ",")+" are not in compliance with GraphQL spec")
	}
	return reasonMessage("the function "+f.Function.quoted()+" cannot be tracked ", errs)
}

// reasonMessage joins reasons as Hasura does: "because X" for one,
// "for the following reasons:" and a bulleted list for several.
func reasonMessage(prefix string, errs []string) string {
	switch len(errs) {
	case 0:
		return ""
	case 1:
		return prefix + "because " + errs[0]
	}
	var b strings.Builder
	b.WriteString(prefix + "for the following reasons:\n")
	for _, e := range errs {
		b.WriteString("  • " + e + "\n")
	}
	return b.String()
}

// hasArg reports whether fn takes an argument name (of base type udt when given).
func hasArg(fn *catalog.Function, name, udt string) bool {
	for _, a := range fn.Args {
		if a.Name == name && (udt == "" || a.Type.UDT == udt) {
			return true
		}
	}
	return false
}

// computedFieldProblem validates a computed field's function.
func (c *checker) computedFieldProblem(t *Table, cf *ComputedField) string {
	fn, reason := c.lookupFunction(cf.Definition.Function)
	if reason != "" {
		return reason
	}
	if len(fn.Args) == 0 {
		return "the function " + cf.Definition.Function.quoted() + " has no input arguments; its first argument must be of type " + t.Table.quoted()
	}
	idx := 0
	if ta := cf.Definition.TableArgument; ta != nil {
		idx = -1
		for i, a := range fn.Args {
			if a.Name == *ta {
				idx = i
			}
		}
		if idx < 0 {
			return "table argument " + q(*ta) + " not found in the function " + cf.Definition.Function.quoted()
		}
	}
	arg := fn.Args[idx]
	if arg.Type.UDT != t.Table.Name || (arg.Type.Schema != "" && arg.Type.Schema != t.Table.Schema) {
		if cf.Definition.TableArgument != nil {
			return "the type of table argument " + q(*cf.Definition.TableArgument) + " is not the table " + t.Table.quoted()
		}
		return "first argument of the function " + cf.Definition.Function.quoted() + " is not of type " + t.Table.quoted()
	}
	if sa := cf.Definition.SessionArgument; sa != nil && !hasArg(fn, *sa, "json") {
		return "session argument " + q(*sa) + " is not an input argument of type json"
	}
	if fn.Volatility == catalog.Volatile {
		return "the function " + cf.Definition.Function.quoted() + " is of type VOLATILE; cannot be added as a computed field"
	}
	return ""
}
