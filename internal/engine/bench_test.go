package engine

import (
	"context"
	"testing"
)

// BenchmarkExecuteCached measures a request whose plan is cached: variable
// checks, binding, one round trip and response assembly.
func BenchmarkExecuteCached(b *testing.B) {
	e, _ := newFixture(b, Options{})
	body := []byte(`{"query":"query($id: Int!) { author(where: {id: {_eq: $id}}) { id name articles(order_by: {id: asc}) { id title } } }","variables":{"id":1}}`)
	s := user("user", "1")
	if _, out := e.Execute(context.Background(), s, body, false); len(out) < 20 {
		b.Fatalf("unexpected response %s", out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Execute(context.Background(), s, body, false)
	}
	b.StopTimer()
	if st := e.Stats(); st.Plans != 1 {
		b.Fatalf("the benchmark planned %d times", st.Plans)
	}
}

// BenchmarkExecuteThreeRoots measures a cached request with three root
// fields, which run in one round trip.
func BenchmarkExecuteThreeRoots(b *testing.B) {
	e, _ := newFixture(b, Options{})
	body := []byte(`{"query":"{ a: author { id name articles { id title } } b: article(order_by: {id: desc}) { id author { name } } c: article_aggregate { aggregate { count max { id } } } }"}`)
	s := user("user", "1")
	if _, out := e.Execute(context.Background(), s, body, false); len(out) < 20 {
		b.Fatalf("unexpected response %s", out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Execute(context.Background(), s, body, false)
	}
}
