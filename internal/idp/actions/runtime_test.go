package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// seedScript reads one of the guide's Action scripts from
// ../shared/seeds/actions (next to the repository), skipping when the
// folder is absent (failing under CI=true).
func seedScript(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("POSTGATE_SEEDS_ACTIONS")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared", "seeds", "actions")
				break
			}
			if filepath.Dir(d) == d {
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

func newTestRuntime(t *testing.T, cfg Config) *Runtime {
	t.Helper()
	if cfg.FlowTimeout == 0 {
		cfg.FlowTimeout = 5 * time.Second
	}
	return New(cfg)
}

func act(name, code string) Action {
	return Action{ID: "act_" + name, Name: name, VersionID: "ver_" + name, Code: code}
}

func defaultLogin() map[string]any { return DefaultEvent(PostLogin, time.Now()) }

func TestGuideClaimsAction(t *testing.T) {
	code := seedScript(t, "hasura-jwt-claims.js")
	rt := newTestRuntime(t, Config{})
	res, err := rt.Run(context.Background(), PostLogin, []Action{act("Hasura JWT Claims", code)}, defaultLogin())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"x-hasura-default-role":  "user",
		"x-hasura-allowed-roles": []any{"user"},
		"x-hasura-user-id":       "auth0|5f7c8ec7c33c6c004bbafe82",
	}
	got := res.AccessTokenClaims["https://hasura.io/jwt/claims"]
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("claims = %#v, want %#v", got, want)
	}
	if b, err := json.Marshal(res.AccessTokenClaims); err != nil || !strings.Contains(string(b), `"x-hasura-allowed-roles":["user"]`) {
		t.Fatalf("claims JSON = %s, %v", b, err)
	}
	if res.Denied || len(res.IDTokenClaims) != 0 {
		t.Fatalf("unexpected result %+v", res)
	}
}

// graphqlStandIn is a loopback server standing in for /v1/graphql: it
// checks the admin secret and the guide's upsert.
func graphqlStandIn(t *testing.T, secret string) (*httptest.Server, *[]map[string]any) {
	t.Helper()
	var mu sync.Mutex
	var seen []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/v1/graphql" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if r.Header.Get("x-hasura-admin-secret") != secret {
			_, _ = io.WriteString(w, `{"errors":[{"extensions":{"path":"$","code":"access-denied"},"message":"invalid x-hasura-admin-secret/x-hasura-access-key"}]}`)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content-type = %q", ct)
		}
		var body struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("body: %v", err)
		}
		for _, want := range []string{"insert_users_one(object: {userId: $userId, userName: $userName}", "on_conflict: {constraint: users_pkey, update_columns: userName}"} {
			if !strings.Contains(body.Query, want) {
				t.Errorf("query lacks %q:\n%s", want, body.Query)
			}
		}
		mu.Lock()
		seen = append(seen, body.Variables)
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"insert_users_one": map[string]any{"userId": body.Variables["userId"]}}})
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestGuideSyncAction(t *testing.T) {
	code := seedScript(t, "hasura-sync-users.js")
	const secret = "s3cret-admin"
	srv, seen := graphqlStandIn(t, secret)
	endpoint := srv.URL + "/v1/graphql"
	cases := map[string]Action{
		// The placeholders filled in the code, as the guide says.
		"inline": act("Hasura Sync Users", strings.NewReplacer(
			"YOUR_HASURA_GRAPHQL_ADMIN_SECRET", secret, "YOUR_HASURA_GRAPHQL_ENDPOINT", endpoint).Replace(code)),
		// Read from event.secrets, as many Auth0 users write it.
		"secrets": func() Action {
			a := act("Hasura Sync Users (secrets)", strings.NewReplacer(
				`"YOUR_HASURA_GRAPHQL_ADMIN_SECRET"`, "event.secrets.HASURA_GRAPHQL_ADMIN_SECRET",
				`"YOUR_HASURA_GRAPHQL_ENDPOINT"`, "event.secrets.HASURA_GRAPHQL_ENDPOINT").Replace(code))
			a.Secrets = map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": secret, "HASURA_GRAPHQL_ENDPOINT": endpoint}
			return a
		}(),
	}
	rt := newTestRuntime(t, Config{AllowedHosts: []string{"127.0.0.1"}})
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			before := len(*seen)
			res, err := rt.Run(context.Background(), PostLogin, []Action{a}, defaultLogin())
			if err != nil {
				t.Fatal(err)
			}
			if len(*seen) != before+1 {
				t.Fatalf("the stand-in saw %d requests, want one more than %d", len(*seen), before)
			}
			vars := (*seen)[len(*seen)-1]
			if vars["userId"] != "auth0|5f7c8ec7c33c6c004bbafe82" || vars["userName"] != "j_smith" {
				t.Fatalf("variables = %v", vars)
			}
			if len(res.Logs) != 1 || !strings.HasPrefix(res.Logs[0].Message, `Response {"data":{"insert_users_one":{"userId":"auth0|`) {
				t.Fatalf("logs = %+v", res.Logs)
			}
		})
	}
}

func TestAsyncAwaitAndConsole(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	code := `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.onExecutePostLogin = async (event, api) => {
  console.log("start", event.user?.email ?? "none");
  await sleep(5);
  const { user: { app_metadata = {} } } = event;
  console.info({ roles: event.authorization.roles, n: 1 });
  console.warn("warn", 42);
  console.error(new Error("boom").message);
  api.idToken.setCustomClaim("https://example.com/meta", { ...app_metadata, seen: true });
  api.accessToken.addScope("read:users").accessToken.removeScope("email");
};`
	res, err := rt.Run(context.Background(), PostLogin, []Action{act("async", code)}, defaultLogin())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range res.Logs {
		got = append(got, l.Level+": "+l.Message)
	}
	want := []string{"log: start j+smith@example.com", `info: {"roles":[],"n":1}`, "warn: warn 42", "error: boom"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("logs = %q, want %q", got, want)
	}
	if !reflect.DeepEqual(res.IDTokenClaims["https://example.com/meta"], map[string]any{"seen": true}) {
		t.Fatalf("id token claims = %v", res.IDTokenClaims)
	}
	if !reflect.DeepEqual(res.AddScopes, []string{"read:users"}) || !reflect.DeepEqual(res.RemoveScopes, []string{"email"}) {
		t.Fatalf("scopes +%v -%v", res.AddScopes, res.RemoveScopes)
	}
}

func TestDenyThrowAndChain(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	first := act("first", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim("https://x/a", 1);
  api.accessToken.setCustomClaim("sub", "evil");
  api.user.setAppMetadata("plan", "gold").user.setUserMetadata("color", "blue");
};`)
	second := act("second", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim("https://x/b", event.user.app_metadata.plan);
  api.accessToken.setCustomClaim("https://x/a", 2);
};`)
	deny := act("deny", `exports.onExecutePostLogin = async (event, api) => { api.access.deny("no entry for " + event.user.email); };`)
	never := act("never", `exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim("https://x/never", true); };`)
	thrower := act("thrower", `exports.onExecutePostLogin = async (event, api) => { await null; throw new Error("database unreachable"); };`)
	syncThrow := act("syncThrow", `exports.onExecutePostLogin = (event, api) => { null.x; };`)

	t.Run("order", func(t *testing.T) {
		res, err := rt.Run(context.Background(), PostLogin, []Action{first, second}, defaultLogin())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"https://x/a": int64(2), "https://x/b": "gold"}
		if !reflect.DeepEqual(res.AccessTokenClaims, want) {
			t.Fatalf("claims = %#v", res.AccessTokenClaims)
		}
		if res.AppMetadata["plan"] != "gold" || res.UserMetadata["color"] != "blue" {
			t.Fatalf("metadata = %v %v", res.AppMetadata, res.UserMetadata)
		}
		if len(res.Runs) != 2 || res.Runs[0].Action != "first" || res.Runs[1].Action != "second" {
			t.Fatalf("runs = %+v", res.Runs)
		}
	})
	t.Run("deny stops the chain", func(t *testing.T) {
		res, err := rt.Run(context.Background(), PostLogin, []Action{first, deny, never}, defaultLogin())
		if err != nil {
			t.Fatal(err)
		}
		if !res.Denied || res.DenyReason != "no entry for j+smith@example.com" || len(res.Runs) != 2 {
			t.Fatalf("result = %+v", res)
		}
		if _, ok := res.AccessTokenClaims["https://x/never"]; ok {
			t.Fatal("an action after the deny ran")
		}
	})
	for _, a := range []Action{thrower, syncThrow} {
		t.Run("throw "+a.Name, func(t *testing.T) {
			_, err := rt.Run(context.Background(), PostLogin, []Action{a, never}, defaultLogin())
			var re *RunError
			if !errors.As(err, &re) || re.Kind != KindThrown || re.Action != a.Name {
				t.Fatalf("err = %#v", err)
			}
			if a.Name == "thrower" && re.Message != "database unreachable" {
				t.Fatalf("message = %q", re.Message)
			}
		})
	}
	t.Run("compile error", func(t *testing.T) {
		_, err := rt.Run(context.Background(), PostLogin, []Action{act("bad", "exports.onExecutePostLogin = async (event, api) => {")}, defaultLogin())
		var re *RunError
		if !errors.As(err, &re) || re.Kind != KindCompile {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing handler", func(t *testing.T) {
		_, err := rt.Run(context.Background(), PostLogin, []Action{act("other", "exports.onExecuteCredentialsExchange = async () => {}")}, defaultLogin())
		var re *RunError
		if !errors.As(err, &re) || re.Kind != KindHandler {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestTimeLimitStopsInfiniteLoop(t *testing.T) {
	rt := newTestRuntime(t, Config{FlowTimeout: 300 * time.Millisecond, PoolSize: 2})
	for _, code := range []string{
		`exports.onExecutePostLogin = async () => { while (true) {} };`,
		`exports.onExecutePostLogin = async () => { await null; for (;;) {} };`,
		`exports.onExecutePostLogin = () => new Promise(() => {});`,
	} {
		start := time.Now()
		_, err := rt.Run(context.Background(), PostLogin, []Action{act("loop", code)}, defaultLogin())
		var re *RunError
		if !errors.As(err, &re) || re.Kind != KindTimeout {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("the time limit took %v", d)
		}
	}
	// The runtime still serves logins.
	res, err := rt.Run(context.Background(), PostLogin, []Action{act("ok", `exports.onExecutePostLogin = async (e, api) => { api.accessToken.setCustomClaim("https://x/ok", true) };`)}, defaultLogin())
	if err != nil || res.AccessTokenClaims["https://x/ok"] != true {
		t.Fatalf("after a timeout: %v %+v", err, res)
	}
}

func TestSandbox(t *testing.T) {
	rt := newTestRuntime(t, Config{AllowedHosts: []string{"127.0.0.1", "*.allowed.test"}})
	for _, mod := range []string{"fs", "child_process", "node:fs", "process", "os", "./local", "/etc/passwd", "jsonwebtoken"} {
		code := `exports.onExecutePostLogin = async () => { require(` + jsString(mod) + `) };`
		_, err := rt.Run(context.Background(), PostLogin, []Action{act("req", code)}, defaultLogin())
		var re *RunError
		if !errors.As(err, &re) || !strings.Contains(re.Message, "Cannot find module '"+mod+"'") {
			t.Fatalf("require(%q): %v", mod, err)
		}
	}
	res, err := rt.Run(context.Background(), PostLogin, []Action{act("globals", `exports.onExecutePostLogin = async (e, api) => {
  api.accessToken.setCustomClaim("https://x/g", [typeof process, typeof Deno, typeof require("url").URL, typeof Buffer, typeof fetch]);
};`)}, defaultLogin())
	if err != nil || !reflect.DeepEqual(res.AccessTokenClaims["https://x/g"], []any{"undefined", "undefined", "function", "function", "function"}) {
		t.Fatalf("globals: %v %v", err, res)
	}
	_, err = rt.Run(context.Background(), PostLogin, []Action{act("fetch", `const fetch = require('node-fetch');
exports.onExecutePostLogin = async () => { await fetch("http://example.com/steal") };`)}, defaultLogin())
	var re *RunError
	if !errors.As(err, &re) || !strings.Contains(re.Message, "request to http://example.com/steal failed, reason: host is not in the Actions allow-list: example.com") {
		t.Fatalf("disallowed fetch: %v", err)
	}
	// A caught refusal lets the action carry on.
	res, err = rt.Run(context.Background(), PostLogin, []Action{act("caught", `exports.onExecutePostLogin = async (e, api) => {
  try { await fetch("file:///etc/passwd") } catch (err) { api.accessToken.setCustomClaim("https://x/err", err.name) }
};`)}, defaultLogin())
	if err != nil || res.AccessTokenClaims["https://x/err"] != "FetchError" {
		t.Fatalf("caught: %v %+v", err, res)
	}
	if !rt.hostAllowed("a.allowed.test") || rt.hostAllowed("allowed.test.evil") {
		t.Fatal("wildcard allow-list")
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestFetchAPI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo-Method", r.Method)
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		if r.URL.Path == "/text" {
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte("plain " + string(b)))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"got": string(b), "auth": r.Header.Get("Authorization")})
	}))
	defer srv.Close()
	rt := newTestRuntime(t, Config{})
	code := `exports.onExecutePostLogin = async (event, api) => {
  const a = await fetch(event.secrets.URL + "/json", { method: "PUT", body: "x=1", headers: [["Authorization", "Bearer t"]] });
  const j = await a.json();
  const b = await require("node-fetch").default(event.secrets.URL + "/text", { method: "post", body: "hi" });
  api.accessToken.setCustomClaim("https://x/f", {
    ok: a.ok, status: a.status, method: a.headers.get("x-echo-method"), cookies: b.headers.get("set-cookie"),
    got: j.got, auth: j.auth, text: await b.text(), bOk: b.ok, bStatus: b.status, bText: b.statusText,
  });
};`
	a := act("fetchapi", code)
	a.Secrets = map[string]string{"URL": srv.URL}
	res, err := rt.Run(context.Background(), PostLogin, []Action{a}, defaultLogin())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ok": true, "status": int64(200), "method": "PUT", "cookies": "a=1, b=2", "got": "x=1", "auth": "Bearer t",
		"text": "plain hi", "bOk": false, "bStatus": int64(418), "bText": "I'm a teapot"}
	if got := res.AccessTokenClaims["https://x/f"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

func TestOtherTriggers(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	ctx := context.Background()
	res, err := rt.Run(ctx, CredentialsExchange, []Action{act("m2m", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim("https://hasura.io/jwt/claims", {"x-hasura-default-role": "service", "x-hasura-allowed-roles": ["service"], "x-hasura-client": event.client.client_id});
};`)}, DefaultEvent(CredentialsExchange, time.Now()))
	if err != nil || res.AccessTokenClaims["https://hasura.io/jwt/claims"].(map[string]any)["x-hasura-client"] != "postgate-test-client" {
		t.Fatalf("credentials exchange: %v %+v", err, res)
	}
	res, err = rt.Run(ctx, CredentialsExchange, []Action{act("m2m-deny", `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny("invalid_request", "not today") };`)}, nil)
	if err != nil || !res.Denied || res.DenyCode != "invalid_request" || res.DenyReason != "not today" {
		t.Fatalf("credentials deny: %v %+v", err, res)
	}
	res, err = rt.Run(ctx, PreUserRegistration, []Action{act("pre", `exports.onExecutePreUserRegistration = async (event, api) => {
  if (!event.user.email.endsWith("@example.com")) { api.access.deny("domain", "Sign-ups from this domain are closed"); return }
  api.user.setUserMetadata("source", "signup"); api.user.setAppMetadata("tier", null);
};`)}, map[string]any{"user": map[string]any{"email": "x@example.org"}})
	if err != nil || !res.Denied || res.DenyReason != "Sign-ups from this domain are closed" {
		t.Fatalf("pre registration deny: %v %+v", err, res)
	}
	res, err = rt.Run(ctx, PreUserRegistration, []Action{act("pre", `exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setUserMetadata("source", "signup"); api.user.setAppMetadata("tier", null);
};`)}, DefaultEvent(PreUserRegistration, time.Now()))
	if err != nil || res.Denied || res.UserMetadata["source"] != "signup" || res.AppMetadata["tier"] != nil {
		t.Fatalf("pre registration: %v %+v", err, res)
	}
	res, err = rt.Run(ctx, PostUserRegistration, []Action{act("post", `exports.onExecutePostUserRegistration = async (event, api) => {
  api.cache.set("k", "v"); console.log(api.cache.get("k").value, typeof api.access);
};`)}, DefaultEvent(PostUserRegistration, time.Now()))
	if err != nil || len(res.Logs) != 1 || res.Logs[0].Message != "v undefined" {
		t.Fatalf("post registration: %v %+v", err, res)
	}
}

func TestUnsupportedAndCache(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	a := act("mfa", `exports.onExecutePostLogin = async (event, api) => {
  api.multifactor.enable("any");
  api.redirect.sendUserTo("https://example.com");
  const prev = api.cache.get("count");
  const n = prev ? Number(prev.value) + 1 : 1;
  api.cache.set("count", String(n), { ttl: 60000 });
  api.accessToken.setCustomClaim("https://x/n", n);
};`)
	for want := int64(1); want <= 2; want++ {
		res, err := rt.Run(context.Background(), PostLogin, []Action{a}, defaultLogin())
		if err != nil {
			t.Fatal(err)
		}
		if res.AccessTokenClaims["https://x/n"] != want {
			t.Fatalf("run %d: n = %v", want, res.AccessTokenClaims["https://x/n"])
		}
		if !reflect.DeepEqual(res.Unsupported, []string{"api.multifactor.enable", "api.redirect.sendUserTo"}) {
			t.Fatalf("unsupported = %v", res.Unsupported)
		}
	}
}

func TestCheckDependencies(t *testing.T) {
	if err := CheckDependencies([]Dependency{{Name: "node-fetch", Version: "2.6.7"}, {Name: "axios", Version: "1.6.0"}}); err != nil {
		t.Fatal(err)
	}
	err := CheckDependencies([]Dependency{{Name: "node-fetch", Version: "2"}, {Name: "left-pad", Version: "1.3.0"}})
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Message, `"left-pad"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestPostLoginTiming logs how long a post-login run of the guide's claims
// action takes with a warm pool, and keeps it in milliseconds.
func TestPostLoginTiming(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  if (event.authorization) {
    api.accessToken.setCustomClaim('https://hasura.io/jwt/claims', {
      'x-hasura-default-role': 'user', 'x-hasura-allowed-roles': ['user'], 'x-hasura-user-id': event.user.user_id })
  }
};`
	rt := newTestRuntime(t, Config{PoolSize: 4})
	ev := defaultLogin()
	chain := []Action{act("claims", code)}
	if _, err := rt.Run(context.Background(), PostLogin, chain, ev); err != nil {
		t.Fatal(err)
	}
	// Logins arrive spaced out: the pool refills between them.
	const n = 20
	var warm time.Duration
	for range n {
		time.Sleep(5 * time.Millisecond)
		start := time.Now()
		if _, err := rt.Run(context.Background(), PostLogin, chain, ev); err != nil {
			t.Fatal(err)
		}
		warm += time.Since(start)
	}
	// Back to back: the pool is empty and every run builds its runtime.
	cold := time.Now()
	for range n {
		in := rt.newInstance()
		_ = in
	}
	build := time.Since(cold) / n
	t.Logf("post-login with the guide's claims action: %.2f ms per run with a warm pool; building a runtime costs %.2f ms more",
		float64((warm/n).Microseconds())/1000, float64(build.Microseconds())/1000)
	if warm/n > 50*time.Millisecond {
		t.Fatalf("a post-login run took %v", warm/n)
	}
}

func TestRuntimeFailures(t *testing.T) {
	rt := newTestRuntime(t, Config{FlowTimeout: 2 * time.Second})
	cases := map[string]struct{ code, msg string }{
		"deep recursion": {`function f() { return f() + 1 } exports.onExecutePostLogin = async () => { f() };`, "Maximum call stack size exceeded"},
		"timer throws":   {`exports.onExecutePostLogin = () => new Promise(() => { setTimeout(() => { throw new Error("late failure") }, 1) });`, "late failure"},
		"reject value":   {`exports.onExecutePostLogin = async () => { throw "plain string" };`, "plain string"},
		"bad event use":  {`exports.onExecutePostLogin = async (event) => { event.nothing.here };`, "Cannot read property 'here' of undefined"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := rt.Run(context.Background(), PostLogin, []Action{act(name, c.code)}, defaultLogin())
			var re *RunError
			if !errors.As(err, &re) || re.Kind != KindThrown || !strings.Contains(re.Message, c.msg) {
				t.Fatalf("err = %v", err)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("the failure took %v", time.Since(start))
			}
		})
	}
}

func BenchmarkPostLoginWarmPool(b *testing.B) {
	rt := New(Config{PoolSize: 8})
	chain := []Action{act("claims", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://hasura.io/jwt/claims', {'x-hasura-default-role': 'user', 'x-hasura-allowed-roles': ['user'], 'x-hasura-user-id': event.user.user_id})
};`)}
	ev := defaultLogin()
	b.ResetTimer()
	for b.Loop() {
		if _, err := rt.Run(context.Background(), PostLogin, chain, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewRuntime is what a login would pay without the warm pool.
func BenchmarkNewRuntime(b *testing.B) {
	rt := New(Config{PoolSize: 1})
	for b.Loop() {
		rt.newInstance()
	}
}

func TestEventNormalisedAndConcurrentRuns(t *testing.T) {
	rt := newTestRuntime(t, Config{PoolSize: 2})
	// The identity provider's structs leave nil maps and slices: actions
	// still see Auth0's empty objects and lists.
	ev := map[string]any{"user": map[string]any{"user_id": "u1", "app_metadata": nil}, "authorization": map[string]any{"roles": nil},
		"transaction": map[string]any{}, "client": map[string]any{"client_id": "c"}}
	code := `exports.onExecutePostLogin = async (event, api) => {
  await new Promise((r) => setTimeout(r, 2));
  api.accessToken.setCustomClaim("https://x/n", [event.user.app_metadata.plan ?? "free", event.user.user_metadata, event.authorization.roles.length,
    event.transaction.requested_scopes.length, event.client.metadata, event.user.user_id]);
};`
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := rt.Run(context.Background(), PostLogin, []Action{act("n", code)}, ev)
			if err != nil {
				errs <- err
				return
			}
			want := []any{"free", map[string]any{}, int64(0), int64(0), map[string]any{}, "u1"}
			if got := res.AccessTokenClaims["https://x/n"]; !reflect.DeepEqual(got, want) {
				errs <- fmt.Errorf("run %d: %#v", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestAxiosAndHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":"nope"}`)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "query": r.URL.RawQuery, "body": string(b),
				"ct": r.Header.Get("Content-Type"), "x": r.Header.Get("X-Api-Key")})
		}
	}))
	defer srv.Close()
	rt := newTestRuntime(t, Config{})
	a := act("axios", `const axios = require("axios");
exports.onExecutePostLogin = async (event, api) => {
  const client = axios.create({ baseURL: event.secrets.URL, headers: { "X-Api-Key": "k" } });
  const { data, status, headers } = await client.post("/users", { id: event.user.user_id }, { params: { upsert: true } });
  let notFound;
  try { await axios.get(event.secrets.URL + "/missing") } catch (e) { notFound = [axios.isAxiosError(e), e.response.status, e.response.data.error, e.message] }
  let slow;
  try { await fetch(event.secrets.URL + "/slow", { timeout: 50 }) } catch (e) { slow = e.type }
  const h = new Headers({ "X-One": "1" });
  h.append("x-one", "2");
  const viaHeaders = await (await fetch(event.secrets.URL + "/h", { method: "POST", headers: new Headers([["X-Api-Key", "from-headers"]]), body: "" })).json();
  api.accessToken.setCustomClaim("https://x/axios", { data, status, ct: headers["content-type"], notFound, slow, one: h.get("X-ONE"), x: viaHeaders.x });
};`)
	a.Secrets = map[string]string{"URL": srv.URL}
	res, err := rt.Run(context.Background(), PostLogin, []Action{a}, defaultLogin())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"data":   map[string]any{"method": "POST", "query": "upsert=true", "body": `{"id":"auth0|5f7c8ec7c33c6c004bbafe82"}`, "ct": "application/json", "x": "k"},
		"status": int64(200), "ct": "application/json",
		"notFound": []any{true, int64(404), "nope", "Request failed with status code 404"},
		"slow":     "request-timeout", "one": "1, 2", "x": "from-headers",
	}
	if got := res.AccessTokenClaims["https://x/axios"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

func TestSandboxEscapes(t *testing.T) {
	rt := newTestRuntime(t, Config{FlowTimeout: time.Second})
	for name, code := range map[string]string{
		"dynamic import":   `exports.onExecutePostLogin = async () => { await import("fs") };`,
		"function ctor":    `exports.onExecutePostLogin = async () => { const p = Function("return this")().process; p.env };`,
		"ctor of ctor":     `exports.onExecutePostLogin = async () => { const g = ({}).constructor.constructor("return globalThis")(); g.require("child_process") };`,
		"module internals": `exports.onExecutePostLogin = async () => { module.constructor._load("fs") };`,
		"eval require":     `exports.onExecutePostLogin = async () => { eval("require")("os") };`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := rt.Run(context.Background(), PostLogin, []Action{act("escape", code)}, defaultLogin())
			var re *RunError
			if !errors.As(err, &re) || (re.Kind != KindThrown && re.Kind != KindCompile) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestMemoryLimit(t *testing.T) {
	rt := newTestRuntime(t, Config{FlowTimeout: 5 * time.Second, MaxMemory: 64 << 20})
	start := time.Now()
	_, err := rt.Run(context.Background(), PostLogin, []Action{act("hog", `exports.onExecutePostLogin = async () => {
  const keep = [];
  for (;;) keep.push(new Uint8Array(8 << 20));
};`)}, defaultLogin())
	var re *RunError
	if !errors.As(err, &re) || re.Kind != KindMemory {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("stopping took %v", d)
	}
	if _, err := rt.Run(context.Background(), PostLogin, []Action{act("ok", `exports.onExecutePostLogin = async () => {}`)}, defaultLogin()); err != nil {
		t.Fatalf("after the memory limit: %v", err)
	}
}
