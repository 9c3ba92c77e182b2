package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

const fixtureSQL = `
create table author (
  id serial primary key,
  name text unique,
  remarks text,
  created_at timestamptz not null default '2020-01-01T10:00:00Z',
  big bigint default 9007199254740993
);
create table article (
  id serial primary key,
  title text not null,
  content text,
  author_id int references author(id),
  published boolean not null default false,
  rating numeric,
  tags jsonb
);
create table secret (id int primary key, owner_id int);
insert into author (name, remarks) values ('Author 1', 'r1'), ('Author 2', 'r2'), ('Author 3', null);
insert into article (title, content, author_id, published, rating, tags) values
  ('Article 1', 'Content 1', 1, true, 4.5, '{"a": 1}'),
  ('Article 2', 'Content 2', 1, false, 3, '{"b": [1, 2]}'),
  ('Article 3', 'Content 3', 2, true, null, null),
  ('Article 4', 'Content 4', 2, false, 5, '{"a": 2}');
insert into secret values (1, 1), (2, 2);
`

const fixtureMetadata = `{
  "name": "default", "kind": "postgres",
  "tables": [
    {
      "table": {"schema": "public", "name": "author"},
      "array_relationships": [
        {"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}
      ],
      "select_permissions": [
        {"role": "user", "permission": {"columns": ["id", "name", "created_at"], "filter": {}, "allow_aggregations": true}},
        {"role": "self", "permission": {"columns": ["id", "name"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}
      ]
    },
    {
      "table": {"schema": "public", "name": "article"},
      "object_relationships": [
        {"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}
      ],
      "select_permissions": [
        {"role": "user", "permission": {
          "columns": ["id", "title", "author_id", "published"],
          "filter": {"_or": [{"published": {"_eq": true}}, {"author_id": {"_eq": "X-Hasura-User-Id"}}]},
          "limit": 10,
          "allow_aggregations": true
        }},
        {"role": "self", "permission": {"columns": ["id", "title"], "filter": {"author": {"id": {"_eq": "x-hasura-user-id"}}}, "limit": 1}}
      ]
    },
    {"table": {"schema": "public", "name": "secret"},
     "select_permissions": [
       {"role": "user", "permission": {"columns": ["id"], "filter": {"_exists": {"_table": "author", "_where": {"id": {"_eq": "X-Hasura-User-Id"}, "name": {"_eq": "Author 1"}}}}}}
     ]}
  ]
}`

// newFixture creates the fixture tables on a fresh database and returns an
// engine serving them.
func newFixture(t testing.TB, o Options) (*Engine, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, fixtureSQL)
	e := New(pool, o)
	update(t, e, pool, fixtureMetadata)
	return e, pool
}

func update(t testing.TB, e *Engine, pool *pgxpool.Pool, src string) {
	t.Helper()
	cat, err := catalog.Load(context.Background(), pool)
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	var s metadata.Source
	if err := json.Unmarshal([]byte(src), &s); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	e.Update(cat, &s, nil)
}

func user(role, id string) session.Session {
	s := session.Session{Role: role, Vars: map[string]string{"x-hasura-role": role}}
	if id != "" {
		s.Vars["x-hasura-user-id"] = id
	}
	return s
}

// gql runs a query and returns the status and body.
func gql(t testing.TB, e *Engine, s session.Session, query string, vars map[string]any) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	st, b := e.Execute(context.Background(), s, body, false)
	return st, string(b)
}

// expect runs a query and compares the JSON response with want.
func expect(t *testing.T, e *Engine, s session.Session, query string, vars map[string]any, want string) {
	t.Helper()
	st, got := gql(t, e, s, query, vars)
	if st != 200 {
		t.Fatalf("status %d: %s", st, got)
	}
	if want == "" {
		if strings.Contains(got, `"errors"`) {
			t.Fatalf("unexpected error: %s", got)
		}
		return
	}
	jsonEq(t, got, want)
}

func jsonEq(t testing.TB, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, []byte(got), "", "  ")
		t.Fatalf("response mismatch\n got: %s\nwant: %s", pretty.String(), want)
	}
}
