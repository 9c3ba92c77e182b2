package optype

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRecorder(t *testing.T) {
	Record(context.Background(), "query") // no Recorder: nothing to do

	ctx, r := WithRecorder(context.Background())
	if r.Types() != nil {
		t.Fatalf("a new Recorder holds %q", r.Types())
	}
	Record(ctx, "query")
	if got := r.Types(); !slices.Equal(got, []string{"query"}) {
		t.Fatalf("Types() = %q", got)
	}
	Record(context.WithValue(ctx, struct{ k int }{}, 1), "")
	Record(ctx, "mutation")
	if got := r.Types(); !slices.Equal(got, []string{"query", "", "mutation"}) {
		t.Fatalf("Types() = %q", got)
	}

	inner, r2 := WithRecorder(ctx)
	Record(inner, "subscription")
	if len(r.Types()) != 3 || !slices.Equal(r2.Types(), []string{"subscription"}) {
		t.Fatalf("the innermost Recorder records: %q, %q", r.Types(), r2.Types())
	}
}

func TestRecordAllocations(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		ctx, r := WithRecorder(context.Background())
		Record(ctx, "query")
		_ = r.Types()
	})
	if n > 1 { // the context holding the Recorder
		t.Errorf("recording one type allocates %v times", n)
	}
}

// TestRecorderContextKeepsParent checks that the context WithRecorder
// returns carries its parent's values, deadline and cancellation.
func TestRecorderContextKeepsParent(t *testing.T) {
	type k struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), k{}, "v"))
	ctx, _ := WithRecorder(parent)
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	if ctx.Value(k{}) != "v" {
		t.Error("the parent's value is lost")
	}
	cancel()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the parent does not reach the child")
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("Err() = %v", ctx.Err())
	}
}
