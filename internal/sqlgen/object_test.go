package sqlgen

import (
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/ir"
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
