package server

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// observed is one ObserveRequest call.
type observed struct {
	route         string
	status        int
	reqB, respB   int64
	positiveTaken bool
}

// fakeObserver records ObserveRequest calls.
type fakeObserver struct {
	mu  sync.Mutex
	got []observed
}

func (f *fakeObserver) ObserveRequest(route string, status int, d time.Duration, reqB, respB int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, observed{route, status, reqB, respB, d > 0})
}

func TestObserverSeesEveryRequest(t *testing.T) {
	obs := &fakeObserver{}
	mounted := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	h := New(Options{Observer: obs, Mounts: map[string]http.Handler{"/auth/": mounted, "/v1/metrics": mounted}})
	do(t, h, call{"GET", "/v1/version", ``, nil})
	do(t, h, call{"POST", "/v1/graphql", `{"query":"{ a }"}`, nil}) // no GraphQL part: 404
	do(t, h, call{"GET", "/auth/.well-known/jwks.json", ``, nil})
	do(t, h, call{"GET", "/v1/metrics", ``, nil})
	do(t, h, call{"GET", "/no/such/path/123", ``, nil})
	want := []struct {
		route  string
		status int
	}{
		{"/v1/version", 200}, {"/v1/graphql", 404}, {"/auth/", 200}, {"/v1/metrics", 200}, {"other", 404},
	}
	if len(obs.got) != len(want) {
		t.Fatalf("observed %+v", obs.got)
	}
	for i, w := range want {
		g := obs.got[i]
		if g.route != w.route || g.status != w.status || g.respB == 0 || !g.positiveTaken {
			t.Errorf("request %d: observed %+v, want route %s status %d", i, g, w.route, w.status)
		}
	}
	if obs.got[1].reqB != int64(len(`{"query":"{ a }"}`)) {
		t.Errorf("request bytes = %d", obs.got[1].reqB)
	}
}
