package e2e

import (
	"net/http"
	"strings"
	"testing"
)

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func TestCompareBody(t *testing.T) {
	tests := []struct {
		name      string
		want, got string
		ok        bool
		warnings  int
		failHas   string
	}{
		{"key order ignored", `{"a":1,"b":{"c":2,"d":3}}`, `{"b":{"d":3,"c":2},"a":1}`, true, 0, ""},
		{"array order matters", `[1,2]`, `[2,1]`, false, 0, "$[0]"},
		{"array length", `{"a":[1,2]}`, `{"a":[1]}`, false, 0, "1 elements, want 2"},
		{"missing key", `{"a":1,"b":2}`, `{"a":1}`, false, 0, `missing key "b"`},
		{"extra key", `{"a":1}`, `{"a":1,"b":2}`, false, 0, `unexpected key "b"`},
		{"numbers by value", `{"a":1,"b":1.5,"c":100}`, `{"a":1.0,"b":1.50,"c":1e2}`, true, 0, ""},
		{"big integers exact", `{"a":12345678901234567890}`, `{"a":12345678901234567891}`, false, 0, "$.a"},
		{"string is not number", `{"a":"1"}`, `{"a":1}`, false, 0, "$.a"},
		{"null vs missing", `{"a":null}`, `{}`, false, 0, `missing key "a"`},
		{"error message only warns",
			`{"errors":[{"extensions":{"path":"$.selectionSet.x","code":"validation-failed"},"message":"old wording"}]}`,
			`{"errors":[{"extensions":{"path":"$.selectionSet.x","code":"validation-failed"},"message":"new wording"}]}`,
			true, 1, ""},
		{"error code is strict",
			`{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"m"}]}`,
			`{"errors":[{"extensions":{"path":"$","code":"parse-failed"},"message":"m"}]}`,
			false, 0, ".extensions.code"},
		{"error path is strict",
			`{"errors":[{"extensions":{"path":"$.a","code":"c"},"message":"m"}]}`,
			`{"errors":[{"extensions":{"path":"$.b","code":"c"},"message":"m"}]}`,
			false, 0, ".extensions.path"},
		{"error count is strict",
			`{"errors":[{"extensions":{"path":"$","code":"c"},"message":"m"}]}`,
			`{"errors":[]}`, false, 0, "0 errors, want 1"},
		{"data null beside errors only warns",
			`{"errors":[{"extensions":{"path":"$","code":"c"},"message":"m"}]}`,
			`{"data":null,"errors":[{"extensions":{"path":"$","code":"c"},"message":"m"}]}`,
			true, 1, ""},
		{"legacy error entry shape is strict",
			`{"errors":[{"path":"$","error":"m","code":"c"}]}`,
			`{"errors":[{"extensions":{"path":"$","code":"c"},"message":"m"}]}`,
			false, 0, "missing"},
		{"metadata error: message and internal warn",
			`{"path":"$.args","error":"cannot drop","code":"dependency-error"}`,
			`{"path":"$.args","error":"cannot drop due to x","code":"dependency-error","internal":[1]}`,
			true, 2, ""},
		{"metadata error: code strict",
			`{"path":"$.args","error":"e","code":"not-exists"}`,
			`{"path":"$.args","error":"e","code":"already-tracked"}`,
			false, 0, "$.code"},
		{"error vs data", `{"errors":[{"message":"m"}]}`, `{"data":{"a":1}}`, false, 0, "missing key"},
		{"graphql error vs metadata error shape",
			`{"errors":[{"extensions":{"path":"$","code":"c"},"message":"m"}]}`,
			`{"path":"$","error":"m","code":"c"}`, false, 0, "shape differs"},
		{"batch element by element",
			`[{"errors":[{"extensions":{"path":"$.x","code":"validation-failed"},"message":"a"}]},{"data":{"author":[{"id":1}]}}]`,
			`[{"errors":[{"extensions":{"path":"$.x","code":"validation-failed"},"message":"b"}]},{"data":{"author":[{"id":1}]}}]`,
			true, 1, ""},
		{"batch data strict",
			`[{"data":{"a":1}},{"data":{"a":2}}]`, `[{"data":{"a":1}},{"data":{"a":3}}]`, false, 0, "$[1].data.a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := CompareBody(mustJSON(t, tt.want), mustJSON(t, tt.got))
			if d.OK() != tt.ok {
				t.Fatalf("ok = %v, failures %q", d.OK(), d.Failures)
			}
			if len(d.Warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d", d.Warnings, tt.warnings)
			}
			if tt.failHas != "" && !strings.Contains(strings.Join(d.Failures, "\n"), tt.failHas) {
				t.Errorf("failures %q do not mention %q", d.Failures, tt.failHas)
			}
		})
	}
}

func TestCompareYAMLExpectation(t *testing.T) {
	// An expectation written in YAML (merge key, integer keys) against a
	// server's JSON answer.
	want, err := FromYAML([]byte("base: &r\n  data:\n    body:\n      1: 2\nresponse:\n  <<: *r\n"))
	if err != nil {
		t.Fatal(err)
	}
	exp := want.(*Object).Vals["response"]
	if d := CompareBody(exp, mustJSON(t, `{"data":{"body":{"1":2}}}`)); !d.OK() {
		t.Errorf("%q", d.Failures)
	}
}

func TestHeadersSubset(t *testing.T) {
	want, _ := FromYAML([]byte("Content-Type: application/json; charset=utf-8\nX-Count: 2\n"))
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Count", "2")
	h.Set("X-Other", "y")
	if f := HeadersSubset(want.(*Object), h); len(f) != 0 {
		t.Errorf("%q", f)
	}
	h.Del("X-Count")
	if f := HeadersSubset(want.(*Object), h); len(f) != 1 {
		t.Errorf("missing header not reported: %q", f)
	}
}

func TestReasonGroup(t *testing.T) {
	tests := map[string]string{
		`setup.yaml failed: /v1/query answered 404: 404 page not found`:                          "setup.yaml failed: /v1/query answered 404",
		`schema_setup.yaml failed: /v1/query answered 400: {"code":"not-supported","error":"x"}`: "schema_setup.yaml failed: /v1/query answered 400 (not-supported)",
		`step 2: status 400, want 200: {"path":"$","code":"already-tracked"}`:                    "status 400, want 200 (already-tracked)",
		`$.errors[0].extensions.code: got "a", want "b"`:                                         "error code differs",
		`$.data: missing key "x" (got keys y)`:                                                   "response keys differ",
		`$.data.a: got 1, want 2`:                                                                "response values differ",
	}
	for in, want := range tests {
		if got := ReasonGroup(in); got != want {
			t.Errorf("ReasonGroup(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExpectsError(t *testing.T) {
	c := &Case{ID: "graphql_mutation/x/person_error_no_operator"}
	if !expectsError(c, &Step{Status: 200}) {
		t.Error("error case by name not recognised")
	}
	c = &Case{ID: "graphql_mutation/x/author_student_role_insert_check_bio_success"}
	if expectsError(c, &Step{Status: 200, Description: "Inserts author with bio as a student"}) {
		t.Error("success case taken for an error case")
	}
	if !expectsError(c, &Step{Status: 200, Description: "Upserts article data (Error 02)"}) {
		t.Error("error case by description not recognised")
	}
	if !expectsError(c, &Step{Status: 400}) {
		t.Error("4xx status not taken for an error case")
	}
}

func TestSelectionOrder(t *testing.T) {
	req := func(q string) any {
		o := NewObject()
		o.Set("query", q)
		return o
	}
	tests := []struct {
		name, query, data string
		diffs             int
	}{
		{"in order", `{ author { id name articles { title } } }`,
			`{"data":{"author":[{"id":1,"name":"a","articles":[{"title":"t"}]}]}}`, 0},
		{"top level reordered", `{ author { id name } }`,
			`{"data":{"author":[{"name":"a","id":1}]}}`, 1},
		{"nested reordered", `{ author { id articles { id title } } }`,
			`{"data":{"author":[{"id":1,"articles":[{"title":"t","id":2}]}]}}`, 1},
		{"aliases", `{ a: author { x: id y: name } }`,
			`{"data":{"a":[{"x":1,"y":"n"}]}}`, 0},
		{"named and inline fragments in place", `query { author { id ...F ... on author { age } } } fragment F on author { name }`,
			`{"data":{"author":[{"id":1,"name":"n","age":3}]}}`, 0},
		{"fragment order violated", `query { author { ...F id } } fragment F on author { name }`,
			`{"data":{"author":[{"id":1,"name":"n"}]}}`, 1},
		{"skipped field ignored", `{ author { id name @skip(if: true) age } }`,
			`{"data":{"author":[{"id":1,"age":3}]}}`, 0},
		{"jsonb leaf not checked", `{ person { details } }`,
			`{"data":{"person":[{"details":{"z":1,"a":2}}]}}`, 0},
		{"errors only", `{ author { id } }`, `{"errors":[]}`, 0},
		{"unparsable query", `{ author {`, `{"data":{"author":[]}}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SelectionOrder(req(tt.query), mustJSON(t, tt.data))
			if len(got) != tt.diffs {
				t.Errorf("got %q, want %d differences", got, tt.diffs)
			}
		})
	}
	batch := selectionOrder([]any{req(`{ a { x y } }`)}, mustJSON(t, `[{"data":{"a":{"y":1,"x":2}}}]`))
	if len(batch) != 1 || !strings.HasPrefix(batch[0], "[0] $.data.a") {
		t.Errorf("batch: %q", batch)
	}
}
