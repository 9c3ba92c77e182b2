package schema

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// selectRootFields adds <t>, <t>_by_pk, <t>_aggregate (and <t>_stream in
// subscriptions) as the role's permission and the table's customisation
// allow.
func (b *builder) selectRootFields(t *Table) {
	b.frame(fSelectRoots, t, "", func() string {
		sp := t.Perm.Select
		q := t.QuotedName
		type root struct {
			key  string
			kind RootKind
			def  *ast.FieldDefinition
		}
		var roots []root
		{
			name, comment, ok := b.rootName(t.Meta, "select", t.GQLName)
			desc := `fetch data from the table: "` + q + `"`
			if ok {
				desc = comment
			}
			roots = append(roots, root{"select", RootSelect, field(name, nonNullList(nonNull(t.TypeName(""))), desc, b.selectArgs(t)...)})
		}
		if t.pkSelectable() {
			name, comment, ok := b.rootName(t.Meta, "select_by_pk", t.GQLName+"_by_pk")
			desc := `fetch data from the table: "` + q + `" using primary key columns`
			if ok {
				desc = comment
			}
			var args ast.ArgumentDefinitionList
			for _, c := range t.Catalog.PrimaryKey.Columns {
				f := t.Fields[t.ColumnField[c]]
				args = append(args, arg(f.Name, nonNull(b.columnTypeName(f)), ""))
			}
			roots = append(roots, root{"select_by_pk", RootSelectByPK, field(name, named(t.TypeName("")), desc, args...)})
		}
		if t.aggregatable() {
			name, comment, ok := b.rootName(t.Meta, "select_aggregate", t.GQLName+"_aggregate")
			desc := `fetch aggregated fields from the table: "` + q + `"`
			if ok {
				desc = comment
			}
			roots = append(roots, root{"select_aggregate", RootSelectAggregate, field(name, nonNull(b.aggregateType(t)), desc, b.selectArgs(t)...)})
		}
		for _, r := range roots {
			var maps uint8
			if allowedRoot(sp.QueryRootFields, r.key) {
				b.appendRoot(rootQuery, r.def)
				maps |= rootQuery
			}
			if allowedRoot(sp.SubscriptionRootFields, r.key) {
				cp := *r.def
				b.appendRoot(rootSubscription, &cp)
				maps |= rootSubscription
			}
			if maps != 0 {
				b.register(maps, r.def.Name, r.kind, t)
			}
		}
		if !b.opts.NoStreaming && allowedRoot(sp.SubscriptionRootFields, "select_stream") && len(b.selectableColumns(t)) > 0 {
			name, comment, ok := b.rootName(t.Meta, "select_stream", t.GQLName+"_stream")
			desc := `fetch data from the table in a streaming manner: "` + q + `"`
			if ok {
				desc = comment
			}
			fd := field(name, nonNullList(nonNull(t.TypeName(""))), desc,
				arg("batch_size", nonNull("Int"), "maximum number of rows returned in a single batch"),
				arg("cursor", nonNullList(named(b.streamCursorType(t))), "cursor to stream the results returned by the query"),
				arg("where", named(b.boolExpType(t)), "filter the rows returned"),
			)
			b.appendRoot(rootSubscription, fd)
			b.register(rootSubscription, name, RootSelectStream, t)
		}
		return ""
	})
}

// allowedRoot reports whether a root field kind is in a permission's
// query_root_fields / subscription_root_fields (nil allows all).
func allowedRoot(list []string, key string) bool {
	if list == nil {
		return true
	}
	for _, k := range list {
		if k == key {
			return true
		}
	}
	return false
}

// streamCursorType declares <t>_stream_cursor_input and its value input.
func (b *builder) streamCursorType(t *Table) string {
	name := t.TypeName("_stream_cursor_input")
	return b.frame(fStreamCursor, t, name, func() string {
		vname := t.TypeName("_stream_cursor_value_input")
		v := b.add(&ast.Definition{Kind: ast.InputObject, Name: vname, Description: "Initial value of the column from where the streaming should start"})
		for _, f := range b.selectableColumns(t) {
			v.Fields = append(v.Fields, field(f.Name, named(b.columnTypeName(f)), columnDescription(t, f.Column)))
		}
		b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: `Streaming cursor of the table "` + t.QuotedName + `"`,
			Fields: ast.FieldList{
				field("initial_value", nonNull(vname), "Stream column input with initial value"),
				field("ordering", named(b.cursorOrdering()), "cursor ordering"),
			}})
		return name
	})
}

// cursorOrdering declares the cursor_ordering enum.
func (b *builder) cursorOrdering() string {
	defer b.shared(opCursorOrdering, "", nil)()
	if b.types["cursor_ordering"] == nil {
		b.add(&ast.Definition{Kind: ast.Enum, Name: "cursor_ordering", Description: "ordering argument of a cursor",
			EnumValues: ast.EnumValueList{
				{Name: "ASC", Description: "ascending ordering of the cursor"},
				{Name: "DESC", Description: "descending ordering of the cursor"},
			}})
	}
	return "cursor_ordering"
}
