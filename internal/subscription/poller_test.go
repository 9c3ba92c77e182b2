package subscription

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/engine"
)

// fakePoller answers each subscriber with its first argument and the
// current round; a subscriber whose argument is "bad" fails the statement.
type fakePoller struct {
	mu      sync.Mutex
	round   int
	batches []int
}

func (f *fakePoller) Poll(_ context.Context, _ *engine.LiveQuery, ids []string, args [][][]any) (map[string][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(ids))
	out := map[string][]byte{}
	for i, id := range ids {
		v := args[i][0][0].(string)
		if v == "bad" {
			return nil, apierr.New(apierr.Unexpected, "bad value")
		}
		out[id] = fmt.Appendf(nil, `{"data":{"v":%q,"round":%d}}`, v, f.round)
	}
	return out, nil
}

func (f *fakePoller) setRound(n int) {
	f.mu.Lock()
	f.round = n
	f.batches = nil
	f.mu.Unlock()
}

func (f *fakePoller) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

// inbox collects what a subscriber is sent.
type inbox struct {
	mu   sync.Mutex
	msgs []string
}

func (b *inbox) send(p []byte) {
	b.mu.Lock()
	b.msgs = append(b.msgs, string(p))
	b.mu.Unlock()
}

func (b *inbox) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.msgs...)
}

func newTestHub(p poller, batch int) *hub {
	return &hub{eng: p, interval: time.Hour, batchSize: batch, timeout: time.Second,
		streamInterval: time.Hour, streamBatchSize: batch,
		log: slog.New(slog.DiscardHandler), cohorts: map[string]*cohort{}}
}

func live(v string) *engine.Live {
	return &engine.Live{Key: "k", Query: &engine.LiveQuery{}, Args: [][]any{{v}}}
}

// TestHubBatchesDedupsAndIsolatesErrors drives polls by hand: a cohort of
// five is polled in batches of two; unchanged results are not re-sent; a
// failing subscriber gets the error alone while its batch-mates get data.
func TestHubBatchesDedupsAndIsolatesErrors(t *testing.T) {
	f := &fakePoller{}
	h := newTestHub(f, 2)
	boxes := make([]*inbox, 5)
	subs := make([]*subscriber, 5)
	for i := range boxes {
		boxes[i] = &inbox{}
		v := fmt.Sprint(i)
		if i == 3 {
			v = "bad"
		}
		subs[i] = h.add(context.Background(), live(v), boxes[i].send)
	}
	if st := h.stats(); st.Cohorts != 1 || st.Subscribers != 5 {
		t.Fatalf("stats %+v", st)
	}
	c := subs[0].c
	for i, b := range boxes {
		if got := b.all(); len(got) != 1 {
			t.Fatalf("subscriber %d initial results %v", i, got)
		}
	}
	if got := boxes[3].all()[0]; got != `{"errors":[{"extensions":{"code":"unexpected","path":"$"},"message":"bad value"}]}` {
		t.Fatalf("failing subscriber got %s", got)
	}

	f.setRound(0)
	h.poll(c) // same results: nothing sent
	for i, b := range boxes {
		if got := b.all(); len(got) != 1 {
			t.Fatalf("subscriber %d re-sent: %v", i, got)
		}
	}
	// Five subscribers in batches of two: 2+2+1 statements, plus a single
	// poll for each member of the failing batch unless "bad" was alone.
	sizes := f.batchSizes()
	if len(sizes) != 3 && len(sizes) != 5 {
		t.Fatalf("batches %v", sizes)
	}
	for _, n := range sizes {
		if n > 2 {
			t.Fatalf("a batch of %d exceeds the batch size: %v", n, sizes)
		}
	}

	f.setRound(1)
	h.poll(c)
	for i, b := range boxes {
		want := 2
		if i == 3 {
			want = 1 // still the same error
		}
		if got := b.all(); len(got) != want {
			t.Fatalf("subscriber %d after change: %v", i, got)
		}
	}
	if got := boxes[0].all()[1]; got != `{"data":{"v":"0","round":1}}` {
		t.Fatalf("got %s", got)
	}

	for _, s := range subs {
		h.remove(s)
	}
	if st := h.stats(); st.Cohorts != 0 || st.Subscribers != 0 {
		t.Fatalf("stats after removal %+v", st)
	}
	if c.ctx.Err() == nil {
		t.Fatal("the cohort's poller was not stopped")
	}
	f.setRound(2)
	h.poll(c)
	for i, b := range boxes {
		if got := b.all(); len(got) > 2 {
			t.Fatalf("subscriber %d got results after removal: %v", i, got)
		}
	}
}

// TestHubPollsOnInterval: the cohort poller runs on its own and stops.
func TestHubPollsOnInterval(t *testing.T) {
	f := &fakePoller{}
	h := newTestHub(f, 100)
	h.interval = 5 * time.Millisecond
	b := &inbox{}
	s := h.add(context.Background(), live("x"), b.send)
	f.setRound(7)
	deadline := time.Now().Add(10 * time.Second) // 5 ms polls
	for len(b.all()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no poll on the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.remove(s)
	n := h.stats().Polls
	time.Sleep(30 * time.Millisecond)
	if m := h.stats().Polls; m > n+1 {
		t.Fatalf("polling went on after the last subscriber left: %d -> %d", n, m)
	}
	if !errors.Is(context.Cause(s.c.ctx), context.Canceled) {
		t.Fatal("cohort context not cancelled")
	}
}

// TestHubGroupsEqualValues: subscribers binding the same values share one
// row of the poll statement.
func TestHubGroupsEqualValues(t *testing.T) {
	f := &fakePoller{}
	h := newTestHub(f, 100)
	var boxes []*inbox
	for _, v := range []string{"x", "x", "y", "x"} {
		b := &inbox{}
		boxes = append(boxes, b)
		h.add(context.Background(), live(v), b.send)
	}
	f.setRound(1)
	h.mu.Lock()
	c := h.cohorts["k"]
	h.mu.Unlock()
	h.poll(c)
	if got := f.batchSizes(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("poll statements %v, want one for two groups", got)
	}
	for i, b := range boxes {
		if got := b.all(); len(got) != 2 || !strings.Contains(got[1], `"round":1`) {
			t.Fatalf("subscriber %d got %v", i, got)
		}
	}
}
