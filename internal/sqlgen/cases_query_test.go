package sqlgen

import (
	"strconv"

	"github.com/postgate/postgate/internal/ir"
)

func queryCases() []goldenCase {
	authorArticles := func(sel *ir.Select) ir.Field {
		return ir.Field{Alias: "articles", Value: ir.ArrayRelField{Rel: rel("article", "id", "author_id"), Select: sel}}
	}
	articleAuthor := ir.Field{Alias: "author", Value: ir.ObjectRelField{Rel: rel("author", "author_id", "id"),
		Select: &ir.Select{From: from("author"), Single: true, Fields: cols("id", "name")}}}
	return []goldenCase{
		{name: "select_simple", root: list(&ir.Select{From: from("author"), Fields: cols("id", "name"), OrderBy: []ir.OrderBy{asc("id")}})},
		{name: "select_types", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: cols("id", "info", "emails", "mood", "created_at", "price", "manager_id")})},
		{name: "select_empty", root: list(&ir.Select{From: from("author"), Fields: cols("id"), Where: ir.Const(false)})},
		{name: "select_where_eq_variable", root: list(&ir.Select{From: from("author"), Fields: cols("id", "name"),
			Where: eq("id", ir.Variable{Name: "id", Type: "integer"})}), vars: map[string]any{"id": num("2")}},
		{name: "by_pk", root: &ir.Root{Alias: "author_by_pk", Select: &ir.Select{From: from("author"), Single: true,
			Fields: cols("id", "name"), Where: eq("id", lit(num("1"), "integer"))}}},
		{name: "by_pk_null", root: &ir.Root{Alias: "author_by_pk", Select: &ir.Select{From: from("author"), Single: true,
			Fields: cols("id", "name"), Where: eq("id", lit(num("99"), "integer"))}}},
		{name: "object_relationship", root: list(&ir.Select{From: from("article"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: append(cols("id", "title"), articleAuthor)})},
		{name: "array_relationship", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: append(cols("id", "name"), authorArticles(&ir.Select{From: from("article"), Fields: cols("id", "title"),
				OrderBy: []ir.OrderBy{desc("id")}}))})},
		{name: "array_relationship_where_limit", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: append(cols("id"), authorArticles(&ir.Select{From: from("article"), Fields: cols("id", "title"),
				Where: eq("is_published", lit(true, "boolean")), OrderBy: []ir.OrderBy{asc("id")}, Limit: lit(num("1"), "integer")}))})},
		{name: "deep_nesting", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Where: eq("id", lit(num("1"), "integer")),
			Fields: append(cols("name"), authorArticles(&ir.Select{From: from("article"), OrderBy: []ir.OrderBy{asc("id")},
				Fields: append(cols("title"), ir.Field{Alias: "comments", Value: ir.ArrayRelField{Rel: rel("comment", "id", "article_id"),
					Select: &ir.Select{From: from("comment"), OrderBy: []ir.OrderBy{asc("id")}, Fields: append(cols("body"),
						ir.Field{Alias: "commenter", Value: ir.ObjectRelField{Rel: rel("author", "commenter_id", "id"),
							Select: &ir.Select{From: from("author"), Single: true, Fields: append(cols("name"),
								ir.Field{Alias: "manager", Value: ir.ObjectRelField{Rel: rel("author", "manager_id", "id"),
									Select: &ir.Select{From: from("author"), Single: true, Fields: cols("name")}}})}}})}}})}))})},
		{name: "self_relationship", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: append(cols("name"), ir.Field{Alias: "reports", Value: ir.ArrayRelField{Rel: rel("author", "id", "manager_id"),
				Select: &ir.Select{From: from("author"), Fields: cols("name"), OrderBy: []ir.OrderBy{asc("id")}}}})})},
		{name: "limit_offset", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Limit: lit(num("2"), "integer"), Offset: lit(num("1"), "integer")})},
		{name: "limit_variable_perm_limit", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Limit: ir.Variable{Name: "n", Type: "integer"}, PermLimit: ptr(2)}), vars: map[string]any{"n": num("3")}},
		{name: "perm_limit_only", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{desc("id")}, PermLimit: ptr(1)})},
		// Boolean expressions.
		{name: "where_and_or_not", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Or{ir.And{eq("author_id", lit(num("1"), "integer")), ir.Not{Exp: eq("is_published", lit(true, "boolean"))}},
				cmp("rating", "integer", ir.OpGte, lit(num("4"), "integer")), ir.And{}, ir.Or{}}})},
		{name: "where_comparisons", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.And{cmp("id", "integer", ir.OpNeq, lit(num("2"), "integer")), cmp("id", "integer", ir.OpGt, lit(num("0"), "integer")),
				cmp("id", "integer", ir.OpLt, lit(num("9"), "integer")), cmp("id", "integer", ir.OpLte, lit(num("4"), "integer"))}})},
		{name: "where_text_patterns", root: list(&ir.Select{From: from("article"), Fields: cols("id", "title"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.And{cmp("title", "text", ir.OpLike, lit("%SQL%", "text")), cmp("title", "text", ir.OpNlike, lit("%Joins", "text")),
				cmp("title", "text", ir.OpIlike, lit("intro%", "text")), cmp("title", "text", ir.OpNilike, lit("x%", "text")),
				cmp("title", "text", ir.OpSimilar, lit("(Intro|Graphs)%", "text")), cmp("title", "text", ir.OpNsimilar, lit("G%", "text")),
				cmp("title", "text", ir.OpRegex, lit("^In", "text")), cmp("title", "text", ir.OpNregex, lit("^G", "text")),
				cmp("title", "text", ir.OpIregex, lit("^in", "text")), cmp("title", "text", ir.OpNiregex, lit("^g", "text"))}})},
		{name: "where_jsonb_ops", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Or{
				ir.And{cmp("info", "jsonb", ir.OpContains, ir.Variable{Name: "c", Type: "jsonb"}), cmp("info", "jsonb", ir.OpHasKey, lit("tags", "text"))},
				ir.And{cmp("info", "jsonb", ir.OpContainedIn, lit(map[string]any{"age": num("50"), "bestseller": true, "x": num("1")}, "jsonb")),
					cmp("info", "jsonb", ir.OpHasKeysAny, lit([]any{"bestseller", "nope"}, "text[]")),
					cmp("info", "jsonb", ir.OpHasKeysAll, lit([]any{"age", "bestseller"}, "text[]"))}}}),
			vars: map[string]any{"c": map[string]any{"address": map[string]any{"city": "London"}}}},
		{name: "where_in_nin", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.And{cmp("id", "integer", ir.OpIn, ir.Variable{Name: "ids", Type: "integer[]"}),
				cmp("title", "text", ir.OpNin, lit([]any{"Graphs", `quote"d`}, "text[]"))}}),
			vars: map[string]any{"ids": []any{num("1"), num("2"), num("3")}}},
		{name: "where_in_empty", root: list(&ir.Select{From: from("article"), Fields: cols("id"),
			Where: cmp("id", "integer", ir.OpIn, lit([]any{}, "integer[]"))})},
		{name: "where_in_scalar_typed_value", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.And{cmp("id", "integer", ir.OpIn, lit([]any{num("1"), num("3")}, "integer")), cmp("info", "jsonb", ir.OpHasKey, lit("age", "jsonb"))}})},
		{name: "where_nin_empty", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: cmp("id", "integer", ir.OpNin, lit([]any{}, ""))})},
		{name: "where_is_null", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Or{ir.IsNull{Left: ir.ColumnOp{Name: "rating"}, IsNull: true}, ir.And{ir.IsNull{Left: ir.ColumnOp{Name: "rating"}}, cmp("rating", "integer", ir.OpLt, lit(num("4"), "integer"))}}})},
		{name: "where_cast", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Compare{Left: ir.ColumnOp{Name: "created_at", Type: "timestamp with time zone", Cast: "text"}, Op: ir.OpLike, Right: lit("2020%", "text")}})},
		{name: "where_column_comparison", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Or{cmp("id", "integer", ir.OpCeq, ir.ColumnOp{Name: "manager_id"}), cmp("id", "integer", ir.OpCgt, ir.ColumnOp{Name: "manager_id"})}})},
		{name: "where_relationship", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.RelExists{Rel: rel("author", "author_id", "id"), Where: eq("name", lit("Brian", "text"))}})},
		{name: "where_array_relationship_root_column", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.RelExists{Rel: rel("comment", "id", "commenter_id"), Where: ir.RelExists{Rel: rel("article", "article_id", "id"),
				Where: ir.Compare{Left: ir.ColumnOp{Name: "author_id"}, Op: ir.OpCneq, Right: ir.RootColumnOp{Name: "id"}}}}})},
		{name: "where_exists", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Exists{Table: ir.Table{Schema: "public", Name: "user"}, Where: eq("userId", ir.SessionVar{Name: "x-hasura-user-id", Type: "text"})}}),
			sess: map[string]string{"x-hasura-user-id": `u"2`}},
		{name: "where_aggregate_predicate", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.And{
				ir.AggregatePredicate{Rel: rel("article", "id", "author_id"), Function: "count", Op: ir.OpGte, Value: lit(num("2"), "integer")},
				ir.AggregatePredicate{Rel: rel("article", "id", "author_id"), Function: "count", Columns: []string{"rating"}, Distinct: true,
					Filter: eq("is_published", lit(true, "boolean")), Op: ir.OpEq, Value: lit(num("1"), "integer")},
				ir.AggregatePredicate{Rel: rel("article", "id", "author_id"), Function: "bool_or", Columns: []string{"is_published"}, Op: ir.OpEq, Value: lit(true, "boolean")}}})},
		{name: "where_computed_field", root: list(&ir.Select{From: from("author"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Compare{Left: ir.ComputedOp{Function: tbl("author_label"), Type: "text",
				Args: []ir.Arg{{RowArg: true}, {Value: lit(">", "text")}}}, Op: ir.OpEq, Right: lit(">Brian #2", "text")}})},
		{name: "where_session_variables", root: list(&ir.Select{From: from("article"), Fields: cols("id"), OrderBy: []ir.OrderBy{asc("id")},
			Where: ir.Or{cmp("author_id", "integer", ir.OpIn, ir.SessionVar{Name: "x-hasura-allowed-ids", Type: "integer[]"}),
				eq("author_id", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}),
				eq("id", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"})}}),
			sess: map[string]string{"x-hasura-allowed-ids": "{2}", "x-hasura-user-id": "1"}},
		// Ordering.
		{name: "order_directions", root: list(&ir.Select{From: from("article"), Fields: cols("id", "rating"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderColumn{Name: "rating"}, NullsFirst: true}, {Expr: ir.OrderColumn{Name: "id"}, Desc: true}}})},
		{name: "order_asc_nulls_last_desc_nulls_first", root: list(&ir.Select{From: from("article"), Fields: cols("id", "rating"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderColumn{Name: "rating"}, Desc: true, NullsFirst: true}}})},
		{name: "order_object_relationship", root: list(&ir.Select{From: from("article"), Fields: cols("id"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderObjectRel{Rel: rel("author", "author_id", "id"), Expr: ir.OrderColumn{Name: "name"}}, Desc: true}, asc("id")}})},
		{name: "order_nested_object_relationship_limit", root: list(&ir.Select{From: from("comment"), Fields: cols("id"), Limit: lit(num("3"), "integer"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderObjectRel{Rel: rel("article", "article_id", "id"),
				Expr: ir.OrderObjectRel{Rel: rel("author", "author_id", "id"), Where: cmp("id", "integer", ir.OpGt, lit(num("0"), "integer")),
					Expr: ir.OrderColumn{Name: "name"}}}}, desc("id")}})},
		{name: "order_array_aggregate", root: list(&ir.Select{From: from("article"), Fields: cols("id"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderArrayAggregate{Rel: rel("comment", "id", "article_id"), Function: "count"}, Desc: true, NullsFirst: true},
				{Expr: ir.OrderArrayAggregate{Rel: rel("comment", "id", "article_id"), Function: "max", Column: "body"}}, asc("id")}})},
		{name: "order_computed_field", root: list(&ir.Select{From: from("author"), Fields: cols("id"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderComputed{Op: ir.ComputedOp{Function: tbl("author_label"), Type: "text"}}, Desc: true}}})},
		{name: "distinct_on_order_salary_asc", root: list(&ir.Select{From: from("employee"), Fields: cols("id", "name", "department", "salary"),
			DistinctOn: []string{"department"}, OrderBy: []ir.OrderBy{desc("department"), asc("salary")}})},
		{name: "distinct_on_order_salary_desc", root: list(&ir.Select{From: from("employee"), Fields: cols("id", "name", "department", "salary"),
			DistinctOn: []string{"department"}, OrderBy: []ir.OrderBy{asc("department"), desc("salary")}})},
		{name: "distinct_on_other_order_limit", root: list(&ir.Select{From: from("employee"), Fields: cols("id", "department", "salary"),
			DistinctOn: []string{"department"}, OrderBy: []ir.OrderBy{desc("salary")}, Limit: lit(num("2"), "integer")})},
		{name: "distinct_on_without_order", root: list(&ir.Select{From: from("employee"), Fields: cols("department", "salary"),
			DistinctOn: []string{"department"}, Where: cmp("salary", "integer", ir.OpGt, lit(num("2000"), "integer"))})},
		// Aggregates.
		{name: "aggregate_root", root: &ir.Root{Alias: "article_aggregate", Aggregate: &ir.Aggregate{From: from("article"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: []ir.AggregateField{
				{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true},
					{Alias: "sum", Op: "sum", Columns: []ir.OpColumn{{Alias: "id", Name: "id"}, {Alias: "rating_sum", Name: "rating"}}},
					{Alias: "avg", Op: "avg", Columns: []ir.OpColumn{{Alias: "author_id", Name: "author_id"}}},
					{Alias: "max", Op: "max", Columns: []ir.OpColumn{{Alias: "title", Name: "title"}, {Alias: "__typename", Const: ptr("article_max_fields")}}},
					{Alias: "min", Op: "min", Columns: []ir.OpColumn{{Alias: "title", Name: "title"}}},
					{Alias: "stats", Op: "stddev", Columns: []ir.OpColumn{{Alias: "rating", Name: "rating", Encoding: ir.EncodeText}}},
					{Alias: "__typename", Const: ptr("article_aggregate_fields")}}},
				{Alias: "nodes", Nodes: append(cols("id"), articleAuthor)},
				{Alias: "__typename", Const: ptr("article_aggregate")}}}}},
		{name: "aggregate_limit_offset_where", root: &ir.Root{Alias: "article_aggregate", Aggregate: &ir.Aggregate{From: from("article"),
			Where: eq("is_published", lit(true, "boolean")), OrderBy: []ir.OrderBy{desc("id")}, Limit: lit(num("2"), "integer"), Offset: lit(num("1"), "integer"),
			Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true}, {Alias: "sum", Op: "sum", Columns: []ir.OpColumn{{Alias: "id", Name: "id"}}}}},
				{Alias: "nodes", Nodes: cols("id")}}}}},
		{name: "aggregate_count_distinct_columns", root: &ir.Root{Alias: "a", Aggregate: &ir.Aggregate{From: from("article"),
			Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{
				{Alias: "all", Count: true},
				{Alias: "ratings", Count: true, CountColumns: []string{"rating"}},
				{Alias: "distinct_authors", Count: true, CountColumns: []string{"author_id"}, CountDistinct: true},
				{Alias: "distinct_pairs", Count: true, CountColumns: []string{"author_id", "is_published"}, CountDistinct: true}}}}}}},
		{name: "aggregate_many_columns", root: &ir.Root{Alias: "a", Aggregate: &ir.Aggregate{From: from("article"),
			Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "max", Op: "max", Columns: manyOpColumns(55)}}}}}}},
		{name: "aggregate_empty", root: &ir.Root{Alias: "a", Aggregate: &ir.Aggregate{From: from("article"), Where: ir.Const(false),
			Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true},
				{Alias: "max", Op: "max", Columns: []ir.OpColumn{{Alias: "id", Name: "id"}}}}}, {Alias: "nodes", Nodes: cols("id")}}}}},
		{name: "aggregate_nested", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: append(cols("id"), ir.Field{Alias: "articles_aggregate", Value: ir.ArrayAggregateField{Rel: rel("article", "id", "author_id"),
				Aggregate: &ir.Aggregate{From: from("article"), OrderBy: []ir.OrderBy{desc("id")}, Fields: []ir.AggregateField{
					{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true}, {Alias: "max", Op: "max", Columns: []ir.OpColumn{{Alias: "rating", Name: "rating"}}}}},
					{Alias: "nodes", Nodes: append(cols("title"), ir.Field{Alias: "comments_aggregate", Value: ir.ArrayAggregateField{Rel: rel("comment", "id", "article_id"),
						Aggregate: &ir.Aggregate{From: from("comment"), Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true}}}}}}})}}}}})})},
		// Computed fields and functions.
		{name: "computed_fields", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Fields: append(cols("id"),
			ir.Field{Alias: "label", Value: ir.ComputedScalarField{Op: ir.ComputedOp{Function: tbl("author_label"), Args: []ir.Arg{{RowArg: true}, {Name: "prefix", Value: ir.Variable{Name: "p", Type: "text"}}}}}},
			ir.Field{Alias: "plain_label", Value: ir.ComputedScalarField{Op: ir.ComputedOp{Function: tbl("author_label")}}},
			ir.Field{Alias: "published", Value: ir.ComputedSetField{Select: &ir.Select{From: ir.From{Function: &ir.FunctionCall{Name: tbl("author_published"), Args: []ir.Arg{{RowArg: true}}}},
				OrderBy: []ir.OrderBy{asc("id")}, Fields: cols("id", "title")}}})}), vars: map[string]any{"p": "Dr. "}},
		{name: "computed_set_field_aggregate", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Fields: append(cols("id"),
			ir.Field{Alias: "published_aggregate", Value: ir.ArrayAggregateField{Aggregate: &ir.Aggregate{
				From:   ir.From{Function: &ir.FunctionCall{Name: tbl("author_published"), Args: []ir.Arg{{RowArg: true}}}},
				Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true}}}}}}})})},
		{name: "where_computed_exists", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Fields: cols("id"),
			Where: ir.ComputedExists{Function: tbl("author_published"), Args: []ir.Arg{{RowArg: true}}, Where: cmp("id", "integer", ir.OpGt, lit(num("1"), "integer"))}})},
		{name: "order_computed_aggregate", root: list(&ir.Select{From: from("author"), Fields: cols("id"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderArrayAggregate{Source: &ir.FunctionCall{Name: tbl("author_published"), Args: []ir.Arg{{RowArg: true}}},
				Function: "count"}, Desc: true, NullsFirst: true}, asc("id")}})},
		// An inherited role reading name only on the rows of author 1.
		{name: "redacted_column", root: list(&ir.Select{From: from("author"),
			OrderBy: []ir.OrderBy{{Expr: ir.OrderColumn{Name: "name", Visible: eq("id", lit(num("1"), "integer"))}}, asc("id")},
			Where:   ir.Compare{Left: ir.ColumnOp{Name: "name", Type: "text", Visible: eq("id", lit(num("1"), "integer"))}, Op: ir.OpNeq, Right: lit("nobody", "text")},
			Fields: fields("id", ir.ColumnField{Name: "id"},
				"name", ir.ColumnField{Name: "name", Type: "text", Visible: eq("id", lit(num("1"), "integer"))})})},
		{name: "function_root", root: list(&ir.Select{From: ir.From{Function: &ir.FunctionCall{Name: tbl("search_articles"), Args: []ir.Arg{{Name: "search", Value: ir.Variable{Name: "q", Type: "text"}}}}},
			Where: eq("is_published", lit(true, "boolean")), OrderBy: []ir.OrderBy{asc("id")}, Limit: lit(num("5"), "integer"),
			Fields: append(cols("id", "title"), articleAuthor)}), vars: map[string]any{"q": "sql"}},
		{name: "function_aggregate", root: &ir.Root{Alias: "a", Aggregate: &ir.Aggregate{From: ir.From{Function: &ir.FunctionCall{Name: tbl("search_articles"), Args: []ir.Arg{{Value: lit("s", "text")}}}},
			Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true}}}}}}},
		// Encodings and constants.
		{name: "typename_and_text_encoding", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Fields: fields(
			"__typename", ir.ConstField{Value: "author"}, "id", ir.ColumnField{Name: "id"},
			"big", ir.ColumnField{Name: "big", Type: "bigint", Encoding: ir.EncodeText},
			"price", ir.ColumnField{Name: "price", Type: "numeric", Encoding: ir.EncodeText},
			"quote", ir.ConstField{Value: `it's \ "q"`})})},
		{name: "json_path", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Fields: fields(
			"id", ir.ColumnField{Name: "id"},
			"city", ir.ColumnField{Name: "info", Type: "jsonb", JSONPath: "$.address.city"},
			"tag", ir.ColumnField{Name: "info", Type: "jsonb", JSONPath: "$.tags[1]"},
			"age", ir.ColumnField{Name: "info", Type: "jsonb", JSONPath: "age"})})},
		{name: "many_fields", root: list(&ir.Select{From: from("author"), Where: eq("id", lit(num("1"), "integer")), Fields: manyFields(60)})},
		// Real-world schema shapes.
		{name: "view", root: list(&ir.Select{From: from("published_article"), OrderBy: []ir.OrderBy{asc("id")}, Fields: append(cols("id", "title"), articleAuthor)})},
		{name: "reserved_and_mixed_case_names", root: list(&ir.Select{From: from("user"), OrderBy: []ir.OrderBy{asc("userId")},
			Fields: append(cols("userId", "userName", "lastSeen"), ir.Field{Alias: "orders", Value: ir.ArrayRelField{Rel: rel("Order", "userId", "user"),
				Select: &ir.Select{From: from("Order"), OrderBy: []ir.OrderBy{asc("OrderId"), asc("Line")}, Fields: cols("OrderId", "Line", "qty")}}})})},
		{name: "composite_key_by_pk", root: &ir.Root{Alias: "Order_by_pk", Select: &ir.Select{From: from("Order"), Single: true,
			Where: ir.And{eq("OrderId", ir.Variable{Name: "o", Type: "integer"}), eq("Line", ir.Variable{Name: "l", Type: "integer"})},
			Fields: append(cols("qty"), ir.Field{Alias: "buyer", Value: ir.ObjectRelField{Rel: rel("user", "user", "userId"),
				Select: &ir.Select{From: from("user"), Single: true, Fields: cols("userName")}}})}},
			vars: map[string]any{"o": num("1"), "l": num("2")}},
		{name: "object_relationship_permission_filter", root: list(&ir.Select{From: from("article"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: append(cols("id"), ir.Field{Alias: "author", Value: ir.ObjectRelField{Rel: rel("author", "author_id", "id"),
				Select: &ir.Select{From: from("author"), Single: true, Where: eq("id", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}), Fields: cols("name")}}})}),
			sess: map[string]string{"x-hasura-user-id": "2"}},
		// PostGIS.
		{name: "geo_output", geo: true, root: list(&ir.Select{From: from("place"), OrderBy: []ir.OrderBy{asc("id")}, Fields: fields(
			"id", ir.ColumnField{Name: "id"},
			"geom", ir.ColumnField{Name: "geom", Type: "geometry", Encoding: ir.EncodeGeoJSON},
			"geog", ir.ColumnField{Name: "geog", Type: "geography", Encoding: ir.EncodeGeoJSON})})},
		{name: "geo_filters", geo: true, root: list(&ir.Select{From: from("place"), OrderBy: []ir.OrderBy{asc("id")}, Fields: cols("id"),
			Where: ir.Or{
				cmp("geom", "geometry", ir.OpSTContains, ir.Variable{Name: "pt", Type: "geometry"}),
				cmp("geom", "geometry", ir.OpSTIntersects, lit("LINESTRING(0 1, 1 0)", "geometry")),
				ir.Compare{Left: ir.ColumnOp{Name: "geom", Type: "geometry"}, Op: ir.OpSTDWithin, Right: ir.DWithin{From: lit("POINT(0 -2)", "geometry"), Distance: lit(num("1"), "")}},
				ir.Compare{Left: ir.ColumnOp{Name: "geog", Type: "geography"}, Op: ir.OpSTDWithin,
					Right: ir.DWithin{From: lit("SRID=4326;POINT(10 10.001)", "geography"), Distance: lit(num("200"), "double precision"), UseSpheroid: lit(true, "boolean")}}}}),
			vars: map[string]any{"pt": map[string]any{"type": "Point", "coordinates": []any{num("2.5"), num("0.5")}}}},
		{name: "computed_field_session_argument", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Fields: append(cols("id"),
			ir.Field{Alias: "is_me", Value: ir.ComputedScalarField{Op: ir.ComputedOp{Function: tbl("is_me"), Args: []ir.Arg{{RowArg: true}, {Name: "hasura_session", Value: ir.SessionJSON{}}}}}}),
			Where: ir.Compare{Left: ir.ComputedOp{Function: tbl("is_me"), Args: []ir.Arg{{RowArg: true}, {Value: ir.SessionJSON{}}}}, Op: ir.OpEq, Right: lit(false, "boolean")}}),
			sess: map[string]string{"x-hasura-user-id": "2", "x-hasura-role": "user"}},
		// Keys a composite row cannot hold: longer than 63 bytes, the
		// object falls back to json_build_object (its children do not).
		{name: "long_alias_fallback", root: list(&ir.Select{From: from("author"), OrderBy: []ir.OrderBy{asc("id")}, Fields: fields(
			"id", ir.ColumnField{Name: "id"},
			alias70, ir.ColumnField{Name: "name"},
			"articles", ir.ArrayRelField{Rel: rel("article", "id", "author_id"), Select: &ir.Select{From: from("article"), OrderBy: []ir.OrderBy{asc("id")},
				Fields: fields("id", ir.ColumnField{Name: "id"}, alias63, ir.ColumnField{Name: "title"})}})})},
		{name: "long_alias_by_pk_many_fields", root: &ir.Root{Alias: "author_by_pk", Select: &ir.Select{From: from("author"), Single: true,
			Where: eq("id", lit(num("1"), "integer")), Fields: append(manyFields(60), ir.Field{Alias: alias70, Value: ir.ColumnField{Name: "name"}})}}},
		{name: "long_alias_aggregate", root: &ir.Root{Alias: "a", Aggregate: &ir.Aggregate{From: from("article"), OrderBy: []ir.OrderBy{asc("id")},
			Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: alias70, Count: true},
				{Alias: "max", Op: "max", Columns: []ir.OpColumn{{Alias: alias70, Name: "rating"}, {Alias: "id", Name: "id"}}}}},
				{Alias: "nodes", Nodes: fields(alias70, ir.ColumnField{Name: "id"})}}}}},
		// An aggregate selecting no aggregate is still one object.
		{name: "aggregate_typename_only", root: &ir.Root{Alias: "a", Aggregate: &ir.Aggregate{From: from("article"),
			Fields: []ir.AggregateField{{Alias: "__typename", Const: ptr("article_aggregate")},
				{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "__typename", Const: ptr("article_aggregate_fields")}}}}}}},
		{name: "hostile_identifiers", root: func() *ir.Root {
			weird := ir.Table{Schema: `My "Schema"`, Name: `we"ird; table`}
			r := ir.Relationship{Target: weird, Mapping: []ir.ColumnPair{{Outer: "parent", Inner: `co"l`}}}
			return &ir.Root{Alias: "w", Select: &ir.Select{From: ir.From{Table: weird}, OrderBy: []ir.OrderBy{asc(`co"l`)},
				Where: ir.Or{cmp("select", "text", ir.OpLike, lit("%'s", "text")), ir.Exists{Table: weird, Where: eq(`co"l`, integer("2"))}},
				Fields: fields(`k"ey'`, ir.ColumnField{Name: `co"l`}, "select", ir.ColumnField{Name: "select"},
					"parent", ir.ObjectRelField{Rel: r, Select: &ir.Select{From: ir.From{Table: weird}, Single: true, Fields: cols("select")}})}}
		}()},
	}
}

// alias70 and alias63 are GraphQL names of 70 and 63 bytes: PostgreSQL keeps
// column names of at most 63 bytes.
const (
	alias70 = "a_seventy_character_long_alias_for_a_field_of_the_selection_set_xxxxxx"
	alias63 = "a_sixty_three_character_alias_for_a_field_of_the_selection_xxxx"
)

func manyFields(n int) []ir.Field {
	out := make([]ir.Field, n)
	for i := range out {
		out[i] = ir.Field{Alias: "f" + strconv.Itoa(i), Value: ir.ColumnField{Name: "id"}}
	}
	out[n-1] = ir.Field{Alias: "last", Value: ir.ColumnField{Name: "info"}}
	return out
}

func manyOpColumns(n int) []ir.OpColumn {
	out := make([]ir.OpColumn, n)
	for i := range out {
		out[i] = ir.OpColumn{Alias: "m" + strconv.Itoa(i), Name: "rating"}
	}
	out[n-1] = ir.OpColumn{Alias: "title", Name: "title"}
	return out
}
