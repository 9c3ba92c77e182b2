package engine

import (
	"bytes"
	"context"
	"fmt"
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

// BenchmarkMutationCached measures the seed's user-sync upsert repeated
// with new values: its plan is cached, so each request only binds its
// variables and runs one statement in a transaction.
func BenchmarkMutationCached(b *testing.B) {
	e, _ := newMutationFixture(b)
	const q = `mutation($userId: String!, $userName: String) { insert_users_one(object: {userId: $userId, userName: $userName}, on_conflict: {constraint: users_pkey, update_columns: userName}) { userId userName } }`
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = []byte(fmt.Sprintf(`{"query":%q,"variables":{"userId":"auth0|%d","userName":"User %d"}}`, q, i%8, i))
	}
	if _, out := e.Execute(context.Background(), admin, bodies[0], false); !bytes.Contains(out, []byte(`"insert_users_one"`)) {
		b.Fatalf("unexpected response %s", out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Execute(context.Background(), admin, bodies[i%len(bodies)], false)
	}
	b.StopTimer()
	if st := e.Stats(); st.Plans != 1 || st.Parses != 1 {
		b.Fatalf("the benchmark parsed %d and planned %d times", st.Parses, st.Plans)
	}
}
