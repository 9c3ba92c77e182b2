package sqlgen

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/pgtest"
)

var hostile = []string{
	"plain", `a"b`, `"; DROP TABLE x; --`, `'`, `\`, `\"`, `""`, "a\x00b", "ünïcødé", " spaced ", "$1", "}{,\"NULL\"",
	"NULL", "with\nnewline", "comma,brace}", `\\"\\`, "tab\there",
}

func TestQuoteIdent(t *testing.T) {
	cases := map[string]string{
		"user":    `"user"`,
		`a"b`:     `"a""b"`,
		"Order":   `"Order"`,
		"a\x00b":  `"ab"`,
		"":        `""`,
		`x""`:     `"x"""""`,
		"Mixed C": `"Mixed C"`,
	}
	for in, want := range cases {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
	if got := QuoteTable(ir.Table{Schema: "my schema", Name: `t"`}); got != `"my schema"."t"""` {
		t.Errorf("QuoteTable = %s", got)
	}
	if got := QuoteTable(ir.Table{Name: "t"}); got != `"t"` {
		t.Errorf("QuoteTable without schema = %s", got)
	}
}

// TestQuotingRoundTrip creates a table and column named by each hostile
// string and reads the names back from the catalog, and round-trips the same
// strings through string literals and array literals.
func TestQuotingRoundTrip(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	for _, h := range hostile {
		name := strings.ReplaceAll(h, "\x00", "")
		if len(name) == 0 {
			continue
		}
		sql := "CREATE TABLE " + QuoteIdent(h) + " (" + QuoteIdent(h) + " int)"
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%q: %v", h, err)
		}
		var got string
		if err := pool.QueryRow(ctx, "SELECT attname FROM pg_attribute WHERE attrelid = "+
			literal(QuoteIdent(h))+"::regclass AND attnum = 1").Scan(&got); err != nil {
			t.Fatalf("%q: %v", h, err)
		}
		if got != name {
			t.Errorf("column name %q came back as %q", name, got)
		}
		for _, scs := range []string{"on", "off"} {
			var lit string
			if err := pool.QueryRow(ctx, "SET standard_conforming_strings = "+scs+"; SELECT "+literal(h)).Scan(&lit); err != nil {
				// multi-statement queries are not allowed in the extended protocol; set it separately
				conn, err := pool.Acquire(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := conn.Exec(ctx, "SET standard_conforming_strings = "+scs); err != nil {
					t.Fatal(err)
				}
				err = conn.QueryRow(ctx, "SELECT "+literal(h)).Scan(&lit)
				_, _ = conn.Exec(ctx, "RESET standard_conforming_strings")
				conn.Release()
				if err != nil {
					t.Fatalf("literal %q: %v", h, err)
				}
			}
			if lit != name {
				t.Errorf("literal %q came back as %q (standard_conforming_strings=%s)", name, lit, scs)
			}
		}
	}
	arr := make([]any, 0, len(hostile))
	for _, h := range hostile {
		arr = append(arr, strings.ReplaceAll(h, "\x00", ""))
	}
	arr = append(arr, nil, "")
	var got []*string
	if err := pool.QueryRow(ctx, "SELECT $1::text::text[]", ArrayLiteral(arr)).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(arr) {
		t.Fatalf("array literal: %d elements, want %d", len(got), len(arr))
	}
	for i, g := range got {
		if arr[i] == nil {
			if g != nil {
				t.Errorf("element %d: %q, want NULL", i, *g)
			}
			continue
		}
		if g == nil || *g != arr[i] {
			t.Errorf("element %d: got %v, want %q", i, g, arr[i])
		}
	}
}

func literal(s string) string {
	var b strings.Builder
	writeLiteral(&b, s)
	return b.String()
}

// FuzzArrayLiteral checks that any list of strings survives the array
// literal encoder and PostgreSQL's array parser unchanged.
func FuzzArrayLiteral(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, "x")
	}
	pool := pgtest.Pool(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsRune(a+b, 0) || !utf8.ValidString(a) || !utf8.ValidString(b) {
			t.Skip()
		}
		var got []string
		if err := pool.QueryRow(context.Background(), "SELECT $1::text::text[]", ArrayLiteral([]any{a, b})).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != a || got[1] != b {
			t.Fatalf("got %q, want [%q %q]", got, a, b)
		}
	})
}

func TestValidType(t *testing.T) {
	good := []string{"integer", "text[]", "character varying(20)", "timestamp with time zone", `"public"."Mood"`, "numeric(10,2)", "double precision"}
	bad := []string{"", "int; DROP TABLE x", "int--", "int/*", `"unbalanced`, "int)'", "text\x00"}
	for _, s := range good {
		if !validType(s) {
			t.Errorf("validType(%q) = false", s)
		}
	}
	for _, s := range bad {
		if validType(s) {
			t.Errorf("validType(%q) = true", s)
		}
	}
	_, err := Query(list(&ir.Select{From: from("t"), Fields: cols("a"), Where: eq("a", lit("1", "int; DROP TABLE t"))}))
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("unsafe type: err = %v, want *sqlgen.Error", err)
	}
}

// TestBindingExecModes runs a statement with every kind of parameter under
// pgx's default cached-statement mode, the exec mode and the simple
// protocol, binding strings and nil through $n::text.
func TestBindingExecModes(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	g := &gen{}
	var b strings.Builder
	b.WriteString("SELECT json_build_object('i', ")
	g.param(&b, ir.Variable{Name: "i", Type: "integer"}, "")
	b.WriteString(", 'arr', ")
	g.param(&b, ir.Variable{Name: "arr", Type: "integer[]"}, "")
	b.WriteString(", 'j', ")
	g.param(&b, ir.Literal{Val: map[string]any{"a": []any{json.Number("1"), "x"}}, Type: "jsonb"}, "")
	b.WriteString(", 'js', ")
	g.param(&b, ir.Literal{Val: "str", Type: "jsonb"}, "")
	b.WriteString(", 'n', ")
	g.param(&b, ir.Variable{Name: "missing", Type: "integer"}, "")
	b.WriteString(", 's', ")
	g.param(&b, ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}, "")
	b.WriteString(", 'ids', ")
	g.param(&b, ir.SessionVar{Name: "x-hasura-ids", Type: "integer[]"}, "")
	b.WriteString(", 'b', ")
	g.param(&b, ir.Literal{Val: true, Type: "boolean"}, "")
	b.WriteString(", 'p', ")
	g.param(&b, ir.Variable{Name: "obj", Path: []any{"k", 1}, Type: "text"}, "")
	b.WriteString(", 'd', ")
	g.param(&b, ir.Variable{Name: "absent", Type: "text", Default: "dflt"}, "")
	b.WriteString(", 'txt', ")
	g.param(&b, ir.Literal{Val: `a"b\c`, Type: "text"}, "")
	b.WriteString(", 'ts', ")
	g.param(&b, ir.Literal{Val: []any{`a"b`, nil, "{x}"}, Type: "text[]"}, "")
	b.WriteString(")::text")
	vars := map[string]any{"i": json.Number("7"), "arr": []any{json.Number("1"), json.Number("2")},
		"obj": map[string]any{"k": []any{"zero", "one"}}}
	sess := map[string]string{"x-hasura-user-id": "42", "x-hasura-ids": "{1,2}"}
	args, err := Args(g.params, vars, sess)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"i" : 7, "arr" : [1,2], "j" : {"a": [1, "x"]}, "js" : "str", "n" : null, "s" : 42, "ids" : [1,2], "b" : true, "p" : "one", "d" : "dflt", "txt" : "a\"b\\c", "ts" : ["a\"b",null,"{x}"]}`
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = mode
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // twice: the second run uses the cached statement
			var got string
			if err := conn.QueryRow(ctx, b.String(), args...).Scan(&got); err != nil {
				t.Fatalf("mode %v: %v\n%s", mode, err, b.String())
			}
			if got != want {
				t.Errorf("mode %v:\n got %s\nwant %s", mode, got, want)
			}
		}
		conn.Close(ctx)
	}
}

func TestArgsMissingSessionVariables(t *testing.T) {
	params := []ir.Value{ir.SessionVar{Name: "x-hasura-user-id"}, ir.SessionVar{Name: "x-hasura-org-id"}, ir.SessionVar{Name: "x-hasura-user-id"}}
	_, err := Args(params, nil, map[string]string{})
	e := apierr.As(err)
	if e == nil || e.Code != apierr.NotFound || e.Message != `missing session variable: "x-hasura-user-id"` {
		t.Fatalf("err = %#v", err)
	}
	args, err := Args(params[:1], nil, map[string]string{"x-hasura-user-id": "1"})
	if err != nil || args[0] != "1" {
		t.Fatalf("args = %v, %v", args, err)
	}
}

// TestDataException shows that a bad value fails in PostgreSQL with a class
// 22 error, which the engine maps to data-exception.
func TestDataException(t *testing.T) {
	pool := pgtest.Pool(t)
	st, err := Query(list(&ir.Select{From: ir.From{Table: ir.Table{Schema: "pg_catalog", Name: "pg_namespace"}},
		Fields: cols("nspname"), Where: eq("oid", lit("abc", "integer"))}))
	if err != nil {
		t.Fatal(err)
	}
	args, _ := Args(st.Params, nil, nil)
	var s string
	err = pool.QueryRow(context.Background(), st.SQL, args...).Scan(&s)
	var pgErr interface{ SQLState() string }
	if !errors.As(err, &pgErr) || !strings.HasPrefix(pgErr.SQLState(), "22") {
		t.Fatalf("err = %v, want SQLSTATE class 22", err)
	}
}
