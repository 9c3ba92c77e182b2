package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

const mutationSQL = `
create table users ("userId" text primary key, "userName" text, "lastSeen" timestamp default now());
create table log (id serial primary key, g int not null);
create table author (
  id serial primary key,
  name text unique not null,
  is_registered boolean not null default false,
  info jsonb,
  rating int not null default 0
);
create table article (
  id serial primary key,
  title text not null,
  content text,
  author_id int references author(id),
  is_published boolean not null default false
);
create table author_detail (author_id int primary key references author(id), bio text);
insert into author (name, info) values ('U1', '{"a": 1, "tags": ["x", "y"]}'), ('U2', '[1, 2, 3]');
insert into article (title, author_id, is_published) values ('A1', 1, true), ('A2', 2, false);
`

const mutationMetadata = `{
  "name": "default", "kind": "postgres",
  "tables": [
    {"table": {"schema": "public", "name": "users"},
     "select_permissions": [{"role": "user", "permission": {"columns": ["userId", "userName"], "filter": {"userId": {"_eq": "X-Hasura-User-Id"}}}}]},
    {"table": {"schema": "public", "name": "log"}},
    {"table": {"schema": "public", "name": "author_detail"}},
    {
      "table": {"schema": "public", "name": "author"},
      "object_relationships": [
        {"name": "detail", "using": {"foreign_key_constraint_on": {"table": "author_detail", "column": "author_id"}}}
      ],
      "array_relationships": [
        {"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}
      ],
      "select_permissions": [
        {"role": "user", "permission": {"columns": "*", "filter": {}}}
      ],
      "insert_permissions": [
        {"role": "user", "permission": {"columns": ["name", "info"], "check": {"name": {"_like": "U%"}}}}
      ],
      "update_permissions": [
        {"role": "user", "permission": {"columns": ["name", "info", "rating"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}},
          "check": {"rating": {"_lt": 10}}, "set": {"is_registered": true}}}
      ],
      "delete_permissions": [
        {"role": "user", "permission": {"filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}
      ]
    },
    {
      "table": {"schema": "public", "name": "article"},
      "object_relationships": [
        {"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}
      ],
      "select_permissions": [
        {"role": "user", "permission": {"columns": "*", "filter": {"_or": [{"is_published": {"_eq": true}}, {"author_id": {"_eq": "X-Hasura-User-Id"}}]}}},
        {"role": "writer", "permission": {"columns": "*", "filter": {}}}
      ],
      "insert_permissions": [
        {"role": "user", "permission": {"columns": ["title", "content", "is_published", "author_id"], "check": {"is_published": {"_eq": false}}}},
        {"role": "writer", "permission": {"columns": ["title"], "check": {}, "set": {"author_id": "X-Hasura-User-Id", "content": "preset"}}}
      ]
    }
  ]
}`

func newMutationFixture(t testing.TB) (*Engine, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, mutationSQL)
	e := New(pool, Options{})
	update(t, e, pool, mutationMetadata)
	return e, pool
}

var admin = session.Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}

// expectMut runs a request and compares the response with want.
func expectMut(t *testing.T, e *Engine, s session.Session, query string, vars map[string]any, want string) {
	t.Helper()
	st, got := gql(t, e, s, query, vars)
	if st != 200 {
		t.Fatalf("status %d: %s", st, got)
	}
	jsonEq(t, got, want)
}

// count returns the number of rows of a table.
func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "select count(*) from "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMutationUserSync(t *testing.T) {
	e, pool := newMutationFixture(t)
	const sync = `mutation($userId: String!, $userName: String) {
	  insert_users_one(object: {userId: $userId, userName: $userName}, on_conflict: {constraint: users_pkey, update_columns: userName}) { userId userName }
	}`
	expectMut(t, e, admin, sync, map[string]any{"userId": "auth0|1", "userName": "Ada"},
		`{"data":{"insert_users_one":{"userId":"auth0|1","userName":"Ada"}}}`)
	expectMut(t, e, admin, sync, map[string]any{"userId": "auth0|1", "userName": "Ada L."},
		`{"data":{"insert_users_one":{"userId":"auth0|1","userName":"Ada L."}}}`)
	var n int
	var name string
	var seen bool
	if err := pool.QueryRow(context.Background(), `select count(*), max("userName"), bool_and("lastSeen" is not null) from users`).Scan(&n, &name, &seen); err != nil {
		t.Fatal(err)
	}
	if n != 1 || name != "Ada L." || !seen {
		t.Fatalf("rows=%d name=%q lastSeen set=%v", n, name, seen)
	}
	// The user role sees its own row only.
	expectMut(t, e, session.Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "auth0|1"}},
		`query { users { userId userName } }`, nil, `{"data":{"users":[{"userId":"auth0|1","userName":"Ada L."}]}}`)
}

func TestMutationInsert(t *testing.T) {
	e, pool := newMutationFixture(t)
	u := user("user", "1")
	// Nested array insert: parents before children, every row counted.
	expectMut(t, e, u, `mutation {
	  insert_author(objects: [{name: "U3", articles: {data: [{title: "T1"}, {title: "T2", content: "c"}]}}, {name: "U4", info: {k: [1, "v"]}}]) {
	    affected_rows
	    returning { name info articles(order_by: {id: asc}) { title content is_published author { name } } }
	  }
	}`, nil, `{"data":{"insert_author":{"affected_rows":4,"returning":[
	  {"name":"U3","info":null,"articles":[]},
	  {"name":"U4","info":{"k":[1,"v"]},"articles":[]}]}}}`)
	// (the user may not select the new unpublished articles; admin may)
	expectMut(t, e, admin, `mutation {
	  insert_author_one(object: {name: "A9", articles: {data: [{title: "T1"}, {title: "T2", content: "c"}]}}) {
	    name articles(order_by: {id: asc}) { title content is_published author { name } }
	  }
	}`, nil, `{"data":{"insert_author_one":{"name":"A9","articles":[
	  {"title":"T1","content":null,"is_published":false,"author":{"name":"A9"}},{"title":"T2","content":"c","is_published":false,"author":{"name":"A9"}}]}}}`)
	// A reverse object relationship (the related row refers to this one)
	// is inserted after its parent.
	expectMut(t, e, admin, `mutation { insert_author_one(object: {name: "A10", detail: {data: {bio: "b"}}}) { name detail { bio } } }`, nil,
		`{"data":{"insert_author_one":{"name":"A10","detail":{"bio":"b"}}}}`)
	// Nested object insert.
	expectMut(t, e, u, `mutation { insert_article_one(object: {title: "T3", author: {data: {name: "U5"}}}) { title author { name } } }`, nil,
		`{"data":{"insert_article_one":{"title":"T3","author":{"name":"U5"}}}}`)
	authors, articles := count(t, pool, "author"), count(t, pool, "article")
	// A failing check in a nested insert rolls everything back.
	expectMut(t, e, u, `mutation { insert_author(objects: [{name: "U6", articles: {data: [{title: "bad", is_published: true}]}}]) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_author.args.objects","code":"permission-error"},"message":"Check constraint violation. insert check constraint failed"}]}`)
	expectMut(t, e, u, `mutation { insert_article(objects: [{title: "T4", author: {data: {name: "Bad"}}}]) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_article.args.objects","code":"permission-error"},"message":"Check constraint violation. insert check constraint failed"}]}`)
	// Several root fields run in one transaction: the second one's failure
	// undoes the first.
	expectMut(t, e, u, `mutation { a: insert_author_one(object: {name: "U7"}) { id } b: insert_author_one(object: {name: "X"}) { id } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.b.args.object","code":"permission-error"},"message":"Check constraint violation. insert check constraint failed"}]}`)
	if a, b := count(t, pool, "author"), count(t, pool, "article"); a != authors || b != articles {
		t.Fatalf("failed mutations wrote rows: authors %d→%d, articles %d→%d", authors, a, articles, b)
	}
	// Columns determined by the parent insert cannot be given.
	expectMut(t, e, u, `mutation { insert_author(objects: [{name: "U8", articles: {data: [{title: "x", author_id: 2}]}}]) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_author.args.objects[0].articles.data[0]","code":"validation-failed"},"message":"cannot insert \"author_id\" columns as their values are already being determined by parent insert"}]}`)
	expectMut(t, e, u, `mutation { insert_article_one(object: {title: "x", author_id: 1, author: {data: {name: "U9"}}}) { id } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_article_one.args.object.author","code":"validation-failed"},"message":"cannot insert object relation ship \"author\" as \"author_id\" column values are already determined"}]}`)
	// Presets from literals and session variables.
	expectMut(t, e, user("writer", "2"), `mutation { insert_article_one(object: {title: "P"}) { title content author_id } }`, nil,
		`{"data":{"insert_article_one":{"title":"P","content":"preset","author_id":2}}}`)
	// Constraint violations.
	expectMut(t, e, admin, `mutation { insert_author(objects: [{name: "Dup"}, {name: "Dup"}]) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_author.args.objects","code":"constraint-violation"},"message":"Uniqueness violation. duplicate key value violates unique constraint \"author_name_key\""}]}`)
	expectMut(t, e, admin, `mutation { insert_article(objects: [{content: "no title"}]) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_article.args.objects","code":"constraint-violation"},"message":"Not-NULL violation. null value in column \"title\" of relation \"article\" violates not-null constraint"}]}`)
	// Upsert: do nothing, and update with a where.
	expectMut(t, e, admin, `mutation {
	  n: insert_author(objects: [{id: 1, name: "ignored"}], on_conflict: {constraint: author_pkey, update_columns: []}) { affected_rows }
	  u: insert_author(objects: [{id: 2, name: "U2 renamed"}], on_conflict: {constraint: author_pkey, update_columns: [name], where: {rating: {_eq: 0}}}) { affected_rows returning { id name } }
	}`, nil, `{"data":{"n":{"affected_rows":0},"u":{"affected_rows":1,"returning":[{"id":2,"name":"U2 renamed"}]}}}`)
	// An upsert updates with the update permission's filter, check and presets.
	expectMut(t, e, u, `mutation { insert_author(objects: [{name: "U1", info: {z: 1}}], on_conflict: {constraint: author_name_key, update_columns: [info]}) { affected_rows returning { id info is_registered } } }`, nil,
		`{"data":{"insert_author":{"affected_rows":1,"returning":[{"id":1,"info":{"z":1},"is_registered":true}]}}}`)
	expectMut(t, e, user("user", "2"), `mutation { insert_author(objects: [{name: "U1", info: {z: 2}}], on_conflict: {constraint: author_name_key, update_columns: [info]}) { affected_rows } }`, nil,
		`{"data":{"insert_author":{"affected_rows":0}}}`)
	// Nested rows under an upsert that wrote no row are refused.
	expectMut(t, e, admin, `mutation { insert_author(objects: [{id: 1, name: "U1", articles: {data: [{title: "x"}]}}], on_conflict: {constraint: author_pkey, update_columns: []}) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_author.args.objects","code":"not-supported"},"message":"cannot proceed to insert array relations since insert to table \"author\" affects zero rows"}]}`)
	// An absent variable leaves the column to its default; null is NULL.
	expectMut(t, e, admin, `mutation($r: Int) { insert_author_one(object: {name: "R", rating: $r}) { rating } }`, nil,
		`{"data":{"insert_author_one":{"rating":0}}}`)
	expectMut(t, e, admin, `mutation($r: Int) { insert_author_one(object: {name: "R2", rating: $r}) { rating } }`, map[string]any{"r": nil},
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_author_one.args.object","code":"constraint-violation"},"message":"Not-NULL violation. null value in column \"rating\" of relation \"author\" violates not-null constraint"}]}`)
	// Integer overflow is refused as Hasura does.
	expectMut(t, e, admin, `mutation { insert_author(objects: [{name: "big", rating: 2147483648}]) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_author.args.objects[0].rating","code":"parse-failed"},"message":"The value 2.147483648e9 lies outside the bounds or is not an integer.  Maybe it is a float, or is there integer overflow?"}]}`)
}

func TestMutationUpdateDelete(t *testing.T) {
	e, pool := newMutationFixture(t)
	u := user("user", "1")
	// The update filter restricts rows by session variable; the preset is applied.
	expectMut(t, e, u, `mutation { update_author(where: {}, _set: {name: "U1b"}, _inc: {rating: 2}) { affected_rows returning { id name rating is_registered } } }`, nil,
		`{"data":{"update_author":{"affected_rows":1,"returning":[{"id":1,"name":"U1b","rating":2,"is_registered":true}]}}}`)
	// The check applies to the new row, and rolls back.
	expectMut(t, e, u, `mutation { update_author_by_pk(pk_columns: {id: 1}, _inc: {rating: 20}) { rating } }`, nil,
		`{"errors":[{"extensions":{"path":"$","code":"permission-error"},"message":"Check constraint violation. update check constraint failed"}]}`)
	// jsonb operators.
	expectMut(t, e, admin, `mutation {
	  a: update_author_by_pk(pk_columns: {id: 1}, _append: {info: {b: 2}}) { info }
	  b: update_author_by_pk(pk_columns: {id: 1}, _prepend: {info: {c: 3}}) { info }
	  c: update_author_by_pk(pk_columns: {id: 1}, _delete_key: {info: "a"}) { info }
	  d: update_author_by_pk(pk_columns: {id: 1}, _delete_at_path: {info: ["tags", "0"]}) { info }
	  e: update_author_by_pk(pk_columns: {id: 2}, _delete_elem: {info: 1}) { info }
	}`, nil, `{"data":{
	  "a":{"info":{"a":1,"b":2,"tags":["x","y"]}},
	  "b":{"info":{"a":1,"b":2,"c":3,"tags":["x","y"]}},
	  "c":{"info":{"b":2,"c":3,"tags":["x","y"]}},
	  "d":{"info":{"b":2,"c":3,"tags":["y"]}},
	  "e":{"info":[1,3]}}}`)
	// update_many runs its updates in order.
	expectMut(t, e, admin, `mutation { update_author_many(updates: [{where: {id: {_eq: 2}}, _set: {rating: 5}}, {where: {rating: {_eq: 5}}, _inc: {rating: 1}}]) { affected_rows returning { id rating } } }`, nil,
		`{"data":{"update_author_many":[{"affected_rows":1,"returning":[{"id":2,"rating":5}]},{"affected_rows":1,"returning":[{"id":2,"rating":6}]}]}}`)
	// With presets, an update without operators applies them.
	expectMut(t, e, user("user", "2"), `mutation { update_author(where: {}) { affected_rows returning { id is_registered } } }`, nil,
		`{"data":{"update_author":{"affected_rows":1,"returning":[{"id":2,"is_registered":true}]}}}`)
	// Nothing to write: no transaction statement changes a row.
	expectMut(t, e, admin, `mutation { insert_author(objects: []) { affected_rows returning { id } } update_author_many(updates: []) { affected_rows } }`, nil,
		`{"data":{"insert_author":{"affected_rows":0,"returning":[]},"update_author_many":[]}}`)
	// Errors: no operator, a column in two operators.
	expectMut(t, e, admin, `mutation { update_author(where: {}) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.update_author.args","code":"validation-failed"},"message":"at least any one of _set, _inc, _append, _prepend, _delete_key, _delete_elem, _delete_at_path is expected"}]}`)
	expectMut(t, e, admin, `mutation { update_author(where: {}, _set: {rating: 1}, _inc: {rating: 1}) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"column found in multiple operators; \"rating\" in _set, _inc"}]}`)
	// Variables in update arguments.
	expectMut(t, e, admin, `mutation($set: author_set_input!, $id: Int!) { update_author_by_pk(pk_columns: {id: $id}, _set: $set) { id name } }`,
		map[string]any{"set": map[string]any{"name": "V"}, "id": 2}, `{"data":{"update_author_by_pk":{"id":2,"name":"V"}}}`)
	// Delete: the filter restricts rows; a foreign key violation is reported.
	expectMut(t, e, u, `mutation { delete_author(where: {}) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$","code":"constraint-violation"},"message":"Foreign key violation. update or delete on table \"author\" violates foreign key constraint \"article_author_id_fkey\" on table \"article\""}]}`)
	expectMut(t, e, admin, `mutation { delete_article(where: {author_id: {_eq: 1}}) { affected_rows returning { title author { name } } } }`, nil,
		`{"data":{"delete_article":{"affected_rows":1,"returning":[{"title":"A1","author":{"name":"U1b"}}]}}}`)
	expectMut(t, e, user("user", "2"), `mutation { delete_author(where: {id: {_eq: 1}}) { affected_rows } }`, nil,
		`{"data":{"delete_author":{"affected_rows":0}}}`)
	expectMut(t, e, u, `mutation { delete_author_by_pk(id: 1) { id name } }`, nil,
		`{"data":{"delete_author_by_pk":{"id":1,"name":"U1b"}}}`)
	expectMut(t, e, admin, `mutation { delete_author_by_pk(id: 1) { id } __typename }`, nil,
		`{"data":{"delete_author_by_pk":null,"__typename":"mutation_root"}}`)
	// A missing session variable.
	expectMut(t, e, user("user", ""), `mutation { delete_author(where: {}) { affected_rows } }`, nil,
		`{"errors":[{"extensions":{"path":"$","code":"not-found"},"message":"missing session variable: \"x-hasura-user-id\""}]}`)
	if n := count(t, pool, "author"); n != 1 {
		t.Fatalf("authors left: %d", n)
	}
}

// TestMutationConcurrentUpserts runs 50 clients upserting the same keys at
// once: every request succeeds, each key has one row, and every client's
// own insert is kept.
func TestMutationConcurrentUpserts(t *testing.T) {
	e, pool := newMutationFixture(t)
	const q = `mutation($objs: [users_insert_input!]!, $g: Int!) {
	  insert_users(objects: $objs, on_conflict: {constraint: users_pkey, update_columns: [userName]}) { affected_rows }
	  insert_log_one(object: {g: $g}) { id }
	}`
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var objs []map[string]any
			for k := 0; k < 5; k++ {
				objs = append(objs, map[string]any{"userId": fmt.Sprintf("k%d", k), "userName": fmt.Sprintf("g%d", i)})
			}
			_, body := gql(t, e, admin, q, map[string]any{"objs": objs, "g": i})
			if !strings.Contains(strings.ReplaceAll(body, " ", ""), `"affected_rows":5`) {
				errs <- body
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for b := range errs {
		t.Errorf("upsert failed: %s", b)
	}
	if n := count(t, pool, "users"); n != 5 {
		t.Fatalf("users rows: %d, want 5", n)
	}
	var logs, distinct int
	if err := pool.QueryRow(context.Background(), "select count(*), count(distinct g) from log").Scan(&logs, &distinct); err != nil {
		t.Fatal(err)
	}
	if logs != 50 || distinct != 50 {
		t.Fatalf("log rows %d (distinct %d), want 50", logs, distinct)
	}
}
