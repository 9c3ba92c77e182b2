package engine

import (
	"context"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/postgate/postgate/internal/apierr"
)

// Identical queries that arrive while the database is busy with the same
// query share one execution. A request never joins an execution that has
// already been sent to Postgres: it joins the next one, which starts after
// the request arrived, so it sees every write committed before it was made
// (reads stay linearizable). Up to GOMAXPROCS executions of the same query
// run at once, so identical requests do not queue behind each other while
// the machine has room; beyond that, the requests arriving meanwhile wait
// for one shared execution instead of adding their own work to a loaded
// database.

// flightKey identifies a query's result: the compiled plan (one per
// metadata generation, role and query) and the text of every bound
// argument, session variables included.
type flightKey struct {
	c    *compiled
	args string
}

// flightKeyFor returns the key of a compiled query run with args, or false
// when an argument is of a kind the key cannot represent.
func flightKeyFor(c *compiled, args [][]any) (flightKey, bool) {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	if n == 0 {
		return flightKey{c: c}, true
	}
	var b strings.Builder
	for _, a := range args {
		b.WriteByte('|')
		for _, v := range a {
			switch x := v.(type) {
			case nil:
				b.WriteByte('N')
			case string:
				b.WriteByte('S')
				b.WriteString(strconv.Itoa(len(x)))
				b.WriteByte(':')
				b.WriteString(x)
			default:
				return flightKey{}, false
			}
		}
	}
	return flightKey{c: c, args: b.String()}, true
}

// flights tracks, per key, the executions running and the one forming.
type flights struct {
	mu sync.Mutex
	m  map[flightKey]*slot
	// limit is how many executions of one key may run at once (0:
	// GOMAXPROCS, at least 2).
	limit int
	// waited counts the requests answered by a shared execution.
	waited atomic.Int64
}

// slot is the state of one key.
type slot struct {
	running int
	next    *flight
}

// flight is an execution that requests wait for.
type flight struct {
	ctx  context.Context
	run  func(context.Context) ([]byte, error)
	done chan struct{}
	out  []byte
	err  error
}

func (f *flights) max() int {
	if f.limit > 0 {
		return f.limit
	}
	return max(2, runtime.GOMAXPROCS(0))
}

// do returns the result of run for key, running it in the caller when fewer
// than the limit of executions of key are running, and otherwise waiting
// for the next shared execution.
func (f *flights) do(ctx context.Context, key flightKey, run func(context.Context) ([]byte, error)) ([]byte, error) {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[flightKey]*slot{}
	}
	sl := f.m[key]
	if sl == nil {
		sl = &slot{}
		f.m[key] = sl
	}
	if sl.next == nil && sl.running < f.max() {
		sl.running++
		f.mu.Unlock()
		// A panic in run (recovered by the request's caller) must still
		// end this execution, or the key would stay busy.
		defer f.finish(key, sl)
		return run(ctx)
	}
	fl := sl.next
	if fl == nil {
		// The shared execution must not end when the request that formed
		// it goes away: the others still wait for it.
		fl = &flight{ctx: context.WithoutCancel(ctx), run: run, done: make(chan struct{})}
		sl.next = fl
	}
	f.mu.Unlock()
	f.waited.Add(1)
	select {
	case <-fl.done:
		// A full slice expression: a caller appending to the shared
		// response gets its own copy.
		return fl.out[:len(fl.out):len(fl.out)], fl.err
	case <-ctx.Done():
		return nil, &execError{apierr.New(apierr.Unexpected, "the request was cancelled").Wrap(ctx.Err())}
	}
}

// finish ends one execution of key: the execution formed meanwhile, if
// any, takes its place.
func (f *flights) finish(key flightKey, sl *slot) {
	f.mu.Lock()
	fl := sl.next
	if fl == nil {
		sl.running--
		if sl.running == 0 {
			delete(f.m, key)
		}
		f.mu.Unlock()
		return
	}
	sl.next = nil
	f.mu.Unlock()
	go func() {
		defer f.finish(key, sl)
		defer close(fl.done)
		// No request's recovery covers this goroutine: a panic becomes the
		// waiters' error instead of ending the process.
		defer func() {
			if v := recover(); v != nil {
				fl.out, fl.err = nil, apierr.Internalf("panic in a shared query execution: %v\n%s", v, debug.Stack())
			}
		}()
		fl.out, fl.err = fl.run(fl.ctx)
	}()
}
