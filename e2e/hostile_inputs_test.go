package e2e

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// hostileBody is one malformed or malicious request body.
type hostileBody struct {
	name string
	body []byte
}

// nest returns open repeated n times, then middle, then close n times.
func nest(open, middle, close string, n int) string {
	return strings.Repeat(open, n) + middle + strings.Repeat(close, n)
}

// gqlBody returns a /v1/graphql body for query with variables.
func gqlBody(query string, vars map[string]any) []byte {
	m := map[string]any{"query": query}
	if vars != nil {
		m["variables"] = vars
	}
	b, _ := json.Marshal(m)
	return b
}

// genericBodies are the malformed bodies every JSON endpoint gets.
func genericBodies() []hostileBody {
	deepJSON := nest(`{"a":`, `1`, `}`, 10000)
	return []hostileBody{
		{"empty", []byte{}},
		{"not json", []byte("hello world")},
		{"xml", []byte(`<?xml version="1.0"?><query>{ authors { id } }</query>`)},
		{"form", []byte("query=%7B+authors+%7B+id+%7D+%7D&type=run_sql")},
		{"truncated object", []byte(`{"query": "{ authors { id } }", "variables": {"a": `)},
		{"truncated string", []byte(`{"type": "export_metad`)},
		{"trailing garbage", []byte(`{"query": "{ authors { id } }"} {"x":1}`)},
		{"trailing comma", []byte(`{"type": "export_metadata", "args": {},}`)},
		{"single quotes", []byte(`{'type': 'export_metadata'}`)},
		{"array", []byte(`[]`)},
		{"array of junk", []byte(`[1, "x", null, {}, []]`)},
		{"number", []byte(`12345678901234567890123456789012345678901234567890e99999`)},
		{"null", []byte(`null`)},
		{"true", []byte(`true`)},
		{"string", []byte(`"{ authors { id } }"`)},
		{"nul bytes", []byte("\x00\x00\x00\x00")},
		{"nul in string", []byte(`{"query": "{ authors { id } }\u0000", "type": "run_sql\u0000", "args": {"sql": "SELECT 1\u0000"}}`)},
		{"raw nul in string", []byte("{\"query\": \"{ authors\x00 { id } }\", \"type\": \"export\x00metadata\"}")},
		{"invalid utf8", []byte("{\"query\": \"{ authors { id } } \xff\xfe\xc3\x28\", \"type\": \"\xff\xfe\"}")},
		{"invalid utf8 key", []byte("{\"\xff\xfe\": 1}")},
		{"utf16 bom", []byte("\xff\xfe{\x00}\x00")},
		{"utf8 bom", []byte("\xef\xbb\xbf{\"type\": \"export_metadata\", \"args\": {}}")},
		{"lone surrogate", []byte(`{"query": "{ authors { id } } \ud800", "type": "\udc00"}`)},
		{"deep object", []byte(deepJSON)},
		{"deep array", []byte(nest(`[`, `1`, `]`, 10000))},
		{"deep in args", []byte(`{"type": "bulk", "args": ` + nest(`[`, `{}`, `]`, 10000) + `, "query": "{ authors { id } }", "variables": ` + deepJSON + `}`)},
		{"over the limit", []byte(`{"query": "` + strings.Repeat("a", hostileBodyLimit+10) + `"}`)},
		{"over the limit, unterminated", []byte(strings.Repeat("[", hostileBodyLimit+10))},
		// The last of duplicate keys counts, as in Hasura's parser.
		{"duplicate keys", []byte(`{"type": "clear_metadata", "type": "export_metadata", "args": {}, "query": "mutation { delete_articles(where: {}) { affected_rows } }", "query": "{ authors { id } }"}`)},
		{"big number", []byte(`{"type": 1e400, "query": 1e400, "args": -0}`)},
	}
}

// graphQLBodies are the bodies the GraphQL endpoints get on top of the
// generic ones.
func graphQLBodies() []hostileBody {
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&aliases, " a%d: authors(limit: 1) { id name }", i)
	}
	aliases.WriteString(" }")
	var frag strings.Builder
	frag.WriteString("query { ...F30 }\nfragment F0 on query_root { authors { id } }\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&frag, "fragment F%d on query_root { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	var fieldFrag strings.Builder
	fieldFrag.WriteString("query { authors { ...G20 } }\nfragment G0 on authors { id name }\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&fieldFrag, "fragment G%d on authors { ...G%d ...G%d articles { ...A } }\n", i, i-1, i-1)
	}
	fieldFrag.WriteString("fragment A on articles { id }\n")
	manyVars := map[string]any{}
	for i := 0; i < 5000; i++ {
		manyVars[fmt.Sprintf("v%d", i)] = i
	}
	sqlish := "x' OR '1'='1'; DROP TABLE articles; --"
	return []hostileBody{
		{"wrong types: query number", []byte(`{"query": 1}`)},
		{"wrong types: query null", []byte(`{"query": null}`)},
		{"wrong types: query array", []byte(`{"query": ["{ authors { id } }"]}`)},
		{"wrong types: query object", []byte(`{"query": {"authors": ["id"]}}`)},
		{"wrong types: variables string", []byte(`{"query": "{ authors { id } }", "variables": "x"}`)},
		{"wrong types: variables array", []byte(`{"query": "{ authors { id } }", "variables": [1, 2]}`)},
		{"wrong types: operationName", []byte(`{"query": "{ authors { id } }", "operationName": 5}`)},
		{"wrong types: variable value", gqlBody(`query ($n: Int!) { authors(limit: $n) { id } }`, map[string]any{"n": "1; DROP TABLE authors"})},
		{"wrong types: variable object", gqlBody(`query ($n: Int!) { authors(limit: $n) { id } }`, map[string]any{"n": map[string]any{"a": []any{1}}})},
		{"wrong types: where array", gqlBody(`query ($w: authors_bool_exp) { authors(where: $w) { id } }`, map[string]any{"w": []any{1, "x"}})},
		{"wrong types: where nested", gqlBody(`query ($w: authors_bool_exp) { authors(where: $w) { id } }`, map[string]any{"w": map[string]any{"_and": map[string]any{"id": "x"}}})},
		{"unknown fields", []byte(`{"query": "{ authors { id } }", "bogus": {"x": 1}, "extensions": {"persistedQuery": {"sha256Hash": "' OR 1=1"}}}`)},
		{"unknown operation name", []byte(`{"query": "query A { authors { id } }", "operationName": "B'; DROP TABLE authors; --"}`)},
		{"empty query", []byte(`{"query": ""}`)},
		{"syntax error", []byte(`{"query": "{ authors { id "}`)},
		{"nul in query", gqlBody("{ authors { id \x00 name } }", nil)},
		{"deep selection", gqlBody(nest("{ authors { articles { author ", "{ id }", "} } }", 3400), nil)},
		{"deep braces", gqlBody(nest("{a", "", "}", 10000), nil)},
		{"deep where", gqlBody("{ authors(where: "+nest("{_and: ", "{id: {_eq: 1}}", "}", 10000)+") { id } }", nil)},
		{"deep list value", gqlBody("{ authors(where: {id: {_in: "+nest("[", "1", "]", 10000)+"}}) { id } }", nil)},
		{"deep variable", gqlBody(`query ($w: authors_bool_exp) { authors(where: $w) { id } }`, map[string]any{"w": json.RawMessage(nest(`{"_not":`, `{"id":{"_eq":1}}`, `}`, 10000))})},
		{"deep jsonb-like variable", []byte(`{"query": "query ($v: String) { authors(where: {name: {_eq: $v}}) { id } }", "variables": {"v": ` + nest(`[`, `1`, `]`, 10000) + `}}`)},
		{"alias bomb", gqlBody(aliases.String(), nil)},
		{"fragment bomb", gqlBody(frag.String(), nil)},
		{"field fragment bomb", gqlBody(fieldFrag.String(), nil)},
		{"fragment cycle", gqlBody("query { ...A }\nfragment A on query_root { ...B }\nfragment B on query_root { ...A }", nil)},
		{"self fragment", gqlBody("query { authors { ...A } }\nfragment A on authors { id ...A }", nil)},
		{"directive bomb", gqlBody("{ authors "+strings.Repeat("@include(if: true) ", 3000)+"{ id } }", nil)},
		{"many operations", gqlBody(strings.Repeat("query Q { authors { id } }\n", 3000), nil)},
		{"huge variable", gqlBody(`query ($t: String) { articles(where: {title: {_eq: $t}}) { id } }`, map[string]any{"t": strings.Repeat("' OR 1=1 --", 20000)})},
		{"many variables", gqlBody(`query { authors { id } }`, manyVars)},
		{"huge in list", gqlBody(`query ($ids: [Int!]) { authors(where: {id: {_in: $ids}}) { id } }`, map[string]any{"ids": make([]int, 30000)})},
		{"sql in string value", gqlBody(`{ articles(where: {title: {_eq: "`+strings.ReplaceAll(sqlish, "'", "\\u0027")+`"}}) { id } }`, nil)},
		{"sql in like", gqlBody(`query ($p: String) { articles(where: {title: {_like: $p}}) { id } }`, map[string]any{"p": "%'; DELETE FROM articles; --"})},
		{"sql in regex", gqlBody(`query ($p: String) { articles(where: {title: {_regex: $p}}) { id } }`, map[string]any{"p": "(a+)+$'); DELETE FROM articles; --"})},
		{"sql in int", gqlBody(`query ($p: Int) { articles(where: {id: {_eq: $p}}) { id } }`, map[string]any{"p": "1 OR 1=1"})},
		{"sql in int literal", gqlBody(`{ articles(where: {id: {_eq: "1 OR 1=1"}}) { id } }`, nil)},
		{"sql in order_by enum", gqlBody(`{ articles(order_by: {title: asc_DROP_TABLE}) { id } }`, nil)},
		{"sql in order_by variable", gqlBody(`query ($o: [articles_order_by!]) { articles(order_by: $o) { id } }`, map[string]any{"o": []any{map[string]any{"title": "asc; DROP TABLE articles; --"}}})},
		{"sql in order_by key", gqlBody(`query ($o: [articles_order_by!]) { articles(order_by: $o) { id } }`, map[string]any{"o": []any{map[string]any{"title; DROP TABLE articles": "asc"}}})},
		{"sql in distinct_on", gqlBody(`query ($d: [articles_select_column!]) { articles(distinct_on: $d) { id } }`, map[string]any{"d": []any{"title\"; DROP TABLE articles; --"}})},
		{"sql in distinct_on literal", gqlBody(`{ articles(distinct_on: "title; DROP TABLE articles") { id } }`, nil)},
		{"sql in limit", gqlBody(`query ($l: Int) { articles(limit: $l) { id } }`, map[string]any{"l": "1; DROP TABLE articles"})},
		{"negative limit", gqlBody(`{ articles(limit: -1, offset: -5) { id } }`, nil)},
		{"huge limit", gqlBody(`{ articles(limit: 99999999999999999999, offset: 1e308) { id } }`, nil)},
		{"sql in field name", gqlBody(`{ articles { id "; DROP TABLE articles; --" } }`, nil)},
		{"sql in where column", gqlBody(`query ($w: articles_bool_exp) { articles(where: $w) { id } }`, map[string]any{"w": map[string]any{"title\" = title OR 1=1; --": map[string]any{"_eq": "x"}}})},
		{"sql in pk", gqlBody(`query ($id: Int!) { articles_by_pk(id: $id) { id } }`, map[string]any{"id": "1 OR 1=1"})},
		{"sql in insert", gqlBody(`mutation ($t: String!) { insert_articles_one(object: {title: $t, author_id: "1; DROP TABLE articles"}) { id } }`, map[string]any{"t": sqlish})},
		{"sql in update", gqlBody(`mutation { update_articles(where: {id: {_eq: "0 OR 1=1"}}, _set: {title: "x"}) { affected_rows } }`, nil)},
		{"sql in delete", gqlBody(`mutation ($w: articles_bool_exp!) { delete_articles(where: $w) { affected_rows } }`, map[string]any{"w": map[string]any{"id": map[string]any{"_in": "1) OR (1=1"}}})},
		{"introspection deep", gqlBody("{ __schema { types { "+nest("fields { type { ", "name", " } }", 500)+" } } }", nil)},
		{"invalid utf8 in variables", []byte("{\"query\": \"query ($t: String) { articles(where: {title: {_eq: $t}}) { id } }\", \"variables\": {\"t\": \"\xff\xfe\"}}")},
		{"nul in variable", gqlBody(`query ($t: String) { articles(where: {title: {_eq: $t}}) { id } }`, map[string]any{"t": "a\x00b"})},
		{"nul in insert", gqlBody(`mutation ($t: String!) { insert_articles_one(object: {title: $t}) { id } }`, map[string]any{"t": "a\x00b"})},
		{"subscription over http", gqlBody(`subscription { authors { id } }`, nil)},
	}
}

// metadataBodies are the bodies /v1/metadata, /v2/query and /v1/query get
// on top of the generic ones. Each must be refused.
func metadataBodies() []hostileBody {
	j := func(v any) []byte { b, _ := json.Marshal(v); return b }
	evil := `articles"; DROP TABLE authors; --`
	return []hostileBody{
		{"wrong types: type", []byte(`{"type": 5, "args": {}}`)},
		{"wrong types: type null", []byte(`{"type": null, "args": {}}`)},
		{"wrong types: args string", []byte(`{"type": "pg_track_table", "args": "articles"}`)},
		{"wrong types: sql number", []byte(`{"type": "run_sql", "args": {"sql": 5, "read_only": "yes"}}`)},
		{"wrong types: table number", []byte(`{"type": "pg_track_table", "args": {"table": 5}}`)},
		{"wrong types: table parts", []byte(`{"type": "pg_track_table", "args": {"table": {"schema": [], "name": {}}}}`)},
		{"wrong types: bulk args", []byte(`{"type": "bulk", "args": "x"}`)},
		{"wrong types: bulk items", []byte(`{"type": "bulk", "args": [1, "x", null, {"type": 3}]}`)},
		{"wrong types: permission", []byte(`{"type": "pg_create_select_permission", "args": {"table": "articles", "role": 5, "permission": "x"}}`)},
		{"wrong types: columns", []byte(`{"type": "pg_create_select_permission", "args": {"table": "articles", "role": "r1", "permission": {"columns": [1, null], "filter": []}}}`)},
		{"wrong types: version", []byte(`{"type": "export_metadata", "version": "two", "args": {}}`)},
		{"wrong types: resource_version", []byte(`{"type": "pg_track_table", "resource_version": "x", "args": {"table": "secrets"}}`)},
		{"unknown type", []byte(`{"type": "no_such_type'; DROP TABLE authors; --", "args": {}}`)},
		{"unknown field", []byte(`{"type": "pg_untrack_table", "args": {"table": "authors", "cascade": true, "bogus": 1}, "bogus": 2}`)},
		{"missing args", []byte(`{"type": "pg_track_table"}`)},
		{"stale resource_version", j(map[string]any{"type": "pg_untrack_table", "resource_version": 1, "args": map[string]any{"table": "articles", "cascade": true}})},
		{"sql in table name", j(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": evil}})},
		{"sql in schema name", j(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": map[string]any{"schema": `public"; DROP TABLE authors; --`, "name": "articles"}}})},
		{"sql in source name", j(map[string]any{"type": "pg_track_table", "args": map[string]any{"source": "default'; --", "table": "articles"}})},
		{"sql in untrack", j(map[string]any{"type": "pg_untrack_table", "args": map[string]any{"table": evil}})},
		{"sql in permission column", j(map[string]any{"type": "pg_create_select_permission", "args": map[string]any{"table": "articles", "role": "r1",
			"permission": map[string]any{"columns": []string{`title"; DROP TABLE authors; --`}, "filter": map[string]any{}}}})},
		{"sql in filter column", j(map[string]any{"type": "pg_create_select_permission", "args": map[string]any{"table": "articles", "role": "r1",
			"permission": map[string]any{"columns": "*", "filter": map[string]any{`id" OR 1=1; --`: map[string]any{"_eq": 1}}}}})},
		{"sql in filter operator", j(map[string]any{"type": "pg_create_select_permission", "args": map[string]any{"table": "articles", "role": "r1",
			"permission": map[string]any{"columns": "*", "filter": map[string]any{"id": map[string]any{"_eq; DROP TABLE authors": 1}}}}})},
		{"sql in computed field", j(map[string]any{"type": "pg_add_computed_field", "args": map[string]any{"table": "articles", "name": "c",
			"definition": map[string]any{"function": `now(); DROP TABLE authors; --`}}})},
		{"sql in relationship column", j(map[string]any{"type": "pg_create_object_relationship", "args": map[string]any{"table": "articles", "name": "r",
			"using": map[string]any{"foreign_key_constraint_on": `author_id"; DROP TABLE authors; --`}}})},
		{"sql in manual relationship", j(map[string]any{"type": "pg_create_array_relationship", "args": map[string]any{"table": "authors", "name": "r",
			"using": map[string]any{"manual_configuration": map[string]any{"remote_table": evil, "column_mapping": map[string]any{"id; --": "author_id"}}}}})},
		{"sql in function", j(map[string]any{"type": "pg_track_function", "args": map[string]any{"function": `pg_sleep(10); DROP TABLE authors; --`}})},
		{"sql in customization", j(map[string]any{"type": "pg_set_table_customization", "args": map[string]any{"table": "articles",
			"configuration": map[string]any{"custom_name": "a b; DROP", "column_config": map[string]any{"title": map[string]any{"custom_name": "1 2"}}}}})},
		{"sql in drop permission", j(map[string]any{"type": "pg_drop_select_permission", "args": map[string]any{"table": "articles", "role": `user' OR '1'='1`}})},
		{"sql in drop relationship", j(map[string]any{"type": "pg_drop_relationship", "args": map[string]any{"table": "articles", "relationship": `author' OR '1'='1`}})},
		{"sql in bulk", j(map[string]any{"type": "bulk", "args": []any{
			map[string]any{"type": "pg_untrack_table", "args": map[string]any{"table": "secrets"}},
			map[string]any{"type": "pg_track_table", "args": map[string]any{"table": evil}}}})},
		{"replace_metadata junk", []byte(`{"type": "replace_metadata", "args": {"version": 3, "sources": "x"}}`)},
		{"replace_metadata bad table", j(map[string]any{"type": "replace_metadata", "args": map[string]any{"version": 3, "sources": []any{
			map[string]any{"name": "default", "kind": "postgres", "tables": []any{map[string]any{"table": map[string]any{"schema": "public", "name": evil}}},
				"configuration": map[string]any{"connection_info": map[string]any{"database_url": "postgres://nobody@127.0.0.1:1/x"}}}}}})},
		{"legacy select sql table", j(map[string]any{"type": "select", "args": map[string]any{"table": evil, "columns": []string{"*"}}})},
		{"legacy select sql column", j(map[string]any{"type": "select", "args": map[string]any{"table": "articles", "columns": []string{`title" FROM secrets; --`}}})},
		{"legacy select sql order", j(map[string]any{"type": "select", "args": map[string]any{"table": "articles", "columns": []string{"id"}, "order_by": []string{"title; DROP TABLE authors"}}})},
		{"legacy select sql where", j(map[string]any{"type": "select", "args": map[string]any{"table": "articles", "columns": []string{"id"},
			"where": map[string]any{"id": map[string]any{"$eq": "1 OR 1=1"}}}})},
		{"legacy count sql", j(map[string]any{"type": "count", "args": map[string]any{"table": "articles", "where": map[string]any{"$or": "x"}}})},
		{"legacy delete sql", j(map[string]any{"type": "delete", "args": map[string]any{"table": "articles", "where": map[string]any{"id": map[string]any{"$in": "1) OR (1=1"}}}})},
		{"legacy insert wrong type", j(map[string]any{"type": "insert", "args": map[string]any{"table": "articles", "objects": []any{map[string]any{"title": "t", "author_id": "1; DROP TABLE authors"}}}})},
		{"legacy update sql column", j(map[string]any{"type": "update", "args": map[string]any{"table": "articles", "where": map[string]any{},
			"$set": map[string]any{`title" = 'x', body`: "y"}}})},
	}
}

// --- tokens -------------------------------------------------------------

func b64(v any) string {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		b, _ = json.Marshal(v)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signHS256 returns a compact JWS of header and claims signed with key.
func signHS256(header, claims any, key []byte) string {
	in := b64(header) + "." + b64(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

// signRS256 returns a compact JWS of header and claims signed with key.
func signRS256(t testing.TB, header, claims any, key *rsa.PrivateKey) string {
	in := b64(header) + "." + b64(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(sig)
}

// hasuraClaims are claims for role user with the given user ID.
func hasuraClaims(userID string, exp time.Time) map[string]any {
	return map[string]any{"sub": "u1", "iat": time.Now().Add(-time.Minute).Unix(), "exp": exp.Unix(),
		"https://hasura.io/jwt/claims": map[string]any{"x-hasura-default-role": "user", "x-hasura-allowed-roles": []string{"user"},
			"x-hasura-user-id": userID}}
}

var base64RawURL = base64.RawURLEncoding

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func newJar(t testing.TB) *cookiejar.Jar {
	j, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
