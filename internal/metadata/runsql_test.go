package metadata

import (
	"context"
	"encoding/json"
	"testing"
)

func TestRunSQLResults(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, args, want string
	}{
		{"command", `{"sql":"CREATE TABLE t (id int primary key, name text)"}`, `{"result_type":"CommandOk","result":null}`},
		{"several statements, last returns rows", `{"sql":"INSERT INTO t VALUES (1, 'a'), (2, NULL); SELECT id, name, true AS b FROM t ORDER BY id"}`,
			`{"result_type":"TuplesOk","result":[["id","name","b"],["1","a","t"],["2","NULL","t"]]}`},
		{"last statement decides", `{"sql":"SELECT 1; UPDATE t SET name = 'b' WHERE id = 2"}`, `{"result_type":"CommandOk","result":null}`},
		{"read only select", `{"sql":"SELECT count(*) FROM t","read_only":true}`, `{"result_type":"TuplesOk","result":[["count"],["2"]]}`},
		{"no rows", `{"sql":"SELECT id FROM t WHERE false"}`, `{"result_type":"TuplesOk","result":[["id"]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jsonEqual(t, e.ok(e.svc.QueryV2, `{"type":"run_sql","args":`+tt.args+`}`), tt.want)
		})
	}
	// The same through /v1/query and inside bulk.
	jsonEqual(t, e.ok(e.svc.QueryV1, `{"type":"run_sql","args":{"sql":"SELECT 1 AS one"}}`), `{"result_type":"TuplesOk","result":[["one"],["1"]]}`)
	jsonEqual(t, e.ok(e.svc.QueryV2, `{"type":"bulk","args":[{"type":"run_sql","args":{"sql":"SELECT 1 AS one"}},{"type":"run_sql","args":{"sql":"SELECT 2 AS two"}}]}`),
		`[{"result_type":"TuplesOk","result":[["one"],["1"]]},{"result_type":"TuplesOk","result":[["two"],["2"]]}]`)
}

func TestRunSQLErrors(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE TABLE t (id int primary key)`)
	err := e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"INSERT INTO t VALUES (1); SELECT * FROM missing"}}`)
	wantErr(t, err, "postgres-error", "query execution failed", "$")
	if err.Internal == nil || !err.InternalPublic {
		t.Errorf("postgres error details missing: %+v", err)
	}
	// The failed batch was rolled back as a whole.
	jsonEqual(t, e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"SELECT count(*) FROM t"}}`), `{"result_type":"TuplesOk","result":[["count"],["0"]]}`)
	wantErr(t, e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"INSERT INTO t VALUES (1)","read_only":true}}`), "postgres-error", "query execution failed", "$")
	wantErr(t, e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{}}`), "parse-failed", `key "sql" not found`, "$.args")
	wantErr(t, e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"SELECT 1","bogus":1}}`), "parse-failed", `unexpected key "bogus"`, "$.args")
	wantErr(t, e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":1}}`), "parse-failed", "expected String, but encountered Number", "$.args.sql")
	wantErr(t, e.fail(e.svc.QueryV2, `{"type":"nope","args":{}}`), "parse-failed", "", "$")
}

// TestRunSQLSchemaChanges covers DDL through run_sql: dropped tracked tables
// are untracked, objects on other tables that depend on them are a
// dependency-error unless cascade, renames are followed.
func TestRunSQLSchemaChanges(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"bulk","args":[
		{"type":"pg_track_table","args":{"table":"author"}},
		{"type":"pg_track_table","args":{"table":"article"}},
		{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}},
		{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":["id","title"],"filter":{"is_published":{"_eq":true}}}}}
	]}`)

	// A column a permission depends on.
	err := e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"ALTER TABLE article DROP COLUMN title"}}`)
	wantErr(t, err, "dependency-error", "cannot drop due to the following dependent objects : permission article.user.select", "")
	if cols := e.columns("article"); !contains(cols, "title") {
		t.Fatalf("the failed run_sql was not rolled back: columns %v", cols)
	}

	// A table another table's relationship points at.
	err = e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"DROP TABLE article"}}`)
	wantErr(t, err, "dependency-error", "cannot drop due to the following dependent objects : relationship author.articles", "")

	// Renaming follows.
	e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"ALTER TABLE article RENAME TO post"}}`)
	src := e.svc.Current().Metadata.Source("default")
	if src.FindTable(TableName{"public", "post"}) == nil || len(src.FindTable(TableName{"public", "author"}).ArrayRelationships) != 1 {
		t.Fatalf("rename not followed: %s", rawJSON(src))
	}
	if got := src.FindTable(TableName{"public", "author"}).ArrayRelationships[0].Using.ForeignKeyConstraintOn.Table; got != (TableName{"public", "post"}) {
		t.Errorf("relationship still points at %v", got)
	}

	// With cascade the dependents go too.
	e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"DROP TABLE post","cascade":true}}`)
	snap := e.svc.Current()
	src = snap.Stored.Source("default")
	if len(src.Tables) != 1 || len(src.Tables[0].ArrayRelationships) != 0 || len(snap.Inconsistent) != 0 {
		t.Fatalf("after cascade: %s, inconsistent %v", rawJSON(src), snap.Inconsistent)
	}

	// check_metadata_consistency false leaves the metadata as it is; the
	// dropped table is then reported as inconsistent.
	e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"DROP TABLE author","check_metadata_consistency":false}}`)
	e.meta(`{"type":"reload_metadata","args":{"reload_sources":true}}`)
	jsonEqual(t, e.meta(`{"type":"get_inconsistent_metadata","args":{}}`), `{"is_consistent":false,"inconsistent_objects":[
		{"definition":{"name":"author","schema":"public"},"name":"table author in source default","reason":"Inconsistent object: no such table/view exists in source: \"author\"","type":"table"}]}`)
	e.meta(`{"type":"drop_inconsistent_metadata","args":{}}`)
	jsonEqual(t, e.meta(`{"type":"get_inconsistent_metadata","args":{}}`), `{"is_consistent":true,"inconsistent_objects":[]}`)
	if n := len(e.svc.Current().Stored.Source("default").Tables); n != 0 {
		t.Errorf("%d tables left after drop_inconsistent_metadata", n)
	}
}

func (e *env) columns(table string) []string {
	e.t.Helper()
	var cols []string
	rows, err := e.pool.Query(context.Background(), `SELECT column_name::text FROM information_schema.columns WHERE table_name = $1`, table)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		cols = append(cols, c)
	}
	return cols
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestExistingHasuraDatabase opens a database whose hdb_catalog already
// holds a Hasura document: it is read as is, objects that do not match the
// database are reported and the rest is served.
func TestExistingHasuraDatabase(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE TABLE author (id serial PRIMARY KEY, name text)`)
	doc := `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[
		{"table":{"schema":"public","name":"author"},"select_permissions":[{"role":"user","permission":{"columns":["id","missing_col"],"filter":{}}},{"role":"guest","permission":{"columns":["id"],"filter":{}}}],
		 "event_triggers":[{"name":"audit","definition":{"enable_manual":false,"insert":{"columns":"*"}},"retry_conf":{"num_retries":0,"interval_sec":10,"timeout_sec":60},"webhook":"http://x"}]},
		{"table":{"schema":"public","name":"gone"}}],
		"configuration":{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"}}}}],
		"actions":[{"name":"a1","definition":{"handler":"http://x","type":"mutation","kind":"synchronous","arguments":[],"output_type":"R"}}],
		"custom_types":{"objects":[{"name":"R","fields":[{"name":"ok","type":"Boolean"}]}]}}`
	if _, err := e.pool.Exec(context.Background(), `UPDATE hdb_catalog.hdb_metadata SET metadata = $1::json, resource_version = 42`, doc); err != nil {
		t.Fatal(err)
	}
	svc := e.reopen()
	snap := svc.Current()
	if snap.Version != 42 {
		t.Errorf("version = %d", snap.Version)
	}
	served := snap.Metadata.Source("default")
	if len(served.Tables) != 1 || len(served.Tables[0].SelectPermissions) != 1 || served.Tables[0].SelectPermissions[0].Role != "guest" {
		t.Errorf("served: %s", rawJSON(served))
	}
	var names []string
	for _, o := range snap.Inconsistent {
		names = append(names, o.Name)
	}
	if len(names) != 2 || names[0] != "table gone in source default" || names[1] != "select_permission user in table author in source default" {
		t.Errorf("inconsistent = %v", names)
	}
	got, err := svc.Metadata(context.Background(), []byte(`{"type":"export_metadata","args":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, doc)
	var ic struct {
		IsConsistent bool              `json:"is_consistent"`
		Objects      []json.RawMessage `json:"inconsistent_objects"`
	}
	res, _ := svc.Metadata(context.Background(), []byte(`{"type":"get_inconsistent_metadata","args":{}}`))
	_ = json.Unmarshal(res, &ic)
	if ic.IsConsistent || len(ic.Objects) != 4 { // 2 inconsistent + action + event trigger
		t.Errorf("get_inconsistent_metadata = %s", res)
	}
	jsonEqual(t, ic.Objects[1], `{"definition":{"comment":null,"permission":{"allow_aggregations":false,"columns":["id","missing_col"],"computed_fields":[],"filter":{}},"role":"user","table":{"name":"author","schema":"public"}},
		"name":"select_permission user in table author in source default","reason":"Inconsistent object: in table \"author\": in permission for role \"user\": column \"missing_col\" does not exist","type":"select_permission"}`)
}

// TestBulkIsOneTransaction checks that SQL and metadata changes of one
// request commit together: a failing step undoes the SQL of earlier steps.
func TestBulkIsOneTransaction(t *testing.T) {
	e := newEnv(t)
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"bulk","args":[
		{"type":"run_sql","args":{"sql":"CREATE TABLE t (id int primary key)"}},
		{"type":"track_table","args":{"name":"t"}},
		{"type":"insert","args":{"table":"t","objects":[{"id":1}]}},
		{"type":"track_table","args":{"name":"nope"}}]}`), "not-exists", "", "$.args[3].args")
	if cols := e.columns("t"); len(cols) != 0 {
		t.Fatalf("table t exists after the failed bulk")
	}
	// The same steps without the failure all apply, each seeing the
	// previous ones' uncommitted changes.
	e.ok(e.svc.QueryV1, `{"type":"bulk","args":[
		{"type":"run_sql","args":{"sql":"CREATE TABLE t (id int primary key); CREATE TABLE e (v text primary key); INSERT INTO e VALUES ('a')"}},
		{"type":"track_table","args":{"name":"t"}},
		{"type":"track_table","args":{"table":"e","is_enum":true}},
		{"type":"insert","args":{"table":"t","objects":[{"id":1}]}}]}`)
	jsonEqual(t, e.ok(e.svc.QueryV1, `{"type":"count","args":{"table":"t"}}`), `{"count":1}`)
}

func TestRunSQLFollowsColumnRenames(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"bulk","args":[
		{"type":"pg_track_table","args":{"table":"author","configuration":{"column_config":{"name":{"custom_name":"fullName"}}}}},
		{"type":"pg_track_table","args":{"table":"article"}},
		{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}},
		{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}},
		{"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":["id","name"],"filter":{"_and":[{"name":{"_ne":""}}]}}}},
		{"type":"pg_create_insert_permission","args":{"table":"article","role":"user","permission":{"columns":["title","author_id"],"check":{"author_id":{"_eq":"X-Hasura-User-Id"}},"set":{"author_id":"X-Hasura-User-Id"}}}}
	]}`)
	e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"ALTER TABLE author RENAME COLUMN name TO full_name; ALTER TABLE article RENAME COLUMN author_id TO writer_id"}}`)
	snap := e.svc.Current()
	if len(snap.Inconsistent) != 0 {
		t.Fatalf("inconsistent after renames: %s", rawJSON(snap.Inconsistent))
	}
	src := snap.Stored.Source("default")
	au, art := src.FindTable(TableName{"public", "author"}), src.FindTable(TableName{"public", "article"})
	checks := map[string]string{
		"author select columns":     string(rawJSON(au.SelectPermissions[0].Permission.Columns)),
		"author select filter":      string(au.SelectPermissions[0].Permission.Filter),
		"author column_config":      string(rawJSON(au.Configuration.ColumnConfig)),
		"article relationship":      string(art.ObjectRelationships[0].Using.ForeignKeyConstraintOn),
		"author array relationship": string(rawJSON(au.ArrayRelationships[0].Using.ForeignKeyConstraintOn)),
		"article insert":            string(rawJSON(art.InsertPermissions[0].Permission)),
	}
	want := map[string]string{
		"author select columns":     `["id","full_name"]`,
		"author select filter":      `{"_and":[{"full_name":{"_ne":""}}]}`,
		"author column_config":      `{"full_name":{"custom_name":"fullName"}}`,
		"article relationship":      `"writer_id"`,
		"author array relationship": `{"table":{"schema":"public","name":"article"},"column":"writer_id"}`,
		"article insert":            `{"check":{"writer_id":{"_eq":"X-Hasura-User-Id"}},"set":{"writer_id":"X-Hasura-User-Id"},"columns":["title","writer_id"]}`,
	}
	for k, w := range want {
		jsonEqual(t, json.RawMessage(checks[k]), w)
	}
}

func TestRunSQLRefusesOverloadingTrackedFunctions(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `CREATE FUNCTION search(q text) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article $$;`)
	e.meta(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"article"}},{"type":"pg_track_function","args":{"function":"search"}}]}`)
	wantErr(t, e.fail(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"CREATE FUNCTION search(q int) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article $$"}}`),
		"not-supported", "the following tracked function(s) cannot be overloaded: search", "")
	// Dropping a tracked function untracks it.
	e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"DROP FUNCTION search(text)"}}`)
	if n := len(e.svc.Current().Stored.Source("default").Functions); n != 0 {
		t.Errorf("%d functions still tracked", n)
	}
}
