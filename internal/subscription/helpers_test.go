package subscription_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/auth"
	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pg"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/server"
	"github.com/postgate/postgate/internal/subscription"
)

const (
	adminSecret = "test-admin-secret"
	jwtKey      = "a-test-signing-key-of-at-least-32-characters"
)

// env is Postgate's engine parts assembled as the App assembles them,
// on a fresh database with an item table: role user sees the items whose
// owner is its x-hasura-user-id. It has an admin secret and an HS256 JWT
// secret, and polls every 50 ms.
type env struct {
	t   *testing.T
	eng *engine.Engine
	ws  *subscription.Handler
	srv *httptest.Server
}

// start assembles and serves the parts; opts adjusts the WebSocket
// handler's options.
func start(t *testing.T, opts ...func(*subscription.Options)) *env {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	authn, err := auth.New(auth.Config{AdminSecret: adminSecret, JWTSecret: `{"type":"HS256","key":"` + jwtKey + `"}`})
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Open(ctx, pool, pool, metadata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(pool, engine.Options{MapError: pg.MapError})
	apply := func(s *metadata.Snapshot) {
		src := s.Source()
		if src == nil {
			src = &metadata.Source{Name: "default", Kind: "postgres"}
		}
		eng.Update(s.Catalog, src, s.Metadata.InheritedRoles)
	}
	apply(md.Current())
	md.OnChange(apply)
	o := subscription.Options{
		Engine:                eng,
		Auth:                  authn,
		Interval:              50 * time.Millisecond,
		StreamInterval:        50 * time.Millisecond,
		CloseOnMetadataChange: true,
		MetadataCheck:         50 * time.Millisecond,
	}
	for _, f := range opts {
		f(&o)
	}
	ws := subscription.New(o)
	t.Cleanup(ws.Close)
	srv := httptest.NewServer(server.New(server.Options{Auth: authn, GraphQL: eng, Metadata: md, Health: md, WebSocket: ws}))
	t.Cleanup(srv.Close)
	e := &env{t: t, eng: eng, ws: ws, srv: srv}
	e.admin("/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE item(id serial PRIMARY KEY, owner text NOT NULL, name text NOT NULL); INSERT INTO item(owner, name) VALUES ('alice','a1'),('bob','b1');"}}`)
	e.admin("/v1/metadata", `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"item"}},`+
		`{"type":"pg_create_select_permission","args":{"table":"item","role":"user","permission":{"columns":["id","owner","name"],"filter":{"owner":{"_eq":"X-Hasura-User-Id"}}}}}]}`)
	return e
}

// handler is the WebSocket handler.
func (e *env) handler() *subscription.Handler { return e.ws }

// admin posts body to path with the admin secret and returns the response.
func (e *env) admin(path, body string) string {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.Contains(string(b), `"error`) {
		e.t.Fatalf("%s %s: %d %s", path, body, resp.StatusCode, b)
	}
	return string(b)
}

// insert adds an item through the HTTP GraphQL API.
func (e *env) insert(owner, name string) {
	e.t.Helper()
	e.admin("/v1/graphql", `{"query":"mutation($o:String!,$n:String!){ insert_item_one(object:{owner:$o,name:$n}){ id } }","variables":{"o":"`+owner+`","n":"`+name+`"}}`)
}

// token signs an HS256 JWT for role user with the given user id and
// lifetime.
func token(user string, ttl time.Duration) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{
		"sub": user,
		"exp": time.Now().Add(ttl).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-default-role":  "user",
			"x-hasura-allowed-roles": []string{"user"},
			"x-hasura-user-id":       user,
		},
	})
	body := head + "." + enc.EncodeToString(claims)
	m := hmac.New(sha256.New, []byte(jwtKey))
	m.Write([]byte(body))
	return body + "." + enc.EncodeToString(m.Sum(nil))
}

// msg is a server message.
type msg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// client is a test WebSocket client; a goroutine reads its messages.
type client struct {
	t    *testing.T
	c    *websocket.Conn
	msgs chan []byte
	err  error // set before msgs is closed
}

// dial connects to /v1/graphql of base asking for proto ("" for none).
func dial(t *testing.T, base, proto string) *client {
	t.Helper()
	return dialPath(t, base, "/v1/graphql", proto)
}

// dialPath connects to path of base asking for proto ("" for none).
func dialPath(t *testing.T, base, path, proto string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var opts websocket.DialOptions
	if proto != "" {
		opts.Subprotocols = []string{proto}
	}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, &opts)
	if err != nil {
		t.Fatal(err)
	}
	cl := &client{t: t, c: c, msgs: make(chan []byte, 64)}
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				cl.err = err
				close(cl.msgs)
				return
			}
			cl.msgs <- b
		}
	}()
	t.Cleanup(func() { _ = c.CloseNow() })
	return cl
}

func (c *client) send(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

// errTimeout is next's error when nothing arrived in time.
var errTimeout = errors.New("no message")

// next returns the next message other than keep-alives.
func (c *client) next(wait time.Duration) (*msg, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case b, ok := <-c.msgs:
			if !ok {
				return nil, c.err
			}
			var m msg
			if err := json.Unmarshal(b, &m); err != nil {
				c.t.Fatalf("bad message %s", b)
			}
			if m.Type == "ka" || m.Type == "ping" {
				continue
			}
			return &m, nil
		case <-timer.C:
			return nil, errTimeout
		}
	}
}

// expect reads the next message and checks its type and id.
func (c *client) expect(typ, id string) *msg {
	c.t.Helper()
	m, err := c.next(5 * time.Second)
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if m.Type != typ || m.ID != id {
		c.t.Fatalf("got %s %q %s, want %s %q", m.Type, m.ID, m.Payload, typ, id)
	}
	return m
}

// quiet checks that nothing but keep-alives arrives for d.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	m, err := c.next(d)
	if err == nil {
		c.t.Fatalf("unexpected message %s %q %s", m.Type, m.ID, m.Payload)
	}
	if err != errTimeout {
		c.t.Fatalf("connection ended: %v", err)
	}
}

// closed waits for the server to close the connection and returns the
// close status and reason.
func (c *client) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	for {
		_, err := c.next(10 * time.Second)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("expected a close frame, got %v", err)
		}
		return ce.Code, ce.Reason
	}
}

// init sends connection_init with headers and waits for connection_ack.
func (c *client) init(headers string) {
	c.t.Helper()
	c.send(`{"type":"connection_init","payload":{"headers":` + headers + `}}`)
	c.expect("connection_ack", "")
}
