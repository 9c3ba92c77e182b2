package schema

import (
	"github.com/postgate/postgate/internal/catalog"
	"github.com/vektah/gqlparser/v2/ast"
)

// objectFields records in t.Fields the relationships and computed fields
// of the object type of a table the role can select from (columns come
// first, from columnFields).
func (b *builder) objectFields(t *Table) {
	for _, r := range b.relationships(t) {
		// A relationship named like a column is inconsistent metadata;
		// the column wins.
		if r.Target == nil || r.Target.Perm.Select == nil || t.Fields[r.Name] != nil {
			continue
		}
		b.objRels[t] = append(b.objRels[t], r)
		if r.Object {
			t.Fields[r.Name] = &Field{Name: r.Name, Kind: FieldObjectRel, Rel: r}
			continue
		}
		t.Fields[r.Name] = &Field{Name: r.Name, Kind: FieldArrayRel, Rel: r}
		if r.Target.aggregatable() {
			n := r.Name + "_aggregate"
			t.Fields[n] = &Field{Name: n, Kind: FieldArrayAggregate, Rel: r}
		}
	}
	for _, c := range b.computed(t) {
		if t.Fields[c.Name] != nil {
			continue
		}
		b.objComps[t] = append(b.objComps[t], c)
		if c.Returns != nil {
			t.Fields[c.Name] = &Field{Name: c.Name, Kind: FieldComputedSet, Computed: c}
			continue
		}
		t.Fields[c.Name] = &Field{Name: c.Name, Kind: FieldComputedScalar, Computed: c, Type: scalarName(c.ReturnType)}
	}
}

// objectType builds the object type of a table the role can select from,
// with the fields objectFields recorded.
func (b *builder) objectType(t *Table) {
	b.frame(fObject, t, "", func() string {
		def := b.add(&ast.Definition{Kind: ast.Object, Name: t.TypeName(""), Description: t.Description})
		b.setObject(def.Name, t)
		for _, f := range b.selectableColumns(t) {
			c := f.Column
			ty := b.columnOutType(f, c)
			if redacted(t, c.Name) {
				ty.NonNull = false
			}
			fd := field(f.Name, ty, columnDescription(t, c))
			if k := kindOf(f.Type); k.json || k.jsonb {
				fd.Arguments = ast.ArgumentDefinitionList{arg("path", named("String"), "JSON select path")}
			}
			def.Fields = append(def.Fields, fd)
		}
		for _, r := range b.objRels[t] {
			if r.Object {
				ty := named(r.Target.TypeName(""))
				if !r.Nullable {
					ty = nonNull(r.Target.TypeName(""))
				}
				def.Fields = append(def.Fields, field(r.Name, ty, b.relComment(t, r.Name, "An object relationship")))
				continue
			}
			def.Fields = append(def.Fields, field(r.Name, nonNullList(nonNull(r.Target.TypeName(""))),
				b.relComment(t, r.Name, "An array relationship"), b.selectArgs(r.Target)...))
			if r.Target.aggregatable() {
				n := r.Name + "_aggregate"
				def.Fields = append(def.Fields, field(n, nonNull(b.aggregateType(r.Target)),
					b.relComment(t, r.Name, "An aggregate relationship"), b.selectArgs(r.Target)...))
			}
		}
		b.computedFields(t, def)
		return ""
	})
}

// redacted reports whether an inherited role reads column col of t only
// through some of its parents, so that Hasura types it nullable (the value
// is null on rows only the other parents may see).
func redacted(t *Table, col string) bool {
	sp := t.Perm.Select
	return sp != nil && len(sp.Parents) > 0 && !sp.GrantedByAll(col, false)
}

// GrantedByAll reports whether every ordinary role behind the permission
// (through nested inherited roles too) grants column (or, when computed is
// set, computed field) name, so that an inherited role reads it on every
// row it sees.
func (sp *SelectPerm) GrantedByAll(name string, computed bool) bool {
	if sp.Admin {
		return true
	}
	if len(sp.Parents) == 0 {
		if computed {
			return sp.ComputedFields[name]
		}
		return sp.Columns[name]
	}
	for _, p := range sp.Parents {
		if !p.GrantedByAll(name, computed) {
			return false
		}
	}
	return true
}

// columnField describes a selectable column.
func (b *builder) columnField(t *Table, c *catalog.Column) *Field {
	f := &Field{Name: t.ColumnField[c.Name], Kind: FieldColumn, Column: c, Type: scalarName(c.Type)}
	if et := b.enumReference(t, c); et != nil {
		f.EnumTable = et
		f.Type = et.EnumType
	}
	return f
}

// columnOutType is the output type of a column field, declaring its scalar
// or enum type.
func (b *builder) columnOutType(f *Field, c *catalog.Column) *ast.Type {
	name := b.columnTypeName(f)
	if c.Nullable {
		return named(name)
	}
	return nonNull(name)
}

// columnTypeName declares and returns the named type of a column field.
func (b *builder) columnTypeName(f *Field) string {
	if f.EnumTable != nil {
		return b.enumType(f.EnumTable)
	}
	return b.scalar(f.Type)
}

// enumReference returns the enum table a column references through a
// single-column foreign key, when Hasura would type it by that enum.
func (b *builder) enumReference(t *Table, c *catalog.Column) *Table {
	if len(b.enumTables) == 0 {
		return nil
	}
	for _, fk := range t.Catalog.ForeignKeys {
		if len(fk.Columns) != 1 || fk.Columns[0] != c.Name {
			continue
		}
		et := b.enumTables[fk.RefTable]
		if et == nil || !hasEnumValue(b.opts.EnumValues[et.Name]) {
			continue
		}
		return et
	}
	return nil
}

// enumType declares the GraphQL enum of an enum table.
func (b *builder) enumType(et *Table) string {
	defer b.shared(opEnumType, "", &et.Name)()
	if b.types[et.EnumType] == nil {
		d := b.add(&ast.Definition{Kind: ast.Enum, Name: et.EnumType})
		for _, v := range b.opts.EnumValues[et.Name] {
			if isEnumValueName(v.Value) {
				d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{Name: v.Value, Description: v.Description})
			}
		}
	}
	return et.EnumType
}

// relComment returns the relationship's comment from metadata or def.
func (b *builder) relComment(t *Table, name, def string) string {
	for _, r := range t.Meta.ObjectRelationships {
		if r.Name == name && r.Comment != nil {
			return *r.Comment
		}
	}
	for _, r := range t.Meta.ArrayRelationships {
		if r.Name == name && r.Comment != nil {
			return *r.Comment
		}
	}
	return def
}

// selectArgs returns the arguments of a list or aggregate selection of t.
func (b *builder) selectArgs(t *Table) ast.ArgumentDefinitionList {
	args := ast.ArgumentDefinitionList{
		arg("limit", named("Int"), "limit the number of rows returned"),
		arg("offset", named("Int"), "skip the first n rows. Use only with order_by"),
		arg("order_by", listOf(nonNull(b.orderByType(t))), "sort the rows by one or more columns"),
		arg("where", named(b.boolExpType(t)), "filter the rows returned"),
	}
	if sc := b.selectColumnType(t); sc != "" {
		args = append(args, arg("distinct_on", listOf(nonNull(sc)), "distinct select on columns"))
	}
	return args
}

// selectColumnType declares <t>_select_column, or returns "" when the role
// can select no column.
func (b *builder) selectColumnType(t *Table) string {
	name := t.TypeName("_select_column")
	return b.frame(fSelectColumn, t, name, func() string {
		var vals []string
		for _, c := range t.Catalog.Columns {
			if t.selectable(c.Name) && isGraphQLName(t.ColumnField[c.Name]) {
				vals = append(vals, t.ColumnField[c.Name])
			}
		}
		if len(vals) == 0 {
			return ""
		}
		b.add(&ast.Definition{Kind: ast.Enum, Name: name, Description: `select columns of table "` + t.QuotedName + `"`,
			EnumValues: enumValues("column name", vals...)})
		return name
	})
}

// columnFields records the fields of the columns the role can select from
// t, in column order.
func (b *builder) columnFields(t *Table) {
	for _, c := range t.Catalog.Columns {
		if t.selectable(c.Name) && isGraphQLName(t.ColumnField[c.Name]) {
			f := b.columnField(t, c)
			t.Fields[f.Name] = f
			b.cols[t] = append(b.cols[t], f)
		}
	}
}

// selectableColumns returns the fields of the columns the role can select.
func (b *builder) selectableColumns(t *Table) []*Field { return b.cols[t] }

// hasEnumValue reports whether some enum table row can be a GraphQL enum
// value.
func hasEnumValue(vs []EnumValue) bool {
	for _, v := range vs {
		if isEnumValueName(v.Value) {
			return true
		}
	}
	return false
}
