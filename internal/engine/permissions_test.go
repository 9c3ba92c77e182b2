package engine

import (
	"testing"
)

func TestPermissions(t *testing.T) {
	e, _ := newFixture(t, Options{})
	// Row filter with a session variable: published articles plus the user's own.
	expect(t, e, user("user", "2"), `{ article(order_by: {id: asc}) { id } }`, nil,
		`{"data":{"article":[{"id":1},{"id":3},{"id":4}]}}`)
	// The filter applies through relationships and aggregates.
	expect(t, e, user("user", "2"), `{ author(order_by: {id: asc}) { id articles(order_by: {id: asc}) { id } articles_aggregate { aggregate { count } } } }`, nil,
		`{"data":{"author":[
		  {"id":1,"articles":[{"id":1}],"articles_aggregate":{"aggregate":{"count":1}}},
		  {"id":2,"articles":[{"id":3},{"id":4}],"articles_aggregate":{"aggregate":{"count":2}}},
		  {"id":3,"articles":[],"articles_aggregate":{"aggregate":{"count":0}}}]}}`)
	expect(t, e, user("user", "1"), `{ article_aggregate { aggregate { count } } article_by_pk(id: 4) { id } }`, nil,
		`{"data":{"article_aggregate":{"aggregate":{"count":3}},"article_by_pk":null}}`)
	// The filter applies to where through relationships and to order_by aggregates.
	expect(t, e, user("user", "1"), `{ author(where: {articles: {id: {_eq: 4}}}) { id } }`, nil,
		`{"data":{"author":[]}}`)
	// Filters through relationships in permission rules; limit 1.
	expect(t, e, user("self", "1"), `{ article(order_by: {id: desc}) { id } author { id } }`, nil,
		`{"data":{"article":[{"id":2}],"author":[{"id":1}]}}`)
	// _exists on an unrelated table.
	expect(t, e, user("user", "1"), `{ secret(order_by: {id: asc}) { id } }`, nil,
		`{"data":{"secret":[{"id":1},{"id":2}]}}`)
	expect(t, e, user("user", "2"), `{ secret { id } }`, nil, `{"data":{"secret":[]}}`)
}

func TestPermissionErrors(t *testing.T) {
	e, _ := newFixture(t, Options{})
	// Columns outside the permission are not in the role's schema.
	expect(t, e, user("user", "1"), `{ author { id remarks } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.author.selectionSet.remarks","code":"validation-failed"},"message":"field \"remarks\" not found in type: 'author'"}]}`)
	// No aggregations for role self.
	expect(t, e, user("self", "1"), `{ article_aggregate { aggregate { count } } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.article_aggregate","code":"validation-failed"},"message":"field \"article_aggregate\" not found in type: 'query_root'"}]}`)
	// A missing session variable.
	st, body := gql(t, e, user("user", ""), `{ article { id } }`, nil)
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	jsonEq(t, body, `{"errors":[{"extensions":{"path":"$","code":"not-found"},"message":"missing session variable: \"x-hasura-user-id\""}]}`)
	// A role without permissions sees no tables, only Hasura's placeholder.
	expect(t, e, user("nobody", "1"), `{ no_queries_available }`, nil,
		`{"data":{"no_queries_available":"There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."}}`)
	expect(t, e, user("nobody", "1"), `{ author { id } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.author","code":"validation-failed"},"message":"field \"author\" not found in type: 'query_root'"}]}`)
}
