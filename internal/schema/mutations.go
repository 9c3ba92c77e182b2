package schema

import (
	"strings"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
)

// jsonbOps are the update operators for jsonb columns: argument name, input
// type suffix, description and the type of each column's value ("" for the
// column's own type).
var jsonbOps = []struct{ arg, suffix, desc, valueType string }{
	{"_append", "_append_input", "append existing jsonb value of filtered columns with new jsonb value", ""},
	{"_prepend", "_prepend_input", "prepend existing jsonb value of filtered columns with new jsonb value", ""},
	{"_delete_key", "_delete_key_input", "delete key/value pair or string element. key/value pairs are matched based on their key value", "String"},
	{"_delete_elem", "_delete_elem_input", "delete the array element with specified index (negative integers count from the end). throws an error if top level container is not an array", "Int"},
	{"_delete_at_path", "_delete_at_path_input", "delete the field or element with specified path (for JSON arrays, negative integers count from the end)", "[String!]"},
}

// insertPerm returns the role's insert permission on t, honouring
// backend_only.
func (b *builder) insertPermOf(t *Table) *metadata.InsertPermission {
	p := t.Perm.Insert
	if p == nil || (p.BackendOnly && !b.opts.BackendOnly) || !insertable(t.Catalog) {
		return nil
	}
	return p
}

// updatePermOf returns the role's update permission on t, honouring
// backend_only.
func (b *builder) updatePermOf(t *Table) *metadata.UpdatePermission {
	p := t.Perm.Update
	if p == nil || (p.BackendOnly && !b.opts.BackendOnly) || !updatable(t.Catalog) {
		return nil
	}
	return p
}

// deletePermOf returns the role's delete permission on t, honouring
// backend_only.
func (b *builder) deletePermOf(t *Table) *metadata.DeletePermission {
	p := t.Perm.Delete
	if p == nil || (p.BackendOnly && !b.opts.BackendOnly) || !deletable(t.Catalog) {
		return nil
	}
	return p
}

// insertable, updatable and deletable tell whether a relation accepts the
// statement (views only when Postgres says so).
func insertable(ct *catalog.Table) bool { return isBaseTable(ct) || ct.Insertable }
func updatable(ct *catalog.Table) bool  { return isBaseTable(ct) || ct.Updatable }
func deletable(ct *catalog.Table) bool  { return isBaseTable(ct) || ct.Deletable }

// isBaseTable reports whether ct is a table (not a view).
func isBaseTable(ct *catalog.Table) bool {
	return ct.Kind == catalog.KindTable || ct.Kind == catalog.KindPartitionedTable || ct.Kind == ""
}

// mutableColumns returns the columns a permission lets the role write,
// without generated and always-identity columns and without preset ones.
func mutableColumns(t *Table, cols metadata.Columns, set map[string]any) []*catalog.Column {
	if !cols.All && cols.Names == nil {
		// An insert permission without "columns" (older metadata) allows
		// every column.
		cols.All = true
	}
	allowed := map[string]bool{}
	for _, c := range cols.Names {
		allowed[c] = true
	}
	var out []*catalog.Column
	for _, c := range t.Catalog.Columns {
		if c.IsGenerated || c.IdentityAlways || (!cols.All && !allowed[c.Name]) || !isGraphQLName(t.ColumnField[c.Name]) {
			continue
		}
		if _, preset := set[c.Name]; preset {
			continue
		}
		out = append(out, c)
	}
	return out
}

// inputColumnType declares and returns the (nullable) input type of a
// column.
func (b *builder) inputColumnType(t *Table, c *catalog.Column) string {
	return b.columnTypeName(b.columnField(t, c))
}

// mutationRootFields adds the insert, update and delete root fields of t.
func (b *builder) mutationRootFields(t *Table) {
	b.frame(fMutationRoots, t, "", func() string {
		b.mutationRootFieldsOf(t)
		return ""
	})
}

func (b *builder) mutationRootFieldsOf(t *Table) {
	q := t.QuotedName
	add := func(key, def string, kind RootKind, desc string, ty *ast.Type, args ...*ast.ArgumentDefinition) {
		name, comment, ok := b.rootName(t.Meta, key, def)
		if ok {
			desc = comment
		}
		b.appendRoot(rootMutation, field(name, ty, desc, args...))
		b.register(rootMutation, name, kind, t)
	}
	byPK := t.pkSelectable()
	if ip := b.insertPermOf(t); ip != nil {
		in := b.insertInputType(t)
		var oc []*ast.ArgumentDefinition
		if c := b.onConflictType(t); c != "" {
			oc = append(oc, arg("on_conflict", named(c), "upsert condition"))
		}
		add("insert", "insert_"+t.GQLName, RootInsert, `insert data into the table: "`+q+`"`, named(b.mutationResponseType(t)),
			append([]*ast.ArgumentDefinition{arg("objects", nonNullList(nonNull(in)), "the rows to be inserted")}, oc...)...)
		if t.Perm.Select != nil {
			add("insert_one", "insert_"+t.GQLName+"_one", RootInsertOne, `insert a single row into the table: "`+q+`"`, named(t.TypeName("")),
				append([]*ast.ArgumentDefinition{arg("object", nonNull(in), "the row to be inserted")}, oc...)...)
		}
	}
	if up := b.updatePermOf(t); up != nil {
		ops := b.updateOps(t, up)
		where := arg("where", nonNull(b.boolExpType(t)), "filter the rows which have to be updated")
		add("update", "update_"+t.GQLName, RootUpdate, `update data of the table: "`+q+`"`, named(b.mutationResponseType(t)),
			append(copyArgs(ops), where)...)
		if byPK {
			add("update_by_pk", "update_"+t.GQLName+"_by_pk", RootUpdateByPK, `update single row of the table: "`+q+`"`, named(t.TypeName("")),
				append(copyArgs(ops), arg("pk_columns", nonNull(b.pkColumnsInput(t)), ""))...)
		}
		if !b.opts.HideUpdateMany {
			add("update_many", "update_"+t.GQLName+"_many", RootUpdateMany, `update multiples rows of table: "`+q+`"`,
				listOf(named(b.mutationResponseType(t))), arg("updates", nonNullList(nonNull(b.updatesType(t, ops))), "updates to execute, in order"))
		}
	}
	if b.deletePermOf(t) != nil {
		add("delete", "delete_"+t.GQLName, RootDelete, `delete data from the table: "`+q+`"`, named(b.mutationResponseType(t)),
			arg("where", nonNull(b.boolExpType(t)), "filter the rows which have to be deleted"))
		if byPK {
			var args []*ast.ArgumentDefinition
			for _, c := range t.Catalog.PrimaryKey.Columns {
				f := t.Fields[t.ColumnField[c]]
				args = append(args, arg(f.Name, nonNull(b.columnTypeName(f)), ""))
			}
			add("delete_by_pk", "delete_"+t.GQLName+"_by_pk", RootDeleteByPK, `delete single row from the table: "`+q+`"`, named(t.TypeName("")), args...)
		}
	}
}

// copyArgs returns fresh copies of argument definitions.
func copyArgs(as []*ast.ArgumentDefinition) []*ast.ArgumentDefinition {
	out := make([]*ast.ArgumentDefinition, len(as))
	for i, a := range as {
		cp := *a
		out[i] = &cp
	}
	return out
}

// mutationResponseType declares <t>_mutation_response.
func (b *builder) mutationResponseType(t *Table) string {
	name := t.TypeName("_mutation_response")
	return b.frame(fMutationResponse, t, name, func() string {
		d := b.add(&ast.Definition{Kind: ast.Object, Name: name, Description: `response of any mutation on the table "` + t.QuotedName + `"`,
			Fields: ast.FieldList{field("affected_rows", nonNull("Int"), "number of rows affected by the mutation")}})
		if t.Perm.Select != nil {
			d.Fields = append(d.Fields, field("returning", nonNullList(nonNull(t.TypeName(""))), "data from the rows affected by the mutation"))
		}
		b.setObject(name, t)
		return name
	})
}

// insertInputType declares <t>_insert_input with the role's insertable
// columns and nested inserts through relationships.
func (b *builder) insertInputType(t *Table) string {
	name := t.TypeName("_insert_input")
	return b.frame(fInsertInput, t, name, func() string {
		ip := b.insertPermOf(t)
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: `input type for inserting data into table "` + t.QuotedName + `"`})
		for _, c := range mutableColumns(t, ip.Columns, ip.Set) {
			d.Fields = append(d.Fields, field(t.ColumnField[c.Name], named(b.inputColumnType(t, c)), columnDescription(t, c)))
		}
		for _, r := range b.relationships(t) {
			// Manual relationships take nested inserts only with an
			// insertion_order.
			target := b.all[r.TargetName]
			if target == nil || b.insertPermOf(target) == nil || r.InsertionOrder == "" {
				continue
			}
			if r.Object {
				d.Fields = append(d.Fields, field(r.Name, named(b.relInsertInput(target, true)), ""))
			} else {
				d.Fields = append(d.Fields, field(r.Name, named(b.relInsertInput(target, false)), ""))
			}
		}
		if len(d.Fields) == 0 {
			// An input object needs a field; Hasura's placeholder keeps the type valid.
			d.Fields = ast.FieldList{field("_PLACEHOLDER", named("String"), "")}
		}
		return name
	})
}

// relInsertInput declares <t>_obj_rel_insert_input or
// <t>_arr_rel_insert_input.
func (b *builder) relInsertInput(t *Table, object bool) string {
	name, kind, data := t.TypeName("_arr_rel_insert_input"), "array", nonNullList(nonNull(b.insertInputType(t)))
	fk := fArrRelInsert
	if object {
		name, kind, data = t.TypeName("_obj_rel_insert_input"), "object", nonNull(b.insertInputType(t))
		fk = fObjRelInsert
	}
	return b.frame(fk, t, name, func() string {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name,
			Description: "input type for inserting " + kind + ` relation for remote table "` + t.QuotedName + `"`,
			Fields:      ast.FieldList{field("data", data, "")}})
		if c := b.onConflictType(t); c != "" {
			d.Fields = append(d.Fields, field("on_conflict", named(c), "upsert condition"))
		}
		return name
	})
}

// onConflictType declares <t>_on_conflict, <t>_constraint and
// <t>_update_column, or returns "" when t has no unique constraint or the
// role cannot update it.
func (b *builder) onConflictType(t *Table) string {
	name := t.TypeName("_on_conflict")
	return b.frame(fOnConflict, t, name, func() string {
		var cons []*catalog.Constraint
		if t.Catalog.PrimaryKey != nil {
			cons = append(cons, t.Catalog.PrimaryKey)
		}
		cons = append(cons, t.Catalog.Uniques...)
		up := b.updatePermOf(t)
		if len(cons) == 0 || up == nil {
			return ""
		}
		cname := t.TypeName("_constraint")
		ce := b.add(&ast.Definition{Kind: ast.Enum, Name: cname, Description: `unique or primary key constraints on table "` + t.QuotedName + `"`})
		for _, c := range cons {
			ce.EnumValues = append(ce.EnumValues, &ast.EnumValueDefinition{Name: c.Name,
				Description: `unique or primary key constraint on columns "` + strings.Join(c.Columns, `", "`) + `"`})
		}
		empty := &ast.Value{Kind: ast.ListValue, Raw: ""}
		uc := field("update_columns", nonNullList(nonNull(b.updateColumnType(t, up))), "")
		uc.DefaultValue = empty
		b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: `on_conflict condition type for table "` + t.QuotedName + `"`,
			Fields: ast.FieldList{
				field("constraint", nonNull(cname), ""),
				uc,
				field("where", named(b.boolExpType(t)), ""),
			}})
		return name
	})
}

// updateColumnType declares <t>_update_column (with Hasura's _PLACEHOLDER
// when the role may update no column).
func (b *builder) updateColumnType(t *Table, up *metadata.UpdatePermission) string {
	name := t.TypeName("_update_column")
	if !b.absent(name) {
		return name
	}
	d := b.add(&ast.Definition{Kind: ast.Enum, Name: name, Description: `update columns of table "` + t.QuotedName + `"`})
	for _, c := range mutableColumns(t, up.Columns, up.Set) {
		d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{Name: t.ColumnField[c.Name], Description: "column name"})
	}
	if len(d.EnumValues) == 0 {
		d.EnumValues = ast.EnumValueList{{Name: "_PLACEHOLDER", Description: "placeholder (do not use)"}}
	}
	return name
}

// updateOps declares the update operator inputs of t (_set, _inc, jsonb
// operators) and returns them as arguments.
func (b *builder) updateOps(t *Table, up *metadata.UpdatePermission) []*ast.ArgumentDefinition {
	cols := mutableColumns(t, up.Columns, up.Set)
	if len(cols) == 0 {
		return nil
	}
	q := t.QuotedName
	var args []*ast.ArgumentDefinition
	input := func(suffix, desc string, fields ast.FieldList) string {
		n := t.TypeName(suffix)
		if b.absent(n) {
			b.add(&ast.Definition{Kind: ast.InputObject, Name: n, Description: desc, Fields: fields})
		}
		return n
	}
	var set, inc, jsonb ast.FieldList
	var jsonbCols []*catalog.Column
	for _, c := range cols {
		f := b.columnField(t, c)
		ty := b.columnTypeName(f)
		set = append(set, field(f.Name, named(ty), columnDescription(t, c)))
		if f.EnumTable == nil && kindOf(f.Type).numeric {
			inc = append(inc, field(f.Name, named(ty), columnDescription(t, c)))
		}
		if f.EnumTable == nil && f.Type == "jsonb" {
			jsonb = append(jsonb, field(f.Name, named(ty), ""))
			jsonbCols = append(jsonbCols, c)
		}
	}
	if len(inc) > 0 {
		n := input("_inc_input", `input type for incrementing numeric columns in table "`+q+`"`, inc)
		args = append(args, arg("_inc", named(n), "increments the numeric columns with given value of the filtered values"))
	}
	if len(jsonbCols) > 0 {
		for _, op := range jsonbOps {
			var fs ast.FieldList
			for _, c := range jsonbCols {
				ty := named("jsonb")
				switch op.valueType {
				case "String":
					ty = named("String")
				case "Int":
					ty = named("Int")
				case "[String!]":
					ty = listOf(nonNull("String"))
				}
				fs = append(fs, field(t.ColumnField[c.Name], ty, ""))
			}
			n := input(op.suffix, op.desc, fs)
			args = append(args, arg(op.arg, named(n), op.desc))
		}
	}
	n := input("_set_input", `input type for updating data in table "`+q+`"`, set)
	args = append(args, arg("_set", named(n), "sets the columns of the filtered rows to the given values"))
	return args
}

// pkColumnsInput declares <t>_pk_columns_input.
func (b *builder) pkColumnsInput(t *Table) string {
	name := t.TypeName("_pk_columns_input")
	return b.frame(fPKColumns, t, name, func() string {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: "primary key columns input for table: " + t.GQLName})
		for _, c := range t.Catalog.PrimaryKey.Columns {
			f := t.Fields[t.ColumnField[c]]
			d.Fields = append(d.Fields, field(f.Name, nonNull(b.columnTypeName(f)), columnDescription(t, f.Column)))
		}
		return name
	})
}

// updatesType declares <t>_updates, one element of update_<t>_many.
func (b *builder) updatesType(t *Table, ops []*ast.ArgumentDefinition) string {
	name := t.TypeName("_updates")
	if b.absent(name) {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name})
		for _, a := range ops {
			d.Fields = append(d.Fields, field(a.Name, a.Type, a.Description))
		}
		d.Fields = append(d.Fields, field("where", nonNull(b.boolExpType(t)), "filter the rows which have to be updated"))
	}
	return name
}
