package debugger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/pgtest"
)

const admin = "debugger-admin-secret"

// server starts Postgate with its identity provider on a loopback port and
// returns its base URL and issuer.
func server(t *testing.T) (base, issuer string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	base = "http://127.0.0.1:" + port
	issuer = base + "/auth/"
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": pgtest.URL(t), "HASURA_GRAPHQL_SERVER_PORT": port, "HASURA_GRAPHQL_ADMIN_SECRET": admin,
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup", "POSTGATE_AUTH_ENABLED": "true", "POSTGATE_AUTH_ISSUER": issuer,
		"POSTGATE_AUTH_SECRET_KEY": "debugger-test",
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
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
	})
	return base, issuer
}

func call(t *testing.T, method, u, authz string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if authz == "admin" {
		req.Header.Set("X-Hasura-Admin-Secret", admin)
	} else if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if authz == "admin" && resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	stateRe  = regexp.MustCompile(`name="state" value="([^"]+)"`)
	headerRe = regexp.MustCompile(`<textarea id="authz"[^>]*>([^<]+)</textarea>`)
)

type browser struct {
	t *testing.T
	c *http.Client
}

func (b *browser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = b.c.Get(u)
	} else {
		resp, err = b.c.PostForm(u, form)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func field(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, page)
	}
	return html.UnescapeString(m[1])
}

// TestDebugger is the seed guide's "API debugger" step: an administrator
// signs in with the admin secret, picks the application and the API, logs
// in as a user through the provider's login page, and copies a working
// Authorization header.
func TestDebugger(t *testing.T) {
	base, iss := server(t)
	const aud = "https://hasura.example.com/graphql"
	call(t, "POST", iss+"api/v2/resource-servers", "admin", map[string]any{"name": "Hasura", "identifier": aud})
	_, spa := call(t, "POST", iss+"api/v2/clients", "admin", map[string]any{"name": "My Hasura App", "app_type": "spa",
		"callbacks": []string{"http://localhost:3000/callback", iss + "debugger/callback"}})
	_, other := call(t, "POST", iss+"api/v2/clients", "admin", map[string]any{"name": "No debugger callback", "app_type": "spa",
		"callbacks": []string{"http://localhost:3000/callback"}})
	_, user := call(t, "POST", iss+"api/v2/users", "admin", map[string]any{"connection": "Username-Password-Authentication",
		"email": "ada@example.com", "password": "analytical-engine"})
	_, claims := call(t, "POST", iss+"api/v2/actions/actions", "admin", map[string]any{"name": "claims", "deploy": true,
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}},
		"code": `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://hasura.io/jwt/claims', {'x-hasura-default-role': 'user', 'x-hasura-allowed-roles': ['user'], 'x-hasura-user-id': event.user.user_id});
};`})
	call(t, "PATCH", iss+"api/v2/actions/triggers/post-login/bindings", "admin", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_id", "value": claims["id"]}}}})

	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, c: &http.Client{Jar: jar}}
	dbg := iss + "debugger"

	// Signed out: only the sign-in form.
	resp, page := b.do("GET", dbg, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `name="admin_secret"`) || strings.Contains(page, `name="client_id"`) {
		t.Fatalf("signed-out page: %d\n%s", resp.StatusCode, page)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", resp.Header)
	}
	csrf := field(t, csrfRe, page)
	// A form without the CSRF token, or from another site, is refused.
	if resp, _ := b.do("POST", dbg+"/signin", url.Values{"admin_secret": {admin}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without the CSRF token: %d", resp.StatusCode)
	}
	other2, _ := cookiejar.New(nil)
	stranger := &browser{t: t, c: &http.Client{Jar: other2}}
	if resp, _ := stranger.do("POST", dbg+"/signin", url.Values{"admin_secret": {admin}, "csrf_token": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in with another browser's CSRF token: %d", resp.StatusCode)
	}
	// A wrong admin secret is refused.
	if resp, page := b.do("POST", dbg+"/signin", url.Values{"admin_secret": {"nope"}, "csrf_token": {csrf}}); resp.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(page, "Wrong admin secret") {
		t.Fatalf("wrong admin secret: %d", resp.StatusCode)
	}
	// Starting a flow needs the sign-in.
	if resp, page := b.do("POST", dbg+"/start", url.Values{"csrf_token": {csrf}, "client_id": {spa["client_id"].(string)}}); strings.Contains(resp.Request.URL.Path, "authorize") ||
		!strings.Contains(page, "Sign in with the admin secret") {
		t.Fatalf("start while signed out went to %s", resp.Request.URL)
	}

	resp, page = b.do("POST", dbg+"/signin", url.Values{"admin_secret": {admin}, "csrf_token": {csrf}})
	if resp.StatusCode != 200 || !strings.Contains(page, "My Hasura App") || !strings.Contains(page, aud) ||
		!strings.Contains(page, iss+"debugger/callback") || strings.Contains(page, "api/v2/") && strings.Contains(page, "Postgate Management API") {
		t.Fatalf("signed-in page: %d\n%s", resp.StatusCode, page)
	}
	// An application without the debugger's callback is explained.
	if resp, page := b.do("POST", dbg+"/start", url.Values{"csrf_token": {csrf}, "client_id": {other["client_id"].(string)}, "audience": {aud}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "Add "+iss+"debugger/callback") {
		t.Fatalf("an application without the callback: %d\n%s", resp.StatusCode, page)
	}

	// Log in through the provider's login page.
	resp, page = b.do("POST", dbg+"/start", url.Values{"csrf_token": {csrf}, "client_id": {spa["client_id"].(string)}, "audience": {aud},
		"scope": {"openid profile email"}})
	if !strings.Contains(page, `name="password"`) {
		t.Fatalf("expected the login page, got %s:\n%s", resp.Request.URL, page)
	}
	resp, page = b.do("POST", iss+"login", url.Values{"csrf_token": {field(t, csrfRe, page)}, "state": {field(t, stateRe, page)},
		"username": {"ada@example.com"}, "password": {"analytical-engine"}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/auth/debugger/callback" {
		t.Fatalf("after the login: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	header := field(t, headerRe, page)
	for _, want := range []string{`&#34;sub&#34;: &#34;` + user["user_id"].(string), `x-hasura-user-id`, `&#34;alg&#34;: &#34;RS256&#34;`, "ID token claims", `&#34;nonce&#34;`} {
		if !strings.Contains(page, want) {
			t.Errorf("the result page lacks %s", want)
		}
	}
	// The copied header works against the engine.
	tok, ok := strings.CutPrefix(header, "Authorization: ")
	if !ok {
		t.Fatalf("header %q", header)
	}
	st, out := call(t, "POST", base+"/v1/graphql", tok, map[string]any{"query": "{ __typename }"})
	if st != 200 || out["data"] == nil {
		t.Fatalf("the copied header at /v1/graphql: %d %v", st, out)
	}
	// The flow cookie is single-use: replaying the callback fails.
	if resp, page := b.do("GET", resp.Request.URL.String(), nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "No sign-in is in progress") {
		t.Fatalf("replayed callback: %d", resp.StatusCode)
	}
	// Sign out.
	if resp, page := b.do("POST", dbg+"/signout", url.Values{"csrf_token": {csrf}}); resp.StatusCode != 200 || !strings.Contains(page, `name="admin_secret"`) {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
}

// TestDebuggerSignInThrottled: the admin-secret form counts its failures in
// the provider's per-IP brute-force protection (as the login page does);
// once the address is locked, even the right secret is refused.
func TestDebuggerSignInThrottled(t *testing.T) {
	_, iss := server(t)
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, c: &http.Client{Jar: jar}}
	dbg := iss + "debugger"
	_, page := b.do("GET", dbg, nil)
	csrf := field(t, csrfRe, page)
	const limit = 100 // the provider's default per-IP failures per window
	for i := 0; i < limit; i++ {
		if resp, _ := b.do("POST", dbg+"/signin", url.Values{"admin_secret": {"guess-" + strconv.Itoa(i)}, "csrf_token": {csrf}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong secret %d: %d", i, resp.StatusCode)
		}
	}
	resp, page := b.do("POST", dbg+"/signin", url.Values{"admin_secret": {admin}, "csrf_token": {csrf}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Too many failed sign-ins") || strings.Contains(page, `name="client_id"`) {
		t.Fatalf("sign-in from a locked address: %d\n%s", resp.StatusCode, page)
	}
	// The lock is the provider's own: its logins refuse the address too.
	_, app := call(t, "POST", iss+"api/v2/clients", "admin", map[string]any{"name": "Web", "app_type": "regular_web",
		"grant_types": []string{"password"}})
	st, body := call(t, "POST", iss+"oauth/token", "", map[string]any{"grant_type": "password", "client_id": app["client_id"],
		"client_secret": app["client_secret"], "username": "u@example.com", "password": "whatever-it-is"})
	if st != http.StatusTooManyRequests || body["error"] != "too_many_attempts" {
		t.Fatalf("password grant from the locked address: %d %v", st, body)
	}
}
