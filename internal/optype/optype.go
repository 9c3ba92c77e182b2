// Package optype carries the types of the GraphQL operations a request
// ran from the executor that knows them (internal/engine, once it has
// parsed the document and selected the operation) to the code wrapping it
// (internal/metrics labels its counters with them), through the request's
// context. It depends on nothing, so that neither side has to import the
// other: the engine does not depend on the metrics, and the metrics wrap
// any executor.
package optype

import "context"

// Recorder holds the types recorded during one request, in order: one per
// operation of a batch. It is not safe for concurrent use; an executor
// records a request's operations one after the other.
type Recorder struct {
	types []string
	first [1]string // the storage of types for a single request
}

// key is the context key of the Recorder.
type key struct{}

// recorderContext is a context carrying a Recorder: one allocation for
// both, where context.WithValue would take two.
type recorderContext struct {
	context.Context
	r Recorder
}

// Value returns the Recorder for key{}, the parent's values otherwise.
func (c *recorderContext) Value(k any) any {
	if k == (key{}) {
		return &c.r
	}
	return c.Context.Value(k)
}

// WithRecorder returns a context carrying a new, empty Recorder, and the
// Recorder.
func WithRecorder(ctx context.Context) (context.Context, *Recorder) {
	c := &recorderContext{Context: ctx}
	return c, &c.r
}

// Record appends the type of the operation an executor ran, or failed to
// run, to ctx's Recorder: "query", "mutation" or "subscription", or "" when
// no operation could be selected (the request or its document was
// invalid). It does nothing when ctx carries no Recorder.
func Record(ctx context.Context, typ string) {
	r, _ := ctx.Value(key{}).(*Recorder)
	if r == nil {
		return
	}
	if r.types == nil {
		r.types = r.first[:0]
	}
	r.types = append(r.types, typ)
}

// Types returns the types recorded so far, or nil when the executor
// recorded none (one that does not report them).
func (r *Recorder) Types() []string {
	return r.types
}
