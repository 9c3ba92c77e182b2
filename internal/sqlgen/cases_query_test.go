package sqlgen

import "github.com/postgate/postgate/internal/ir"

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
	}
}
