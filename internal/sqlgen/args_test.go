package sqlgen

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/postgate/postgate/internal/ir"
)

func TestArgsEncoding(t *testing.T) {
	vars := map[string]any{
		"obj":  map[string]any{"list": []any{"a", map[string]any{"b": json.Number("2")}}},
		"f":    1.5,
		"n":    json.Number("12345678901234567890"),
		"list": []any{[]any{json.Number("1"), json.Number("2")}, []any{json.Number("3"), nil}},
	}
	sess := map[string]string{"x-hasura-ids": `[1, "two", null]`, "x-hasura-literal": "{1,2}", "X-Hasura-Role": "user"}
	params := []ir.Value{
		ir.Variable{Name: "obj", Path: []any{"list", json.Number("1"), "b"}, Type: "integer"},
		ir.Variable{Name: "obj", Path: []any{"list", 5}, Type: "text"},
		ir.Variable{Name: "obj", Path: []any{"list"}, Type: "jsonb"},
		ir.Variable{Name: "f", Type: "numeric"},
		ir.Variable{Name: "n", Type: "numeric"},
		ir.Variable{Name: "list", Type: "integer[][]"},
		ir.SessionVar{Name: "x-hasura-ids", Type: "text[]"},
		ir.SessionVar{Name: "x-hasura-literal", Type: "integer[]"},
		ir.SessionJSON{},
		ir.Literal{Val: []any{map[string]any{"a": `"`}, nil}, Type: "jsonb[]"},
		ir.Literal{Val: false, Type: "boolean"},
		ir.Literal{Val: nil, Type: "jsonb"},
	}
	got, err := Args(params, vars, sess)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"2", nil, `["a",{"b":2}]`, "1.5", "12345678901234567890", `{{"1","2"},{"3",NULL}}`,
		`{"1","two",NULL}`, "{1,2}", `{"x-hasura-ids":"[1, \"two\", null]","x-hasura-literal":"{1,2}","x-hasura-role":"user"}`,
		`{"{\"a\":\"\\\"\"}",NULL}`, "false", nil}
	if !reflect.DeepEqual(got, want) {
		for i := range want {
			if i < len(got) && !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("param %d: got %#v, want %#v", i, got[i], want[i])
			}
		}
	}
}

func TestParseJSONPath(t *testing.T) {
	cases := map[string][]any{
		"$.a.b[0]":                     {"a", "b", "0"},
		"a.b":                          {"a", "b"},
		"$['x y'][2]":                  {"x y", "2"},
		"$":                            nil,
		"objs[0].[\"你好\"]":             {"objs", "0", "你好"},
		"objs.[0].[\"你好\"]":            {"objs", "0", "你好"},
		"translations['hello world!']": {"translations", "hello world!"},
		"['!@#$%^']":                   {"!@#$%^"},
		"._underscore":                 {"_underscore"},
	}
	for in, want := range cases {
		got, err := parseJSONPath(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseJSONPath(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"$.a[0", "$..a"} {
		if _, err := parseJSONPath(bad); err == nil {
			t.Errorf("parseJSONPath(%q) succeeded", bad)
		}
	}
}

func TestParamsShared(t *testing.T) {
	st, err := Query(list(&ir.Select{From: from("t"), Fields: cols("a"), Where: ir.And{
		eq("a", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}),
		eq("b", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}),
		eq("c", ir.SessionVar{Name: "x-hasura-user-id", Type: "text"}),
		eq("d", ir.Variable{Name: "v", Type: "integer"}),
		eq("e", ir.Variable{Name: "v", Type: "integer"}),
		eq("f", lit(json.Number("1"), "integer")),
		eq("g", lit(json.Number("1"), "integer")),
	}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Params) != 5 {
		t.Fatalf("%d params, want 5 (session variable and variable shared per type, literals not): %s", len(st.Params), st.SQL)
	}
}
