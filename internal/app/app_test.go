package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func testConfig(t *testing.T, args ...string) *config.Config {
	t.Helper()
	c, _, err := config.Load(args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runOnFreePort builds an App for a free port with mk, starts a.Run (which
// binds the configured port itself) and waits until it serves. A port found
// free can be taken before Run binds it (packages test in parallel, and
// every outgoing connection takes an ephemeral port from the same range),
// so a failed bind is retried on another port. It returns the App, its base
// URL and Run's result channel.
func runOnFreePort(t *testing.T, ctx context.Context, mk func(port int) *App) (*App, string, <-chan error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		a := mk(port)
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		err := waitServing(t, base, done)
		if err == nil {
			return a, base, done
		}
		if attempt == 5 || !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("Run: %v", err)
		}
		t.Logf("port %d was taken before Run bound it (%v); trying another", port, err)
	}
}

// waitServing polls /healthz until it answers OK; it returns Run's error
// if Run ends first.
func waitServing(t *testing.T, base string, done <-chan error) error {
	t.Helper()
	// Each request has a timeout: whatever took the port may accept the
	// connection and never answer.
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("Run ended before serving: %w", err)
		default:
		}
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == "OK" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s never became healthy: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAppServesOnLoopback(t *testing.T) {
	url := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, base, done := runOnFreePort(t, ctx, func(port int) *App {
		cfg := testConfig(t, "--database-url", url, "--server-host", "127.0.0.1", "--server-port", strconv.Itoa(port))
		a, err := New(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.MetadataPool != a.Pool {
			t.Error("equal URLs should share one pool")
		}
		return a
	})

	resp, err := http.Get(base + "/v1/version")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Version, ServerType string }
	_ = json.NewDecoder(resp.Body).Decode(&struct {
		Version    *string `json:"version"`
		ServerType *string `json:"server_type"`
	}{&v.Version, &v.ServerType})
	resp.Body.Close()
	if !strings.HasPrefix(v.Version, "v2.") || v.ServerType != "ce" {
		t.Errorf("version = %+v", v)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if err := a.Pool.Ping(context.Background()); err == nil {
		t.Error("pool still open after Run returned")
	}
}

func TestSeparateMetadataPool(t *testing.T) {
	cfg := testConfig(t, "--database-url", pgtest.URL(t), "--metadata-database-url", pgtest.URL(t), "--connections", "3")
	a, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.MetadataPool == a.Pool {
		t.Fatal("different URLs should get different pools")
	}
	var data, meta string
	_ = a.Pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&data)
	_ = a.MetadataPool.QueryRow(context.Background(), "SELECT current_database()").Scan(&meta)
	if data == meta || data == "" {
		t.Errorf("databases %q and %q", data, meta)
	}
	if a.Pool.Config().MaxConns != 3 {
		t.Errorf("MaxConns = %d", a.Pool.Config().MaxConns)
	}
}

// slowGraphQL holds each request until released.
type slowGraphQL struct {
	entered chan struct{}
	release chan struct{}
}

func (s slowGraphQL) Execute(context.Context, session.Session, []byte, bool) (int, []byte) {
	s.entered <- struct{}{}
	<-s.release
	return 200, []byte(`{"data":{"slow":true}}`)
}

func (s slowGraphQL) Explain(context.Context, session.Session, []byte) (int, []byte) {
	return 200, []byte(`[]`)
}

func TestGracefulDrain(t *testing.T) {
	cfg := testConfig(t, "--database-url", pgtest.URL(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := slowGraphQL{entered: make(chan struct{}), release: make(chan struct{})}
	a.GraphQL = g
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/v1/graphql", "application/json", strings.NewReader(`{"query":"{slow}"}`))
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-g.entered
	cancel() // shutdown begins with a request in flight
	time.Sleep(100 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("Serve returned before the in-flight request finished")
	default:
	}
	close(g.release)
	r := <-res
	if r.err != nil || r.status != 200 || r.body != `{"data":{"slow":true}}` {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestHealthFailsWhenDatabaseIsGone(t *testing.T) {
	a, err := New(context.Background(), testConfig(t, "--database-url", pgtest.URL(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 {
		t.Fatalf("healthy: %d %s", w.Code, w.Body)
	}
	a.Close()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 500 || w.Body.String() != "ERROR" {
		t.Errorf("after close: %d %s", w.Code, w.Body)
	}
}

func TestNewFailsClearlyWithoutDatabase(t *testing.T) {
	pgtest.BaseURL(t) // needs nothing from it, but runs only where databases are tested
	url := "postgres://postgres:topsecret@127.0.0.1:" + strconv.Itoa(freePort(t)) + "/x?connect_timeout=1"
	_, err := New(context.Background(), testConfig(t, "--database-url", url), nil)
	if err == nil || !strings.Contains(err.Error(), "cannot connect") || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("err = %v", err)
	}
}
