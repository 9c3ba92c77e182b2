package engine

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/pgtest"
)

// A request waits only for an execution that starts after it arrived, and
// every request waiting meanwhile shares that one execution.
func TestFlightsShareOnlyLaterExecutions(t *testing.T) {
	f := &flights{limit: 1}
	key := flightKey{args: "k"}
	var seq, runs atomic.Int64
	gate := make(chan struct{})
	run := func(context.Context) ([]byte, error) {
		runs.Add(1)
		started := seq.Add(1)
		if runs.Load() == 1 {
			<-gate
		}
		return []byte(strconv.FormatInt(started, 10)), nil
	}
	first := make(chan []byte)
	go func() {
		out, _ := f.do(context.Background(), key, run)
		first <- out
	}()
	waitFor(t, func() bool { return runs.Load() == 1 })
	const n = 10
	var wg sync.WaitGroup
	arrived := make([]int64, n)
	got := make([][]byte, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			arrived[i] = seq.Add(1)
			got[i], _ = f.do(context.Background(), key, run)
		}(i)
	}
	waitFor(t, func() bool { return f.waited.Load() == n })
	close(gate)
	wg.Wait()
	if out := <-first; string(out) != "1" {
		t.Fatalf("first request got %s", out)
	}
	if r := runs.Load(); r != 2 {
		t.Fatalf("%d executions for %d requests, want 2", r, n+1)
	}
	for i := range got {
		started, _ := strconv.ParseInt(string(got[i]), 10, 64)
		if started <= arrived[i] {
			t.Fatalf("request %d (arrived at %d) got an execution started at %d", i, arrived[i], started)
		}
	}
	f.mu.Lock()
	left := len(f.m)
	f.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d keys left in the table", left)
	}
}

// Below the limit, identical requests run side by side.
func TestFlightsRunInParallelBelowLimit(t *testing.T) {
	f := &flights{limit: 2}
	key := flightKey{args: "k"}
	var running atomic.Int64
	both := make(chan struct{})
	run := func(context.Context) ([]byte, error) {
		if running.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
		case <-time.After(5 * time.Second):
			return nil, context.DeadlineExceeded
		}
		return []byte("x"), nil
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = f.do(context.Background(), key, run) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("two identical requests did not run at the same time: %v", err)
		}
	}
	if f.waited.Load() != 0 {
		t.Fatal("a request waited although the limit allowed it to run")
	}
}

// A waiting request that is cancelled leaves; the shared execution still
// answers the others.
func TestFlightsCancelledWaiter(t *testing.T) {
	f := &flights{limit: 1}
	key := flightKey{args: "k"}
	gate := make(chan struct{})
	var runs atomic.Int64
	run := func(context.Context) ([]byte, error) {
		if runs.Add(1) == 1 {
			<-gate
		}
		return []byte("ok"), nil
	}
	go func() { _, _ = f.do(context.Background(), key, run) }()
	waitFor(t, func() bool { return runs.Load() == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error)
	go func() { _, err := f.do(ctx, key, run); cancelled <- err }()
	waitFor(t, func() bool { return f.waited.Load() == 1 })
	other := make(chan []byte)
	go func() { out, _ := f.do(context.Background(), key, run); other <- out }()
	waitFor(t, func() bool { return f.waited.Load() == 2 })
	cancel()
	if err := <-cancelled; err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(gate)
	if out := <-other; string(out) != "ok" {
		t.Fatalf("other waiter got %q", out)
	}
}

// A panicking execution ends: the key is free again, and the requests
// waiting for a shared execution that panics get an error instead of the
// process ending.
func TestFlightsPanickingExecution(t *testing.T) {
	f := &flights{limit: 1}
	key := flightKey{args: "k"}
	func() {
		defer func() { _ = recover() }()
		_, _ = f.do(context.Background(), key, func(context.Context) ([]byte, error) { panic("boom") })
	}()
	f.mu.Lock()
	left := len(f.m)
	f.mu.Unlock()
	if left != 0 {
		t.Fatal("a panicking execution kept its key busy")
	}
	gate := make(chan struct{})
	var runs atomic.Int64
	go func() {
		_, _ = f.do(context.Background(), key, func(context.Context) ([]byte, error) {
			runs.Add(1)
			<-gate
			return []byte("ok"), nil
		})
	}()
	waitFor(t, func() bool { return runs.Load() == 1 })
	errc := make(chan error)
	go func() {
		_, err := f.do(context.Background(), key, func(context.Context) ([]byte, error) { panic("boom") })
		errc <- err
	}()
	waitFor(t, func() bool { return f.waited.Load() == 1 })
	close(gate)
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("waiter of a panicking shared execution: %v", err)
	}
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.m) == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

const slowFieldSQL = `
create function author_slow(a author) returns int language sql stable as $$ select 1 from pg_sleep(0.4) $$;
`

// A query that arrives after a write committed sees the write, even while
// an identical query that started before the write is still running: it is
// not handed that query's older answer.
func TestCoalescedQuerySeesEarlierWrites(t *testing.T) {
	e, pool := newFixture(t, Options{})
	e.flights.limit = 1
	pgtest.Exec(t, pool, slowFieldSQL)
	md := strings.Replace(fixtureMetadata, `"array_relationships": [`, `"computed_fields": [
        {"name": "slow", "definition": {"function": {"schema": "public", "name": "author_slow"}}}
      ],
      "array_relationships": [`, 1)
	update(t, e, pool, md)
	const q = `{ author(order_by: {id: desc}, limit: 1) { name slow } }`
	s := admin
	firstDone := make(chan string)
	go func() { _, b := gql(t, e, s, q, nil); firstDone <- b }()
	// Wait until the first query is sleeping: its snapshot is taken.
	waitFor(t, func() bool {
		var n int
		_ = pool.QueryRow(context.Background(), `select count(*) from pg_stat_activity where wait_event = 'PgSleep'`).Scan(&n)
		return n > 0
	})
	pgtest.Exec(t, pool, `insert into author (name) values ('Written meanwhile')`)
	_, second := gql(t, e, s, q, nil)
	first := <-firstDone
	if strings.Contains(first, "Written meanwhile") {
		t.Fatalf("the first query saw a row written after it started: %s", first)
	}
	if !strings.Contains(second, "Written meanwhile") {
		t.Fatalf("a query made after the write did not see it: %s", second)
	}
	if e.flights.waited.Load() != 1 {
		t.Fatalf("the second request did not wait for a shared execution (waited %d)", e.flights.waited.Load())
	}
}

// Requests of different users never share an answer; requests of one user
// do.
func TestCoalescedQueriesKeepSessionsApart(t *testing.T) {
	e, pool := newFixture(t, Options{})
	e.flights.limit = 1
	pgtest.Exec(t, pool, slowFieldSQL+`update author set name = 'Author ' || id;`)
	md := strings.Replace(fixtureMetadata, `"array_relationships": [`, `"computed_fields": [
        {"name": "slow", "definition": {"function": {"schema": "public", "name": "author_slow"}}}
      ],
      "array_relationships": [`, 1)
	md = strings.Replace(md, `{"role": "self", "permission": {"columns": ["id", "name"], "filter"`, `{"role": "self", "permission": {"columns": ["id", "name"], "computed_fields": ["slow"], "filter"`, 1)
	update(t, e, pool, md)
	const q = `{ author { id name slow } }`
	// Plan the query once first, so that all requests share its plan.
	gql(t, e, user("self", "1"), q, nil)
	var wg sync.WaitGroup
	type result struct{ id, body string }
	results := make(chan result, 12)
	for i := range 12 {
		id := strconv.Itoa(i%3 + 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, b := gql(t, e, user("self", id), q, nil)
			results <- result{id, b}
		}()
		if i == 2 {
			// The first three (one per user) are running; the rest wait.
			waitFor(t, func() bool {
				var n int
				_ = pool.QueryRow(context.Background(), `select count(*) from pg_stat_activity where wait_event = 'PgSleep'`).Scan(&n)
				return n >= 3
			})
		}
	}
	wg.Wait()
	close(results)
	for r := range results {
		want := `{"data":{"author":[{"id":` + r.id + `,"name":"Author ` + r.id + `","slow":1}]}}`
		jsonEq(t, r.body, want)
	}
	if w := e.flights.waited.Load(); w != 9 {
		t.Fatalf("%d requests waited for a shared execution, want 9", w)
	}
}
