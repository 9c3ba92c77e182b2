package sqlgen

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/pgtest"
)

func TestRowKeys(t *testing.T) {
	long := strings.Repeat("k", maxRowKey)
	for _, c := range []struct {
		keys []string
		ok   bool
	}{
		{[]string{"id", "name"}, true},
		{[]string{`k"ey'`, "select", "Mixed Case"}, true},
		{[]string{long}, true},
		{[]string{long + "k"}, false},
		{[]string{long + "\x00"}, true}, // NUL bytes are dropped by writeIdent
		{[]string{"id", "id"}, false},
		{[]string{"a\x00b", "ab"}, false}, // equal once written
		{[]string{"Id", "id"}, true},      // quoted names keep their case
		{[]string{""}, false},
		{[]string{"\x00"}, false},
		{nil, false},
	} {
		if got := rowKeys(len(c.keys), func(i int) string { return c.keys[i] }); got != c.ok {
			t.Errorf("rowKeys(%q) = %v, want %v", c.keys, got, c.ok)
		}
	}
	// many keys take the map path
	many := make([]string, 40)
	for i := range many {
		many[i] = "f" + strings.Repeat("x", i)
	}
	if !rowKeys(len(many), func(i int) string { return many[i] }) {
		t.Error("distinct keys refused")
	}
	many[39] = many[3]
	if rowKeys(len(many), func(i int) string { return many[i] }) {
		t.Error("duplicate key accepted")
	}
}

// TestObjectFallback checks that objects whose keys cannot be column names
// are built with json_build_object, and the others as composite rows.
func TestObjectFallback(t *testing.T) {
	for _, c := range []struct {
		keys      []string
		composite bool
	}{
		{[]string{"id", "name"}, true},
		{[]string{"id", "id"}, false},
		{[]string{"id", strings.Repeat("x", 64)}, false},
		{[]string{""}, false},
	} {
		var fs []ir.Field
		for _, k := range c.keys {
			fs = append(fs, ir.Field{Alias: k, Value: ir.ColumnField{Name: "id"}})
		}
		st, err := Query(&ir.Root{Alias: "r", Select: &ir.Select{From: ir.From{Table: ir.Table{Schema: "public", Name: "t"}}, Fields: fs}})
		if err != nil {
			t.Fatal(err)
		}
		composite := strings.Contains(st.SQL, "row_to_json(") && !strings.Contains(st.SQL, "json_build_object(")
		if composite != c.composite {
			t.Errorf("keys %q: %s", c.keys, st.SQL)
		}
	}
}

// TestHostileKeys runs objects whose keys are hostile strings (quotes,
// backslashes, NUL, newlines, 63 and 64 bytes): each comes back as the
// JSON key it names, with its value, both as a composite row and through
// the json_build_object fallback.
func TestHostileKeys(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	keys := append([]string{strings.Repeat("é", 31) + "x", strings.Repeat("é", 32)}, hostile...)
	for _, h := range keys {
		name := strings.ReplaceAll(h, "\x00", "")
		for _, single := range []bool{false, true} {
			sel := &ir.Select{From: ir.From{Table: ir.Table{Schema: "public", Name: "t"}}, OrderBy: []ir.OrderBy{{Expr: ir.OrderColumn{Name: "id"}}},
				Single: single, Fields: []ir.Field{{Alias: h, Value: ir.ColumnField{Name: "id"}}, {Alias: "k", Value: ir.ConstField{Value: h}}}}
			if single {
				sel.Where = ir.Compare{Left: ir.ColumnOp{Name: "id"}, Op: ir.OpEq, Right: ir.Literal{Val: json.Number("2"), Type: "integer"}}
			}
			st, err := Query(&ir.Root{Alias: "r", Select: sel})
			if err != nil {
				t.Fatal(err)
			}
			args, err := Args(st.Params, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if err := pool.QueryRow(ctx, st.SQL, args...).Scan(&raw); err != nil {
				t.Fatalf("%q: %v\n%s", h, err, st.SQL)
			}
			var rows []map[string]any
			if single {
				raw = append(append([]byte{'['}, raw...), ']')
			}
			if err := json.Unmarshal(raw, &rows); err != nil {
				t.Fatalf("%q: %v: %s", h, err, raw)
			}
			for i, r := range rows {
				id := float64(i + 1)
				if single {
					id = 2
				}
				if len(r) != 2 || r[name] != id || r["k"] != name {
					t.Errorf("key %q (single %v): got %s", h, single, raw)
				}
			}
		}
	}
}
