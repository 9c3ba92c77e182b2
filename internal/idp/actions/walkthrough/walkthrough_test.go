// Package walkthrough_test runs the seed guide end to end against a whole
// Postgate (engine and identity provider with its Actions). It lives apart
// from the Actions package so that the runtime's own tests do not build the
// engine.
package walkthrough_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/pgtest"
)

// seedScript reads one of the guide's Action scripts from
// ../shared/seeds/actions next to the repository (or
// POSTGATE_SEEDS_ACTIONS), skipping when it is absent and failing under
// CI=true.
func seedScript(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("POSTGATE_SEEDS_ACTIONS")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared", "seeds", "actions")
				break
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the guide's Action %s is required under CI: %v", name, err)
		}
		t.Skipf("the guide's Actions folder is absent (%v); set POSTGATE_SEEDS_ACTIONS", err)
	}
	return string(b)
}

// walk is a running Postgate (engine + identity provider) for the seed
// guide's walkthrough.
type walk struct {
	t    *testing.T
	base string
}

func startPostgate(t *testing.T, adminSecret string) *walk {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": pgtest.URL(t), "HASURA_GRAPHQL_SERVER_HOST": "127.0.0.1",
		"HASURA_GRAPHQL_SERVER_PORT": strconv.Itoa(port), "HASURA_GRAPHQL_ADMIN_SECRET": adminSecret,
		"POSTGATE_AUTH_ENABLED": "true", "POSTGATE_AUTH_SECRET_KEY": "walkthrough-key", "POSTGATE_AUTH_ISSUER": base + "/auth/",
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup", "POSTGATE_AUTH_ACTIONS_TIMEOUT": "1",
	}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Postgate never became healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &walk{t: t, base: base}
}

// call sends JSON with an admin secret or a bearer token.
func (w *walk) call(method, path, authz string, body any) (int, map[string]any) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if tok, ok := strings.CutPrefix(authz, "Bearer "); ok {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if authz != "" {
		req.Header.Set("X-Hasura-Admin-Secret", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

func (w *walk) must(method, path, authz string, body any) map[string]any {
	w.t.Helper()
	st, m := w.call(method, path, authz, body)
	if st >= 300 {
		w.t.Fatalf("%s %s: %d %v", method, path, st, m)
	}
	return m
}

var (
	csrfRe  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	stateRe = regexp.MustCompile(`name="state" value="([^"]+)"`)
)

// loginPKCE runs the authorization-code flow with PKCE through the login
// page, as a browser and a single-page application do, and returns the
// access token.
func (w *walk) loginPKCE(clientID, callback, audience, user, pass string) string {
	w.t.Helper()
	back, verifier := w.authorize(clientID, callback, audience, user, pass)
	if back.Query().Get("code") == "" || back.Query().Get("state") != "st4te" {
		w.t.Fatalf("login as %s: redirected to %s", user, back)
	}
	resp, err := http.PostForm(w.base+"/auth/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID},
		"code": {back.Query().Get("code")}, "code_verifier": {verifier}, "redirect_uri": {callback}})
	if err != nil {
		w.t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	at, _ := tok["access_token"].(string)
	if resp.StatusCode != 200 || at == "" {
		w.t.Fatalf("token for %s: %d %v", user, resp.StatusCode, tok)
	}
	return at
}

// authorize signs in through the login page and returns where the
// provider sent the browser back, with the PKCE verifier.
func (w *walk) authorize(clientID, callback, audience, user, pass string) (*url.URL, string) {
	w.t.Helper()
	var vb [32]byte
	_, _ = rand.Read(vb[:])
	verifier := base64.RawURLEncoding.EncodeToString(vb[:])
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "scope": {"openid profile email"},
		"audience": {audience}, "state": {"st4te"}, "nonce": {"n0nce"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	resp, err := browser.Get(w.base + "/auth/authorize?" + q.Encode())
	if err != nil {
		w.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	field := func(re *regexp.Regexp) string {
		m := re.FindSubmatch(page)
		if m == nil {
			w.t.Fatalf("login page (%d) without %s:\n%s", resp.StatusCode, re, page)
		}
		return string(m[1])
	}
	resp, err = browser.PostForm(w.base+"/auth/login", url.Values{"csrf_token": {field(csrfRe)}, "state": {field(stateRe)},
		"username": {user}, "password": {pass}})
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || back == nil || !strings.HasPrefix(back.String(), callback) {
		w.t.Fatalf("login as %s: %d %s %s", user, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return back, verifier
}

func jwtClaims(t *testing.T, jwt string) map[string]any {
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

// TestSeedWalkthrough is the seed guide end to end: an application and an
// API, the guide's two Actions (code unmodified, the admin secret and
// endpoint read from event.secrets), the users table with the user role's
// permission, two users logging in through authorization code + PKCE; each
// token carries the Hasura claims, each login upserts the user through
// /v1/graphql, and each user sees only their own row.
func TestSeedWalkthrough(t *testing.T) {
	claimsCode := seedScript(t, "hasura-jwt-claims.js")
	syncCode := seedScript(t, "hasura-sync-users.js")
	const admin = "walkthr0ugh-admin"
	w := startPostgate(t, admin)
	const (
		appURL   = "http://localhost:3000"
		callback = appURL + "/callback"
		audience = "https://hasura.example/v1/graphql"
	)

	// Step 1: the application and the API.
	w.must("POST", "/auth/api/v2/resource-servers", admin, map[string]any{"identifier": audience, "name": "Hasura", "signing_alg": "RS256"})
	spa := w.must("POST", "/auth/api/v2/clients", admin, map[string]any{"name": "My Hasura App", "app_type": "spa",
		"callbacks": []string{callback}, "web_origins": []string{appURL}, "allowed_logout_urls": []string{appURL}})
	clientID, _ := spa["client_id"].(string)

	// Step 5 (before logins): the users table, tracked, with the user role's filter.
	w.must("POST", "/v2/query", admin, map[string]any{"type": "run_sql", "args": map[string]any{"sql": `
CREATE TABLE users ("userId" text PRIMARY KEY, "userName" text, "lastSeen" timestamp DEFAULT now());`}})
	w.must("POST", "/v1/metadata", admin, map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "users"}})
	w.must("POST", "/v1/metadata", admin, map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
		"table": "users", "role": "user", "permission": map[string]any{"columns": []string{"userId", "userName", "lastSeen"},
			"filter": map[string]any{"userId": map[string]any{"_eq": "X-Hasura-User-Id"}}}}})

	// Step 2: the two Actions, deployed and bound to the Login flow in order.
	syncCode = strings.NewReplacer(`"YOUR_HASURA_GRAPHQL_ADMIN_SECRET"`, "event.secrets.HASURA_GRAPHQL_ADMIN_SECRET",
		`"YOUR_HASURA_GRAPHQL_ENDPOINT"`, "event.secrets.HASURA_GRAPHQL_ENDPOINT").Replace(syncCode)
	claims := w.must("POST", "/auth/api/v2/actions/actions", admin, map[string]any{"name": "Hasura JWT Claims", "code": claimsCode,
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}, "runtime": "node22"})
	sync := w.must("POST", "/auth/api/v2/actions/actions", admin, map[string]any{"name": "Hasura Sync Users", "code": syncCode,
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}, "runtime": "node22",
		"dependencies": []any{map[string]any{"name": "node-fetch", "version": "2.7.0"}},
		"secrets": []any{map[string]any{"name": "HASURA_GRAPHQL_ADMIN_SECRET", "value": admin},
			map[string]any{"name": "HASURA_GRAPHQL_ENDPOINT", "value": w.base + "/v1/graphql"}}})
	for _, a := range []map[string]any{claims, sync} {
		w.must("POST", "/auth/api/v2/actions/actions/"+a["id"].(string)+"/deploy", admin, nil)
	}
	w.must("PATCH", "/auth/api/v2/actions/triggers/post-login/bindings", admin, map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_name", "value": "Hasura JWT Claims"}, "display_name": "Hasura JWT Claims"},
		map[string]any{"ref": map[string]any{"type": "action_name", "value": "Hasura Sync Users"}, "display_name": "Hasura Sync Users"},
	}})

	// Step 3: the Test button, with the default event payload.
	test := w.must("POST", "/auth/api/v2/actions/actions/"+sync["id"].(string)+"/test", admin, map[string]any{"payload": map[string]any{}})
	if p, _ := test["payload"].(map[string]any); p == nil || p["error"] != nil || !strings.Contains(p["logs"].(string), `Response {"data":{"insert_users_one":{"userId":"auth0|5f7c8ec7c33c6c004bbafe82"}}}`) {
		t.Fatalf("testing the sync action: %v", test)
	}

	// Step 6: two users log in; each sees only their own row.
	users := map[string]string{}
	for _, u := range []struct{ email, username string }{{"alice@example.com", "alice"}, {"bob@example.com", "bob"}} {
		created := w.must("POST", "/auth/api/v2/users", admin, map[string]any{"email": u.email, "username": u.username,
			"password": "correct horse battery", "connection": "Username-Password-Authentication"})
		users[u.username] = created["user_id"].(string)
	}
	query := map[string]any{"query": `{ users { userId userName } }`}
	for round := 1; round <= 2; round++ {
		for _, name := range []string{"alice", "bob"} {
			at := w.loginPKCE(clientID, callback, audience, name+"@example.com", "correct horse battery")
			hc, _ := jwtClaims(t, at)["https://hasura.io/jwt/claims"].(map[string]any)
			if hc["x-hasura-default-role"] != "user" || hc["x-hasura-user-id"] != users[name] {
				t.Fatalf("%s's token claims: %v", name, hc)
			}
			st, out := w.call("POST", "/v1/graphql", "Bearer "+at, query)
			data, _ := out["data"].(map[string]any)
			rows, _ := data["users"].([]any)
			if st != 200 || len(rows) != 1 || rows[0].(map[string]any)["userId"] != users[name] || rows[0].(map[string]any)["userName"] != name {
				t.Fatalf("round %d: %s sees %d %v", round, name, st, out)
			}
		}
	}
	// A second login updated the row, it did not add one.
	out := w.must("POST", "/v2/query", admin, map[string]any{"type": "run_sql", "args": map[string]any{"sql": `SELECT count(*) FROM users`}})
	// The test button added the default user; alice and bob make three.
	if res, _ := out["result"].([]any); len(res) != 2 || res[1].([]any)[0] != "3" {
		t.Fatalf("users rows after two rounds of logins: %v, want 3 (the test user, alice, bob)", out)
	}
	// Without a token, Hasura's error.
	_, out = w.call("POST", "/v1/graphql", "", query)
	if errs, _ := out["errors"].([]any); len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "Missing 'Authorization' or 'Cookie' header in JWT authentication mode") {
		t.Fatalf("without a token: %v", out)
	}

	// Failing Actions fail the login cleanly (access_denied with the
	// reason) and leave the server serving logins.
	bad := map[string]string{
		"Loops":  `exports.onExecutePostLogin = async () => { while (true) {} };`,
		"Throws": `exports.onExecutePostLogin = async (event) => { throw new Error("no sync for " + event.user.username) };`,
		"Unreachable": `const fetch = require('node-fetch');
exports.onExecutePostLogin = async () => { await fetch("http://127.0.0.1:1/v1/graphql", { method: "POST", body: "{}" }) };`,
		"Escapes": `exports.onExecutePostLogin = async () => { require("child_process").execSync("id") };`,
	}
	for name, code := range bad {
		a := w.must("POST", "/auth/api/v2/actions/actions", admin, map[string]any{"name": name, "code": code, "deploy": true,
			"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}})
		w.must("PATCH", "/auth/api/v2/actions/triggers/post-login/bindings", admin, map[string]any{"bindings": []any{
			map[string]any{"ref": map[string]any{"type": "action_id", "value": a["id"]}},
			map[string]any{"ref": map[string]any{"type": "action_name", "value": "Hasura JWT Claims"}},
		}})
		back, _ := w.authorize(clientID, callback, audience, "bob@example.com", "correct horse battery")
		q := back.Query()
		if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("error_description") == "" {
			t.Fatalf("%s: redirected to %s", name, back)
		}
		t.Logf("%s: access_denied: %s", name, q.Get("error_description"))
	}
	w.must("PATCH", "/auth/api/v2/actions/triggers/post-login/bindings", admin, map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_name", "value": "Hasura JWT Claims"}}}})
	at := w.loginPKCE(clientID, callback, audience, "alice@example.com", "correct horse battery")
	if hc, _ := jwtClaims(t, at)["https://hasura.io/jwt/claims"].(map[string]any); hc["x-hasura-user-id"] != users["alice"] {
		t.Fatalf("a login after the failures: %v", hc)
	}
}
