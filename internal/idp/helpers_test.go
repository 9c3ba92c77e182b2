package idp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/pgtest"
)

const testAdminSecret = "test-admin-secret"

// fakeActions is a post-login runner for tests: it adds Hasura claims and
// denies users whose app_metadata has deny=true.
type fakeActions struct {
	mu     sync.Mutex
	events []PostLoginEvent
}

func (f *fakeActions) RunPostLogin(_ context.Context, ev PostLoginEvent) (PostLoginResult, error) {
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	if ev.User.AppMetadata["deny"] == true {
		return PostLoginResult{Denied: true, DenyReason: "not allowed here", AppMetadata: map[string]any{"denied_once": true}}, nil
	}
	return PostLoginResult{
		AccessTokenClaims: map[string]any{"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-default-role": "user", "x-hasura-allowed-roles": []string{"user"}, "x-hasura-user-id": ev.User.UserID}},
		IDTokenClaims: map[string]any{"https://example.com/roles": ev.Authorization.Roles, "sub": "overridden?"},
		UserMetadata:  map[string]any{"last_protocol": ev.Transaction.Protocol},
	}, nil
}

func (f *fakeActions) last() PostLoginEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events[len(f.events)-1]
}

// env is a running provider behind an httptest server.
type env struct {
	t       *testing.T
	p       *IdP
	srv     *httptest.Server
	issuer  string
	actions *fakeActions
	now     time.Time
	nowMu   sync.Mutex
}

func (e *env) clock() time.Time {
	e.nowMu.Lock()
	defer e.nowMu.Unlock()
	if e.now.IsZero() {
		return time.Now()
	}
	return e.now
}

// testKeys hands out a few pre-generated RSA keys round-robin, so that
// tests do not spend their time generating keys.
var testKeys = struct {
	once sync.Once
	mu   sync.Mutex
	keys []*rsa.PrivateKey
	next int
}{}

func testKey() (*rsa.PrivateKey, error) {
	testKeys.once.Do(func() {
		for range 4 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys.keys = append(testKeys.keys, k)
		}
	})
	testKeys.mu.Lock()
	defer testKeys.mu.Unlock()
	k := testKeys.keys[testKeys.next%len(testKeys.keys)]
	testKeys.next++
	return k, nil
}

func newEnv(t *testing.T, tweak ...func(*Config)) *env {
	t.Helper()
	pool := pgtest.Pool(t)
	e := &env{t: t, actions: &fakeActions{}}
	var h http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.issuer = e.srv.URL + "/auth/"
	cfg := Config{
		Issuer: e.issuer, SecretKey: []byte("test secret key"), AdminSecret: AdminSecretChecker(testAdminSecret),
		AllowSignup: true, Password: PasswordParams{Time: 1, Memory: 64, Threads: 1},
		Throttle: ThrottleParams{AccountFailures: 3, AccountLockout: time.Minute, IPFailures: 50, IPWindow: time.Minute},
		Hooks:    Hooks{PostLogin: e.actions}, Now: e.clock, newKey: testKey,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	p, err := New(context.Background(), pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	mux := http.NewServeMux()
	mux.Handle("/auth/", p.Handler())
	h = mux
	return e
}

// api calls the Management API with the admin secret.
func (e *env) api(method, path string, body any, out any) int {
	e.t.Helper()
	return e.apiAs("Bearer "+testAdminSecret, method, path, body, out)
}

func (e *env) apiAs(authz, method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.issuer+"api/v2/"+strings.TrimPrefix(path, "/"), rd)
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func (e *env) mustAPI(method, path string, body any, out any) {
	e.t.Helper()
	var raw json.RawMessage
	st := e.api(method, path, body, &raw)
	if st >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, st, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// token posts form to /oauth/token and returns status and body.
func (e *env) token(form url.Values) (int, map[string]any) {
	e.t.Helper()
	resp, err := http.PostForm(e.issuer+"oauth/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// browser is a user agent with a cookie jar that stops at the app's
// redirect URI.
type browser struct {
	t      *testing.T
	c      *http.Client
	appURL string
}

func newBrowser(t *testing.T, appURL string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, appURL: appURL}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), appURL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// get follows redirects until a page or the app's redirect URI.
func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var (
	csrfRe  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	stateRe = regexp.MustCompile(`name="state" value="([^"]+)"`)
)

func formField(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, page)
	}
	return m[1]
}

// claimsOf decodes a JWT's payload without verifying it.
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func headerOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// fixture creates an SPA, a regular web app, an M2M app, an API with RBAC
// and a user with a role.
type fixture struct {
	spa, web, m2m Client
	api           ResourceServer
	user          User
	role          Role
}

const (
	appURL   = "https://app.example.com"
	callback = appURL + "/callback"
	apiID    = "https://api.example.com/graphql"
	userMail = "alice@example.com"
	userPass = "correct horse battery"
)

func (e *env) fixture() fixture {
	var f fixture
	e.mustAPI("POST", "resource-servers", map[string]any{"identifier": apiID, "name": "GraphQL", "signing_alg": "RS256",
		"token_lifetime": 3600, "allow_offline_access": true, "enforce_policies": true,
		"scopes": []Scope{{Value: "read:todos"}, {Value: "write:todos"}}}, &f.api)
	e.mustAPI("POST", "clients", map[string]any{"name": "My Hasura App", "app_type": "spa", "callbacks": []string{callback},
		"allowed_logout_urls": []string{appURL + "/bye"}, "web_origins": []string{appURL}}, &f.spa)
	e.mustAPI("POST", "clients", map[string]any{"name": "Web", "app_type": "regular_web", "callbacks": []string{callback},
		"grant_types": []string{"authorization_code", "refresh_token", "password", grantPasswordRealm}}, &f.web)
	e.mustAPI("POST", "clients", map[string]any{"name": "Worker", "app_type": "non_interactive"}, &f.m2m)
	e.mustAPI("POST", "users", map[string]any{"email": userMail, "password": userPass, "connection": connectionName,
		"name": "Alice", "app_metadata": map[string]any{"plan": "pro"}}, &f.user)
	e.mustAPI("POST", "roles", map[string]any{"name": "reader"}, &f.role)
	e.mustAPI("POST", "roles/"+f.role.ID+"/permissions", map[string]any{"permissions": []permission{{apiID, "read:todos"}}}, nil)
	e.mustAPI("POST", "users/"+url.PathEscape(f.user.UserID)+"/roles", map[string]any{"roles": []string{f.role.ID}}, nil)
	return f
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
