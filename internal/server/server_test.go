package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/session"
)

// fakeGraphQL answers with the session it saw.
type fakeGraphQL struct {
	mu      sync.Mutex
	last    session.Session
	legacy  bool
	lastReq string
}

func (f *fakeGraphQL) Execute(_ context.Context, s session.Session, body []byte, legacy bool) (int, []byte) {
	if bytes.Contains(body, []byte("panic")) {
		panic("engine bug")
	}
	f.mu.Lock()
	f.last, f.legacy, f.lastReq = s, legacy, string(body)
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"role": s.Role}})
	return http.StatusOK, b
}

func (f *fakeGraphQL) Explain(_ context.Context, s session.Session, _ []byte) (int, []byte) {
	return http.StatusOK, []byte(`[{"field":"x","sql":"SELECT 1","plan":[]}]`)
}

// fakeMetadata answers by the request's "type".
type fakeMetadata struct{}

func (fakeMetadata) handle(body []byte, api string) (json.RawMessage, error) {
	var req struct{ Type string }
	_ = json.Unmarshal(body, &req)
	switch req.Type {
	case "fail":
		return nil, apierr.New(apierr.NotExists, `table "x" does not exist`).WithPath("$.args").WithInternal("secret detail")
	case "boom":
		return nil, errors.New("internal sql detail")
	}
	return json.RawMessage(`{"message":"success","api":"` + api + `"}`), nil
}

func (f fakeMetadata) Metadata(_ context.Context, b []byte) (json.RawMessage, error) {
	return f.handle(b, "metadata")
}
func (f fakeMetadata) QueryV2(_ context.Context, b []byte) (json.RawMessage, error) {
	return f.handle(b, "v2")
}
func (f fakeMetadata) QueryV1(_ context.Context, b []byte) (json.RawMessage, error) {
	return f.handle(b, "v1")
}

type fakeHealth struct{ err error }

func (f fakeHealth) Health(context.Context, bool) error { return f.err }

// fakeAuth accepts only the admin secret "s3cret".
type fakeAuth struct{}

func (fakeAuth) Authenticate(r *http.Request, _ []byte) (session.Session, error) {
	if r.Header.Get("X-Hasura-Admin-Secret") != "s3cret" {
		return session.Session{}, apierr.New(apierr.AccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key").WithStatus(http.StatusUnauthorized)
	}
	return session.Admin(), nil
}

func loadConfig(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	c, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type call struct {
	method, path, body string
	headers            map[string]string
}

func do(t *testing.T, h http.Handler, c call) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestRoutes(t *testing.T) {
	gql := &fakeGraphQL{}
	h := New(Options{GraphQL: gql, Metadata: fakeMetadata{}})
	user := map[string]string{"X-Hasura-Role": "user"}
	denied := `{"code":"access-denied","error":"restricted access : admin only","path":"$"}`
	deniedArgs := `{"code":"access-denied","error":"restricted access : admin only","path":"$.args"}`
	tests := []struct {
		name       string
		call       call
		wantStatus int
		wantBody   string // exact, or a regexp when it starts with ~
	}{
		{"graphql as admin", call{"POST", "/v1/graphql", `{"query":"{a}"}`, nil}, 200, `{"data":{"role":"admin"}}`},
		{"graphql as role", call{"POST", "/v1/graphql", `{"query":"{a}"}`, user}, 200, `{"data":{"role":"user"}}`},
		{"graphql batched", call{"POST", "/v1/graphql", `[{"query":"{a}"},{"query":"{b}"}]`, nil}, 200, `{"data":{"role":"admin"}}`},
		{"legacy graphql", call{"POST", "/v1alpha1/graphql", `{"query":"{a}"}`, nil}, 200, `{"data":{"role":"admin"}}`},
		{"graphql invalid json", call{"POST", "/v1/graphql", `{"query":`, nil}, 200,
			`{"errors":[{"extensions":{"code":"invalid-json","path":"$"},"message":"Error in $: not enough input"}]}`},
		{"legacy graphql invalid json keeps status", call{"POST", "/v1alpha1/graphql", `nope`, nil}, 400, `~"code":"invalid-json"`},
		{"explain as admin", call{"POST", "/v1/graphql/explain", `{"query":{"query":"{a}"}}`, nil}, 200, `[{"field":"x","sql":"SELECT 1","plan":[]}]`},
		{"explain as user", call{"POST", "/v1/graphql/explain", `{}`, user}, 400, denied},
		{"metadata", call{"POST", "/v1/metadata", `{"type":"export_metadata","args":{}}`, nil}, 200, `{"message":"success","api":"metadata"}`},
		{"metadata error", call{"POST", "/v1/metadata", `{"type":"fail"}`, nil}, 400, `{"code":"not-exists","error":"table \"x\" does not exist","internal":"secret detail","path":"$.args"}`},
		{"metadata internal error hidden", call{"POST", "/v1/metadata", `{"type":"boom"}`, nil}, 500, `{"code":"unexpected","error":"unexpected error","path":"$"}`},
		{"metadata as user", call{"POST", "/v1/metadata", `{"type":"export_metadata"}`, user}, 400, deniedArgs},
		{"metadata invalid json", call{"POST", "/v1/metadata", `abc def`, nil}, 400,
			`{"code":"invalid-json","error":"Error in $: Failed reading: not a valid json value at 'abc'","path":"$"}`},
		{"metadata empty body", call{"POST", "/v1/metadata", ``, nil}, 400, `{"code":"invalid-json","error":"Error in $: not enough input","path":"$"}`},
		{"metadata truncated", call{"POST", "/v1/metadata", `{"type":`, nil}, 400, `{"code":"invalid-json","error":"Error in $: not enough input","path":"$"}`},
		{"metadata binary", call{"POST", "/v1/metadata", "\x00\x01garbage", nil}, 400, `{"code":"invalid-json","error":"Error in $: Failed reading: not a valid json value","path":"$"}`},
		{"metadata unterminated string", call{"POST", "/v1/metadata", `{"type":"abc`, nil}, 400, `{"code":"invalid-json","error":"Error in $: not enough input","path":"$"}`},
		{"metadata syntax error", call{"POST", "/v1/metadata", `{"type" 1}`, nil}, 400, `{"code":"invalid-json","error":"Error in $: Failed reading: not a valid json value","path":"$"}`},
		{"metadata trailing data", call{"POST", "/v1/metadata", `{} {}`, nil}, 400, `{"code":"invalid-json","error":"Error in $: endOfInput","path":"$"}`},
		{"v2 query", call{"POST", "/v2/query", `{"type":"run_sql","args":{"sql":"select 1"}}`, nil}, 200, `{"message":"success","api":"v2"}`},
		{"v2 query as user", call{"POST", "/v2/query", `{}`, user}, 400, deniedArgs},
		{"v1 query", call{"POST", "/v1/query", `{"type":"bulk","args":[]}`, nil}, 200, `{"message":"success","api":"v1"}`},
		{"v1 query as user", call{"POST", "/v1/query", `{}`, user}, 400, deniedArgs},
		{"version", call{"GET", "/v1/version", ``, nil}, 200, `{"version":"` + Version + `","server_type":"ce"}`},
		{"version is public", call{"GET", "/v1/version", ``, user}, 200, `~"server_type":"ce"`},
		{"healthz", call{"GET", "/healthz", ``, nil}, 200, `OK`},
		{"config as admin", call{"GET", "/v1alpha1/config", ``, nil}, 200, `~"is_admin_secret_set":false`},
		{"config as user", call{"GET", "/v1alpha1/config", ``, user}, 400, denied},
		{"unknown path", call{"GET", "/v1/nope", ``, nil}, 404, `{"code":"not-found","error":"resource does not exist","path":"$"}`},
		{"GET on a POST route", call{"GET", "/v1/graphql", ``, nil}, 404, `{"code":"not-found","error":"resource does not exist","path":"$"}`},
		{"POST on a GET route", call{"POST", "/v1/version", `{}`, nil}, 404, `~"code":"not-found"`},
		{"PUT is not allowed", call{"PUT", "/v1/metadata", `{}`, nil}, 405, `{"code":"method-not-allowed","error":"method not allowed","path":"$"}`},
		{"console disabled", call{"GET", "/console", ``, nil}, 404, `~"code":"not-found"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, h, tt.call)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			got := strings.TrimSpace(w.Body.String())
			if strings.HasPrefix(tt.wantBody, "~") {
				if !regexp.MustCompile(regexp.QuoteMeta(tt.wantBody[1:])).MatchString(got) {
					t.Errorf("body = %s, want it to contain %s", got, tt.wantBody[1:])
				}
			} else if got != tt.wantBody {
				t.Errorf("body = %s\nwant   %s", got, tt.wantBody)
			}
			if ct := w.Header().Get("Content-Type"); tt.call.path != "/healthz" && !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type = %q", ct)
			}
		})
	}
	if !gql.legacy {
		// the last GraphQL call above went to /v1alpha1/graphql
		t.Error("legacy flag not passed for /v1alpha1/graphql")
	}
}

func TestNilPartsAnswerNotFound(t *testing.T) {
	h := New(Options{})
	for _, p := range []string{"/v1/graphql", "/v1alpha1/graphql", "/v1/graphql/explain", "/v1/metadata", "/v2/query", "/v1/query"} {
		w := do(t, h, call{"POST", p, `{}`, nil})
		if w.Code != 404 || !strings.Contains(w.Body.String(), `"code":"not-found"`) {
			t.Errorf("%s: %d %s", p, w.Code, w.Body)
		}
	}
	if w := do(t, h, call{"GET", "/healthz", ``, nil}); w.Code != 200 || w.Body.String() != "OK" {
		t.Errorf("healthz: %d %s", w.Code, w.Body)
	}
}

func TestNoAuthSession(t *testing.T) {
	gql := &fakeGraphQL{}
	h := New(Options{GraphQL: gql})
	do(t, h, call{"POST", "/v1/graphql", `{"query":"{a}"}`, map[string]string{
		"X-Hasura-Role": "user", "X-Hasura-User-Id": "42", "x-hasura-Org-ID": "7", "Authorization": "Bearer x",
		"X-Hasura-Use-Backend-Only-Permissions": "true",
	}})
	want := map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42", "x-hasura-org-id": "7", "x-hasura-use-backend-only-permissions": "true"}
	if gql.last.Role != "user" || !gql.last.BackendOnly || len(gql.last.Vars) != len(want) {
		t.Fatalf("session = %+v", gql.last)
	}
	for k, v := range want {
		if gql.last.Vars[k] != v {
			t.Errorf("var %s = %q, want %q", k, gql.last.Vars[k], v)
		}
	}
	do(t, h, call{"POST", "/v1/graphql", `{"query":"{a}"}`, nil})
	if !gql.last.IsAdmin() || gql.last.Vars["x-hasura-role"] != "admin" || gql.last.BackendOnly {
		t.Errorf("default session = %+v", gql.last)
	}
}

func TestAuthenticatorErrors(t *testing.T) {
	h := New(Options{Auth: fakeAuth{}, GraphQL: &fakeGraphQL{}, Metadata: fakeMetadata{}})
	w := do(t, h, call{"POST", "/v1/metadata", `{"type":"x"}`, map[string]string{"X-Hasura-Admin-Secret": "wrong"}})
	if w.Code != 401 || strings.TrimSpace(w.Body.String()) != `{"code":"access-denied","error":"invalid x-hasura-admin-secret/x-hasura-access-key","path":"$"}` {
		t.Errorf("metadata: %d %s", w.Code, w.Body)
	}
	w = do(t, h, call{"POST", "/v1/graphql", `{"query":"{a}"}`, map[string]string{"X-Hasura-Admin-Secret": "wrong"}})
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"errors":[{"extensions":{"code":"access-denied","path":"$"},"message":"invalid x-hasura-admin-secret/x-hasura-access-key"}]}` {
		t.Errorf("graphql: %d %s", w.Code, w.Body)
	}
	w = do(t, h, call{"POST", "/v1alpha1/graphql", `{"query":"{a}"}`, nil})
	if w.Code != 401 {
		t.Errorf("legacy graphql status = %d", w.Code)
	}
	w = do(t, h, call{"POST", "/v1/metadata", `{"type":"x"}`, map[string]string{"X-Hasura-Admin-Secret": "s3cret"}})
	if w.Code != 200 {
		t.Errorf("with secret: %d %s", w.Code, w.Body)
	}
	// Public endpoints do not authenticate.
	if w := do(t, h, call{"GET", "/v1/version", ``, nil}); w.Code != 200 {
		t.Errorf("version: %d", w.Code)
	}
}

func TestDevModeShowsInternal(t *testing.T) {
	h := New(Options{Metadata: fakeMetadata{}, Config: loadConfig(t, map[string]string{"HASURA_GRAPHQL_DEV_MODE": "true"})})
	w := do(t, h, call{"POST", "/v1/metadata", `{"type":"fail"}`, nil})
	if !strings.Contains(w.Body.String(), `"internal":"secret detail"`) {
		t.Errorf("dev mode body = %s", w.Body)
	}
	h = New(Options{Metadata: fakeMetadata{}, Config: loadConfig(t, map[string]string{"HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS": "false"})})
	if w := do(t, h, call{"POST", "/v1/metadata", `{"type":"fail"}`, nil}); strings.Contains(w.Body.String(), "secret detail") {
		t.Errorf("internal leaked: %s", w.Body)
	}
}

func TestBodyLimit(t *testing.T) {
	h := New(Options{GraphQL: &fakeGraphQL{}, Metadata: fakeMetadata{}, Config: loadConfig(t, map[string]string{"POSTGATE_MAX_BODY_BYTES": "1024"})})
	big := `{"type":"x","pad":"` + strings.Repeat("a", 2000) + `"}`
	for _, p := range []string{"/v1/metadata", "/v1/graphql"} {
		w := do(t, h, call{"POST", p, big, nil})
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "request body too large") {
			t.Errorf("%s: %d %s", p, w.Code, w.Body)
		}
	}
	if w := do(t, h, call{"POST", "/v1/metadata", `{"type":"x"}`, nil}); w.Code != 200 {
		t.Errorf("small body: %d", w.Code)
	}
}

func TestCORS(t *testing.T) {
	preflight := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type,x-hasura-admin-secret"}
	tests := []struct {
		name       string
		env        map[string]string
		call       call
		wantStatus int
		wantOrigin string
	}{
		{"default allows any origin", nil, call{"GET", "/v1/version", ``, map[string]string{"Origin": "https://x.test"}}, 200, "https://x.test"},
		{"preflight answered", nil, call{"OPTIONS", "/v1/graphql", ``, preflight}, 204, "https://app.example.com"},
		{"listed origin", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://*.example.com"},
			call{"GET", "/v1/version", ``, map[string]string{"Origin": "https://app.example.com"}}, 200, "https://app.example.com"},
		{"unlisted origin", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://*.example.com"},
			call{"GET", "/v1/version", ``, map[string]string{"Origin": "https://evil.test"}}, 200, ""},
		{"unlisted preflight", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://other.test"},
			call{"OPTIONS", "/v1/graphql", ``, preflight}, 204, ""},
		{"disabled", map[string]string{"HASURA_GRAPHQL_DISABLE_CORS": "true"},
			call{"GET", "/v1/version", ``, map[string]string{"Origin": "https://x.test"}}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Options{Config: loadConfig(t, tt.env)})
			w := do(t, h, tt.call)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d", w.Code)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("allow-origin = %q, want %q", got, tt.wantOrigin)
			}
			if tt.wantOrigin != "" && w.Header().Get("Access-Control-Allow-Credentials") != "true" {
				t.Error("credentials not allowed")
			}
			if tt.call.method == "OPTIONS" && tt.wantOrigin != "" {
				if w.Header().Get("Access-Control-Allow-Headers") != "content-type,x-hasura-admin-secret" || w.Header().Get("Access-Control-Max-Age") == "" {
					t.Errorf("preflight headers = %v", w.Header())
				}
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	h := New(Options{})
	w := do(t, h, call{"GET", "/v1/version", ``, map[string]string{"X-Request-Id": "abc-123"}})
	if w.Header().Get("X-Request-Id") != "abc-123" {
		t.Errorf("echoed id = %q", w.Header().Get("X-Request-Id"))
	}
	w = do(t, h, call{"GET", "/v1/version", ``, nil})
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(w.Header().Get("X-Request-Id")) {
		t.Errorf("generated id = %q", w.Header().Get("X-Request-Id"))
	}
}

func TestPanicIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	h := New(Options{GraphQL: &fakeGraphQL{}, Logger: logging.New(&logs, logging.Options{})})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/graphql", "application/json", strings.NewReader(`{"query":"panic"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), `"code":"unexpected"`) || strings.Contains(string(body), "engine bug") {
		t.Errorf("panic answer: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "engine bug") {
		t.Error("panic not logged")
	}
	resp, err = http.Post(srv.URL+"/v1/graphql", "application/json", strings.NewReader(`{"query":"{a}"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("server did not survive the panic: %v", err)
	}
	resp.Body.Close()
}

func TestHTTPLog(t *testing.T) {
	var logs bytes.Buffer
	logger := logging.New(&logs, logging.Options{Types: map[string]bool{"http-log": true}})
	h := New(Options{Metadata: fakeMetadata{}, Logger: logger})
	do(t, h, call{"POST", "/v1/metadata", `{"type":"fail"}`, map[string]string{"X-Request-Id": "r-1", "X-Hasura-Role": "admin"}})
	var line struct {
		Level  string
		Type   string
		Detail struct {
			RequestID string `json:"request_id"`
			Operation struct {
				UserVars     map[string]string `json:"user_vars"`
				Error        map[string]any
				ResponseSize int `json:"response_size"`
			}
			HTTPInfo struct {
				Status int
				URL    string
				Method string
			} `json:"http_info"`
		}
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	d := line.Detail
	if line.Type != "http-log" || line.Level != "error" || d.RequestID != "r-1" || d.HTTPInfo.Status != 400 ||
		d.HTTPInfo.URL != "/v1/metadata" || d.HTTPInfo.Method != "POST" || d.Operation.Error["code"] != "not-exists" ||
		d.Operation.UserVars["x-hasura-role"] != "admin" || d.Operation.ResponseSize == 0 {
		t.Errorf("http-log = %s", logs.String())
	}

	logs.Reset()
	h = New(Options{Logger: logging.New(&logs, logging.Options{Types: map[string]bool{"startup": true}})})
	do(t, h, call{"GET", "/v1/version", ``, nil})
	if logs.Len() != 0 {
		t.Errorf("http-log written while disabled: %s", logs.String())
	}
}

func TestHealthz(t *testing.T) {
	inconsistent := apierr.New(apierr.Inconsistent, "inconsistent objects in schema")
	tests := []struct {
		name       string
		err        error
		query      string
		wantStatus int
		wantBody   string
	}{
		{"healthy", nil, "", 200, "OK"},
		{"healthy strict", nil, "?strict=true", 200, "OK"},
		{"inconsistent", inconsistent, "", 200, "WARN inconsistent objects in schema"},
		{"inconsistent strict", inconsistent, "?strict=true", 500, "ERROR"},
		{"database down", errors.New("connection refused"), "", 500, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Options{Health: fakeHealth{tt.err}})
			w := do(t, h, call{"GET", "/healthz" + tt.query, ``, nil})
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %q", w.Code, w.Body)
			}
		})
	}
}

func TestConfigInfo(t *testing.T) {
	cfg := loadConfig(t, map[string]string{
		"HASURA_GRAPHQL_ADMIN_SECRET":          "x",
		"HASURA_GRAPHQL_JWT_SECRET":            `{"type":"HS256","key":"0123456789abcdef0123456789abcdef","claims_format":"stringified_json"}`,
		"HASURA_GRAPHQL_EXPERIMENTAL_FEATURES": "naming_convention",
	})
	h := New(Options{Config: cfg})
	w := do(t, h, call{"GET", "/v1alpha1/config", ``, nil})
	want := `{"version":"` + Version + `","is_function_permissions_inferred":true,"is_remote_schema_permissions_enabled":false,` +
		`"is_admin_secret_set":true,"is_auth_hook_set":false,"is_jwt_set":true,` +
		`"jwt":[{"claims_namespace":"https://hasura.io/jwt/claims","claims_format":"stringified_json"}],` +
		`"is_allow_list_enabled":false,"live_queries":{"batch_size":100,"refetch_delay":1},` +
		`"streaming_queries":{"batch_size":100,"refetch_delay":1},"console_assets_dir":null,` +
		`"experimental_features":["naming_convention"],"is_prometheus_metrics_enabled":true,"default_naming_convention":"hasura-default"}`
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("config = %d\n%s\nwant\n%s", w.Code, w.Body, want)
	}
	w = do(t, New(Options{}), call{"GET", "/v1alpha1/config", ``, nil})
	if !strings.Contains(w.Body.String(), `"is_jwt_set":false,"jwt":[]`) {
		t.Errorf("no-jwt config = %s", w.Body)
	}
}

func TestConsoleEnabled(t *testing.T) {
	h := New(Options{Config: loadConfig(t, map[string]string{"HASURA_GRAPHQL_ENABLE_CONSOLE": "true"})})
	if w := do(t, h, call{"GET", "/console", ``, nil}); w.Code != 200 || !strings.Contains(w.Body.String(), "<html") {
		t.Errorf("console: %d %s", w.Code, w.Body)
	}
	if w := do(t, h, call{"GET", "/", ``, nil}); w.Code != http.StatusFound || w.Header().Get("Location") != "/console" {
		t.Errorf("root: %d %v", w.Code, w.Header())
	}
}
