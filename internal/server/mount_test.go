package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestMounts(t *testing.T) {
	idp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/panic" {
			panic("idp bug")
		}
		_, _ = w.Write([]byte("idp " + r.URL.Path))
	})
	exact := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("exact")) })
	nested := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("nested")) })
	h := New(Options{Mounts: map[string]http.Handler{"/auth/": idp, "/auth/api/v2/": nested, "/metrics": exact}})
	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string
	}{
		{"GET", "/auth/.well-known/openid-configuration", 200, "idp /auth/.well-known/openid-configuration"},
		{"POST", "/auth/oauth/token", 200, "idp /auth/oauth/token"},
		{"GET", "/auth/api/v2/users", 200, "nested"},
		{"GET", "/metrics", 200, "exact"},
		{"GET", "/metrics/x", 404, `"code":"not-found"`},
		{"GET", "/auth/panic", 500, `"code":"unexpected"`},
		{"GET", "/v1/version", 200, `"server_type":"ce"`},
	}
	for _, tt := range tests {
		w := do(t, h, call{tt.method, tt.path, ``, nil})
		if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantBody) {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, w.Code, w.Body)
		}
		if w.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s: no request id", tt.path)
		}
	}
}

func TestHeadOnGetRoutes(t *testing.T) {
	h := New(Options{})
	if w := do(t, h, call{"HEAD", "/healthz", ``, nil}); w.Code != 200 {
		t.Errorf("HEAD /healthz = %d", w.Code)
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	ws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		typ, msg, err := c.Read(r.Context())
		if err != nil {
			return
		}
		_ = c.Write(r.Context(), typ, append([]byte("echo "), msg...))
		c.Close(websocket.StatusNormalClosure, "")
	})
	srv := httptest.NewServer(New(Options{WebSocket: ws, GraphQL: &fakeGraphQL{}}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, path := range []string{"/v1/graphql", "/v1alpha1/graphql"} {
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+path,
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatalf("%s: dial: %v", path, err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols || c.Subprotocol() != "graphql-transport-ws" {
			t.Errorf("%s: handshake %d %q", path, resp.StatusCode, c.Subprotocol())
		}
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init"}`)); err != nil {
			t.Fatal(err)
		}
		_, msg, err := c.Read(ctx)
		if err != nil || string(msg) != `echo {"type":"connection_init"}` {
			t.Errorf("%s: read %q %v", path, msg, err)
		}
		c.CloseNow()
	}

	// Without a WebSocket handler the upgrade is an unknown resource, and
	// POST /v1/graphql is unaffected.
	srv2 := httptest.NewServer(New(Options{GraphQL: &fakeGraphQL{}}))
	defer srv2.Close()
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv2.URL, "http")+"/v1/graphql", nil)
	if err == nil || resp == nil || resp.StatusCode != 404 {
		t.Errorf("upgrade without handler: %v %v", resp, err)
	}
}
