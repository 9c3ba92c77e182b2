package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/postgate/postgate/internal/session"
)

func TestPlanCacheInvalidatedByUpdate(t *testing.T) {
	e, pool := newFixture(t, Options{})
	q := `{ author(where: {id: {_eq: 1}}) { name } }`
	expect(t, e, user("user", "1"), q, nil, `{"data":{"author":[{"name":"Author 1"}]}}`)
	expect(t, e, user("user", "1"), q, nil, `{"data":{"author":[{"name":"Author 1"}]}}`)
	if st := e.Stats(); st.Plans != 1 || st.Hits != 1 {
		t.Fatalf("want 1 plan and 1 hit, got %+v", st)
	}
	// New metadata: role user loses column name.
	update(t, e, pool, strings.Replace(fixtureMetadata, `"columns": ["id", "name", "created_at"]`, `"columns": ["id", "created_at"]`, 1))
	expect(t, e, user("user", "1"), q, nil,
		`{"errors":[{"extensions":{"path":"$.selectionSet.author.selectionSet.name","code":"validation-failed"},"message":"field \"name\" not found in type: 'author'"}]}`)
	if st := e.Stats(); st.Parses != 2 {
		t.Fatalf("want the query parsed again after Update, got %+v", st)
	}
}

func TestCacheIsBounded(t *testing.T) {
	e, _ := newFixture(t, Options{CacheSize: 4})
	for i := 0; i < 10; i++ {
		expect(t, e, session.Admin(), fmt.Sprintf(`{ author_by_pk(id: %d) { id } }`, i+1), nil, "")
	}
	if n := e.cache.len(); n != 4 {
		t.Fatalf("cache holds %d entries, want 4", n)
	}
	// Large documents are bounded by their size as well.
	e2, _ := newFixture(t, Options{CacheBytes: 64 << 10})
	pad := strings.Repeat(" ", 4<<10)
	for i := 0; i < 10; i++ {
		expect(t, e2, session.Admin(), fmt.Sprintf(`{ author_by_pk(id: %d) { id } }%s`, i+1, pad), nil, "")
	}
	if n := e2.cache.len(); n < 1 || n > 2 {
		t.Fatalf("cache holds %d large entries, want at most 2", n)
	}
}

func TestConcurrentExecute(t *testing.T) {
	e, _ := newFixture(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				id := (g+i)%3 + 1
				body, _ := json.Marshal(map[string]any{
					"query":     `query($id: Int!) { author(where: {id: {_eq: $id}}) { id } }`,
					"variables": map[string]any{"id": id},
				})
				_, b := e.Execute(context.Background(), user("user", "1"), body, false)
				var c bytes.Buffer
				_ = json.Compact(&c, b)
				if want := fmt.Sprintf(`{"data":{"author":[{"id":%d}]}}`, id); c.String() != want {
					errs <- string(b)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Fatal(s)
	}
}
