package engine

import "testing"

// TestSplitFirst removes the cursor column (the first member) from the
// rows of a streaming batch, whatever spacing Postgres wrote.
func TestSplitFirst(t *testing.T) {
	cases := []struct{ in, first, rest string }{
		{`{"postgate_cursor" : 5, "name" : "a"}`, `5`, `{"name" : "a"}`},
		{`{"postgate_cursor":"2020-01-01T00:00:00","id":1}`, `"2020-01-01T00:00:00"`, `{"id":1}`},
		{`{"postgate_cursor" : {"a" : [1, 2]}}`, `{"a" : [1, 2]}`, `{}`},
		{`{ "postgate_cursor" : null , "x" : "}, "}`, `null`, `{"x" : "}, "}`},
	}
	for _, c := range cases {
		first, rest, ok := splitFirst([]byte(c.in))
		if !ok || string(first) != c.first || string(rest) != c.rest {
			t.Errorf("splitFirst(%s) = %s, %s, %v; want %s, %s", c.in, first, rest, ok, c.first, c.rest)
		}
	}
	if _, _, ok := splitFirst([]byte(`[1]`)); ok {
		t.Error("a list is not an object")
	}
}

// TestAdvanceLeavesLiveQueriesAlone: only streams rewrite their results.
func TestAdvanceLeavesLiveQueriesAlone(t *testing.T) {
	l := &Live{}
	body := []byte(`{"data":{"x":[{"a" : 1}]}}`)
	if got := l.Advance(body); string(got) != string(body) || l.Streaming() {
		t.Fatalf("got %s", got)
	}
}
