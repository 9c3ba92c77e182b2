//go:build bench

// Engine micro-benchmarks on the benchmark's own data set and queries (Q1,
// Q2, Q3), run by bench/micro.sh (go test -tags bench). The build tag keeps
// them out of `make test`. Each request goes through Engine.Execute with a
// real database round trip:
//
//   - Cached: the plan cache hit path (the steady state under load).
//   - Uncached: the cache disabled, so parse + validate + plan + SQL build
//     run on every request; the difference to Cached is their cost.
package bench

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

const benchMetadata = `{
  "name": "default", "kind": "postgres",
  "tables": [
    {"table": {"schema": "public", "name": "artist"},
     "array_relationships": [{"name": "albums", "using": {"foreign_key_constraint_on": {"table": "album", "column": "artist_id"}}}],
     "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]},
    {"table": {"schema": "public", "name": "album"},
     "object_relationships": [{"name": "artist", "using": {"foreign_key_constraint_on": "artist_id"}}],
     "array_relationships": [{"name": "tracks", "using": {"foreign_key_constraint_on": {"table": "track", "column": "album_id"}}}],
     "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {"user_id": {"_eq": "X-Hasura-User-Id"}}}}]},
    {"table": {"schema": "public", "name": "track"},
     "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]},
    {"table": {"schema": "public", "name": "users"}}
  ]
}`

func newEngine(b *testing.B, o engine.Options) *engine.Engine {
	b.Helper()
	pool := pgtest.Pool(b)
	schemaSQL, err := os.ReadFile("schema.sql")
	if err != nil {
		b.Fatal(err)
	}
	pgtest.Exec(b, pool, string(schemaSQL))
	cat, err := catalog.Load(context.Background(), pool)
	if err != nil {
		b.Fatal(err)
	}
	var src metadata.Source
	if err := json.Unmarshal([]byte(benchMetadata), &src); err != nil {
		b.Fatal(err)
	}
	e := engine.New(pool, o)
	e.Update(cat, &src, nil)
	return e
}

func readQuery(b *testing.B, name string) []byte {
	b.Helper()
	body, err := os.ReadFile("queries/" + name + ".json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func admin() session.Session {
	return session.Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}
}

func roleUser() session.Session {
	return session.Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1"}}
}

func run(b *testing.B, cacheSize int, query string, s session.Session) {
	e := newEngine(b, engine.Options{CacheSize: cacheSize})
	body := readQuery(b, query)
	st, out := e.Execute(context.Background(), s, body, false)
	if st != 200 || len(out) < 20 || !json.Valid(out) {
		b.Fatalf("unexpected response %d %.200s", st, out)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Execute(context.Background(), s, body, false)
	}
}

func BenchmarkQ1Cached(b *testing.B)   { run(b, 0, "q1", admin()) }
func BenchmarkQ1Uncached(b *testing.B) { run(b, -1, "q1", admin()) }
func BenchmarkQ2Cached(b *testing.B)   { run(b, 0, "q2", admin()) }
func BenchmarkQ2Uncached(b *testing.B) { run(b, -1, "q2", admin()) }
func BenchmarkQ3Cached(b *testing.B)   { run(b, 0, "q2", roleUser()) }
func BenchmarkQ3Uncached(b *testing.B) { run(b, -1, "q2", roleUser()) }
func BenchmarkQ4Cached(b *testing.B)   { run(b, 0, "q4", admin()) }
