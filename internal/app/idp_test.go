package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/pgtest"
)

// TestEngineTrustsBuiltInIdP logs a user in through the built-in identity
// provider (password grant, with the seed guide's claims Action bound to
// post-login) and calls /v1/graphql with the access token: the engine, in
// JWT mode without any JWT secret, verifies it in-process and applies the
// user role's row filter on X-Hasura-User-Id.
func TestEngineTrustsBuiltInIdP(t *testing.T) {
	dbURL := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, base, done := runOnFreePort(t, ctx, func(port int) *App {
		env := map[string]string{
			"HASURA_GRAPHQL_DATABASE_URL": dbURL, "HASURA_GRAPHQL_SERVER_HOST": "127.0.0.1",
			"HASURA_GRAPHQL_SERVER_PORT": strconv.Itoa(port), "HASURA_GRAPHQL_ADMIN_SECRET": "adm1n",
			"POSTGATE_AUTH_ENABLED": "true", "POSTGATE_AUTH_SECRET_KEY": "k3y",
			"POSTGATE_AUTH_ISSUER": "http://127.0.0.1:" + strconv.Itoa(port) + "/auth/",
		}
		cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}()

	call := func(method, path, authz string, body any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if strings.HasPrefix(authz, "Bearer ") {
			req.Header.Set("Authorization", authz)
		} else if authz != "" {
			req.Header.Set("X-Hasura-Admin-Secret", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			var list []any
			if json.Unmarshal(raw, &list) == nil {
				m = map[string]any{"list": list}
			}
		}
		if resp.StatusCode >= 300 && method != "" && !strings.HasPrefix(path, "/v1/graphql") {
			t.Logf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, m
	}
	mustOK := func(st int, m map[string]any) map[string]any {
		t.Helper()
		if st >= 300 {
			t.Fatalf("status %d: %v", st, m)
		}
		return m
	}

	// Identity provider: an API, an application allowing the password
	// grant, a user and the guide's claims Action.
	mustOK(call("POST", "/auth/api/v2/resource-servers", "adm1n", map[string]any{"identifier": "https://hasura.example/api", "name": "Hasura"}))
	app := mustOK(call("POST", "/auth/api/v2/clients", "Bearer adm1n", map[string]any{"name": "CLI", "app_type": "regular_web",
		"grant_types": []string{"password"}}))
	user := mustOK(call("POST", "/auth/api/v2/users", "adm1n", map[string]any{"email": "bob@example.com", "password": "hunter2hunter2",
		"connection": "Username-Password-Authentication"}))
	code, err := os.ReadFile("../../../shared/seeds/actions/hasura-jwt-claims.js")
	if err != nil {
		code = []byte(`exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://hasura.io/jwt/claims', {'x-hasura-default-role': 'user', 'x-hasura-allowed-roles': ['user'], 'x-hasura-user-id': event.user.user_id});
};`)
	}
	action := mustOK(call("POST", "/auth/api/v2/actions/actions", "adm1n", map[string]any{"name": "Hasura JWT Claims", "code": string(code),
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}}))
	mustOK(call("POST", "/auth/api/v2/actions/actions/"+action["id"].(string)+"/deploy", "adm1n", nil))
	mustOK(call("PATCH", "/auth/api/v2/actions/triggers/post-login/bindings", "adm1n", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_id", "value": action["id"]}}}}))

	// Engine: the guide's users table, tracked, with the user role's filter.
	uid := user["user_id"].(string)
	mustOK(call("POST", "/v2/query", "adm1n", map[string]any{"type": "run_sql", "args": map[string]any{"sql": `
CREATE TABLE users ("userId" text PRIMARY KEY, "userName" text, "lastSeen" timestamp DEFAULT now());
INSERT INTO users ("userId", "userName") VALUES ('` + uid + `', 'bob'), ('auth0|someone-else', 'eve');`}}))
	mustOK(call("POST", "/v1/metadata", "adm1n", map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "users"}}))
	mustOK(call("POST", "/v1/metadata", "adm1n", map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
		"table": "users", "role": "user", "permission": map[string]any{"columns": []string{"userId", "userName"},
			"filter": map[string]any{"userId": map[string]any{"_eq": "X-Hasura-User-Id"}}}}}))

	form := url.Values{"grant_type": {"password"}, "client_id": {app["client_id"].(string)}, "client_secret": {app["client_secret"].(string)},
		"username": {"bob@example.com"}, "password": {"hunter2hunter2"}, "audience": {"https://hasura.example/api"}, "scope": {"openid"}}
	resp, err := http.PostForm(base+"/auth/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	at, _ := tok["access_token"].(string)
	if resp.StatusCode != 200 || at == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, tok)
	}

	query := map[string]any{"query": `{ users { userId userName } }`}
	st, out := call("POST", "/v1/graphql", "Bearer "+at, query)
	d, _ := out["data"].(map[string]any)
	rows, _ := d["users"].([]any)
	if st != 200 || len(rows) != 1 || rows[0].(map[string]any)["userId"] != uid {
		t.Fatalf("graphql with the IdP's token: %d %v", st, out)
	}
	// Rotate the signing keys: the token in flight and a new one both pass.
	mustOK(call("POST", "/auth/api/v2/keys/signing/rotate", "adm1n", nil))
	resp, err = http.PostForm(base+"/auth/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok2 map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok2)
	resp.Body.Close()
	for i, tk := range []string{at, tok2["access_token"].(string)} {
		st, out := call("POST", "/v1/graphql", "Bearer "+tk, query)
		d, _ := out["data"].(map[string]any)
		if rows, _ := d["users"].([]any); st != 200 || len(rows) != 1 {
			t.Fatalf("token %d after key rotation: %d %v", i, st, out)
		}
	}
	_, out = call("POST", "/v1/graphql", "", query)
	if errs, _ := out["errors"].([]any); len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "Missing 'Authorization' or 'Cookie' header") {
		t.Fatalf("without a token: %v", out)
	}
	// A token for an audience that is not one of the IdP's APIs is refused.
	form.Del("audience")
	resp, _ = http.PostForm(base+"/auth/oauth/token", form)
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	_, out = call("POST", "/v1/graphql", "Bearer "+tok["access_token"].(string), query)
	if errs, _ := out["errors"].([]any); len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "JWTNotInAudience") {
		t.Fatalf("userinfo-only token: %v", out)
	}
}

func TestIdPRequiresAdminSecret(t *testing.T) {
	env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": pgtest.URL(t), "POSTGATE_AUTH_ENABLED": "true", "POSTGATE_AUTH_SECRET_KEY": "k"}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "requires an admin secret") {
		t.Fatalf("err = %v", err)
	}
}
