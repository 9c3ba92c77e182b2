package sqlgen

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite the golden .sql and .json files")

// goldenCase is one IR value compiled to testdata/<name>.sql and executed
// against the fixture database, its JSON compared with testdata/<name>.json.
type goldenCase struct {
	name string
	root *ir.Root
	mut  *ir.MutationRoot
	vars map[string]any
	sess map[string]string
	geo  bool // needs PostGIS
	// check, for mutations, is the expected permission-check outcome
	// (true when nil); checkNull expects NULL instead.
	check     *bool
	checkNull bool
}

// fixtureDB returns a pool on a fresh database holding testdata/fixture.sql
// and, with withGeo, testdata/fixture_geo.sql; it reports whether PostGIS
// could be installed.
func fixtureDB(t *testing.T, withGeo bool) (*pgxpool.Pool, bool) {
	t.Helper()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	sql, err := os.ReadFile("testdata/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(sql)); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	geo := false
	if !withGeo {
		return pool, false
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'").Scan(&n); err == nil && n > 0 {
		gsql, err := os.ReadFile("testdata/fixture_geo.sql")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, string(gsql)); err == nil {
			geo = true
		} else {
			t.Logf("PostGIS unavailable: %v", err)
		}
	}
	return pool, geo
}

func compileCase(c goldenCase) (Statement, error) {
	if c.mut != nil {
		return Mutation(c.mut)
	}
	return Query(c.root)
}

// runGolden compiles and executes every case, comparing with the golden files.
func runGolden(t *testing.T, cases []goldenCase) {
	needGeo := false
	for _, c := range cases {
		needGeo = needGeo || c.geo
	}
	pool, geo := fixtureDB(t, needGeo)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case %s", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			st, err := compileCase(c)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			compareGolden(t, filepath.Join("testdata", c.name+".sql"), []byte(st.SQL+"\n"))
			if c.geo && !geo {
				t.Skip("PostGIS is not installed")
			}
			got := execCase(t, pool, st, c)
			compareGolden(t, filepath.Join("testdata", c.name+".json"), got)
		})
	}
}

// execCase runs the statement in a transaction that is rolled back, and
// returns its JSON result, indented.
func execCase(t *testing.T, pool *pgxpool.Pool, st Statement, c goldenCase) []byte {
	t.Helper()
	ctx := context.Background()
	args, err := Args(st.Params, c.vars, c.sess)
	if err != nil {
		t.Fatalf("args: %v", err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if c.mut != nil {
		// sequences are not transactional: restart them so generated ids
		// do not depend on which cases ran before
		if _, err := tx.Exec(ctx, "SELECT setval('author_id_seq', 3), setval('article_id_seq', 4), setval('comment_id_seq', 4)"); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := tx.Query(ctx, st.SQL, args...)
	if err != nil {
		t.Fatalf("query: %v\n%s", err, st.SQL)
	}
	defer rows.Close()
	var out [][]byte
	var checkOK *bool
	for rows.Next() {
		var raw []byte
		dest := []any{&raw}
		if c.mut != nil {
			dest = append(dest, &checkOK)
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, raw)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query: %v\n%s", err, st.SQL)
	}
	if c.mut != nil {
		want := true
		if c.check != nil {
			want = *c.check
		}
		switch {
		case c.checkNull && checkOK != nil:
			t.Fatalf("check = %v, want NULL", *checkOK)
		case c.checkNull:
		case checkOK == nil:
			t.Fatalf("check = NULL, want %v", want)
		case *checkOK != want:
			t.Fatalf("check = %v, want %v", *checkOK, want)
		}
	}
	if len(out) != 1 {
		t.Fatalf("statement returned %d values, want 1", len(out))
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out[0], "", "  "); err != nil {
		t.Fatalf("result is not JSON: %v: %s", err, out[0])
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// Helpers that keep the case tables short.

func tbl(name string) ir.Table       { return ir.Table{Schema: "public", Name: name} }
func from(name string) ir.From       { return ir.From{Table: tbl(name)} }
func lit(v any, typ string) ir.Value { return ir.Literal{Val: v, Type: typ} }
func num(s string) json.Number       { return json.Number(s) }
func ptr[T any](v T) *T              { return &v }

func cols(names ...string) []ir.Field {
	out := make([]ir.Field, len(names))
	for i, n := range names {
		out[i] = ir.Field{Alias: n, Value: ir.ColumnField{Name: n}}
	}
	return out
}

func fields(f ...any) []ir.Field {
	var out []ir.Field
	for i := 0; i < len(f); i += 2 {
		out = append(out, ir.Field{Alias: f[i].(string), Value: f[i+1].(ir.FieldValue)})
	}
	return out
}

func eq(c string, v ir.Value) ir.BoolExp {
	return ir.Compare{Left: ir.ColumnOp{Name: c}, Op: ir.OpEq, Right: v}
}

func cmp(c, typ string, op ir.CompareOp, v any) ir.BoolExp {
	return ir.Compare{Left: ir.ColumnOp{Name: c, Type: typ}, Op: op, Right: v}
}

func rel(target string, pairs ...string) ir.Relationship {
	r := ir.Relationship{Target: tbl(target)}
	for i := 0; i < len(pairs); i += 2 {
		r.Mapping = append(r.Mapping, ir.ColumnPair{Outer: pairs[i], Inner: pairs[i+1]})
	}
	return r
}

func asc(c string) ir.OrderBy { return ir.OrderBy{Expr: ir.OrderColumn{Name: c}} }
func desc(c string) ir.OrderBy {
	return ir.OrderBy{Expr: ir.OrderColumn{Name: c}, Desc: true, NullsFirst: true}
}

func list(sel *ir.Select) *ir.Root { return &ir.Root{Alias: "r", Select: sel} }

func TestGoldenQueries(t *testing.T) { runGolden(t, queryCases()) }

func TestGoldenMutations(t *testing.T) { runGolden(t, mutationCases()) }

// TestGoldenSQLStable checks the SQL of every case without a database, so a
// change in the generated text is caught even where PostgreSQL is absent.
func TestGoldenSQLStable(t *testing.T) {
	if *update {
		t.Skip("updating")
	}
	for _, c := range append(queryCases(), mutationCases()...) {
		st, err := compileCase(c)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want, err := os.ReadFile(filepath.Join("testdata", c.name+".sql"))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if strings.TrimSuffix(string(want), "\n") != st.SQL {
			t.Errorf("%s: SQL differs from golden file", c.name)
		}
	}
}

var _ = pgx.QueryExecModeExec
