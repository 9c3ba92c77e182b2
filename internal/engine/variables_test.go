package engine

import (
	"encoding/json"
	"testing"

	"github.com/postgate/postgate/internal/session"
)

func TestLeafVariablesShareOnePlan(t *testing.T) {
	e, _ := newFixture(t, Options{})
	q := `query($id: Int!, $n: Int) { author(where: {id: {_eq: $id}}, limit: $n) { name } }`
	expect(t, e, session.Admin(), q, map[string]any{"id": 1}, `{"data":{"author":[{"name":"Author 1"}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"id": 2, "n": 1}, `{"data":{"author":[{"name":"Author 2"}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"id": 3, "n": nil}, `{"data":{"author":[{"name":"Author 3"}]}}`)
	st := e.Stats()
	if st.Parses != 1 || st.Plans != 1 || st.Hits != 2 {
		t.Fatalf("want 1 parse, 1 plan, 2 hits; got %+v", st)
	}
}

func TestShapeVariables(t *testing.T) {
	e, _ := newFixture(t, Options{})
	q := `query($w: author_bool_exp, $o: [author_order_by!], $skip: Boolean!) {
	  author(where: $w, order_by: $o) { id name @skip(if: $skip) } }`
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"id": map[string]any{"_gt": 1}}, "o": []any{map[string]any{"id": "desc"}}, "skip": true},
		`{"data":{"author":[{"id":3},{"id":2}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"id": map[string]any{"_lt": 3}}, "o": map[string]any{"id": "asc"}, "skip": false},
		`{"data":{"author":[{"id":1,"name":"Author 1"},{"id":2,"name":"Author 2"}]}}`)
	// The same shape values again reuse the second plan.
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"id": map[string]any{"_lt": 3}}, "o": map[string]any{"id": "asc"}, "skip": false},
		`{"data":{"author":[{"id":1,"name":"Author 1"},{"id":2,"name":"Author 2"}]}}`)
	st := e.Stats()
	if st.Parses != 1 || st.Plans != 2 || st.Hits != 1 {
		t.Fatalf("want 1 parse, 2 plans, 1 hit; got %+v", st)
	}
}

func TestVariableRules(t *testing.T) {
	e, _ := newFixture(t, Options{})
	admin := session.Admin()
	// An absent variable omits its comparison; a present one binds it.
	q := `query($id: Int) { author(where: {id: {_eq: $id}}, order_by: {id: asc}) { id } }`
	expect(t, e, admin, q, nil, `{"data":{"author":[{"id":1},{"id":2},{"id":3}]}}`)
	expect(t, e, admin, q, map[string]any{"id": 2}, `{"data":{"author":[{"id":2}]}}`)
	expect(t, e, admin, q, map[string]any{"id": nil},
		`{"errors":[{"extensions":{"path":"$.selectionSet.author.args.where.id._eq","code":"validation-failed"},"message":"unexpected null value for type 'Int'"}]}`)
	// Defaults apply.
	expect(t, e, admin, `query($n: Int! = 1) { author(limit: $n, order_by: {id: asc}) { id } }`, map[string]any{},
		`{"data":{"author":[{"id":1}]}}`)
	expect(t, e, admin, `query($limit: Int! = 1) { author(limit: $limit, order_by: {id: asc}) { id } }`, map[string]any{"limit": nil},
		`{"data":{"author":[{"id":1}]}}`)
	// Non-null variables.
	expect(t, e, admin, `query($id: Int!) { author(where: {id: {_eq: $id}}) { id } }`, map[string]any{"id": nil},
		`{"errors":[{"extensions":{"path":"$.selectionSet.author.args.where.id._eq","code":"validation-failed"},"message":"unexpected null value for type 'Int'"}]}`)
	expect(t, e, admin, `query($id: Int!) { author(where: {id: {_eq: $id}}) { id } }`, nil,
		`{"errors":[{"extensions":{"path":"$.variableValues","code":"validation-failed"},"message":"expecting a value for non-nullable variable: \"id\""}]}`)
	// Negative limits.
	expect(t, e, admin, `{ article(limit: -1) { id } }`, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.article.args.limit","code":"not-supported"},"message":"unexpected negative value"}]}`)
	expect(t, e, admin, `query($l: Int) { article(limit: $l) { id } }`, map[string]any{"l": -2},
		`{"errors":[{"extensions":{"path":"$.selectionSet.article.args.limit","code":"not-supported"},"message":"unexpected negative value"}]}`)
	// Type mismatches and unknown variables.
	expect(t, e, admin, `query($limit: String) { author(limit: $limit) { id } }`, map[string]any{"limit": "1"},
		`{"errors":[{"extensions":{"path":"$.selectionSet.author.args.limit","code":"validation-failed"},"message":"variable \"limit\" is declared as String, but used where Int is expected"}]}`)
	expect(t, e, admin, `query { author { id } }`, map[string]any{"x": 1},
		`{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"unexpected variables in variableValues: x"}]}`)
	// Declared but unused variables may not carry values either; used
	// ones may, through fragments too.
	expect(t, e, admin, `query($x: Int) { author { id } }`, map[string]any{"x": 1},
		`{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"unexpected variables in variableValues: x"}]}`)
	expect(t, e, admin, `query($x: Int) { author { ...F } } fragment F on author { id @skip(if: false) articles(limit: $x) { id } }`, map[string]any{"x": 0},
		`{"data":{"author":[{"id":1,"articles":[]},{"id":2,"articles":[]},{"id":3,"articles":[]}]}}`)
}

func TestListAndJSONVariables(t *testing.T) {
	e, _ := newFixture(t, Options{})
	admin := session.Admin()
	expect(t, e, admin, `query($ids: [Int!], $j: jsonb, $k: String!) {
	  a: article(where: {id: {_in: $ids}}, order_by: {id: asc}) { id }
	  b: article(where: {tags: {_contains: $j}}) { id }
	  c: article(where: {tags: {_has_key: $k}}, order_by: {id: asc}) { id tags(path: "a") } }`,
		map[string]any{"ids": []any{2, 4}, "j": map[string]any{"b": []any{1}}, "k": "a"},
		`{"data":{"a":[{"id":2},{"id":4}],"b":[{"id":2}],"c":[{"id":1,"tags":1},{"id":4,"tags":2}]}}`)
	// A single value where a list is expected is a list of one.
	expect(t, e, admin, `query($ids: [Int!]) { article(where: {id: {_in: $ids}}) { id } }`, map[string]any{"ids": 3},
		`{"data":{"article":[{"id":3}]}}`)
}

func TestDefaultedLeafVariableSharesOnePlan(t *testing.T) {
	e, _ := newFixture(t, Options{})
	q := `query($id: Int = 1) { author(where: {id: {_eq: $id}}) { id } }`
	expect(t, e, session.Admin(), q, nil, `{"data":{"author":[{"id":1}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"id": 2}, `{"data":{"author":[{"id":2}]}}`)
	expect(t, e, session.Admin(), q, nil, `{"data":{"author":[{"id":1}]}}`)
	if st := e.Stats(); st.Plans != 1 || st.Hits != 2 {
		t.Fatalf("want 1 plan and 2 hits, got %+v", st)
	}
}

func TestObjectVariablesBindTheirScalars(t *testing.T) {
	e, _ := newFixture(t, Options{})
	q := `query($w: article_bool_exp!) { article(where: $w, order_by: {id: asc}) { id } }`
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"author_id": map[string]any{"_eq": 1}}},
		`{"data":{"article":[{"id":1},{"id":2}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"author_id": map[string]any{"_eq": 2}}},
		`{"data":{"article":[{"id":3},{"id":4}]}}`)
	// Lists, jsonb objects and single values for lists inside the variable.
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"id": map[string]any{"_in": []any{1, 4}}}},
		`{"data":{"article":[{"id":1},{"id":4}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"id": map[string]any{"_in": []any{2, 3, 4}}}},
		`{"data":{"article":[{"id":2},{"id":3},{"id":4}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"id": map[string]any{"_in": 3}}},
		`{"data":{"article":[{"id":3}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"tags": map[string]any{"_contains": map[string]any{"a": 2}}}},
		`{"data":{"article":[{"id":4}]}}`)
	expect(t, e, session.Admin(), q, map[string]any{"w": map[string]any{"author_id": map[string]any{"_eq": nil}}},
		`{"errors":[{"extensions":{"path":"$.selectionSet.article.args.where.author_id._eq","code":"validation-failed"},"message":"unexpected null value for type 'Int'"}]}`)
	// One plan per structure: _eq (two values), _in (two lists), _in with
	// a single value (read into the plan), _contains, _eq with null.
	if st := e.Stats(); st.Plans != 5 || st.Hits != 2 {
		t.Fatalf("want 5 plans and 2 hits, got %+v", st)
	}
}

func TestVariableValueErrorsAsHasura(t *testing.T) {
	e, _ := newFixture(t, Options{})
	admin := session.Admin()
	cases := []struct {
		query, path, message string
		vars                 map[string]any
	}{
		{`query($n: Int) { author(limit: $n) { id } }`, "$.variableValues.n", `expected a 32-bit integer for type "Int", but found a string`, map[string]any{"n": "x"}},
		{`query($w: author_bool_exp) { author(where: $w) { id } }`, "$.variableValues.w.nope", `field "nope" not found in type: 'author_bool_exp'`, map[string]any{"w": map[string]any{"nope": 1}}},
		{`query($w: author_bool_exp) { author(where: $w) { id } }`, "$.variableValues.w.id._eq", `expected a 32-bit integer for type "Int", but found a string`, map[string]any{"w": map[string]any{"id": map[string]any{"_eq": "x"}}}},
		{`query($o: [author_order_by!]) { author(order_by: $o) { id } }`, "$.variableValues.o[0].id",
			`expected one of the values "asc", "asc_nulls_first", "asc_nulls_last", "desc", "desc_nulls_first", or "desc_nulls_last" for type "order_by", but found "up"`,
			map[string]any{"o": []any{map[string]any{"id": "up"}}}},
		{`query($w: author_bool_exp) { author(where: $w) { id } }`, "$.variableValues.w", `expected an object for type "author_bool_exp", but found a string`, map[string]any{"w": "x"}},
	}
	for _, c := range cases {
		_, got := gql(t, e, admin, c.query, c.vars)
		want, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"extensions": map[string]any{"path": c.path, "code": "validation-failed"}, "message": c.message}}})
		jsonEq(t, got, string(want))
	}
}
