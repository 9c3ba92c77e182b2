package server_test

// Benchmarks of the whole HTTP handler of POST /v1/graphql as `postgate
// serve` builds it (internal/app: server, metrics, auth, engine) on the
// benchmark's Q1 (ten artists), authenticated by the admin secret and by an
// RS256 JWT. The engine and its Postgres round trip are included: compare
// against internal/engine's BenchmarkExecuteCached (or BenchmarkEngineQ1
// here, the engine alone on the same query) to isolate the HTTP layer.
//
//	TEST_DATABASE_URL=... go test ./internal/server -run '^$' -bench Handler -benchmem

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/optype"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/server"
	"github.com/postgate/postgate/internal/session"
)

const (
	benchSecret = "a-benchmark-admin-secret-of-typical-length"
	benchQ1     = `{"query":"query Q1 { artist(limit: 10, order_by: {artist_id: asc}) { artist_id name } }"}`
)

// benchApp is an App serving the benchmark's artist table, and a token for
// role user.
type benchApp struct {
	app     *app.App
	handler http.Handler
	token   string
}

func newBenchApp(b *testing.B, logTypes string) *benchApp {
	b.Helper()
	pool := pgtest.Pool(b)
	pgtest.Exec(b, pool, `CREATE TABLE artist (artist_id int PRIMARY KEY, name text NOT NULL);
		INSERT INTO artist SELECT i, 'Artist ' || i FROM generate_series(1, 100) i;`)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	secret, _ := json.Marshal(map[string]string{"type": "RS256", "key": pub})
	cfg, _, err := config.Load([]string{
		"--database-url", pool.Config().ConnString(),
		"--admin-secret", benchSecret,
		"--jwt-secret", string(secret),
		"--enabled-log-types", logTypes,
	}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	logger := logging.New(io.Discard, logging.Options{Types: cfg.LogTypes, Level: cfg.LogLevel})
	a, err := app.New(context.Background(), cfg, logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	ba := &benchApp{app: a, handler: a.Handler()}
	for _, md := range []string{
		`{"type":"pg_track_table","args":{"source":"default","table":"artist"}}`,
		`{"type":"pg_create_select_permission","args":{"source":"default","table":"artist","role":"user","permission":{"columns":"*","filter":{}}}}`,
	} {
		w := newBenchWriter()
		r := benchRequest("/v1/metadata", md, map[string]string{"X-Hasura-Admin-Secret": benchSecret})
		ba.handler.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("%s: %d %s", md, w.status, w.body.String())
		}
	}
	tok, err := jwt.NewBuilder().
		Subject("1").
		IssuedAt(time.Now()).
		Expiration(time.Now().Add(24*time.Hour)).
		Claim("https://hasura.io/jwt/claims", map[string]any{
			"x-hasura-default-role":  "user",
			"x-hasura-allowed-roles": []string{"user"},
			"x-hasura-user-id":       "1",
		}).Build()
	if err != nil {
		b.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), key))
	if err != nil {
		b.Fatal(err)
	}
	ba.token = string(signed)
	return ba
}

// rewindBody is a request body that can be read again, without allocating.
type rewindBody struct{ bytes.Reader }

func (*rewindBody) Close() error { return nil }

func benchRequest(path, body string, headers map[string]string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+path, nil)
	rb := &rewindBody{}
	rb.Reset([]byte(body))
	r.Body = rb
	r.ContentLength = int64(len(body))
	r.RemoteAddr = "127.0.0.1:51234"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "wrk")
	r.Header.Set("Accept", "*/*")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

// benchWriter is a reusable http.ResponseWriter: unlike
// httptest.ResponseRecorder it allocates nothing per request, so that the
// figures are the handler's own.
type benchWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newBenchWriter() *benchWriter { return &benchWriter{h: http.Header{}} }

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *benchWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}
func (w *benchWriter) reset() {
	clear(w.h)
	w.status = 0
	w.body.Reset()
}

func runHandler(b *testing.B, h http.Handler, r *http.Request) {
	b.Helper()
	w := newBenchWriter()
	rb := r.Body.(*rewindBody)
	body := []byte(benchQ1)
	check := func() {
		if w.status != http.StatusOK || !bytes.HasPrefix(w.body.Bytes(), []byte(`{"data":{"artist":[{"artist_id"`)) {
			b.Fatalf("unexpected answer %d %s", w.status, w.body.String())
		}
	}
	h.ServeHTTP(w, r)
	check()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		rb.Reset(body)
		h.ServeHTTP(w, r)
	}
	b.StopTimer()
	check()
}

// BenchmarkHandlerQ1 drives the full handler with the admin secret (the
// benchmark's Q1: http-log off, as bench/run.sh runs it), with a JWT for role
// user, and with the admin secret and http-log lines on (Hasura's default).
func BenchmarkHandlerQ1(b *testing.B) {
	ba := newBenchApp(b, "startup")
	b.Run("admin-secret", func(b *testing.B) {
		runHandler(b, ba.handler, benchRequest("/v1/graphql", benchQ1, map[string]string{"X-Hasura-Admin-Secret": benchSecret}))
	})
	b.Run("jwt", func(b *testing.B) {
		runHandler(b, ba.handler, benchRequest("/v1/graphql", benchQ1, map[string]string{"Authorization": "Bearer " + ba.token}))
	})
	logged := newBenchApp(b, "startup,http-log")
	b.Run("admin-secret-http-log", func(b *testing.B) {
		runHandler(b, logged.handler, benchRequest("/v1/graphql", benchQ1, map[string]string{"X-Hasura-Admin-Secret": benchSecret}))
	})
}

// stubGraphQL answers every request with Q1's response, without a
// database: the handler benchmarks on it measure the HTTP layer alone.
type stubGraphQL struct{ resp []byte }

func (g stubGraphQL) Execute(ctx context.Context, _ session.Session, _ []byte, _ bool) (int, []byte) {
	// The engine reports each operation's type to the metrics wrapper.
	optype.Record(ctx, "query")
	return http.StatusOK, g.resp
}
func (g stubGraphQL) Explain(context.Context, session.Session, []byte) (int, []byte) {
	return http.StatusOK, g.resp
}

// BenchmarkHandlerQ1Stub is BenchmarkHandlerQ1 with the engine replaced by
// a stub answering Q1's response (still wrapped by the metrics): the HTTP
// layer's cost without the database round trip and its noise.
func BenchmarkHandlerQ1Stub(b *testing.B) {
	resp := []byte(`{"data":{"artist":[{"artist_id" : 1, "name" : "Artist 1"}, {"artist_id" : 2, "name" : "Artist 2"}, {"artist_id" : 3, "name" : "Artist 3"}, {"artist_id" : 4, "name" : "Artist 4"}, {"artist_id" : 5, "name" : "Artist 5"}, {"artist_id" : 6, "name" : "Artist 6"}, {"artist_id" : 7, "name" : "Artist 7"}, {"artist_id" : 8, "name" : "Artist 8"}, {"artist_id" : 9, "name" : "Artist 9"}, {"artist_id" : 10, "name" : "Artist 10"}]}}`)
	stub := func(ba *benchApp) http.Handler {
		a := ba.app
		return server.New(server.Options{
			Auth: a.Auth, GraphQL: a.Metrics.GraphQL(stubGraphQL{resp}), Metadata: a.Metadata,
			WebSocket: a.WebSocket, Mounts: a.Mounts, Logger: a.Logger, Config: a.Config,
			Observer: a.Metrics, PGDump: a.PGDump,
		})
	}
	ba := newBenchApp(b, "startup")
	h := stub(ba)
	b.Run("admin-secret", func(b *testing.B) {
		runHandler(b, h, benchRequest("/v1/graphql", benchQ1, map[string]string{"X-Hasura-Admin-Secret": benchSecret}))
	})
	b.Run("jwt", func(b *testing.B) {
		runHandler(b, h, benchRequest("/v1/graphql", benchQ1, map[string]string{"Authorization": "Bearer " + ba.token}))
	})
	logged := newBenchApp(b, "startup,http-log")
	hl := stub(logged)
	b.Run("admin-secret-http-log", func(b *testing.B) {
		runHandler(b, hl, benchRequest("/v1/graphql", benchQ1, map[string]string{"X-Hasura-Admin-Secret": benchSecret}))
	})
}

// BenchmarkEngineQ1 is the executor behind the handler alone (the metrics
// wrapper included, as the handler calls it) on the same query and
// database, for the difference that is the HTTP layer's.
func BenchmarkEngineQ1(b *testing.B) {
	ba := newBenchApp(b, "startup")
	g := ba.app.GraphQL
	s := session.Session{Role: session.AdminRole, Vars: map[string]string{"x-hasura-role": session.AdminRole}}
	body := []byte(benchQ1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if st, _ := g.Execute(ctx, s, body, false); st != http.StatusOK {
			b.Fatal(st)
		}
	}
}

// BenchmarkLoopbackQ1 serves the handler with net/http on loopback and
// sends Q1 over one kept-alive connection, so that net/http's own work on
// both sides is included.
func BenchmarkLoopbackQ1(b *testing.B) {
	ba := newBenchApp(b, "startup")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: ba.handler}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req := []byte("POST /v1/graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
		"X-Hasura-Admin-Secret: " + benchSecret + "\r\nContent-Length: " + strconv.Itoa(len(benchQ1)) + "\r\n\r\n" + benchQ1)
	buf := make([]byte, 64<<10)
	roundTrip := func() {
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		// Read the head, then the body by its Content-Length.
		n := 0
		for {
			m, err := conn.Read(buf[n:])
			if err != nil {
				b.Fatal(err)
			}
			n += m
			head, rest, ok := bytes.Cut(buf[:n], []byte("\r\n\r\n"))
			if !ok {
				continue
			}
			i := bytes.Index(head, []byte("Content-Length: "))
			if i < 0 {
				b.Fatalf("no Content-Length in %s", head)
			}
			line := head[i+len("Content-Length: "):]
			if j := bytes.IndexByte(line, '\r'); j >= 0 {
				line = line[:j]
			}
			want, _ := strconv.Atoi(strings.TrimSpace(string(line)))
			if len(rest) >= want {
				return
			}
		}
	}
	roundTrip()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		roundTrip()
	}
}
