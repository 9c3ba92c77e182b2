package metrics

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

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
