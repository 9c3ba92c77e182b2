package engine

import (
	"testing"

	"github.com/postgate/postgate/internal/pgtest"
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
