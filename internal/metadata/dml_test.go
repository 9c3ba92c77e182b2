package metadata

import "testing"

func TestV1DataOperations(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.ok(e.svc.QueryV1, `{"type":"bulk","args":[{"type":"track_table","args":{"name":"author"}},{"type":"track_table","args":{"schema":"public","name":"article"}},
		{"type":"create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}},
		{"type":"create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}}]}`)
	q := func(body, want string) {
		t.Helper()
		jsonEqual(t, e.ok(e.svc.QueryV1, body), want)
	}
	q(`{"type":"insert","args":{"table":"article","objects":[{"title":"A1","author_id":1,"is_published":true},{"title":"A2","author_id":1},{"title":"B1","author_id":2,"is_published":false}],"returning":["id","title"]}}`,
		`{"affected_rows":3,"returning":[{"id":1,"title":"A1"},{"id":2,"title":"A2"},{"id":3,"title":"B1"}]}`)
	q(`{"type":"insert","args":{"table":"author","objects":[{"id":1,"name":"Author 1"}],"on_conflict":{"constraint_on":["id"],"action":"ignore"}}}`, `{"affected_rows":0}`)
	q(`{"type":"insert","args":{"table":"author","objects":[{"id":2,"name":"Second"}],"on_conflict":{"constraint_on":["id"],"action":"update"},"returning":["name"]}}`,
		`{"affected_rows":1,"returning":[{"name":"Second"}]}`)
	q(`{"type":"select","args":{"table":"author","columns":["id","name",{"name":"articles","columns":["title"],"where":{"is_published":{"_eq":true}}}],"order_by":["-id"]}}`,
		`[{"id":2,"name":"Second","articles":[]},{"id":1,"name":"Author 1","articles":[{"title":"A1"}]}]`)
	q(`{"type":"select","args":{"table":"article","columns":["title"],"where":{"$or":[{"author":{"name":{"_like":"Sec%"}}},{"title":{"$in":["A2"]}}]},"order_by":[{"column":"title","type":"desc"}],"limit":5,"offset":0}}`,
		`[{"title":"B1"},{"title":"A2"}]`)
	q(`{"type":"select","args":{"table":"article","columns":["id"],"where":{"is_published":{"_is_null":true}}}}`, `[{"id":2}]`)
	q(`{"type":"count","args":{"table":"article","where":{"author_id":1}}}`, `{"count":2}`)
	q(`{"type":"count","args":{"table":"article","distinct":["author_id"]}}`, `{"count":2}`)
	q(`{"type":"update","args":{"table":"article","where":{"id":{"_eq":2}},"$set":{"title":"A2!"},"$inc":{"author_id":1},"returning":["title","author_id"]}}`,
		`{"affected_rows":1,"returning":[{"title":"A2!","author_id":2}]}`)
	q(`{"type":"delete","args":{"table":"article","where":{"author":{"id":{"_eq":2}},"title":{"_eq":"A2!"}},"returning":["id"]}}`, `{"affected_rows":1,"returning":[{"id":2}]}`)
	q(`{"type":"delete","args":{"table":"article","where":{"author":{"id":{"_eq":2}}}}}`, `{"affected_rows":1}`)
	// The same through /v2/query.
	jsonEqual(t, e.ok(e.svc.QueryV2, `{"type":"count","args":{"table":"article"}}`), `{"count":1}`)

	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"select","args":{"table":"nope","columns":["id"]}}`), "not-exists", `table "nope" does not exist`, "$.args.table")
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"select","args":{"table":"author","columns":["nope"]}}`), "not-exists", `column "nope" does not exist`, "$.args.columns[0]")
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"select","args":{"table":"author","columns":["id"],"where":{"nope":1}}}`), "not-exists", "", "$.args.where.nope")
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"select","args":{"table":"author","columns":["id"],"limit":-1}}`), "validation-failed", "unexpected negative value", "$.args.limit")
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"insert","args":{"table":"author","objects":[1]}}`), "parse-failed", "", "$.args.objects[0]")
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"update","args":{"table":"author","$set":{"name":"x"}}}`), "parse-failed", `key "where" not found`, "$.args")
	wantErr(t, e.fail(e.svc.QueryV1, `{"type":"insert","args":{"table":"author","objects":[{"id":1,"name":"dup"}]}}`), "constraint-violation", "Uniqueness violation...", "")
}
