package engine

import (
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

const functionsSQL = `
create function author_full_name(a author) returns text language sql stable as $$ select a.name || ' (' || a.id || ')' $$;
create function author_recent(a author, n int) returns setof article language sql stable as $$
  select * from article where author_id = a.id order by id desc limit n $$;
create function search_articles(search text) returns setof article language sql stable as $$
  select * from article where title ilike '%' || search || '%' $$;
create function my_articles(hasura_session json) returns setof article language sql stable as $$
  select * from article where author_id = (hasura_session ->> 'x-hasura-user-id')::int $$;
`

func TestFunctionsAndComputedFields(t *testing.T) {
	e, pool := newFixture(t, Options{})
	pgtest.Exec(t, pool, functionsSQL)
	md := strings.Replace(fixtureMetadata, `"array_relationships": [`, `"computed_fields": [
	    {"name": "full_name", "definition": {"function": "author_full_name"}},
	    {"name": "recent", "definition": {"function": "author_recent"}}
	  ],
	  "array_relationships": [`, 1)
	md = strings.Replace(md, `"tables": [`, `"functions": [
	  {"function": "search_articles"},
	  {"function": "my_articles", "configuration": {"session_argument": "hasura_session"}}
	], "tables": [`, 1)
	update(t, e, pool, md)
	admin := session.Admin()
	expect(t, e, admin, `{ author(where: {id: {_eq: 1}}) { full_name recent(args: {n: 1}) { id } } }`, nil,
		`{"data":{"author":[{"full_name":"Author 1 (1)","recent":[{"id":2}]}]}}`)
	expect(t, e, admin, `query($s: String!) { search_articles(args: {search: $s}, order_by: {id: desc}) { id } }`, map[string]any{"s": "le 3"},
		`{"data":{"search_articles":[{"id":3}]}}`)
	expect(t, e, admin, `{ search_articles_aggregate(args: {search: "article"}) { aggregate { count } } }`, nil,
		`{"data":{"search_articles_aggregate":{"aggregate":{"count":4}}}}`)
	s := session.Admin()
	s.Vars["x-hasura-user-id"] = "2"
	expect(t, e, s, `{ my_articles(order_by: {id: asc}) { id } }`, nil,
		`{"data":{"my_articles":[{"id":3},{"id":4}]}}`)
	// Role user reads the function's rows through its article permission.
	expect(t, e, user("user", "1"), `{ search_articles(args: {search: "article"}, order_by: {id: asc}) { id } }`, nil,
		`{"data":{"search_articles":[{"id":1},{"id":2},{"id":3}]}}`)
}

func TestAggregatePredicatesAndInheritedRoles(t *testing.T) {
	e, _ := newFixture(t, Options{})
	expect(t, e, session.Admin(), `{ author(where: {articles_aggregate: {count: {predicate: {_gt: 1}, filter: {published: {_eq: true}}}}}) { id } }`, nil,
		`{"data":{"author":[]}}`)
	expect(t, e, session.Admin(), `{ author(where: {articles_aggregate: {count: {predicate: {_eq: 2}}}}, order_by: {id: asc}) { id } }`, nil,
		`{"data":{"author":[{"id":1},{"id":2}]}}`)
	// An inherited role sees the union of its parents' rows.
	cat := e.state.Load().cat
	src := e.state.Load().src
	e.Update(cat, src, []*metadata.InheritedRole{{RoleName: "both", RoleSet: []string{"user", "self"}}})
	expect(t, e, user("both", "2"), `{ article(order_by: {id: asc}) { id } }`, nil,
		`{"data":{"article":[{"id":1},{"id":3},{"id":4}]}}`)
}
