package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

const backendOnlySQL = `
create table note (id serial primary key, body text not null, owner text);
insert into note (body, owner) values ('n1', 'a');
`

const backendOnlyMetadata = `{
  "name": "default", "kind": "postgres",
  "tables": [
    {"table": {"schema": "public", "name": "note"},
     "select_permissions": [{"role": "user", "permission": {"columns": ["id", "body"], "filter": {}}}],
     "insert_permissions": [{"role": "user", "permission": {"columns": ["body"], "check": {}, "backend_only": true}}],
     "update_permissions": [{"role": "user", "permission": {"columns": ["body"], "filter": {}}}],
     "delete_permissions": [{"role": "user", "permission": {"filter": {}, "backend_only": true}}]}
  ]
}`

// TestBackendOnly checks that backend_only mutations exist only for
// requests using backend-only permissions, and that the two kinds of
// request do not share cached plans.
func TestBackendOnly(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, backendOnlySQL)
	e := New(pool, Options{})
	update(t, e, pool, backendOnlyMetadata)
	front := user("user", "1")
	back := user("user", "1")
	back.BackendOnly = true
	const ins = `mutation { insert_note_one(object: {body: "n2"}) { id body } }`
	expectMut(t, e, front, ins, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_note_one","code":"validation-failed"},"message":"field \"insert_note_one\" not found in type: 'mutation_root'"}]}`)
	expectMut(t, e, back, ins, nil, `{"data":{"insert_note_one":{"id":2,"body":"n2"}}}`)
	expectMut(t, e, front, ins, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_note_one","code":"validation-failed"},"message":"field \"insert_note_one\" not found in type: 'mutation_root'"}]}`)
	// Permissions that are not backend_only stay available to both.
	const upd = `mutation { update_note(where: {}, _set: {body: "x"}) { affected_rows } }`
	expectMut(t, e, front, upd, nil, `{"data":{"update_note":{"affected_rows":2}}}`)
	expectMut(t, e, back, upd, nil, `{"data":{"update_note":{"affected_rows":2}}}`)
	expectMut(t, e, back, `mutation { delete_note_by_pk(id: 2) { id } }`, nil, `{"data":{"delete_note_by_pk":{"id":2}}}`)
	// Introspection differs as well.
	expectMut(t, e, front, `{ __type(name: "mutation_root") { fields { name } } }`, nil,
		`{"data":{"__type":{"fields":[{"name":"update_note"},{"name":"update_note_by_pk"},{"name":"update_note_many"}]}}}`)
}

const inheritedSQL = `
create table dept (id int primary key);
insert into dept values (1), (2);
create table emp (id int primary key, name text not null, salary int not null, dept int not null references dept(id));
create function emp_bonus(e emp) returns int language sql stable as $$ select e.salary / 10 $$;
insert into emp values (1, 'a', 100, 1), (2, 'b', 200, 2), (3, 'c', 300, 1);
`

const inheritedMetadata = `{
  "name": "default", "kind": "postgres",
  "tables": [
    {"table": {"schema": "public", "name": "dept"},
     "array_relationships": [{"name": "emps", "using": {"foreign_key_constraint_on": {"table": "emp", "column": "dept"}}}],
     "select_permissions": [
       {"role": "staff", "permission": {"columns": ["id"], "filter": {}}},
       {"role": "manager", "permission": {"columns": ["id"], "filter": {}}}
     ]},
    {"table": {"schema": "public", "name": "emp"},
     "computed_fields": [{"name": "bonus", "definition": {"function": {"schema": "public", "name": "emp_bonus"}}}],
     "select_permissions": [
       {"role": "staff", "permission": {"columns": ["id", "name"], "filter": {"id": {"_lt": 3}}, "allow_aggregations": true}},
       {"role": "manager", "permission": {"columns": ["id", "name", "salary"], "computed_fields": ["bonus"], "filter": {"dept": {"_eq": "X-Hasura-Dept"}}, "allow_aggregations": true}}
     ],
     "insert_permissions": [
       {"role": "staff", "permission": {"columns": ["id", "name", "salary", "dept"], "check": {}}},
       {"role": "manager", "permission": {"columns": ["dept", "salary", "name", "id"], "check": {}}}
     ]}
  ]
}`

// TestInheritedRoleNullsColumns checks Hasura's rule for inherited roles:
// a column only some parents grant is null on the rows visible only
// through the other parents, in objects and in aggregates.
func TestInheritedRoleNullsColumns(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, inheritedSQL)
	e := New(pool, Options{})
	cat, err := catalog.Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var src metadata.Source
	if err := json.Unmarshal([]byte(inheritedMetadata), &src); err != nil {
		t.Fatal(err)
	}
	e.Update(cat, &src, []*metadata.InheritedRole{{RoleName: "both", RoleSet: []string{"staff", "manager"}}})
	s := session.Session{Role: "both", Vars: map[string]string{"x-hasura-role": "both", "x-hasura-dept": "1"}}
	// Row 2 is visible through staff only: no salary, no bonus. Row 3
	// through manager only, row 1 through both.
	expect(t, e, s, `{ emp(order_by: {id: asc}) { id name salary bonus } }`, nil,
		`{"data":{"emp":[
		  {"id":1,"name":"a","salary":100,"bonus":10},
		  {"id":2,"name":"b","salary":null,"bonus":null},
		  {"id":3,"name":"c","salary":300,"bonus":30}]}}`)
	expect(t, e, s, `{ emp_by_pk(id: 2) { id salary } emp_aggregate { aggregate { count sum { salary } max { salary } n: count(columns: salary) }  nodes { salary } } }`, nil,
		`{"data":{"emp_by_pk":{"id":2,"salary":null},"emp_aggregate":{"aggregate":{"count":3,"sum":{"salary":400},"max":{"salary":300},"n":2},"nodes":[{"salary":100},{"salary":null},{"salary":300}]}}}`)
	// Filters and orderings see the column as null where it is hidden, so
	// they reveal nothing of it.
	expect(t, e, s, `{ a: emp(where: {salary: {_gte: 200}}) { id } b: emp(where: {salary: {_is_null: true}}) { id }
	  c: emp(where: {_not: {salary: {_lt: 150}}}) { id } d: emp(where: {bonus: {_gt: 15}}) { id }
	  e: emp(order_by: {salary: desc}) { id } f: emp(distinct_on: salary, order_by: {salary: asc}) { id } }`, nil,
		`{"data":{"a":[{"id":3}],"b":[{"id":2}],"c":[{"id":3}],"d":[{"id":3}],"e":[{"id":2},{"id":3},{"id":1}],"f":[{"id":1},{"id":3},{"id":2}]}}`)
	expect(t, e, s, `{ emp(order_by: {bonus: desc}) { id } dept(order_by: {emps_aggregate: {max: {salary: desc}}}) { id } }`, nil,
		`{"data":{"emp":[{"id":2},{"id":3},{"id":1}],"dept":[{"id":2},{"id":1}]}}`)
	// So do aggregate predicates.
	expect(t, e, s, `{ a: dept(where: {emps_aggregate: {count: {arguments: [salary], predicate: {_eq: 1}}}}) { id }
	  b: dept(where: {emps_aggregate: {count: {predicate: {_eq: 1}}}}) { id } }`, nil,
		`{"data":{"a":[],"b":[{"id":2}]}}`)
	// Mutation results follow the same rule (both parents insert alike, so
	// the inherited role may insert).
	expect(t, e, s, `mutation { a: insert_emp_one(object: {id: 4, name: "d", salary: 400, dept: 2}) { id salary bonus }
	  b: insert_emp(objects: [{id: 5, name: "e", salary: 500, dept: 1}]) { returning { id salary } } }`, nil,
		`{"data":{"a":{"id":4,"salary":null,"bonus":null},"b":{"returning":[{"id":5,"salary":500}]}}}`)
	pgtest.Exec(t, pool, `delete from emp where id > 3`)
	// The manager's session variable decides visibility at execution.
	s.Vars["x-hasura-dept"] = "2"
	expect(t, e, s, `{ emp(order_by: {id: asc}) { id name salary bonus } }`, nil,
		`{"data":{"emp":[
		  {"id":1,"name":"a","salary":null,"bonus":null},
		  {"id":2,"name":"b","salary":200,"bonus":20}]}}`)
}

// TestMutationPlanCache checks that a repeated mutation reuses its plan,
// and that variables deciding the plan's shape get plans of their own.
func TestMutationPlanCache(t *testing.T) {
	e, pool := newMutationFixture(t)
	const sync = `mutation($userId: String!, $userName: String) {
	  insert_users_one(object: {userId: $userId, userName: $userName}, on_conflict: {constraint: users_pkey, update_columns: userName}) { userId userName }
	}`
	for i, name := range []string{"Ada", "Ada L.", "Grace"} {
		expectMut(t, e, admin, sync, map[string]any{"userId": "auth0|1", "userName": name},
			`{"data":{"insert_users_one":{"userId":"auth0|1","userName":"`+name+`"}}}`)
		if st := e.Stats(); st.Parses != 1 || st.Plans != 1 || st.Hits != int64(i) {
			t.Fatalf("after %d requests: %+v", i+1, st)
		}
	}
	// An absent variable leaves the column to its default: another plan.
	expectMut(t, e, admin, sync, map[string]any{"userId": "auth0|2"},
		`{"data":{"insert_users_one":{"userId":"auth0|2","userName":null}}}`)
	if st := e.Stats(); st.Plans != 2 {
		t.Fatalf("absent variable: %+v", st)
	}
	// A whole input object as a variable: its keys shape the plan.
	const ins = `mutation($o: [author_insert_input!]!) { insert_author(objects: $o) { affected_rows returning { name rating } } }`
	expectMut(t, e, admin, ins, map[string]any{"o": []any{map[string]any{"name": "X1"}}},
		`{"data":{"insert_author":{"affected_rows":1,"returning":[{"name":"X1","rating":0}]}}}`)
	expectMut(t, e, admin, ins, map[string]any{"o": []any{map[string]any{"name": "X2", "rating": 3}, map[string]any{"name": "X3"}}},
		`{"data":{"insert_author":{"affected_rows":2,"returning":[{"name":"X2","rating":3},{"name":"X3","rating":0}]}}}`)
	expectMut(t, e, admin, ins, map[string]any{"o": []any{map[string]any{"name": "X4"}}},
		`{"data":{"insert_author":{"affected_rows":1,"returning":[{"name":"X4","rating":0}]}}}`)
	if n := count(t, pool, "author where name like 'X%'"); n != 4 {
		t.Fatalf("%d rows", n)
	}
	// Permission checks still run on every request served by a cached plan.
	u := user("user", "1")
	const bad = `mutation($n: String!) { insert_author_one(object: {name: $n}) { name } }`
	expectMut(t, e, u, bad, map[string]any{"n": "U9"}, `{"data":{"insert_author_one":{"name":"U9"}}}`)
	expectMut(t, e, u, bad, map[string]any{"n": "Z9"},
		`{"errors":[{"extensions":{"path":"$.selectionSet.insert_author_one.args.object","code":"permission-error"},"message":"Check constraint violation. insert check constraint failed"}]}`)
}

// TestAdminInternalErrors checks that admins see the internal details of
// database errors when AdminInternalErrors is set, and other roles never.
func TestAdminInternalErrors(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `
create table boom (id int primary key);
create function boom() returns trigger language plpgsql as $$ begin raise exception 'boom'; end $$;
create trigger boom before insert on boom for each row execute function boom();`)
	const md = `{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "boom"},
	  "select_permissions": [{"role": "user", "permission": {"columns": ["id"], "filter": {}}}],
	  "insert_permissions": [{"role": "user", "permission": {"columns": ["id"], "check": {}}}]}]}`
	const ins = `mutation { insert_boom_one(object: {id: 1}) { id } }`
	for _, on := range []bool{true, false} {
		e := New(pool, Options{AdminInternalErrors: on})
		update(t, e, pool, md)
		_, got := gql(t, e, admin, ins, nil)
		if !strings.Contains(got, `"database query error"`) || strings.Contains(got, `"internal"`) != on {
			t.Errorf("admin, AdminInternalErrors=%v: %s", on, got)
		}
		_, got = gql(t, e, user("user", "1"), ins, nil)
		if !strings.Contains(got, `"database query error"`) || strings.Contains(got, `"internal"`) {
			t.Errorf("user, AdminInternalErrors=%v: %s", on, got)
		}
	}
}

const computedSetSQL = `
create table writer (id int primary key, name text not null);
create table post (id int primary key, writer_id int not null references writer(id), published boolean not null);
create function writer_posts(w writer) returns setof post language sql stable as $$ select * from post where writer_id = w.id $$;
insert into writer values (1, 'w1'), (2, 'w2'), (3, 'w3');
insert into post values (1, 1, true), (2, 2, false), (3, 3, true), (4, 1, false);
`

const computedSetMetadata = `{
  "name": "default", "kind": "postgres",
  "tables": [
    {"table": {"schema": "public", "name": "writer"},
     "computed_fields": [{"name": "posts", "definition": {"function": {"schema": "public", "name": "writer_posts"}}}],
     "select_permissions": [{"role": "reader", "permission": {"columns": ["id", "name"], "computed_fields": ["posts"],
       "filter": {"posts": {"published": {"_eq": true}}}}}]},
    {"table": {"schema": "public", "name": "post"},
     "select_permissions": [{"role": "reader", "permission": {"columns": ["id", "published"], "filter": {"writer_id": {"_neq": 3}}}}]}
  ]
}`

// TestFilterThroughComputedSet checks filters through computed fields
// returning SETOF a table, in permission rules and in where arguments
// (where the returned table's own permission applies).
func TestFilterThroughComputedSet(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, computedSetSQL)
	e := New(pool, Options{})
	update(t, e, pool, computedSetMetadata)
	r := user("reader", "1")
	// The permission rule: writers with a published post (post 3 counts
	// here: rules see every row).
	expect(t, e, r, `{ writer(order_by: {id: asc}) { id } }`, nil, `{"data":{"writer":[{"id":1},{"id":3}]}}`)
	// A where argument sees only the posts the role may select.
	expect(t, e, r, `{ writer(where: {posts: {published: {_eq: true}}}) { id } }`, nil, `{"data":{"writer":[{"id":1}]}}`)
	expect(t, e, admin, `{ writer(where: {posts: {id: {_eq: 2}}}) { id } w: writer(where: {_not: {posts: {}}}) { id } }`, nil,
		`{"data":{"writer":[{"id":2}],"w":[]}}`)
	// Ordering by an aggregate of a computed field's rows, which the
	// returned table's permission filters too.
	expect(t, e, admin, `{ a: writer(order_by: [{posts_aggregate: {count: desc}}, {id: asc}]) { id } b: writer(order_by: {posts_aggregate: {max: {id: desc}}}) { id } }`, nil,
		`{"data":{"a":[{"id":1},{"id":2},{"id":3}],"b":[{"id":1},{"id":3},{"id":2}]}}`)
	expect(t, e, r, `{ writer(order_by: {posts_aggregate: {max: {id: desc}}}) { id } }`, nil, `{"data":{"writer":[{"id":3},{"id":1}]}}`)
}
