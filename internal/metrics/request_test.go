package metrics

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowOperation is requestOperation by json.Unmarshal alone.
func slowOperation(body []byte) string {
	var r gqlRequest
	if json.Unmarshal(body, &r) != nil {
		return OpUnknown
	}
	return OperationType(r.Query, r.OperationName)
}

var operationBodies = []string{
	`{"query":"query Q1 { artist(limit: 10, order_by: {artist_id: asc}) { artist_id name } }"}`,
	`{"query":"mutation { x }"}`,
	`  {"query" : "subscription S { x }" , "variables": {"a": [1, -2.5e+3, true, false, null, {"b": "c\"d"}]}}  `,
	`{"operationName":"B","query":"query A { a } mutation B { b }"}`,
	`{"query":"query A { a } mutation B { b }","operationName":"A"}`,
	`{"query":"query A { a } mutation B { b }","operationName":null}`,
	`{"query":"query A { a } mutation B { b }","operationName":"A","operationName":"B"}`,
	`{"query":"mutation { a }","query":null}`,
	`{"query":"mutation\n  M {\n  a\n}\n"}`,
	`{"query":"mutation\tM { a(s: \"x\\\\y\") }"}`,
	`{"query":"\u006dutation { a }"}`,
	`{"query":"mutation { a(s: \"é\") }"}`,
	`{"query":"mutation { a(s: \"` + "\xff" + `\") }"}`,
	`{"Query":"mutation { a }"}`,
	`{"QUERY":"mutation { a }","query":"query { a }"}`,
	`{"operationname":"B","query":"query A { a } mutation B { b }"}`,
	`{"qu\u0065ry":"mutation { a }"}`,
	`{"query":1}`,
	`{"query":["mutation { a }"]}`,
	`{"query":"mutation { a }"} x`,
	`{"query":"mutation { a }",}`,
	`{"query":"mutation { a }"`,
	`{"query":"mutation { a }","v":01}`,
	`{"query":"mutation { a }","v":1.}`,
	`{"query":"mutation { a }","v":-}`,
	`{"query":"mutation { a }","v":tru}`,
	`{"query":"mutation { a }","v":"\x"}`,
	"{\"query\":\"mutation { a }\",\"v\":\"\x01\"}",
	`{"query":"mutation { a }","v":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	`{}`,
	`[]`,
	`null`,
	`"query"`,
	``,
	`{"query":""}`,
	`{"query":"{ a }","operationName":""}`,
	`{"query":"` + strings.Repeat(`mutation M { a }\n`, 200) + `","operationName":"M"}`,
}

func TestRequestOperationMatchesUnmarshal(t *testing.T) {
	for _, b := range operationBodies {
		if got, want := requestOperation([]byte(b)), slowOperation([]byte(b)); got != want {
			t.Errorf("requestOperation(%q) = %q, json.Unmarshal gives %q", b, got, want)
		}
	}
}

func FuzzRequestOperation(f *testing.F) {
	for _, b := range operationBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := requestOperation(b), slowOperation(b); got != want {
			t.Errorf("requestOperation(%q) = %q, json.Unmarshal gives %q", b, got, want)
		}
	})
}

func FuzzOperationTypeSkipsNested(f *testing.F) {
	for _, q := range []string{
		`{ users { id } }`, `query Q($w: users_bool_exp = {id: {_eq: 1}}) @cached { users(where: $w) { id } }`,
		"# mutation in a comment\nquery { a }", `query A { a } mutation B { b }`,
		`fragment F on users { id } subscription { users { ...F } }`,
		`query { a(s: "mutation { x }", b: """ subscription { } """) }`, `mutation @dir(a: {b: "}"}) { x }`,
		"query { a(x: -1.5e3, y: [1, {z: \"#\"}]) # }\n } mutation M { b }",
	} {
		f.Add(q, "")
		f.Add(q, "M")
	}
	f.Fuzz(func(t *testing.T, q, name string) {
		if got, want := operationType(q, name, true), operationType(q, name, false); got != want {
			t.Errorf("operationType(%q, %q) = %q skipping nested tokens, %q scanning them", q, name, got, want)
		}
	})
}

func BenchmarkRequestOperation(b *testing.B) {
	body := []byte(`{"query":"query Q1 { artist(limit: 10, order_by: {artist_id: asc}) { artist_id name } }"}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			requestOperation(body)
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			slowOperation(body)
		}
	})
}

// TestObserveRequestConcurrently adds route/status pairs to the cached
// observers from several goroutines (run with -race).
func TestObserveRequestConcurrently(t *testing.T) {
	m := New(Options{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				m.ObserveRequest("/r"+strconv.Itoa(i%7), 200+(i+g)%5, time.Millisecond, 10, 20)
			}
		}()
	}
	wg.Wait()
	n := 0
	for k, o := range *m.durations.Load() {
		if o != m.httpDuration.WithLabelValues(k.route, strconv.Itoa(k.status)) {
			t.Errorf("observer of %v is not the vector's", k)
		}
		n++
	}
	if n != 35 {
		t.Errorf("%d observers cached, want 35", n)
	}
}
