package schema

import "github.com/vektah/gqlparser/v2/ast"

// numericAggregates are the aggregate functions over numeric columns, in
// Hasura's order; their results are Float except sum.
var numericAggregates = []string{"avg", "stddev", "stddev_pop", "stddev_samp", "sum", "var_pop", "var_samp", "variance"}

// orderByEnum declares the order_by enum.
func (b *builder) orderByEnum() string {
	defer b.shared(opOrderByEnum, "", nil)()
	if b.types["order_by"] == nil {
		b.add(&ast.Definition{Kind: ast.Enum, Name: "order_by", Description: "column ordering options",
			EnumValues: ast.EnumValueList{
				{Name: "asc", Description: "in ascending order, nulls last"},
				{Name: "asc_nulls_first", Description: "in ascending order, nulls first"},
				{Name: "asc_nulls_last", Description: "in ascending order, nulls last"},
				{Name: "desc", Description: "in descending order, nulls first"},
				{Name: "desc_nulls_first", Description: "in descending order, nulls first"},
				{Name: "desc_nulls_last", Description: "in descending order, nulls last"},
			}})
	}
	return "order_by"
}

// orderByType declares <t>_order_by: columns, object relationships,
// aggregates of array relationships and of set-returning computed fields,
// and scalar computed fields (computed fields only without arguments of
// their own).
func (b *builder) orderByType(t *Table) string {
	name := t.TypeName("_order_by")
	return b.frame(fOrderBy, t, name, func() string {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: `Ordering options when selecting data from "` + t.QuotedName + `".`})
		ob := b.orderByEnum()
		for _, f := range b.selectableColumns(t) {
			d.Fields = append(d.Fields, field(f.Name, named(ob), ""))
		}
		for _, r := range b.relationships(t) {
			if r.Target == nil {
				continue
			}
			if r.Object {
				d.Fields = append(d.Fields, field(r.Name, named(b.orderByType(r.Target)), ""))
			} else {
				// Like Hasura v2, ordering by an aggregate of an array
				// relationship does not require allow_aggregations.
				d.Fields = append(d.Fields, field(r.Name+"_aggregate", named(b.aggregateOrderByType(r.Target)), ""))
			}
		}
		for _, c := range b.computed(t) {
			switch {
			case hasExtraArgs(c):
			case c.Returns == nil:
				d.Fields = append(d.Fields, field(c.Name, named(ob), ""))
			default:
				d.Fields = append(d.Fields, field(c.Name+"_aggregate", named(b.aggregateOrderByType(c.Returns)), ""))
			}
		}
		return name
	})
}

// aggColumns splits the role's columns of t into numeric and comparable ones.
func (b *builder) aggColumns(t *Table) (numeric, comparable []*Field) {
	for _, f := range b.selectableColumns(t) {
		if f.EnumTable != nil {
			continue
		}
		k := kindOf(f.Type)
		if k.numeric {
			numeric = append(numeric, f)
		}
		if k.comparable {
			comparable = append(comparable, f)
		}
	}
	return numeric, comparable
}

// aggregateType declares <t>_aggregate and <t>_aggregate_fields with the
// per-function field types.
func (b *builder) aggregateType(t *Table) string {
	name := t.TypeName("_aggregate")
	return b.frame(fAggregate, t, name, func() string {
		q := t.QuotedName
		fname := t.TypeName("_aggregate_fields")
		b.add(&ast.Definition{Kind: ast.Object, Name: name, Description: `aggregated selection of "` + q + `"`,
			Fields: ast.FieldList{
				field("aggregate", named(fname), ""),
				field("nodes", nonNullList(nonNull(t.TypeName(""))), ""),
			}})
		b.setObject(name, t)
		b.setObject(fname, t)
		fields := b.add(&ast.Definition{Kind: ast.Object, Name: fname, Description: `aggregate fields of "` + q + `"`})
		count := field("count", nonNull("Int"), "")
		if sc := b.selectColumnType(t); sc != "" {
			count.Arguments = ast.ArgumentDefinitionList{
				arg("columns", listOf(nonNull(sc)), ""),
				arg("distinct", named("Boolean"), ""),
			}
		} else {
			count.Arguments = ast.ArgumentDefinitionList{arg("distinct", named("Boolean"), "")}
		}
		fields.Fields = append(fields.Fields, count)
		numeric, comparable := b.aggColumns(t)
		if len(numeric) > 0 {
			for _, fn := range numericAggregates {
				tn := t.TypeName("_" + fn + "_fields")
				d := b.add(&ast.Definition{Kind: ast.Object, Name: tn, Description: "aggregate " + fn + " on columns"})
				for _, f := range numeric {
					ty := "Float"
					if fn == "sum" {
						ty = b.scalar(f.Type)
					}
					d.Fields = append(d.Fields, field(f.Name, named(ty), columnDescription(t, f.Column)))
				}
				b.setObject(tn, t)
				fields.Fields = append(fields.Fields, field(fn, named(tn), ""))
			}
		}
		if len(comparable) > 0 {
			for _, fn := range []string{"max", "min"} {
				tn := t.TypeName("_" + fn + "_fields")
				d := b.add(&ast.Definition{Kind: ast.Object, Name: tn, Description: "aggregate " + fn + " on columns"})
				for _, f := range comparable {
					d.Fields = append(d.Fields, field(f.Name, named(b.scalar(f.Type)), columnDescription(t, f.Column)))
				}
				b.setObject(tn, t)
				fields.Fields = append(fields.Fields, field(fn, named(tn), ""))
			}
		}
		return name
	})
}

// aggregateOrderByType declares <t>_aggregate_order_by and the per-function
// order_by inputs.
func (b *builder) aggregateOrderByType(t *Table) string {
	name := t.TypeName("_aggregate_order_by")
	return b.frame(fAggregateOrderBy, t, name, func() string {
		q := t.QuotedName
		ob := b.orderByEnum()
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: `order by aggregate values of table "` + q + `"`,
			Fields: ast.FieldList{field("count", named(ob), "")}})
		numeric, comparable := b.aggColumns(t)
		add := func(fn string, cols []*Field) {
			tn := t.TypeName("_" + fn + "_order_by")
			od := b.add(&ast.Definition{Kind: ast.InputObject, Name: tn, Description: "order by " + fn + `() on columns of table "` + q + `"`})
			for _, f := range cols {
				od.Fields = append(od.Fields, field(f.Name, named(ob), columnDescription(t, f.Column)))
			}
			d.Fields = append(d.Fields, field(fn, named(tn), ""))
		}
		if len(numeric) > 0 {
			for _, fn := range numericAggregates {
				add(fn, numeric)
			}
		}
		if len(comparable) > 0 {
			add("max", comparable)
			add("min", comparable)
		}
		return name
	})
}

// aggregatePredicates are the aggregate functions Hasura offers in
// <t>_aggregate_bool_exp besides count: the type of their column
// argument(s) and of their result. Two-argument functions take {X, Y}.
var aggregatePredicates = []struct {
	fn, argType, result string
	pair                bool
}{
	{"avg", "float8", "float8", false},
	{"bool_and", "Boolean", "Boolean", false},
	{"bool_or", "Boolean", "Boolean", false},
	{"corr", "float8", "float8", true},
	{"covar_samp", "float8", "float8", true},
	{"max", "float8", "float8", false},
	{"min", "float8", "float8", false},
	{"stddev_samp", "float8", "float8", false},
	{"sum", "float8", "float8", false},
	{"var_samp", "float8", "float8", false},
}

// aggregateBoolExpType declares <t>_aggregate_bool_exp: count, and the
// other aggregate predicates for which t has columns of the argument type
// (bool_and/bool_or over boolean columns, avg, corr, ... over float8
// columns).
func (b *builder) aggregateBoolExpType(t *Table) string {
	name := t.TypeName("_aggregate_bool_exp")
	return b.frame(fAggregateBoolExp, t, name, func() string {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name})
		bexp := b.boolExpType(t)
		cname := t.TypeName("_aggregate_bool_exp_count")
		countArgs := ast.FieldList{}
		if sc := b.selectColumnType(t); sc != "" {
			countArgs = append(countArgs, field("arguments", listOf(nonNull(sc)), ""))
		}
		b.add(&ast.Definition{Kind: ast.InputObject, Name: cname, Fields: append(countArgs,
			field("distinct", named("Boolean"), ""),
			field("filter", named(bexp), ""),
			field("predicate", nonNull(b.scalarComparisonExp("Int")), ""),
		)})
		d.Fields = append(d.Fields, field("count", named(cname), ""))
		for _, p := range aggregatePredicates {
			var cols []string
			for _, f := range b.selectableColumns(t) {
				if f.EnumTable == nil && f.Type == p.argType {
					cols = append(cols, f.Name)
				}
			}
			if len(cols) == 0 {
				continue
			}
			base := t.GQLName + "_aggregate_bool_exp_" + p.fn
			en := t.TypeName("_select_column_" + base + "_arguments_columns")
			if b.absent(en) {
				b.add(&ast.Definition{Kind: ast.Enum, Name: en,
					Description: `select "` + base + `_arguments_columns" columns of table "` + t.QuotedName + `"`,
					EnumValues:  enumValues("column name", cols...)})
			}
			argType := en
			if p.pair {
				argType = b.typeName(base + "_arguments")
				b.add(&ast.Definition{Kind: ast.InputObject, Name: argType, Fields: ast.FieldList{
					field("X", nonNull(en), ""),
					field("Y", nonNull(en), ""),
				}})
			}
			in := b.typeName(base)
			b.add(&ast.Definition{Kind: ast.InputObject, Name: in, Fields: ast.FieldList{
				field("arguments", nonNull(argType), ""),
				field("distinct", named("Boolean"), ""),
				field("filter", named(bexp), ""),
				field("predicate", nonNull(b.scalarComparisonExp(b.scalar(p.result))), ""),
			}})
			d.Fields = append(d.Fields, field(p.fn, named(in), ""))
		}
		return name
	})
}
