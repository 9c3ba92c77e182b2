package engine

import (
	"testing"

	"github.com/postgate/postgate/internal/session"
)

func TestSelectionFeatures(t *testing.T) {
	e, _ := newFixture(t, Options{})
	admin := session.Admin()
	cases := []struct {
		name, query, want string
		vars              map[string]any
	}{
		{"aliases and typename",
			`{ a: author(where: {id: {_eq: 1}}) { __typename ident: id name } t: __typename }`,
			`{"data":{"a":[{"__typename":"author","ident":1,"name":"Author 1"}],"t":"query_root"}}`, nil},
		{"fragments, inline fragments and merged fields",
			`query { author(where: {id: {_eq: 2}}) { ...A ... on author { name } id } }
			 fragment A on author { id articles(order_by: {id: asc}) { ...B } articles(order_by: {id: asc}) { id } }
			 fragment B on article { title }`,
			`{"data":{"author":[{"id":2,"articles":[{"title":"Article 3","id":3},{"title":"Article 4","id":4}],"name":"Author 2"}]}}`, nil},
		{"skip and include",
			`query($yes: Boolean!) { author(where: {id: {_eq: 1}}) { id @skip(if: true) name @include(if: $yes) remarks @include(if: false) } }`,
			`{"data":{"author":[{"name":"Author 1"}]}}`, map[string]any{"yes": true}},
		{"by_pk and by_pk null",
			`{ one: author_by_pk(id: 1) { name } none: author_by_pk(id: 99) { name } }`,
			`{"data":{"one":{"name":"Author 1"},"none":null}}`, nil},
		{"order_by through an object relationship, desc nulls",
			`{ article(order_by: [{author: {name: desc}}, {id: asc}]) { id } }`,
			`{"data":{"article":[{"id":3},{"id":4},{"id":1},{"id":2}]}}`, nil},
		{"order_by an array relationship aggregate",
			`{ author(order_by: [{articles_aggregate: {count: asc}}, {id: desc}]) { id } }`,
			`{"data":{"author":[{"id":3},{"id":2},{"id":1}]}}`, nil},
		{"order_by max of an array relationship",
			`{ author(order_by: {articles_aggregate: {max: {id: desc_nulls_last}}}) { id } }`,
			`{"data":{"author":[{"id":2},{"id":1},{"id":3}]}}`, nil},
		{"where through relationships and boolean operators",
			`{ author(where: {_or: [{articles: {title: {_ilike: "%article 3%"}}}, {_not: {articles: {}}}]}, order_by: {id: asc}) { id } }`,
			`{"data":{"author":[{"id":2},{"id":3}]}}`, nil},
		{"in, is_null and jsonb",
			`{ a: article(where: {id: {_in: [1, 2, 3]}, rating: {_is_null: false}}, order_by: {id: asc}) { id }
			   b: article(where: {tags: {_has_key: "a"}}, order_by: {id: asc}) { id }
			   c: article(where: {tags: {_contains: {b: [1, 2]}}}) { id } }`,
			`{"data":{"a":[{"id":1},{"id":2}],"b":[{"id":1},{"id":4}],"c":[{"id":2}]}}`, nil},
		{"limit, offset and distinct_on",
			`{ a: article(order_by: {id: asc}, limit: 2, offset: 1) { id }
			   b: article(distinct_on: author_id, order_by: [{author_id: asc}, {id: desc}]) { id }
			   c: article(limit: null, order_by: {id: desc}) { id } }`,
			`{"data":{"a":[{"id":2},{"id":3}],"b":[{"id":2},{"id":4}],"c":[{"id":4},{"id":3},{"id":2},{"id":1}]}}`, nil},
		{"offset as a string, also through a fragment",
			`{ a: article(order_by: {id: desc}, limit: 1, offset: "1") { id } ...f }
			 fragment f on query_root { b: article(order_by: {id: asc}, offset: "3") { id } }`,
			`{"data":{"a":[{"id":3}],"b":[{"id":4}]}}`, nil},
		{"offset from an Int variable holding a string",
			`query($o: Int) { article(order_by: {id: asc}, offset: $o) { id } }`,
			`{"data":{"article":[{"id":3},{"id":4}]}}`, map[string]any{"o": "2"}},
		{"aggregates with nodes and relationship aggregates",
			`{ article_aggregate(where: {author_id: {_eq: 1}}) { aggregate { count max { id title } sum { id } } nodes { id } }
			   author(where: {id: {_eq: 2}}) { articles_aggregate { aggregate { count(columns: rating) } } } }`,
			`{"data":{"article_aggregate":{"aggregate":{"count":2,"max":{"id":2,"title":"Article 2"},"sum":{"id":3}},"nodes":[{"id":1},{"id":2}]},
			  "author":[{"articles_aggregate":{"aggregate":{"count":1}}}]}}`, nil},
		{"object relationship and values",
			`{ article_by_pk(id: 1) { author { name created_at } rating tags } }`,
			`{"data":{"article_by_pk":{"author":{"name":"Author 1","created_at":"2020-01-01T10:00:00+00:00"},"rating":4.5,"tags":{"a":1}}}}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, e, admin, c.query, c.vars, c.want)
		})
	}
}

func TestStringifyNumeric(t *testing.T) {
	e, _ := newFixture(t, Options{StringifyNumeric: true})
	expect(t, e, session.Admin(), `{ author_by_pk(id: 1) { id big } article_by_pk(id: 1) { rating } }`, nil,
		`{"data":{"author_by_pk":{"id":1,"big":"9007199254740993"},"article_by_pk":{"rating":"4.5"}}}`)
}
