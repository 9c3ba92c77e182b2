package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/pgtest"
)

// scaleExtra is how many untracked tables a scale environment has for
// pg_track_table iterations.
const scaleExtra = 400

// scaleEnv is a Service whose metadata tracks n tables as bench/scale.sh
// builds them: t0001..tN chained by foreign keys, an object and an array
// relationship per key, select permissions for roles user, editor and
// viewer on every table; x0001..x0400 are left untracked.
type scaleEnv struct {
	n     int
	svc   *Service
	track int // x tables tracked so far
	perm  int // permissions added so far
}

func newScaleEnv(tb testing.TB, n int) *scaleEnv {
	tb.Helper()
	pool := pgtest.Pool(tb)
	var ddl strings.Builder
	name := func(p string, i int) string { return fmt.Sprintf("%s%04d", p, i) }
	for i := 1; i <= n; i++ {
		ref := ""
		if i > 1 {
			ref = " REFERENCES " + name("t", i-1) + "(id)"
		}
		fmt.Fprintf(&ddl, "CREATE TABLE %s (id integer PRIMARY KEY, name text NOT NULL, owner_id integer NOT NULL, parent_id integer%s);\n", name("t", i), ref)
	}
	for i := 1; i <= scaleExtra; i++ {
		fmt.Fprintf(&ddl, "CREATE TABLE %s (id integer PRIMARY KEY, name text NOT NULL, owner_id integer NOT NULL);\n", name("x", i))
	}
	pgtest.Exec(tb, pool, ddl.String())
	svc, err := Open(context.Background(), pool, pool, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	body, _ := json.Marshal(map[string]any{"type": "replace_metadata", "args": json.RawMessage(scaleDocument(n))})
	if _, err := svc.Metadata(context.Background(), body); err != nil {
		tb.Fatalf("replace_metadata: %v", err)
	}
	if bad := svc.Current().Inconsistent; len(bad) > 0 {
		tb.Fatalf("scale metadata is inconsistent: %v", bad[0])
	}
	return &scaleEnv{n: n, svc: svc}
}

// scaleDocument is bench/scale.py's metadata document with n tables.
func scaleDocument(n int) []byte {
	name := func(p string, i int) string { return fmt.Sprintf("%s%04d", p, i) }
	roles := []map[string]any{
		{"role": "user", "permission": map[string]any{"columns": []string{"id", "name", "owner_id", "parent_id"}, "filter": map[string]any{"owner_id": map[string]any{"_eq": "X-Hasura-User-Id"}}}},
		{"role": "editor", "permission": map[string]any{"columns": []string{"id", "name", "owner_id", "parent_id"}, "filter": map[string]any{}, "allow_aggregations": true}},
		{"role": "viewer", "permission": map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{"parent_id": map[string]any{"_is_null": false}}, "limit": 100}},
	}
	tables := make([]map[string]any, 0, n)
	for i := 1; i <= n; i++ {
		tab := map[string]any{"table": map[string]any{"schema": "public", "name": name("t", i)}, "select_permissions": roles}
		if i > 1 {
			tab["object_relationships"] = []any{map[string]any{"name": "parent", "using": map[string]any{"foreign_key_constraint_on": "parent_id"}}}
		}
		if i < n {
			tab["array_relationships"] = []any{map[string]any{"name": "children", "using": map[string]any{
				"foreign_key_constraint_on": map[string]any{"table": map[string]any{"schema": "public", "name": name("t", i+1)}, "column": "parent_id"}}}}
		}
		tables = append(tables, tab)
	}
	src := DefaultSource()
	doc, _ := json.Marshal(map[string]any{"version": 3, "sources": []any{
		map[string]any{"name": src.Name, "kind": src.Kind, "configuration": src.Configuration, "tables": tables}}})
	return doc
}

// change runs one metadata request and fails on error.
func (e *scaleEnv) change(tb testing.TB, ctx context.Context, body string) {
	if _, err := e.svc.Metadata(ctx, []byte(body)); err != nil {
		tb.Fatalf("%s: %v", body, err)
	}
}

// BenchmarkChangeAtScale times one metadata change against the real
// database with 100 and 1,000 tables tracked (bench/scale.sh's schema), so
// that ns/op and allocs/op show whether a change costs with the change or
// with the schema. It reports the tables checked and encoded per change.
//
//	go test ./internal/metadata/ -run '^$' -bench ChangeAtScale -benchtime 20x
func BenchmarkChangeAtScale(b *testing.B) {
	for _, n := range []int{100, 1000} {
		e := newScaleEnv(b, n)
		mid := fmt.Sprintf("t%04d", n/2)
		ops := []struct {
			name  string
			setup func(k int) string // untimed request before the change ("" for none)
			body  func(k int) string
		}{
			{"track_table", nil, func(k int) string {
				e.track++
				if e.track > scaleExtra {
					b.Fatalf("more than %d pg_track_table iterations", scaleExtra)
				}
				return fmt.Sprintf(`{"type":"pg_track_table","args":{"table":"x%04d"}}`, e.track)
			}},
			{"create_select_permission", nil, func(k int) string {
				e.perm++
				return fmt.Sprintf(`{"type":"pg_create_select_permission","args":{"table":%q,"role":"r%d","permission":{"columns":"*","filter":{"owner_id":{"_eq":"X-Hasura-User-Id"}}}}}`, mid, e.perm)
			}},
			{"drop_select_permission", func(k int) string {
				return fmt.Sprintf(`{"type":"pg_create_select_permission","args":{"table":%q,"role":"d%d","permission":{"columns":"*","filter":{}}}}`, mid, k)
			}, func(k int) string {
				return fmt.Sprintf(`{"type":"pg_drop_select_permission","args":{"table":%q,"role":"d%d"}}`, mid, k)
			}},
			{"create_object_relationship", nil, func(k int) string {
				e.perm++
				return fmt.Sprintf(`{"type":"pg_create_object_relationship","args":{"table":%q,"name":"rel%d","using":{"manual_configuration":{"remote_table":"t0001","column_mapping":{"parent_id":"id"}}}}}`, mid, e.perm)
			}},
		}
		for _, op := range ops {
			b.Run(fmt.Sprintf("%s/tables=%d", op.name, n), func(b *testing.B) {
				var checked atomic.Int64
				var encoded atomic.Int64
				ctx := context.WithValue(context.Background(), checkCountKey{}, &checked)
				ctx = context.WithValue(ctx, encodeCountKey{}, &encoded)
				b.ReportAllocs()
				cpu0 := processCPU()
				b.ResetTimer()
				for k := 0; k < b.N; k++ {
					if op.setup != nil {
						b.StopTimer()
						e.change(b, context.Background(), op.setup(k))
						b.StartTimer()
					}
					e.change(b, ctx, op.body(k))
				}
				b.StopTimer()
				// The process's CPU (Postgres's is not counted): less
				// sensitive to a busy machine than ns/op. Includes the
				// untimed setup requests of drop_select_permission.
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(checked.Load())/float64(b.N), "checked/op")
				b.ReportMetric(float64(encoded.Load())/float64(b.N), "encoded/op")
			})
		}
	}
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncodeDocument compares encoding the stored document whole
// (json.Marshal, as every change did) with assembling it from cached table
// encodings after a change to one table (docEncoder), at 100 and 1,000
// tables. No database needed.
func BenchmarkEncodeDocument(b *testing.B) {
	for _, n := range []int{100, 1000} {
		md, err := Parse(scaleDocument(n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("marshal/tables=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(md); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("one-table-changed/tables=%d", n), func(b *testing.B) {
			var e docEncoder
			enc, _ := e.encode(context.Background(), md)
			e.commit(enc)
			b.ReportAllocs()
			for b.Loop() {
				o := &opCtx{md: md.share()}
				s := o.md.Sources[0]
				o.own(s, s.Tables[n/2])
				if _, err := e.encode(context.Background(), o.md); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
