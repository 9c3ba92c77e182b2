package e2e

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fuzzServer is the no-auth server the fuzz targets send to, started once
// per target.
func fuzzServer(f *testing.F) *hostileServer {
	f.Helper()
	s := startHostileServer(f, "fuzz", false, nil)
	setupHostileSchema(f, s)
	return s
}

// fuzzOne sends body to path through the server's handler and fails on a
// 5xx, a leak or a recovered panic.
func fuzzOne(t *testing.T, s *hostileServer, path string, body []byte, shape shapeKind) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	verify(t, "POST "+path, body, hostileResp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, hostileCheck{shape: shape})
	for _, p := range s.log.panics() {
		t.Fatalf("panic on %q: %s", body, p)
	}
}

// FuzzGraphQLBody sends arbitrary bodies to /v1/graphql. Under plain `go
// test` it runs the seed corpus: real queries and the hostile bodies.
func FuzzGraphQLBody(f *testing.F) {
	for _, seed := range []string{
		`{"query": "{ authors { id name articles(order_by: {id: asc}) { title } } }"}`,
		`{"query": "query ($id: Int!) { articles_by_pk(id: $id) { id title author { name } } }", "variables": {"id": 1}}`,
		`{"query": "query Q($w: articles_bool_exp) { articles(where: $w, limit: 2, distinct_on: [title]) { id } articles_aggregate { aggregate { count } } }", "operationName": "Q", "variables": {"w": {"_or": [{"title": {_like: "a%"}}, {"n": {"_gt": 1}}]}}}`,
		`{"query": "mutation { update_articles(where: {id: {_eq: -1}}, _inc: {n: 1}) { affected_rows } }"}`,
		`{"query": "{ __schema { queryType { name } } __type(name: \"authors\") { fields { name } } }"}`,
		`{"query": "fragment F on authors { id } { authors { ...F ... on authors { name } } }"}`,
		`{"query": "{ authors(where: {name: {_eq: \"x' OR '1'='1\"}}) { id } }"}`,
	} {
		f.Add([]byte(seed))
	}
	for _, b := range graphQLBodies() {
		if len(b.body) < 64<<10 {
			f.Add(b.body)
		}
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		// Mutations are wrapped in a transaction that cannot commit: the
		// fuzzer must not change the data the other seeds read.
		fuzzOne(t, s, "/v1/graphql", body, shapeGraphQL)
	})
}

// FuzzMetadataBody sends arbitrary bodies to /v1/metadata. Under plain `go
// test` it runs the seed corpus: real metadata calls and the hostile
// bodies.
func FuzzMetadataBody(f *testing.F) {
	for _, seed := range []string{
		`{"type": "export_metadata", "version": 2, "args": {}}`,
		`{"type": "get_inconsistent_metadata", "args": {}}`,
		`{"type": "pg_get_viewinfo", "args": {"table": "articles"}}`,
		`{"type": "pg_create_select_permission", "args": {"table": "secrets", "role": "r", "permission": {"columns": ["id"], "filter": {"id": {"_gt": "X-Hasura-User-Id"}}}}}`,
		`{"type": "pg_drop_select_permission", "args": {"table": "secrets", "role": "r"}}`,
		`{"type": "bulk", "args": [{"type": "pg_set_table_is_enum", "args": {"table": "secrets", "is_enum": false}}]}`,
		`{"type": "pg_track_table", "args": {"table": {"schema": "public", "name": "nope"}}}`,
	} {
		f.Add([]byte(seed))
	}
	for _, b := range metadataBodies() {
		f.Add(b.body)
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzOne(t, s, "/v1/metadata", body, shapeHasura)
	})
}
