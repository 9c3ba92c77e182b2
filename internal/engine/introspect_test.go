package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/session"
)

func TestIntrospection(t *testing.T) {
	e, _ := newFixture(t, Options{})
	expect(t, e, user("self", "1"), `query($d: Boolean) { __type(name: "author") { name kind fields(includeDeprecated: $d) { name } } }`,
		map[string]any{"d": false},
		`{"data":{"__type":{"name":"author","kind":"OBJECT","fields":[{"name":"articles"},{"name":"id"},{"name":"name"}]}}}`)
	expect(t, e, user("self", "1"), `{ __type(name: "nope") { name } }`, nil, `{"data":{"__type":null}}`)
	expect(t, e, session.Admin(), `{ __schema { queryType { name } subscriptionType { ...T } } } fragment T on __Type { name }`, nil,
		`{"data":{"__schema":{"queryType":{"name":"query_root"},"subscriptionType":{"name":"subscription_root"}}}}`)
	expect(t, e, session.Admin(), `{ __type(name: "author_bool_exp") { inputFields { name type { kind name ofType { name } } } } }`, nil, "")
}

// TestFullIntrospectionQuery runs the query GraphiQL and client code
// generators send, and checks that every type it lists is complete.
func TestFullIntrospectionQuery(t *testing.T) {
	e, _ := newFixture(t, Options{})
	_, got := gql(t, e, user("user", "1"), introspectionQuery, nil)
	if _, again := gql(t, e, user("user", "1"), introspectionQuery, nil); again != got {
		t.Fatal("a repeated introspection query answered differently")
	}
	if st := e.Stats(); st.Plans != 1 || st.Hits != 1 {
		t.Fatalf("the repeated introspection query must reuse its plan: %+v", st)
	}
	var resp struct {
		Data struct {
			Schema struct {
				QueryType struct{ Name string }
				Types     []struct {
					Kind   string
					Name   string
					Fields []struct{ Name string }
				}
			} `json:"__schema"`
		}
	}
	if err := json.Unmarshal([]byte(got), &resp); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if resp.Data.Schema.QueryType.Name != "query_root" {
		t.Fatalf("query type: %s", got[:200])
	}
	names := map[string]bool{}
	for _, ty := range resp.Data.Schema.Types {
		names[ty.Name] = true
		if ty.Kind == "OBJECT" && len(ty.Fields) == 0 {
			t.Errorf("object %s has no fields", ty.Name)
		}
	}
	for _, n := range []string{"author", "article", "query_root", "String_comparison_exp", "order_by", "__Schema"} {
		if !names[n] {
			t.Errorf("type %s missing", n)
		}
	}
	if names["secret_aggregate"] {
		t.Errorf("role user may not aggregate secret, yet its aggregate type is listed")
	}
}

func TestExplain(t *testing.T) {
	e, _ := newFixture(t, Options{})
	st, body := e.Explain(context.Background(), session.Admin(), []byte(`{
	  "query": "query($id: Int!) { article(where: {id: {_eq: $id}}) { id } n: __typename }",
	  "variables": {"id": 1},
	  "user": {"x-hasura-role": "user", "x-hasura-user-id": "1"}}`))
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	var out []struct {
		Field string
		SQL   string
		Plan  []string
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Field != "article" || !strings.Contains(out[0].SQL, `"article"`) || len(out[0].Plan) == 0 {
		t.Fatalf("unexpected explain answer: %s", body)
	}
	// Hasura's own body shape nests the GraphQL request under "query".
	st, body = e.Explain(context.Background(), session.Admin(), []byte(`{
	  "query": {"query": "query($id: Int!) { article(where: {id: {_eq: $id}}) { id } }", "variables": {"id": 1}},
	  "user": {"x-hasura-role": "user", "x-hasura-user-id": "1"}}`))
	if st != 200 || !strings.Contains(string(body), `"field":"article"`) {
		t.Fatalf("Hasura-shaped explain body: %d %s", st, body)
	}
	// The user's session variables are required.
	st, body = e.Explain(context.Background(), session.Admin(), []byte(`{"query": "{ article { id } }", "user": {"x-hasura-role": "user"}}`))
	if st != 400 || !strings.Contains(string(body), `"code":"not-found"`) {
		t.Fatalf("missing session variable: %d %s", st, body)
	}
}

const introspectionQuery = `
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
