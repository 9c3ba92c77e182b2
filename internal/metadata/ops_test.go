package metadata

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// step is one /v1/metadata call and its expected outcome: a JSON result
// (when want is set) or an error (code, message, path; a message ending in
// "..." is a prefix).
type step struct {
	name, body, want string
	code, msg, path  string
}

func runSteps(t *testing.T, e *env, steps []step) {
	t.Helper()
	for _, s := range steps {
		res, err := e.svc.Metadata(context.Background(), []byte(s.body))
		if s.code == "" {
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
				continue
			}
			if s.want != "" {
				jsonEqual(t, res, s.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: want error %s, got %s", s.name, s.code, res)
			continue
		}
		wantErr(t, e.fail(e.svc.Metadata, s.body), s.code, s.msg, s.path)
	}
}

const success = `{"message":"success"}`

func TestTableOperations(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `CREATE SCHEMA other; CREATE TABLE other.thing (id int primary key);
		CREATE FUNCTION thing_fn() RETURNS SETOF other.thing LANGUAGE sql STABLE AS $$ SELECT * FROM other.thing $$;`)
	runSteps(t, e, []step{
		{name: "track", body: `{"type":"pg_track_table","args":{"table":"author"}}`, want: success},
		{name: "track again", body: `{"type":"pg_track_table","args":{"table":"author"}}`, code: "already-tracked", msg: `view/table already tracked : "author"`, path: "$.args"},
		{name: "track missing", body: `{"type":"pg_track_table","args":{"table":"nope"}}`, code: "not-exists", msg: `no such table/view exists in source: "nope"`, path: "$.args"},
		{name: "unknown source", body: `{"type":"pg_track_table","args":{"source":"x","table":"article"}}`, code: "not-exists", msg: `source with name "x" does not exist`},
		{name: "bad custom name", body: `{"type":"pg_track_table","args":{"table":"article","configuration":{"custom_name":"my article"}}}`, code: "parse-failed", msg: `"my article" is not a valid GraphQL name`, path: "$.args.configuration.custom_name"},
		{name: "bad root field key", body: `{"type":"pg_track_table","args":{"table":"article","configuration":{"custom_root_fields":{"selects":"x"}}}}`, code: "parse-failed", msg: `unexpected key "selects"`},
		{name: "custom column of missing column", body: `{"type":"pg_track_table","args":{"table":"article","configuration":{"column_config":{"nope":{"custom_name":"x"}}}}}`,
			code: "constraint-violation", msg: `the custom field name "x" was given for the column "nope", but no such column exists`},
		{name: "custom names in conflict", body: `{"type":"pg_track_table","args":{"table":"article","configuration":{"column_config":{"title":{"custom_name":"content"}}}}}`,
			code: "constraint-violation", msg: `the definitions of columns "title" and "content" are in conflict: they are mapped to the same field name, "content"`},
		{name: "track with configuration", body: `{"type":"pg_track_table","args":{"table":"article","configuration":{"custom_name":"Post","custom_root_fields":{"select":"posts"},"column_config":{"title":{"custom_name":"heading"}}}}}`, want: success},
		{name: "other schema", body: `{"type":"pg_track_table","args":{"table":{"schema":"other","name":"thing"}}}`, want: success},
		{name: "track_tables with a failure", body: `{"type":"pg_untrack_table","args":{"table":{"schema":"other","name":"thing"}}}`, want: success},
		{name: "set customization", body: `{"type":"pg_set_table_customization","args":{"table":"author","configuration":{"custom_name":"Writer","custom_root_fields":{"select_by_pk":{"name":"writer","comment":"one"}}}}}`, want: success},
		{name: "customization of untracked", body: `{"type":"pg_set_table_customization","args":{"table":"nope","configuration":{}}}`, code: "not-exists", msg: `table "nope" does not exist in source: default`},
		{name: "untrack missing", body: `{"type":"pg_untrack_table","args":{"table":"nope"}}`, code: "already-untracked", msg: `view/table already untracked : "nope"`},
		{name: "unknown key", body: `{"type":"pg_untrack_table","args":{"table":"author","cascad":true}}`, code: "parse-failed", msg: `unexpected key "cascad"`, path: "$.args"},
		{name: "wrong type", body: `{"type":"pg_untrack_table","args":{"table":"author","cascade":"yes"}}`, code: "parse-failed", msg: "expected Boolean, but encountered String", path: "$.args.cascade"},
	})
	res := e.meta(`{"type":"pg_track_tables","args":{"tables":[{"table":{"schema":"other","name":"thing"}},{"table":"nope"}]}}`)
	var tr bulkTableResult
	_ = json.Unmarshal(res, &tr)
	if tr.Message != "success" || len(tr.Warnings) != 1 {
		t.Errorf("pg_track_tables with allow_warnings: %s", res)
	}
	wantErr(t, e.fail(e.svc.Metadata, `{"type":"pg_track_tables","args":{"allow_warnings":false,"tables":[{"table":"nope"}]}}`), "not-exists", `no such table/view exists in source: "nope"`, "$.args.tables[0]")
	e.meta(`{"type":"pg_untrack_tables","args":{"tables":[{"table":{"schema":"other","name":"thing"}}]}}`)

	md := e.svc.Current().Stored.Source("default")
	art := md.FindTable(TableName{"public", "article"})
	if art == nil || art.Configuration.CustomName != "Post" || art.Configuration.ColumnConfig["title"].CustomName != "heading" {
		t.Errorf("article configuration: %s", rawJSON(art))
	}
	if au := md.FindTable(TableName{"public", "author"}); au.Configuration.CustomName != "Writer" || *au.Configuration.CustomRootFields["select_by_pk"].Comment != "one" {
		t.Errorf("author configuration: %s", rawJSON(au))
	}
	if md.FindTable(TableName{"other", "thing"}) != nil {
		t.Errorf("other.thing still tracked")
	}
	// A function and a table may not share a name.
	e.meta(`{"type":"pg_track_table","args":{"table":{"schema":"other","name":"thing"}}}`)
	e.meta(`{"type":"pg_track_function","args":{"function":"thing_fn"}}`)
	// Untracking a table a function returns needs cascade.
	wantErr(t, e.fail(e.svc.Metadata, `{"type":"pg_untrack_table","args":{"table":{"schema":"other","name":"thing"}}}`), "dependency-error",
		"cannot drop due to the following dependent objects : function thing_fn", "$.args")
	e.meta(`{"type":"pg_untrack_table","args":{"table":{"schema":"other","name":"thing"},"cascade":true}}`)
	if len(e.svc.Current().Stored.Source("default").Functions) != 0 {
		t.Errorf("function not removed with cascade")
	}
}

func TestEnumTables(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE TABLE colour (value text PRIMARY KEY, comment text);
		INSERT INTO colour VALUES ('red', 'Red'), ('green', NULL);
		CREATE TABLE bad_pk (id int PRIMARY KEY);
		CREATE TABLE too_many (value text PRIMARY KEY, a text, b text);
		CREATE TABLE empty_enum (value text PRIMARY KEY);
		CREATE TABLE bad_values (value text PRIMARY KEY);
		INSERT INTO bad_values VALUES ('ok'), ('not ok'), ('true');`)
	runSteps(t, e, []step{
		{name: "enum", body: `{"type":"pg_track_table","args":{"table":"colour","is_enum":true}}`, want: success},
		{name: "integer key", body: `{"type":"pg_track_table","args":{"table":"bad_pk","is_enum":true}}`, code: "constraint-violation",
			msg: `the table "bad_pk" cannot be used as an enum because the table’s primary key ("id") must have type "text", not type "integer"`},
		{name: "too many columns", body: `{"type":"pg_track_table","args":{"table":"too_many","is_enum":true}}`, code: "constraint-violation",
			msg: `the table "too_many" cannot be used as an enum because the table must have exactly one primary key and optionally one comment column, not 2 columns (a, b)`},
		{name: "no rows", body: `{"type":"pg_track_table","args":{"table":"empty_enum","is_enum":true}}`, code: "constraint-violation",
			msg: `the table "empty_enum" cannot be used as an enum because the table must have at least one row`},
		{name: "bad values", body: `{"type":"pg_track_table","args":{"table":"bad_values","is_enum":true}}`, code: "constraint-violation",
			msg: `the table "bad_values" cannot be used as an enum because the values "not ok" and "true" are not valid GraphQL enum value names`},
		{name: "set is_enum", body: `{"type":"pg_track_table","args":{"table":"bad_pk"}}`, want: success},
		{name: "set is_enum invalid", body: `{"type":"pg_set_table_is_enum","args":{"table":"bad_pk","is_enum":true}}`, code: "constraint-violation", msg: `the table "bad_pk" cannot be used as an enum because...`},
		{name: "unset is_enum", body: `{"type":"pg_set_table_is_enum","args":{"table":"colour","is_enum":false}}`, want: success},
	})
}

func TestRelationshipOperations(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `CREATE VIEW article_view AS SELECT * FROM article;`)
	e.meta(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"author"}},{"type":"pg_track_table","args":{"table":"article"}},{"type":"pg_track_table","args":{"table":"article_view"}}]}`)
	runSteps(t, e, []step{
		{name: "object fk", body: `{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}`, want: success},
		{name: "array fk", body: `{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","columns":["author_id"]}}}}`, want: success},
		{name: "manual", body: `{"type":"pg_create_array_relationship","args":{"table":"author","name":"view_articles","using":{"manual_configuration":{"remote_table":"article_view","column_mapping":{"id":"author_id"}}}}}`, want: success},
		{name: "name taken by relationship", body: `{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}`,
			code: "already-exists", msg: `column/relationship "author" of table "article" already exists`},
		{name: "name taken by column", body: `{"type":"pg_create_object_relationship","args":{"table":"article","name":"title","using":{"foreign_key_constraint_on":"author_id"}}}`,
			code: "already-exists", msg: `column/relationship "title" of table "article" already exists`},
		{name: "no fk", body: `{"type":"pg_create_object_relationship","args":{"table":"article","name":"a2","using":{"foreign_key_constraint_on":"title"}}}`,
			code: "constraint-violation", msg: `in table "article": in relationship "a2": no foreign constraint exists on the given column`, path: "$.args"},
		{name: "missing column", body: `{"type":"pg_create_object_relationship","args":{"table":"article","name":"a2","using":{"foreign_key_constraint_on":"nope"}}}`,
			code: "constraint-violation", msg: `in table "article": in relationship "a2": column "nope" does not exist`},
		{name: "untracked target", body: `{"type":"pg_create_array_relationship","args":{"table":"author","name":"x","using":{"manual_configuration":{"remote_table":"nope","column_mapping":{"id":"author_id"}}}}}`,
			code: "constraint-violation", msg: `in table "author": in relationship "x": table "nope" does not exist`},
		{name: "both forms", body: `{"type":"pg_create_object_relationship","args":{"table":"article","name":"a3","using":{"foreign_key_constraint_on":"author_id","manual_configuration":{"remote_table":"author","column_mapping":{"author_id":"id"}}}}}`,
			code: "parse-failed", path: "$.args.using"},
		{name: "untracked table", body: `{"type":"pg_create_object_relationship","args":{"table":"nope","name":"a","using":{"foreign_key_constraint_on":"x"}}}`,
			code: "not-exists", msg: `table "nope" does not exist in source: default`},
		{name: "comment", body: `{"type":"pg_set_relationship_comment","args":{"table":"author","relationship":"articles","comment":"All articles"}}`, want: success},
		{name: "permission through relationship", body: `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":"*","filter":{"author":{"id":{"_eq":"X-Hasura-User-Id"}}}}}}`, want: success},
		{name: "rename", body: `{"type":"pg_rename_relationship","args":{"table":"article","name":"author","new_name":"writer"}}`, want: success},
		{name: "rename missing", body: `{"type":"pg_rename_relationship","args":{"table":"article","name":"author","new_name":"w"}}`,
			code: "not-exists", msg: `relationship "author" does not exist`},
		{name: "drop with dependent permission", body: `{"type":"pg_drop_relationship","args":{"table":"article","relationship":"writer"}}`,
			code: "dependency-error", msg: `cannot drop due to the following dependent objects : permission article.user.select`},
		{name: "drop cascade", body: `{"type":"pg_drop_relationship","args":{"table":"article","relationship":"writer","cascade":true}}`, want: success},
		{name: "drop array", body: `{"type":"pg_drop_relationship","args":{"table":"author","relationship":"view_articles"}}`, want: success},
	})
	au := e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "author"})
	if len(au.ArrayRelationships) != 1 || *au.ArrayRelationships[0].Comment != "All articles" {
		t.Errorf("author relationships: %s", rawJSON(au))
	}
	art := e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "article"})
	if len(art.ObjectRelationships) != 0 || len(art.SelectPermissions) != 0 {
		t.Errorf("article after cascade: %s", rawJSON(art))
	}
}

func TestPermissionOperations(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"author"}},{"type":"pg_track_table","args":{"table":"article"}},
		{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}]}`)
	runSteps(t, e, []step{
		{name: "select", body: `{"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":["id","name"],"filter":{"id":{"_eq":"X-Hasura-User-Id"}},"limit":5,"allow_aggregations":true}}}`, want: success},
		{name: "again", body: `{"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":"*","filter":{}}}}`,
			code: "already-exists", msg: `select permission already defined on table "author" with role "user"`},
		{name: "admin", body: `{"type":"pg_create_select_permission","args":{"table":"author","role":"admin","permission":{"columns":"*","filter":{}}}}`,
			code: "constraint-violation", msg: `in table "author": in permission for role "admin": cannot define permission for admin role`},
		{name: "bad column", body: `{"type":"pg_create_update_permission","args":{"table":"author","role":"user","permission":{"columns":["nope"],"filter":{}}}}`,
			code: "constraint-violation", msg: `in table "author": in permission for role "user": column "nope" does not exist`},
		{name: "bad filter field", body: `{"type":"pg_create_delete_permission","args":{"table":"author","role":"user","permission":{"filter":{"nope":{"_eq":1}}}}}`,
			code: "constraint-violation", msg: `in table "author": in permission for role "user": "nope" is not a column, relationship or computed field of table "author"`},
		{name: "bad operator", body: `{"type":"pg_create_delete_permission","args":{"table":"author","role":"user","permission":{"filter":{"id":{"_equals":1}}}}}`,
			code: "constraint-violation", msg: `in table "author": in permission for role "user": operator "_equals" is not supported on column "id"`},
		{name: "nested through relationship", body: `{"type":"pg_create_insert_permission","args":{"table":"article","role":"user","permission":{"check":{"author":{"id":{"_eq":"X-Hasura-User-Id"}}},"set":{"is_published":false},"columns":["title","content"]}}}`, want: success},
		{name: "bad nested", body: `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":"*","filter":{"author":{"nope":{"_eq":1}}}}}}`,
			code: "constraint-violation", msg: `in table "article": in permission for role "user": "nope" is not a column, relationship or computed field of table "author"`},
		{name: "exists", body: `{"type":"pg_create_delete_permission","args":{"table":"article","role":"user","permission":{"filter":{"_and":[{"_exists":{"_table":"author","_where":{"id":{"_eq":"X-Hasura-User-Id"}}}},{"_not":{"is_published":{"_eq":true}}}]}}}}`, want: success},
		{name: "update", body: `{"type":"pg_create_update_permission","args":{"table":"article","role":"user","permission":{"columns":["title"],"filter":{},"check":{"title":{"_ne":""}},"set":{"is_published":"x-hasura-published"}}}}`, want: success},
		{name: "unknown permission key", body: `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":"*","filter":{},"colums":[]}}}`,
			code: "parse-failed", msg: `unexpected key "colums"`, path: "$.args.permission"},
		{name: "missing columns", body: `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"filter":{}}}}`,
			code: "parse-failed", msg: `key "columns" not found`},
		{name: "preset of missing column", body: `{"type":"pg_create_insert_permission","args":{"table":"author","role":"user","permission":{"check":{},"set":{"nope":1},"columns":"*"}}}`,
			code: "constraint-violation", msg: `in table "author": in permission for role "user": column "nope" does not exist`},
		{name: "comment", body: `{"type":"pg_set_permission_comment","args":{"table":"author","role":"user","type":"select","comment":"mine"}}`, want: success},
		{name: "comment missing", body: `{"type":"pg_set_permission_comment","args":{"table":"author","role":"user","type":"insert","comment":"mine"}}`,
			code: "permission-denied", msg: `'insert' permission on "author" for role "user" does not exist`},
		{name: "drop", body: `{"type":"pg_drop_select_permission","args":{"table":"author","role":"user"}}`, want: success},
		{name: "drop missing", body: `{"type":"pg_drop_select_permission","args":{"table":"author","role":"user"}}`,
			code: "permission-denied", msg: `'select' permission on "author" for role "user" does not exist`},
	})
	art := e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "article"})
	if len(art.InsertPermissions) != 1 || len(art.UpdatePermissions) != 1 || len(art.DeletePermissions) != 1 {
		t.Errorf("article permissions: %s", rawJSON(art))
	}
	if string(art.InsertPermissions[0].Permission.Check) == "" || art.InsertPermissions[0].Permission.Set["is_published"] != false {
		t.Errorf("insert permission: %s", rawJSON(art.InsertPermissions[0]))
	}
}

func TestFunctionsAndComputedFields(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `
		CREATE FUNCTION author_upper(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(a.name) $$;
		CREATE FUNCTION author_articles(a author) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE author_id = a.id $$;
		CREATE FUNCTION not_author(x int) RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'x' $$;
		CREATE FUNCTION volatile_author(a author) RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'x' $$;
		CREATE FUNCTION search(q text) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE title ILIKE q $$;
		CREATE FUNCTION scalar_fn() RETURNS int LANGUAGE sql STABLE AS $$ SELECT 1 $$;
		CREATE FUNCTION over(a int) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article $$;
		CREATE FUNCTION over(a text) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article $$;`)
	e.meta(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"author"}},{"type":"pg_track_table","args":{"table":"article"}}]}`)
	runSteps(t, e, []step{
		{name: "computed", body: `{"type":"pg_add_computed_field","args":{"table":"author","name":"upper_name","definition":{"function":"author_upper"}}}`, want: success},
		{name: "computed set", body: `{"type":"pg_add_computed_field","args":{"table":"author","name":"articles_fn","definition":{"function":"author_articles","table_argument":"a"}}}`, want: success},
		{name: "computed clash", body: `{"type":"pg_add_computed_field","args":{"table":"author","name":"name","definition":{"function":"author_upper"}}}`,
			code: "already-exists", msg: `column/relationship "name" of table "author" already exists`},
		{name: "computed wrong arg", body: `{"type":"pg_add_computed_field","args":{"table":"author","name":"x","definition":{"function":"not_author"}}}`,
			code: "constraint-violation", msg: `in table "author": in computed field "x": first argument of the function "not_author" is not of type "author"`},
		{name: "computed volatile", body: `{"type":"pg_add_computed_field","args":{"table":"author","name":"x","definition":{"function":"volatile_author"}}}`,
			code: "constraint-violation", msg: `in table "author": in computed field "x": the function "volatile_author" is of type VOLATILE; cannot be added as a computed field`},
		{name: "computed missing fn", body: `{"type":"pg_add_computed_field","args":{"table":"author","name":"x","definition":{"function":"nope"}}}`,
			code: "constraint-violation", msg: `in table "author": in computed field "x": no such function exists in postgres : "nope"`},
		{name: "permission with computed", body: `{"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":["id"],"computed_fields":["upper_name"],"filter":{}}}}`, want: success},
		{name: "permission with missing computed", body: `{"type":"pg_create_select_permission","args":{"table":"author","role":"guest","permission":{"columns":["id"],"computed_fields":["nope"],"filter":{}}}}`,
			code: "constraint-violation", msg: `in table "author": in permission for role "guest": computed field "nope" does not exist`},
		{name: "drop computed used", body: `{"type":"pg_drop_computed_field","args":{"table":"author","name":"upper_name"}}`,
			code: "dependency-error", msg: `cannot drop due to the following dependent objects : permission author.user.select`},
		{name: "drop computed cascade", body: `{"type":"pg_drop_computed_field","args":{"table":"author","name":"upper_name","cascade":true}}`, want: success},
		{name: "drop computed missing", body: `{"type":"pg_drop_computed_field","args":{"table":"author","name":"upper_name"}}`, code: "not-exists"},
		{name: "track function", body: `{"type":"pg_track_function","args":{"function":"search","configuration":{"custom_name":"findArticles"}}}`, want: success},
		{name: "track again", body: `{"type":"pg_track_function","args":{"function":"search"}}`, code: "already-tracked"},
		{name: "track missing", body: `{"type":"pg_track_function","args":{"function":"nope"}}`, code: "not-exists"},
		{name: "track scalar", body: `{"type":"pg_track_function","args":{"function":"scalar_fn"}}`, code: "constraint-violation", msg: `the function "scalar_fn" cannot be tracked because the function does not return a "COMPOSITE" type`},
		{name: "track overloaded", body: `{"type":"pg_track_function","args":{"function":"over"}}`, code: "constraint-violation", msg: `function "over" is overloaded. Overloaded functions are not supported`},
		{name: "function permission without select", body: `{"type":"pg_create_function_permission","args":{"function":"search","role":"user"}}`,
			code: "not-supported", msg: `function permission can only be added when the function's return table "article" has select permission configured for role: "user"`},
		{name: "select on returned table", body: `{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":"*","filter":{}}}}`, want: success},
		{name: "function permission", body: `{"type":"pg_create_function_permission","args":{"function":"search","role":"user"}}`, want: success},
		{name: "function permission again", body: `{"type":"pg_create_function_permission","args":{"function":"search","role":"user"}}`, code: "already-exists"},
		{name: "drop function permission", body: `{"type":"pg_drop_function_permission","args":{"function":"search","role":"user"}}`, want: success},
		{name: "drop function permission missing", body: `{"type":"pg_drop_function_permission","args":{"function":"search","role":"user"}}`, code: "not-exists"},
		{name: "untrack", body: `{"type":"pg_untrack_function","args":{"function":{"schema":"public","name":"search"}}}`, want: success},
		{name: "untrack missing", body: `{"type":"pg_untrack_function","args":{"function":"search"}}`, code: "not-exists"},
		{name: "inherited role", body: `{"type":"add_inherited_role","args":{"role_name":"editor","role_set":["user","guest"]}}`, want: success},
		{name: "inherited role again", body: `{"type":"add_inherited_role","args":{"role_name":"editor","role_set":["user"]}}`, code: "already-exists"},
		{name: "drop inherited role", body: `{"type":"drop_inherited_role","args":{"role_name":"editor"}}`, want: success},
		{name: "drop inherited role missing", body: `{"type":"drop_inherited_role","args":{"role_name":"editor"}}`, code: "not-exists"},
	})
	au := e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "author"})
	if len(au.ComputedFields) != 1 || au.ComputedFields[0].Name != "articles_fn" {
		t.Errorf("computed fields: %s", rawJSON(au.ComputedFields))
	}
}

func TestWholeMetadataOperations(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"pg_track_table","args":{"table":"author"}}`)
	// bulk is atomic: a failing step leaves nothing behind.
	err := e.fail(e.svc.Metadata, `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"article"}},{"type":"pg_track_table","args":{"table":"nope"}}]}`)
	wantErr(t, err, "not-exists", "", "$.args[1].args")
	if e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "article"}) != nil {
		t.Fatalf("failed bulk left article tracked")
	}
	wantErr(t, e.fail(e.svc.Metadata, `{"type":"bulk_atomic","args":[{"type":"pg_track_table","args":{"table":"article"}},{"type":"pg_track_table","args":{"table":"article"}}]}`), "already-tracked", "", "$.args[1].args")
	// bulk_keep_going reports each failure in place.
	jsonEqual(t, e.meta(`{"type":"bulk_keep_going","args":[{"type":"pg_track_table","args":{"table":"nope"}},{"type":"pg_track_table","args":{"table":"article"}}]}`),
		`[{"code":"not-exists","error":"no such table/view exists in source: \"nope\"","path":"$.args[0].args"},{"message":"success"}]`)
	jsonEqual(t, e.meta(`{"type":"reload_metadata","args":{"reload_sources":true,"reload_remote_schemas":true}}`), `{"message":"success","is_consistent":true}`)
	// get/set catalog state.
	jsonEqual(t, e.meta(`{"type":"set_catalog_state","args":{"type":"cli","state":{"migrations":{"default":{"1":false}}}}}`), success)
	var st struct {
		ID       string          `json:"id"`
		CLIState json.RawMessage `json:"cli_state"`
		Console  json.RawMessage `json:"console_state"`
	}
	_ = json.Unmarshal(e.meta(`{"type":"get_catalog_state","args":{}}`), &st)
	if st.ID == "" || !strings.Contains(strings.ReplaceAll(string(st.CLIState), " ", ""), `"1":false`) || strings.TrimSpace(string(st.Console)) != "{}" {
		t.Errorf("catalog state = %+v", st)
	}
	wantErr(t, e.fail(e.svc.Metadata, `{"type":"set_catalog_state","args":{"type":"server","state":{}}}`), "parse-failed", "", "$.args.type")
	// clear_metadata keeps the default source's configuration.
	e.meta(`{"type":"clear_metadata","args":{}}`)
	md := e.svc.Current().Stored
	if len(md.Sources) != 1 || len(md.Sources[0].Tables) != 0 || len(md.Sources[0].Configuration) == 0 {
		t.Errorf("after clear: %s", rawJSON(md))
	}
	// replace_metadata refuses inconsistent metadata unless allowed.
	bad := `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[{"table":{"schema":"public","name":"nope"}}],"configuration":{}}]}`
	err = e.fail(e.svc.Metadata, `{"type":"replace_metadata","args":`+bad+`}`)
	wantErr(t, err, "unexpected", "cannot continue due to inconsistent metadata", "$.args")
	if err.Internal == nil {
		t.Errorf("no inconsistent objects in internal")
	}
	jsonEqual(t, e.meta(`{"type":"replace_metadata","args":{"allow_inconsistent_metadata":true,"metadata":`+bad+`}}`),
		`{"is_consistent":false,"inconsistent_objects":[{"definition":{"name":"nope","schema":"public"},"name":"table nope in source default","reason":"Inconsistent object: no such table/view exists in source: \"nope\"","type":"table"}]}`)
	// A source without kind is a Postgres source.
	e.meta(`{"type":"replace_metadata","args":{"version":3,"sources":[{"name":"default","tables":[],"configuration":{}}]}}`)
	if k := e.svc.Current().Stored.Sources[0].Kind; k != "postgres" {
		t.Errorf("kind = %q", k)
	}
	// A version 2 document is accepted.
	e.meta(`{"type":"replace_metadata","args":{"version":2,"tables":[{"table":"author"}]}}`)
	if e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "author"}) == nil {
		t.Errorf("v2 document not applied")
	}
}

// TestHostileBodies sends malformed requests to every endpoint: each gets a
// clean error and nothing changes.
func TestHostileBodies(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"pg_track_table","args":{"table":"author"}}`)
	version := e.svc.Current().Version
	huge := `{"type":"run_sql","args":{"sql":"` + strings.Repeat("x", 65<<20) + `"}}`
	cases := []struct {
		name, body, code string
	}{
		{"empty", ``, "invalid-json"},
		{"not json", `{"type":`, "invalid-json"},
		{"trailing data", `{"type":"export_metadata","args":{}} {}`, "invalid-json"},
		{"array", `[1,2]`, "parse-failed"},
		{"string", `"x"`, "parse-failed"},
		{"null", `null`, "parse-failed"},
		{"no type", `{"args":{}}`, "parse-failed"},
		{"type not a string", `{"type":1,"args":{}}`, "parse-failed"},
		{"unknown type", `{"type":"drop_everything","args":{}}`, "parse-failed"},
		{"unknown pg type", `{"type":"pg_drop_everything","args":{}}`, "parse-failed"},
		{"unknown top-level key", `{"type":"export_metadata","args":{},"extra":1}`, "parse-failed"},
		{"args wrong type", `{"type":"pg_track_table","args":42}`, "parse-failed"},
		{"args missing", `{"type":"pg_untrack_table"}`, "parse-failed"},
		{"table wrong shape", `{"type":"pg_untrack_table","args":{"table":{"name":1}}}`, "parse-failed"},
		{"table unknown key", `{"type":"pg_untrack_table","args":{"table":{"name":"author","schema":"public","x":1}}}`, "parse-failed"},
		{"deep nesting", `{"type":"pg_create_select_permission","args":{"table":"author","role":"r","permission":{"columns":"*","filter":` + strings.Repeat(`{"_not":`, 200) + `{}` + strings.Repeat(`}`, 200) + `}}}`, "constraint-violation"},
		{"bulk of garbage", `{"type":"bulk","args":[1]}`, "parse-failed"},
		{"resource version wrong type", `{"type":"export_metadata","args":{},"resource_version":"1"}`, "parse-failed"},
		{"huge", huge, "bad-request"},
	}
	for _, api := range []struct {
		name string
		f    apiFunc
	}{{"metadata", e.svc.Metadata}, {"v1query", e.svc.QueryV1}, {"v2query", e.svc.QueryV2}} {
		for _, c := range cases {
			t.Run(api.name+"/"+c.name, func(t *testing.T) {
				res, err := api.f(context.Background(), []byte(c.body))
				if err == nil {
					t.Fatalf("no error: %s", res)
				}
				ae := e.fail(api.f, c.body)
				if ae.Status < 400 || ae.Status >= 500 || ae.Message == "" {
					t.Errorf("error %+v", ae)
				}
				if api.name == "metadata" && ae.Code != c.code {
					t.Errorf("code = %q (%s), want %q", ae.Code, ae.Message, c.code)
				}
			})
		}
	}
	if e.svc.Current().Version != version {
		t.Errorf("metadata changed: version %d -> %d", version, e.svc.Current().Version)
	}
}

func TestSourceOperations(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `CREATE FUNCTION search(q text) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article $$;`)
	e.meta(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"article"}},{"type":"pg_track_function","args":{"function":"search"}}]}`)
	runSteps(t, e, []step{
		{name: "add existing", body: `{"type":"pg_add_source","args":{"name":"default","configuration":{"connection_info":{"database_url":"postgres://x"}}}}`,
			code: "already-exists", msg: `source with name "default" already exists`},
		{name: "replace configuration", body: `{"type":"pg_add_source","args":{"name":"default","configuration":{"connection_info":{"database_url":{"from_env":"DB"}}},"replace_configuration":true}}`, want: success},
		{name: "update", body: `{"type":"pg_update_source","args":{"name":"default","customization":{"root_fields":{"prefix":"p_"}}}}`, want: success},
		{name: "update missing", body: `{"type":"pg_update_source","args":{"name":"other","configuration":{}}}`, code: "not-exists"},
		{name: "function customization", body: `{"type":"pg_set_function_customization","args":{"function":"search","configuration":{"custom_name":"find"}}}`, want: success},
		{name: "function customization bad name", body: `{"type":"pg_set_function_customization","args":{"function":"search","configuration":{"custom_name":"a b"}}}`, code: "parse-failed"},
		{name: "concurrent_bulk", body: `{"type":"concurrent_bulk","args":[{"type":"get_inconsistent_metadata","args":{}}]}`, want: `[{"is_consistent":true,"inconsistent_objects":[]}]`},
		{name: "concurrent_bulk refuses writes", body: `{"type":"concurrent_bulk","args":[{"type":"pg_track_table","args":{"table":"author"}}]}`, code: "parse-failed"},
		{name: "drop with tables", body: `{"type":"pg_drop_source","args":{"name":"default"}}`, code: "dependency-error", msg: "cannot drop due to the following dependent objects : table article"},
		{name: "drop", body: `{"type":"pg_drop_source","args":{"name":"default","cascade":true}}`, want: success},
	})
	if n := len(e.svc.Current().Stored.Sources); n != 0 {
		t.Errorf("%d sources left", n)
	}
	// An unknown source is kept but reported, never served.
	e.meta(`{"type":"pg_add_source","args":{"name":"default","configuration":{"connection_info":{"database_url":{"from_env":"DB"}}}}}`)
	e.meta(`{"type":"replace_metadata","args":{"allow_inconsistent_metadata":true,"metadata":{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[],"configuration":{}},{"name":"other","kind":"postgres","tables":[],"configuration":{}}]}}}`)
	if bad := e.svc.Current().Inconsistent; len(bad) != 1 || bad[0].Name != "source other" {
		t.Errorf("inconsistent = %s", rawJSON(bad))
	}
}

func TestLegacyTableOperations(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `CREATE TABLE two_keys (a text, b text, c int, d int, PRIMARY KEY (a, b));`)
	jsonEqual(t, e.ok(e.svc.QueryV1, `{"type":"track_table","args":{"schema":"public","name":"author"}}`), success)
	jsonEqual(t, e.ok(e.svc.QueryV1, `{"type":"set_table_custom_fields","args":{"table":"author","custom_root_fields":{"select":"Authors"},"custom_column_names":{"name":"authorName"}}}`), success)
	cfg := e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "author"}).Configuration
	if *cfg.CustomRootFields["select"].Name != "Authors" || cfg.CustomColumnNames["name"] != "authorName" || cfg.ColumnConfig["name"].CustomName != "authorName" {
		t.Errorf("configuration = %s", rawJSON(cfg))
	}
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"set_table_custom_fields","args":{"table":"author","custom_column_names":{"name":"bad name"}}}`), "parse-failed", `"bad name" is not a valid GraphQL name`, "")
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"set_table_custom_fields","args":{"table":"nope"}}`), "not-exists", `table "nope" does not exist`, "$.args")
	// Several enum problems are listed together.
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"track_table","args":{"table":"two_keys","is_enum":true}}`), "constraint-violation",
		"the table \"two_keys\" cannot be used as an enum for the following reasons:\n  • the table’s primary key must not span multiple columns (a, b)\n  • the table must have exactly one primary key and optionally one comment column, not 2 columns (c, d)\n", "$.args")
	// Dropping each kind of permission.
	e.ok(e.svc.QueryV1, `{"type":"bulk","args":[
		{"type":"create_insert_permission","args":{"table":"author","role":"r","permission":{"check":{},"columns":"*"}}},
		{"type":"create_update_permission","args":{"table":"author","role":"r","permission":{"filter":{},"columns":["name"]}}},
		{"type":"create_delete_permission","args":{"table":"author","role":"r","permission":{"filter":{}}}},
		{"type":"drop_insert_permission","args":{"table":"author","role":"r"}},
		{"type":"drop_update_permission","args":{"table":"author","role":"r"}},
		{"type":"drop_delete_permission","args":{"table":"author","role":"r"}}]}`)
	au := e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "author"})
	if au.InsertPermissions != nil || au.UpdatePermissions != nil || au.DeletePermissions != nil {
		t.Errorf("permissions left: %s", rawJSON(au))
	}
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"drop_delete_permission","args":{"table":"author","role":"r"}}`), "permission-denied", `'delete' permission on "author" for role "r" does not exist`, "$.args")
	jsonEqual(t, e.ok(e.svc.QueryV1, `{"type":"untrack_table","args":{"table":"author"}}`), success)
}

func TestWatchPolls(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	other := e.reopen()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go other.Watch(ctx, 20*time.Millisecond)
	e.meta(`{"type":"pg_track_table","args":{"table":"author"}}`)
	deadline := time.Now().Add(5 * time.Second)
	for other.Current().Version != 2 {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not pick up the change")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAmbiguousForeignKey(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE TABLE a (id int primary key); CREATE TABLE b (id int primary key);
		CREATE TABLE c (id int primary key, ref int, CONSTRAINT c_a FOREIGN KEY (ref) REFERENCES a(id), CONSTRAINT c_b FOREIGN KEY (ref) REFERENCES b(id));`)
	e.meta(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"a"}},{"type":"pg_track_table","args":{"table":"b"}},{"type":"pg_track_table","args":{"table":"c"}}]}`)
	wantErr(t, e.fail(e.svc.Metadata, `{"type":"pg_create_object_relationship","args":{"table":"c","name":"r","using":{"foreign_key_constraint_on":"ref"}}}`),
		"constraint-violation", `in table "c": in relationship "r": more than one foreign key constraint exists on the given column`, "$.args")
	// The array side names the referencing table, so it is not ambiguous.
	e.meta(`{"type":"pg_create_array_relationship","args":{"table":"a","name":"cs","using":{"foreign_key_constraint_on":{"table":"c","column":"ref"}}}}`)
	// A role name is any non-empty text.
	e.meta(`{"type":"pg_create_select_permission","args":{"table":"a","role":"a role.with-odd chars","permission":{"columns":"*","filter":{"id":{"_cast":{"text":{"_eq":"1"}}}}}}}`)
}

func TestCustomColumnNamesMerge(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE TABLE tc (id int primary key, a text, b text)`)
	e.meta(`{"type":"pg_track_table","args":{"table":"tc"}}`)
	e.meta(`{"type":"pg_set_table_customization","args":{"table":"tc","configuration":{"custom_column_names":{"a":"legacyA","b":"ignored"},"column_config":{"b":{"custom_name":"wins"},"id":{"comment":"key"}}}}}`)
	cfg := e.svc.Current().Stored.Source("default").FindTable(TableName{"public", "tc"}).Configuration
	jsonEqual(t, rawJSON(cfg), `{"column_config":{"a":{"custom_name":"legacyA"},"b":{"custom_name":"wins"},"id":{"comment":"key"}},"custom_column_names":{"a":"legacyA","b":"wins"}}`)
}

// TestKeptSections covers the operations on sections stored but not served
// yet: each keeps what it is given, and export returns it.
func TestKeptSections(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"pg_track_table","args":{"table":"author"}}`)
	runSteps(t, e, []step{
		{name: "remote schema", body: `{"type":"add_remote_schema","args":{"name":"rs","definition":{"url":"http://x/graphql","forward_client_headers":true},"comment":"c"}}`, want: success},
		{name: "remote schema again", body: `{"type":"add_remote_schema","args":{"name":"rs","definition":{"url":"http://y"}}}`, code: "already-exists", msg: `remote schema with name "rs" already exists`},
		{name: "remote schema permission", body: `{"type":"add_remote_schema_permissions","args":{"remote_schema":"rs","role":"user","definition":{"schema":"type Query { a: Int }"}}}`, want: success},
		{name: "update remote schema", body: `{"type":"update_remote_schema","args":{"name":"rs","definition":{"url":"http://z/graphql"}}}`, want: success},
		{name: "action", body: `{"type":"create_action","args":{"name":"login","definition":{"kind":"synchronous","type":"mutation","handler":"http://h","arguments":[],"output_type":"R"}}}`, want: success},
		{name: "action permission", body: `{"type":"create_action_permission","args":{"action":"login","role":"user"}}`, want: success},
		{name: "action permission again", body: `{"type":"create_action_permission","args":{"action":"login","role":"user"}}`, code: "already-exists"},
		{name: "custom types", body: `{"type":"set_custom_types","args":{"objects":[{"name":"R","fields":[{"name":"ok","type":"Boolean"}]}]}}`, want: success},
		{name: "cron", body: `{"type":"create_cron_trigger","args":{"name":"nightly","webhook":"http://c","schedule":"0 0 * * *","include_in_metadata":true,"payload":{}}}`, want: success},
		{name: "cron replace", body: `{"type":"create_cron_trigger","args":{"name":"nightly","webhook":"http://d","schedule":"0 1 * * *","include_in_metadata":true,"payload":{},"replace":true}}`, want: success},
		{name: "collection", body: `{"type":"create_query_collection","args":{"name":"allowed","definition":{"queries":[]}}}`, want: success},
		{name: "collection query", body: `{"type":"add_query_to_collection","args":{"collection_name":"allowed","query_name":"q","query":"query { author { id } }"}}`, want: success},
		{name: "allowlist", body: `{"type":"add_collection_to_allowlist","args":{"collection":"allowed"}}`, want: success},
		{name: "endpoint", body: `{"type":"create_rest_endpoint","args":{"name":"authors","url":"authors","methods":["GET"],"definition":{"query":{"collection_name":"allowed","query_name":"q"}}}}`, want: success},
		{name: "event trigger", body: `{"type":"pg_create_event_trigger","args":{"name":"audit","table":"author","insert":{"columns":"*"},"webhook":"http://w"}}`, want: success},
		{name: "event trigger again", body: `{"type":"pg_create_event_trigger","args":{"name":"audit","table":"author","insert":{"columns":"*"},"webhook":"http://w"}}`, code: "already-exists"},
		{name: "event trigger untracked table", body: `{"type":"pg_create_event_trigger","args":{"name":"x","table":"article","insert":{"columns":"*"},"webhook":"http://w"}}`, code: "not-exists"},
		{name: "api limits", body: `{"type":"set_api_limits","args":{"disabled":false,"depth_limit":{"global":5}}}`, want: success},
		{name: "introspection", body: `{"type":"set_graphql_schema_introspection_options","args":{"disabled_for_roles":["anonymous"]}}`, want: success},
	})
	want := `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[{"table":{"schema":"public","name":"author"},
		"event_triggers":[{"name":"audit","definition":{"enable_manual":false,"insert":{"columns":"*"}},"retry_conf":{"interval_sec":10,"num_retries":0,"timeout_sec":60},"webhook":"http://w"}]}],
		"configuration":` + string(DefaultSource().Configuration) + `}],
		"remote_schemas":[{"name":"rs","definition":{"url":"http://z/graphql"},"comment":"c","permissions":[{"role":"user","definition":{"schema":"type Query { a: Int }"}}]}],
		"actions":[{"name":"login","definition":{"kind":"synchronous","type":"mutation","handler":"http://h","arguments":[],"output_type":"R"},"permissions":[{"role":"user"}]}],
		"custom_types":{"objects":[{"name":"R","fields":[{"name":"ok","type":"Boolean"}]}]},
		"cron_triggers":[{"name":"nightly","webhook":"http://d","schedule":"0 1 * * *","include_in_metadata":true,"payload":{}}],
		"query_collections":[{"name":"allowed","definition":{"queries":[{"name":"q","query":"query { author { id } }"}]}}],
		"allowlist":[{"collection":"allowed"}],
		"rest_endpoints":[{"name":"authors","url":"authors","methods":["GET"],"definition":{"query":{"collection_name":"allowed","query_name":"q"}}}],
		"api_limits":{"disabled":false,"depth_limit":{"global":5}},
		"graphql_schema_introspection":{"disabled_for_roles":["anonymous"]}}`
	jsonEqual(t, e.meta(`{"type":"export_metadata","args":{}}`), want)
	runSteps(t, e, []step{
		{name: "drop endpoint", body: `{"type":"drop_rest_endpoint","args":{"name":"authors"}}`, want: success},
		{name: "drop allowlist", body: `{"type":"drop_collection_from_allowlist","args":{"collection":"allowed"}}`, want: success},
		{name: "drop query", body: `{"type":"drop_query_from_collection","args":{"collection_name":"allowed","query_name":"q"}}`, want: success},
		{name: "drop collection", body: `{"type":"drop_query_collection","args":{"collection":"allowed"}}`, want: success},
		{name: "drop cron", body: `{"type":"delete_cron_trigger","args":{"name":"nightly"}}`, want: success},
		{name: "drop action permission", body: `{"type":"drop_action_permission","args":{"action":"login","role":"user"}}`, want: success},
		{name: "drop action", body: `{"type":"drop_action","args":{"name":"login"}}`, want: success},
		{name: "drop action again", body: `{"type":"drop_action","args":{"name":"login"}}`, code: "not-exists", msg: `action with name "login" does not exist`},
		{name: "drop remote schema permission", body: `{"type":"drop_remote_schema_permissions","args":{"remote_schema":"rs","role":"user"}}`, want: success},
		{name: "drop remote schema", body: `{"type":"remove_remote_schema","args":{"name":"rs"}}`, want: success},
		{name: "drop event trigger", body: `{"type":"pg_delete_event_trigger","args":{"name":"audit"}}`, want: success},
		{name: "drop event trigger again", body: `{"type":"pg_delete_event_trigger","args":{"name":"audit"}}`, code: "not-exists"},
		{name: "remove api limits", body: `{"type":"remove_api_limits","args":{}}`, want: success},
	})
	md := e.svc.Current().Stored
	for _, k := range []string{"remote_schemas", "actions", "cron_triggers", "query_collections", "allowlist", "rest_endpoints", "api_limits"} {
		if md.Extra[k] != nil {
			t.Errorf("%s left: %s", k, md.Extra[k])
		}
	}
}
