package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/pg"
	"github.com/postgate/postgate/internal/session"
)

func TestValidationErrorsAsHasura(t *testing.T) {
	e, _ := newFixture(t, Options{})
	admin := session.Admin()
	cases := []struct{ name, query, want string }{
		{"unknown root field", `{ random { id } }`,
			`{"errors":[{"extensions":{"path":"$.selectionSet.random","code":"validation-failed"},"message":"field \"random\" not found in type: 'query_root'"}]}`},
		{"unknown nested field", `{ author { foo } }`,
			`{"errors":[{"extensions":{"path":"$.selectionSet.author.selectionSet.foo","code":"validation-failed"},"message":"field \"foo\" not found in type: 'author'"}]}`},
		{"unknown comparison operator", `{ author(where: {name: {_ne: "x"}}) { id } }`,
			`{"errors":[{"extensions":{"path":"$.selectionSet.author.args.where.name._ne","code":"validation-failed"},"message":"field \"_ne\" not found in type: 'String_comparison_exp'"}]}`},
		{"unknown directive", `{ author { id @exclude(if: true) name } }`,
			`{"errors":[{"extensions":{"path":"$.selectionSet.author.selectionSet","code":"validation-failed"},"message":"directive \"exclude\" is not defined in the schema"}]}`},
		{"duplicate directive", `{ author { id @include(if: true) @include(if: true) } }`,
			`{"errors":[{"extensions":{"path":"$.selectionSet.author.selectionSet","code":"validation-failed"},"message":"the following directives are used more than once: include"}]}`},
		{"misplaced directive", `query @include(if: true) { author { id } }`,
			`{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"directive \"include\" is not allowed on a query"}]}`},
		{"fragment cycle", `query { author { ...authorFragment } }
			fragment authorFragment on author { id articles { ...articleFragment } }
			fragment articleFragment on article { title author { ...authorFragment } }`,
			`{"errors":[{"extensions":{"path":"$.selectionSet.author.selectionSet.authorFragment.selectionSet.articles.selectionSet.articleFragment.selectionSet.author.selectionSet","code":"validation-failed"},"message":"cannot spread fragment \"authorFragment\" within itself via articleFragment,authorFragment"}]}`},
		{"parse error", `{ author { id }`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, got := gql(t, e, admin, c.query, nil)
			if st != 200 {
				t.Fatalf("status %d", st)
			}
			if c.want == "" {
				if !strings.Contains(got, `"code":"parse-failed"`) {
					t.Fatalf("want parse-failed, got %s", got)
				}
				return
			}
			jsonEq(t, got, c.want)
		})
	}
}

func TestMutationWithoutMutations(t *testing.T) {
	e, _ := newFixture(t, Options{})
	want := `{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"no mutations exist"}]}`
	expect(t, e, user("user", "1"), `mutation { foo }`, nil, want)
}

func TestLegacyStatus(t *testing.T) {
	e, _ := newFixture(t, Options{})
	st, _ := e.Execute(context.Background(), session.Admin(), []byte(`{"query":"{ random { id } }"}`), true)
	if st != 400 {
		t.Fatalf("legacy endpoint: want 400, got %d", st)
	}
}

func TestBatch(t *testing.T) {
	e, _ := newFixture(t, Options{})
	st, got := e.Execute(context.Background(), session.Admin(),
		[]byte(`[{"query":"query { does_not_exist { id } }"},{"query":"query { author(order_by: {id: asc}, limit: 2) { id } }"}]`), false)
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	jsonEq(t, string(got), `[
	  {"errors":[{"extensions":{"path":"$.selectionSet.does_not_exist","code":"validation-failed"},"message":"field \"does_not_exist\" not found in type: 'query_root'"}]},
	  {"data":{"author":[{"id":1},{"id":2}]}}]`)
}

func TestHostileInput(t *testing.T) {
	e, _ := newFixture(t, Options{MaxDepth: 8, MaxFields: 200, MaxBodyBytes: 4096})
	admin := session.Admin()
	deep := "{ author { articles { author { articles { author { articles { author { articles { author { id } } } } } } } } } }"
	_, got := gql(t, e, admin, deep, nil)
	jsonEq(t, got, `{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"the query is nested too deeply (maximum depth 8)"}]}`)

	// Fragments that multiply each other are measured without expanding them.
	bomb := `{ author { ...F4 } }
	fragment F0 on author { id name }
	fragment F1 on author { ...F0 ...F0 ...F0 ...F0 }
	fragment F2 on author { ...F1 ...F1 ...F1 ...F1 }
	fragment F3 on author { ...F2 ...F2 ...F2 ...F2 }
	fragment F4 on author { ...F3 ...F3 ...F3 ...F3 }`
	_, got = gql(t, e, admin, bomb, nil)
	jsonEq(t, got, `{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"the query selects too many fields (maximum 200)"}]}`)

	// Deeply nested input values are refused before parsing.
	nested := `{ author(where: ` + strings.Repeat(`{_not: `, 300) + `{}` + strings.Repeat(`}`, 300) + `) { id } }`
	_, got = gql(t, e, admin, nested, nil)
	jsonEq(t, got, `{"errors":[{"extensions":{"path":"$.query","code":"validation-failed"},"message":"the query is nested too deeply (maximum depth 144)"}]}`)
	// Brackets inside strings and comments do not count.
	_, got = gql(t, e, admin, "{ author(where: {name: {_eq: \""+strings.Repeat("{", 300)+"\"}}) { id } # "+strings.Repeat("[", 300)+"\n}", nil)
	jsonEq(t, got, `{"data":{"author":[]}}`)

	st, body := e.Execute(context.Background(), admin, []byte(`{"query":"`+strings.Repeat(" ", 5000)+`{ author { id } }"}`), false)
	if st != 200 || !strings.Contains(string(body), "request body too large") {
		t.Fatalf("oversized body: %d %s", st, body)
	}
	_, body = e.Execute(context.Background(), admin, []byte(`{"query": 12`), false)
	if !strings.Contains(string(body), `"code":"invalid-json"`) {
		t.Fatalf("bad JSON: %s", body)
	}
}

func TestDatabaseErrors(t *testing.T) {
	e, _ := newFixture(t, Options{MapError: pg.MapError})
	expect(t, e, session.Admin(), `{ article(where: {content: {_like: "\\"}}) { id } }`, nil,
		`{"data":null,"errors":[{"extensions":{"code":"bad-request","path":"$"},"message":"LIKE pattern must not end with escape character"}]}`)
	// Without a mapping, database errors stay opaque.
	e2, _ := newFixture(t, Options{})
	expect(t, e2, session.Admin(), `{ article(where: {content: {_like: "\\"}}) { id } }`, nil,
		`{"data":null,"errors":[{"extensions":{"code":"unexpected","path":"$"},"message":"database query error"}]}`)
}

func TestValueErrorsAsHasura(t *testing.T) {
	e, _ := newFixture(t, Options{})
	admin := session.Admin()
	cases := []struct{ query, path, message string }{
		{`{ author(limit: "x") { id } }`, "$.selectionSet.author.args.limit", `expected a 32-bit integer for type "Int", but found a string`},
		{`{ author(offset: "x") { id } }`, "$.selectionSet.author.args.offset", `expected a 32-bit integer, or a 64-bit integer represented as a string for type "Int", but found a string`},
		{`{ author(offset: "-1") { id } }`, "$.selectionSet.author.args.offset", `expected a 32-bit integer, or a 64-bit integer represented as a string for type "Int", but found a string`},
		{`{ author(where: {name: {_eq: "a"}}, limit: "1") { id } }`, "$.selectionSet.author.args.limit", `expected a 32-bit integer for type "Int", but found a string`},
		{`{ author(where: {name: {_eq: 1}}) { id } }`, "$.selectionSet.author.args.where.name._eq", `expected a string for type "String", but found an integer`},
		{`{ author(where: null) { id } articles: article(order_by: {id: up}) { id } }`, "$.selectionSet.articles.args.order_by.id",
			`expected one of the values "asc", "asc_nulls_first", "asc_nulls_last", "desc", "desc_nulls_first", or "desc_nulls_last" for type "order_by", but found "up"`},
		{`{ author_by_pk { id } }`, "$.selectionSet.author_by_pk.args.id", `missing required field "id"`},
		{`{ author(foo: 1) { id } }`, "$.selectionSet.author", `"author" has no argument named "foo"`},
		{`{ author }`, "$.selectionSet.author.selectionSet", `missing selection set for "author"`},
		{`{ article(distinct_on: author_id, order_by: {id: asc}) { id } }`, "$.selectionSet.article.args", `"distinct_on" columns must match initial "order_by" columns`},
		{`{ author { id { x } } }`, "$.selectionSet.author.selectionSet.id", `unexpected subselection set for non-object field`},
	}
	for _, c := range cases {
		st, got := gql(t, e, admin, c.query, nil)
		want, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"extensions": map[string]any{"path": c.path, "code": "validation-failed"}, "message": c.message}}})
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		jsonEq(t, got, string(want))
	}
}

func TestPanicBecomesAnError(t *testing.T) {
	e, _ := newFixture(t, Options{})
	// A broken resolution table makes planning fail hard.
	st := e.state.Load()
	r, _ := st.role(session.AdminRole)
	r.schema.Query["author"].Table = nil
	_, got := gql(t, e, session.Admin(), `{ author { id } }`, nil)
	jsonEq(t, got, `{"errors":[{"extensions":{"path":"$","code":"unexpected"},"message":"unexpected error"}]}`)
}
