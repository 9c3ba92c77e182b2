package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestSeedWalkthroughOIDCClient runs the guide's login with off-the-shelf
// client libraries instead of hand-written requests: go-oidc reads the
// discovery document and verifies the ID token, x/oauth2 builds the PKCE
// authorization request and exchanges the code. The sync Action has both of
// the guide's placeholders written into its code, as the guide tells the
// reader to do. The user signing in was imported with an Auth0 user ID (as
// docs/use-with-auth0.md describes), which the token and the synced row keep.
func TestSeedWalkthroughOIDCClient(t *testing.T) {
	claimsCode := guideAction(t, "hasura-jwt-claims.js")
	syncCode := guideAction(t, "hasura-sync-users.js")
	const admin = "guide-admin-secret-2"
	s := startLiveServer(t, admin, nil)
	const (
		appOrigin = "http://localhost:5173"
		callback  = appOrigin + "/callback"
		audience  = "https://hasura-app.example.com"
		auth0ID   = "5f7c8ec7c33c6c004bbafe82"
	)
	spa := s.ok("POST", "/auth/api/v2/clients", "admin", map[string]any{"name": "My Hasura App", "app_type": "spa",
		"callbacks": []string{callback}, "web_origins": []string{appOrigin}})
	s.ok("POST", "/auth/api/v2/resource-servers", "admin", map[string]any{"name": "Hasura", "identifier": audience})
	syncCode = strings.NewReplacer(
		`"YOUR_HASURA_GRAPHQL_ENDPOINT"`, strconv.Quote(s.base+"/v1/graphql"),
		`"YOUR_HASURA_GRAPHQL_ADMIN_SECRET"`, strconv.Quote(admin),
	).Replace(syncCode)
	trig := []any{map[string]any{"id": "post-login", "version": "v3"}}
	var bindings []any
	for _, a := range []map[string]any{
		{"name": "Hasura JWT Claims", "code": claimsCode, "supported_triggers": trig, "deploy": true},
		{"name": "Hasura Sync Users", "code": syncCode, "supported_triggers": trig, "deploy": true,
			"dependencies": []any{map[string]any{"name": "node-fetch", "version": "2.6.1"}}},
	} {
		out := s.ok("POST", "/auth/api/v2/actions/actions", "admin", a)
		bindings = append(bindings, map[string]any{"ref": map[string]any{"type": "action_id", "value": out["id"]}})
	}
	s.ok("PATCH", "/auth/api/v2/actions/triggers/post-login/bindings", "admin", map[string]any{"bindings": bindings})
	s.sql(`CREATE TABLE users ("userId" text PRIMARY KEY, "userName" text, "lastSeen" timestamp DEFAULT now())`)
	s.ok("POST", "/v1/metadata", "admin", map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "users"}})
	s.ok("POST", "/v1/metadata", "admin", map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
		"table": "users", "role": "user", "permission": map[string]any{"columns": "*",
			"filter": map[string]any{"userId": map[string]any{"_eq": "X-Hasura-User-Id"}}}}})

	// A user moved from Auth0: its user_id is given without the prefix.
	u := s.ok("POST", "/auth/api/v2/users", "admin", map[string]any{"connection": "Username-Password-Authentication",
		"user_id": auth0ID, "email": "j+smith@example.com", "username": "j_smith", "email_verified": true,
		"password": "a-long-random-password", "app_metadata": map[string]any{"plan": "pro"}})
	if u["user_id"] != "auth0|"+auth0ID {
		t.Fatalf("imported user: %v", u)
	}

	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, s.issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: spa["client_id"].(string), Endpoint: provider.Endpoint(), RedirectURL: callback,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st-123", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-123"),
		oauth2.SetAuthURLParam("audience", audience))

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	get := func(name string) string {
		m := loginCSRF
		if name == "state" {
			m = loginState
		}
		f := m.FindSubmatch(page)
		if f == nil {
			t.Fatalf("login page without %s: %s", name, page)
		}
		return string(f[1])
	}
	resp, err = browser.PostForm(s.issuer+"login", url.Values{"csrf_token": {get("csrf")}, "state": {get("state")},
		"username": {"j_smith"}, "password": {"a-long-random-password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("state") != "st-123" || back.Query().Get("code") == "" {
		t.Fatalf("redirect after login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("x/oauth2 code exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: conf.ClientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("go-oidc ID token verification: %v", err)
	}
	if idt.Subject != "auth0|"+auth0ID || idt.Nonce != "nonce-123" {
		t.Fatalf("ID token: sub %q nonce %q", idt.Subject, idt.Nonce)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != "auth0|"+auth0ID || info.Email != "j+smith@example.com" {
		t.Fatalf("userinfo: %v %+v", err, info)
	}

	// The access token, as the SPA sends it.
	_, claims := s.verifyRS256(tok.AccessToken)
	if hc, _ := claims["https://hasura.io/jwt/claims"].(map[string]any); hc["x-hasura-user-id"] != "auth0|"+auth0ID {
		t.Fatalf("access token claims: %v", claims)
	}
	st, out := s.graphql(tok.Type()+" "+tok.AccessToken, `{ users { userId userName } }`)
	data, _ := out["data"].(map[string]any)
	rows, _ := data["users"].([]any)
	if st != http.StatusOK || len(rows) != 1 || rows[0].(map[string]any)["userId"] != "auth0|"+auth0ID ||
		rows[0].(map[string]any)["userName"] != "j_smith" {
		t.Fatalf("the imported user's own row: %d %v", st, out)
	}
}
