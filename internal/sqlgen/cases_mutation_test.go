package sqlgen

import "github.com/postgate/postgate/internal/ir"

func response(returning []ir.Field) ir.MutationOutput {
	return ir.MutationOutput{Response: []ir.MutationField{{Alias: "affected_rows", AffectedRows: true},
		{Alias: "returning", Returning: returning}, {Alias: "__typename", Const: ptr("mutation_response")}}}
}

func ins(table string, columns []ir.InsertColumn, rows ...[]ir.Value) *ir.Insert {
	return &ir.Insert{Table: tbl(table), Columns: columns, Rows: rows}
}

func icols(nameType ...string) []ir.InsertColumn {
	var out []ir.InsertColumn
	for i := 0; i < len(nameType); i += 2 {
		out = append(out, ir.InsertColumn{Name: nameType[i], Type: nameType[i+1]})
	}
	return out
}

func text(s string) ir.Value    { return lit(s, "text") }
func integer(n string) ir.Value { return lit(num(n), "integer") }

func mutationCases() []goldenCase {
	no := false
	authorRel := ir.Field{Alias: "author", Value: ir.ObjectRelField{Rel: rel("author", "author_id", "id"),
		Select: &ir.Select{From: from("author"), Single: true, Fields: cols("id", "name")}}}
	articlesRel := ir.Field{Alias: "articles", Value: ir.ArrayRelField{Rel: rel("article", "id", "author_id"),
		Select: &ir.Select{From: from("article"), OrderBy: []ir.OrderBy{asc("id")}, Fields: cols("id", "title", "is_published")}}}

	insertOne := ins("article", icols("title", "text", "author_id", "integer"), []ir.Value{ir.Variable{Name: "t"}, integer("2")})
	insertOne.Output = ir.MutationOutput{Single: true, Row: append(cols("id", "title", "is_published"), authorRel)}

	multi := ins("article", icols("title", "text", "content", "text", "author_id", "integer"),
		[]ir.Value{text("A"), nil, integer("1")}, []ir.Value{text("B"), text("body"), nil})
	multi.Output = response(append(cols("id", "title", "content", "is_published"), authorRel))

	upsert := ins("author", icols("id", "integer", "name", "text"), []ir.Value{integer("1"), text("Ada L.")}, []ir.Value{integer("9"), text("New")})
	upsert.OnConflict = &ir.OnConflict{Constraint: "author_pkey", UpdateColumns: []string{"name"}, Where: cmp("id", "integer", ir.OpLt, integer("5"))}
	upsert.Output = response(cols("id", "name"))

	nothing := ins("author", icols("id", "integer", "name", "text"), []ir.Value{integer("1"), text("Ignored")})
	nothing.OnConflict = &ir.OnConflict{Constraint: "author_pkey"}
	nothing.Output = response(cols("id", "name"))

	checkFail := ins("article", icols("title", "text", "author_id", "integer"), []ir.Value{text("Mine"), integer("2")})
	checkFail.Check = eq("author_id", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"})
	checkFail.Output = response(cols("id"))

	checkPass := ins("article", icols("title", "text", "author_id", "integer"), []ir.Value{text("Mine"), ir.SessionVar{Name: "x-hasura-user-id"}})
	checkPass.Check = ir.And{eq("author_id", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}),
		ir.RelExists{Rel: rel("author", "author_id", "id"), Where: eq("name", text("Ada"))}}
	checkPass.Output = response(cols("title", "author_id"))

	upsertCheck := ins("user", icols("userId", "text", "userName", "text"), []ir.Value{text("u1"), text("Renamed")})
	upsertCheck.OnConflict = &ir.OnConflict{Constraint: "user_pkey", UpdateColumns: []string{"userName"}, Check: ir.Const(false)}
	upsertCheck.Check = ir.Const(true)
	upsertCheck.Output = ir.MutationOutput{Single: true, Row: cols("userId", "userName")}

	// the seed's user sync: insert_users_one with on_conflict update_columns userName
	userSync := ins("user", icols("userId", "text", "userName", "text"), []ir.Value{ir.Variable{Name: "id"}, ir.Variable{Name: "name"}})
	userSync.OnConflict = &ir.OnConflict{Constraint: "user_pkey", UpdateColumns: []string{"userName"}}
	userSync.Output = ir.MutationOutput{Single: true, Row: cols("userId", "userName")}

	nestedArray := ins("author", icols("name", "text"), []ir.Value{text("Author 4")}, []ir.Value{text("Author 5")})
	nestedArray.Check = ir.RelExists{Rel: rel("article", "id", "author_id"), Where: ir.Const(true)} // sees the nested articles
	nestedArray.Nested = []ir.NestedInsert{{RowIndex: 0, Rel: rel("article", "id", "author_id"),
		Insert: &ir.Insert{Table: tbl("article"), Columns: icols("title", "text"), Rows: [][]ir.Value{{text("A4-1")}, {text("A4-2")}},
			Check: ir.RelExists{Rel: rel("author", "author_id", "id"), Where: eq("name", text("Author 4"))}}},
		{RowIndex: 1, Rel: rel("article", "id", "author_id"),
			Insert: &ir.Insert{Table: tbl("article"), Columns: icols("title", "text", "is_published", "boolean"), Rows: [][]ir.Value{{text("A5-1"), lit(true, "boolean")}}}}}
	nestedArray.Output = response(append(cols("name"), articlesRel))

	nestedObject := ins("article", icols("title", "text"), []ir.Value{text("With new author")}, []ir.Value{text("No author")})
	nestedObject.Nested = []ir.NestedInsert{{RowIndex: 0, Object: true, Rel: rel("author", "author_id", "id"),
		Insert: &ir.Insert{Table: tbl("author"), Columns: icols("name", "text"), Rows: [][]ir.Value{{text("Fresh")}},
			Nested: []ir.NestedInsert{{RowIndex: 0, Rel: rel("comment", "id", "commenter_id"),
				Insert: &ir.Insert{Table: tbl("comment"), Columns: icols("body", "text"), Rows: [][]ir.Value{{text("first!")}}}}}}}}
	nestedObject.Output = response(append(cols("title"), ir.Field{Alias: "author", Value: ir.ObjectRelField{Rel: rel("author", "author_id", "id"),
		Select: &ir.Select{From: from("author"), Single: true, Fields: append(cols("name"), ir.Field{Alias: "comments",
			Value: ir.ArrayRelField{Rel: rel("comment", "id", "commenter_id"), Select: &ir.Select{From: from("comment"), Fields: cols("body"), OrderBy: []ir.OrderBy{asc("id")}}}})}}}))

	nestedCheckFail := ins("author", icols("name", "text"), []ir.Value{text("Author 6")})
	nestedCheckFail.Nested = []ir.NestedInsert{{RowIndex: 0, Rel: rel("article", "id", "author_id"),
		Insert: &ir.Insert{Table: tbl("article"), Columns: icols("title", "text"), Rows: [][]ir.Value{{text("A6")}},
			Check: eq("is_published", lit(true, "boolean"))}}}
	nestedCheckFail.Output = response(cols("name"))

	nestedUnderNothing := ins("author", icols("id", "integer", "name", "text"), []ir.Value{integer("1"), text("Ada")}, []ir.Value{integer("8"), text("Eight")})
	nestedUnderNothing.OnConflict = &ir.OnConflict{Constraint: "author_pkey"}
	nestedUnderNothing.Nested = []ir.NestedInsert{{RowIndex: 0, Rel: rel("article", "id", "author_id"),
		Insert: &ir.Insert{Table: tbl("article"), Columns: icols("title", "text"), Rows: [][]ir.Value{{text("orphan")}}}}}
	nestedUnderNothing.Output = response(cols("id"))

	nestedUnderNew := ins("author", icols("id", "integer", "name", "text"), []ir.Value{integer("8"), text("Eight")})
	nestedUnderNew.OnConflict = &ir.OnConflict{Constraint: "author_pkey"}
	nestedUnderNew.Nested = []ir.NestedInsert{{RowIndex: 0, Rel: rel("article", "id", "author_id"),
		Insert: &ir.Insert{Table: tbl("article"), Columns: icols("title", "text"), Rows: [][]ir.Value{{text("A8")}}}}}
	nestedUnderNew.Output = response(append(cols("id"), articlesRel))

	mixed := ins("Order", icols("OrderId", "integer", "Line", "integer", "qty", "integer", "user", "text"),
		[]ir.Value{integer("3"), integer("1"), integer("7"), text(`u"2`)})
	mixed.Output = response(append(cols("OrderId", "Line", "qty"), ir.Field{Alias: "buyer", Value: ir.ObjectRelField{Rel: rel("user", "user", "userId"),
		Select: &ir.Select{From: from("user"), Single: true, Fields: cols("userId", "userName")}}}))

	typed := ins("author", icols("name", "text", "info", "jsonb", "emails", "text[]", "mood", "mood", "big", "bigint"),
		[]ir.Value{text("Typed"), ir.Variable{Name: "info"}, ir.Variable{Name: "emails"}, text("sad"), lit(nil, "bigint")})
	typed.Output = ir.MutationOutput{Single: true, Row: append(cols("name", "info", "emails", "mood"), ir.Field{Alias: "big", Value: ir.ColumnField{Name: "big", Encoding: ir.EncodeText}})}

	emptyInsert := ins("article", icols("title", "text"))
	emptyInsert.Output = response(cols("id"))

	defaults := ins("comment", nil, []ir.Value{}, nil)
	defaults.Output = response(cols("id", "body"))

	setInc := &ir.Update{Table: tbl("article"), Where: eq("author_id", integer("1")),
		Set:    []ir.SetColumn{{Column: "title", Type: "text", Op: ir.UpdSet, Value: ir.Variable{Name: "t"}}, {Column: "rating", Type: "integer", Op: ir.UpdInc, Value: integer("10")}, {Column: "content", Op: ir.UpdSet}},
		Output: response(append(cols("id", "title", "rating", "content"), authorRel))}

	jsonOps := &ir.Update{Table: tbl("author"), Where: eq("id", integer("1")),
		Set:    []ir.SetColumn{{Column: "info", Type: "jsonb", Op: ir.UpdAppend, Value: lit(map[string]any{"new": true}, "jsonb")}},
		Output: ir.MutationOutput{Single: true, Row: cols("info")}}
	jsonPrepend := &ir.Update{Table: tbl("author"), Where: eq("id", integer("2")),
		Set:    []ir.SetColumn{{Column: "info", Type: "jsonb", Op: ir.UpdPrepend, Value: lit(map[string]any{"age": num("1"), "first": true}, "jsonb")}},
		Output: ir.MutationOutput{Single: true, Row: cols("info")}}
	deleteKey := &ir.Update{Table: tbl("author"), Where: eq("id", integer("2")),
		Set:    []ir.SetColumn{{Column: "info", Type: "jsonb", Op: ir.UpdDeleteKey, Value: lit("bestseller", "jsonb")}},
		Output: ir.MutationOutput{Single: true, Row: cols("info")}}
	deleteElem := &ir.Update{Table: tbl("article"), Where: eq("id", integer("1")),
		Set:    []ir.SetColumn{{Column: "tags", Type: "text[]", Op: ir.UpdSet, Value: lit([]any{"a", `b"c`, nil}, "text[]")}},
		Output: ir.MutationOutput{Single: true, Row: cols("tags")}}
	jsonDeleteElem := &ir.Update{Table: tbl("author"), Where: eq("id", integer("1")),
		Set:    []ir.SetColumn{{Column: "info", Type: "jsonb", Op: ir.UpdDeleteAtPath, Value: lit([]any{"tags", "0"}, "jsonb")}},
		Output: ir.MutationOutput{Single: true, Row: cols("info")}}
	deleteArrayElem := &ir.Update{Table: tbl("author"), Where: eq("id", integer("3")),
		Set:    []ir.SetColumn{{Column: "info", Type: "jsonb", Op: ir.UpdSet, Value: lit([]any{"x", "y", "z"}, "jsonb")}},
		Output: ir.MutationOutput{Single: true, Row: cols("info")}}
	byPkMissing := &ir.Update{Table: tbl("author"), Where: eq("id", integer("99")),
		Set:    []ir.SetColumn{{Column: "name", Type: "text", Value: text("x")}},
		Output: ir.MutationOutput{Single: true, Row: cols("id")}}
	updateCheck := &ir.Update{Table: tbl("article"), Where: eq("id", integer("1")), Check: eq("is_published", lit(true, "boolean")),
		Set:    []ir.SetColumn{{Column: "is_published", Type: "boolean", Value: lit(false, "boolean")}},
		Output: response(cols("id"))}

	del := &ir.Delete{Table: tbl("comment"), Where: ir.RelExists{Rel: rel("author", "commenter_id", "id"), Where: eq("name", text("Ada"))},
		Output: response(append(cols("id", "body"), ir.Field{Alias: "article", Value: ir.ObjectRelField{Rel: rel("article", "article_id", "id"),
			Select: &ir.Select{From: from("article"), Single: true, Fields: cols("title")}}}))}
	delByPk := &ir.Delete{Table: tbl("Order"), Where: ir.And{eq("OrderId", integer("1")), eq("Line", integer("2"))},
		Output: ir.MutationOutput{Single: true, Row: cols("OrderId", "Line", "qty")}}

	return []goldenCase{
		{name: "insert_one_returning_relationship", mut: &ir.MutationRoot{Alias: "insert_article_one", Insert: insertOne}, vars: map[string]any{"t": "New"}},
		{name: "insert_multi_defaults", mut: &ir.MutationRoot{Alias: "insert_article", Insert: multi}},
		{name: "insert_upsert_update", mut: &ir.MutationRoot{Alias: "insert_author", Insert: upsert}},
		{name: "insert_upsert_do_nothing", mut: &ir.MutationRoot{Alias: "insert_author", Insert: nothing}},
		{name: "insert_check_fails", mut: &ir.MutationRoot{Alias: "insert_article", Insert: checkFail}, sess: map[string]string{"x-hasura-user-id": "1"}, check: &no},
		{name: "insert_check_passes", mut: &ir.MutationRoot{Alias: "insert_article", Insert: checkPass}, sess: map[string]string{"x-hasura-user-id": "1"}},
		{name: "insert_upsert_update_check_fails", mut: &ir.MutationRoot{Alias: "insert_user_one", Insert: upsertCheck}, check: &no},
		{name: "insert_user_sync_upsert", mut: &ir.MutationRoot{Alias: "insert_users_one", Insert: userSync}, vars: map[string]any{"id": "u1", "name": "Synced"}},
		{name: "insert_nested_array", mut: &ir.MutationRoot{Alias: "insert_author", Insert: nestedArray}},
		{name: "insert_nested_object", mut: &ir.MutationRoot{Alias: "insert_article", Insert: nestedObject}},
		{name: "insert_nested_check_fails", mut: &ir.MutationRoot{Alias: "insert_author", Insert: nestedCheckFail}, check: &no},
		{name: "insert_nested_under_upsert_conflict", mut: &ir.MutationRoot{Alias: "insert_author", Insert: nestedUnderNothing}, checkNull: true},
		{name: "insert_nested_under_upsert_new_row", mut: &ir.MutationRoot{Alias: "insert_author", Insert: nestedUnderNew}},
		{name: "insert_mixed_case_names", mut: &ir.MutationRoot{Alias: "insert_Order", Insert: mixed}},
		{name: "insert_typed_values", mut: &ir.MutationRoot{Alias: "insert_author_one", Insert: typed},
			vars: map[string]any{"info": map[string]any{"k": []any{"v", num("1")}, "s": `q"uote`}, "emails": []any{"a@b", `c"d@e`}}},
		{name: "insert_no_rows", mut: &ir.MutationRoot{Alias: "insert_article", Insert: emptyInsert}},
		{name: "insert_default_values", mut: &ir.MutationRoot{Alias: "insert_comment", Insert: defaults}},
		{name: "update_set_inc", mut: &ir.MutationRoot{Alias: "update_article", Update: setInc}, vars: map[string]any{"t": "Renamed"}},
		{name: "update_jsonb_append", mut: &ir.MutationRoot{Alias: "update_author_by_pk", Update: jsonOps}},
		{name: "update_jsonb_prepend", mut: &ir.MutationRoot{Alias: "update_author_by_pk", Update: jsonPrepend}},
		{name: "update_jsonb_delete_key", mut: &ir.MutationRoot{Alias: "update_author_by_pk", Update: deleteKey}},
		{name: "update_jsonb_delete_at_path", mut: &ir.MutationRoot{Alias: "update_author_by_pk", Update: jsonDeleteElem}},
		{name: "update_set_array", mut: &ir.MutationRoot{Alias: "update_article_by_pk", Update: deleteElem}},
		{name: "update_set_jsonb_array", mut: &ir.MutationRoot{Alias: "update_author_by_pk", Update: deleteArrayElem}},
		{name: "update_by_pk_missing", mut: &ir.MutationRoot{Alias: "update_author_by_pk", Update: byPkMissing}},
		{name: "update_empty_set", mut: &ir.MutationRoot{Alias: "update_author", Update: &ir.Update{Table: tbl("author"), Where: eq("id", integer("1")),
			Output: response(append(cols("id"), articlesRel))}}},
		{name: "update_check_fails", mut: &ir.MutationRoot{Alias: "update_article", Update: updateCheck}, check: &no},
		{name: "delete_returning_relationship", mut: &ir.MutationRoot{Alias: "delete_comment", Delete: del}},
		{name: "delete_by_pk_composite", mut: &ir.MutationRoot{Alias: "delete_Order_by_pk", Delete: delByPk}},
	}
}
