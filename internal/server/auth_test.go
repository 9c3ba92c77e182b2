package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/auth"
	"github.com/postgate/postgate/internal/session"
)

// TestConfigInfoFromAuthenticator checks that /v1alpha1/config reports the
// authenticator's modes, including a JWT mode no Hasura variable sets.
func TestConfigInfoFromAuthenticator(t *testing.T) {
	a, err := auth.New(auth.Config{AdminSecret: "x",
		JWTSecret: `{"type":"HS256","key":"0123456789abcdef0123456789abcdef","claims_namespace_path":"$.h"}`})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Options{Auth: a, Config: loadConfig(t, nil)})
	w := do(t, h, call{"GET", "/v1alpha1/config", ``, map[string]string{"X-Hasura-Admin-Secret": "x"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(),
		`"is_admin_secret_set":true,"is_auth_hook_set":false,"is_jwt_set":true,"jwt":[{"claims_namespace":"$.h","claims_format":"json"}]`) {
		t.Errorf("config = %d %s", w.Code, w.Body)
	}
}

// TestWebhookCookies checks that an auth webhook's Set-Cookie reaches the
// client.
func TestWebhookCookies(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Add("Set-Cookie", "sid=abc; Path=/; HttpOnly")
		w.Header().Add("Set-Cookie", "theme=dark")
		_, _ = w.Write([]byte(`{"X-Hasura-Role": "user", "X-Hasura-User-Id": "1"}`))
	}))
	defer hook.Close()
	a, err := auth.New(auth.Config{AdminSecret: "x", AuthHook: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGraphQL{}
	h := New(Options{Auth: a, GraphQL: g, Config: loadConfig(t, nil)})
	w := do(t, h, call{"POST", "/v1/graphql", `{"query":"{a}"}`, map[string]string{"Authorization": "Bearer ok"}})
	if w.Code != 200 || g.last.Role != "user" {
		t.Fatalf("graphql = %d %s (role %q)", w.Code, w.Body, g.last.Role)
	}
	if got := w.Result().Header.Values("Set-Cookie"); strings.Join(got, "|") != "sid=abc; Path=/; HttpOnly|theme=dark" {
		t.Errorf("Set-Cookie = %q", got)
	}
	w = do(t, h, call{"POST", "/v1/graphql", `{"query":"{a}"}`, map[string]string{"Authorization": "Bearer bad"}})
	if len(w.Result().Header.Values("Set-Cookie")) != 0 || !strings.Contains(w.Body.String(), "access-denied") {
		t.Errorf("denied: %s %q", w.Body, w.Result().Header.Values("Set-Cookie"))
	}
}

// idGraphQL records the request id its context carries.
type idGraphQL struct {
	fakeGraphQL
	id string
}

func (g *idGraphQL) Execute(ctx context.Context, s session.Session, body []byte, legacy bool) (int, []byte) {
	g.id = RequestID(ctx)
	return g.fakeGraphQL.Execute(ctx, s, body, legacy)
}

func TestRequestIDInContext(t *testing.T) {
	g := &idGraphQL{}
	h := New(Options{GraphQL: g})
	w := do(t, h, call{"POST", "/v1/graphql", `{"query":"{a}"}`, map[string]string{"X-Request-Id": "req-42"}})
	if w.Code != 200 || g.id != "req-42" {
		t.Errorf("request id %q (%d)", g.id, w.Code)
	}
	do(t, h, call{"POST", "/v1/graphql", `{"query":"{a}"}`, nil})
	if len(g.id) != 36 || g.id == "req-42" {
		t.Errorf("generated request id %q", g.id)
	}
	if RequestID(context.Background()) != "" {
		t.Error("a context without a request id has one")
	}
}

// TestAdminInternalErrors checks HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS:
// admins see internal details by default, as in Hasura.
func TestAdminInternalErrors(t *testing.T) {
	h := New(Options{Metadata: fakeMetadata{}, Config: loadConfig(t, nil)})
	if w := do(t, h, call{"POST", "/v1/metadata", `{"type":"fail"}`, nil}); !strings.Contains(w.Body.String(), `"internal":"secret detail"`) {
		t.Errorf("admin body = %s", w.Body)
	}
	h = New(Options{Metadata: fakeMetadata{}, Config: loadConfig(t, map[string]string{"HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS": "false"})})
	if w := do(t, h, call{"POST", "/v1/metadata", `{"type":"fail"}`, nil}); strings.Contains(w.Body.String(), "secret detail") {
		t.Errorf("internal shown with admin internal errors off: %s", w.Body)
	}
}
