package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestSeedWalkthrough follows the seed guide (hasura-auth0-guide.txt) step
// by step against one Postgate whose built-in identity provider plays
// Auth0's part. Everything goes over real HTTP: the Management API, the
// metadata API, the login form with a browser's cookie jar, the token
// endpoint and /v1/graphql; the tokens are real RS256 JWTs checked against
// the published JWKS; and the two Actions are the guide's own code, read
// from ../shared/seeds/actions with only its placeholders filled in.
func TestSeedWalkthrough(t *testing.T) {
	claimsCode := guideAction(t, "hasura-jwt-claims.js")
	syncCode := guideAction(t, "hasura-sync-users.js")
	const admin = "guide-admin-secret"
	s := startLiveServer(t, admin, nil)
	const (
		appOrigin = "http://localhost:3000"
		callback  = appOrigin + "/callback"
		audience  = "https://hasura-app.example.com"
		namespace = "https://hasura.io/jwt/claims"
		password  = "Tr0ub4dor&3-horse"
	)

	// Discovery names this server as the issuer, as an Auth0 tenant does.
	disc := s.ok("GET", "/auth/.well-known/openid-configuration", "", nil)
	if disc["issuer"] != s.issuer || disc["jwks_uri"] != s.issuer+".well-known/jwks.json" {
		t.Fatalf("discovery: %v", disc)
	}

	// "Create Auth0 App": a single-page application with its callback URL
	// and web origin.
	spa := s.ok("POST", "/auth/api/v2/clients", "admin", map[string]any{"name": "My Hasura App", "app_type": "spa",
		"callbacks": []string{callback}, "web_origins": []string{appOrigin}})
	clientID, _ := spa["client_id"].(string)
	if clientID == "" || spa["app_type"] != "spa" || spa["token_endpoint_auth_method"] != "none" || spa["client_secret"] != nil {
		t.Fatalf("the SPA application: %v", spa)
	}

	// "Create Auth0 API": the identifier is the tokens' audience; RS256.
	api := s.ok("POST", "/auth/api/v2/resource-servers", "admin", map[string]any{"name": "Hasura", "identifier": audience})
	if api["identifier"] != audience || api["signing_alg"] != "RS256" {
		t.Fatalf("the API: %v", api)
	}

	// "Custom JWT Claims" and "Sync Users": the guide's two Actions. The
	// claims Action runs as written. In the sync Action the reader fills in
	// the endpoint (here this server's GraphQL URL) and the admin secret
	// (here read from the Action's secrets, as many Auth0 users do).
	for _, ph := range []string{`"YOUR_HASURA_GRAPHQL_ENDPOINT"`, `"YOUR_HASURA_GRAPHQL_ADMIN_SECRET"`} {
		if !strings.Contains(syncCode, ph) {
			t.Fatalf("the guide's sync Action no longer has the placeholder %s", ph)
		}
	}
	if !strings.Contains(claimsCode, namespace) {
		t.Fatalf("the guide's claims Action does not set %s", namespace)
	}
	endpoint := s.base + "/v1/graphql"
	syncCode = strings.NewReplacer(
		`"YOUR_HASURA_GRAPHQL_ENDPOINT"`, strconv.Quote(endpoint),
		`"YOUR_HASURA_GRAPHQL_ADMIN_SECRET"`, "event.secrets.HASURA_GRAPHQL_ADMIN_SECRET",
	).Replace(syncCode)
	postLogin := []any{map[string]any{"id": "post-login", "version": "v3"}}
	claimsAction := s.ok("POST", "/auth/api/v2/actions/actions", "admin", map[string]any{
		"name": "Hasura JWT Claims", "supported_triggers": postLogin, "runtime": "node18", "code": claimsCode})
	syncAction := s.ok("POST", "/auth/api/v2/actions/actions", "admin", map[string]any{
		"name": "Hasura Sync Users", "supported_triggers": postLogin, "runtime": "node18", "code": syncCode,
		"dependencies": []any{map[string]any{"name": "node-fetch", "version": "2.6.7"}},
		"secrets":      []any{map[string]any{"name": "HASURA_GRAPHQL_ADMIN_SECRET", "value": admin}}})
	for _, a := range []map[string]any{claimsAction, syncAction} {
		s.ok("POST", "/auth/api/v2/actions/actions/"+a["id"].(string)+"/deploy", "admin", nil)
	}
	// "navigate back to the flows > login page to add these actions".
	s.ok("PATCH", "/auth/api/v2/actions/triggers/post-login/bindings", "admin", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_id", "value": claimsAction["id"]}, "display_name": "Hasura JWT Claims"},
		map[string]any{"ref": map[string]any{"type": "action_name", "value": "Hasura Sync Users"}, "display_name": "Hasura Sync Users"},
	}})
	bound := s.ok("GET", "/auth/api/v2/actions/triggers/post-login/bindings", "admin", nil)
	if bs, _ := bound["bindings"].([]any); len(bs) != 2 || bs[0].(map[string]any)["display_name"] != "Hasura JWT Claims" ||
		bs[1].(map[string]any)["display_name"] != "Hasura Sync Users" {
		t.Fatalf("the Login flow's bindings: %v", bound)
	}

	// "Connect Hasura with Auth0": with the identity provider on, the
	// engine is in JWT mode trusting it; without a token, Hasura's error.
	st, raw := s.do("POST", "/v1/graphql", "", map[string]any{"query": "{ __typename }"})
	var got any
	_ = json.Unmarshal(raw, &got)
	var want any
	_ = json.Unmarshal([]byte(`{"errors":[{"extensions":{"path":"$","code":"invalid-headers"},
		"message":"Missing 'Authorization' or 'Cookie' header in JWT authentication mode"}]}`), &want)
	if st != http.StatusOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("/v1/graphql without a token: %d %s", st, raw)
	}

	// "Test Users Syncing Action": the users table, tracked, and the user
	// role's select permission on its own row.
	s.ok("POST", "/v2/query", "admin", map[string]any{"type": "run_sql", "args": map[string]any{"sql": `CREATE TABLE public.users (
  "userId" text PRIMARY KEY,
  "userName" text,
  "lastSeen" timestamp DEFAULT now()
)`}})
	s.ok("POST", "/v1/metadata", "admin", map[string]any{"type": "pg_track_table", "args": map[string]any{
		"source": "default", "table": map[string]any{"schema": "public", "name": "users"}}})
	s.ok("POST", "/v1/metadata", "admin", map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
		"source": "default", "table": map[string]any{"schema": "public", "name": "users"}, "role": "user",
		"permission": map[string]any{"columns": []string{"userId", "userName", "lastSeen"},
			"filter": map[string]any{"userId": map[string]any{"_eq": "X-Hasura-User-Id"}}}}})

	// The Test button: the sync Action on the default event payload, with
	// no login; "you should see the new user in your Hasura app".
	test := s.ok("POST", "/auth/api/v2/actions/actions/"+syncAction["id"].(string)+"/test", "admin", map[string]any{"payload": map[string]any{}})
	payload, _ := test["payload"].(map[string]any)
	logs, _ := payload["logs"].(string)
	if payload == nil || payload["error"] != nil || !strings.Contains(logs, `Response {"data":{"insert_users_one":{"userId":"auth0|5f7c8ec7c33c6c004bbafe82"}}}`) {
		t.Fatalf("testing the sync Action: %v", test)
	}
	if rows := s.sql(`SELECT "userId", "userName" FROM users`); len(rows) != 1 || rows[0][0] != "auth0|5f7c8ec7c33c6c004bbafe82" || rows[0][1] != "j_smith" {
		t.Fatalf("users after the test run: %v", rows)
	}
	// The claims Action's test shows the claims it would set.
	test = s.ok("POST", "/auth/api/v2/actions/actions/"+claimsAction["id"].(string)+"/test", "admin", map[string]any{"payload": map[string]any{}})
	payload, _ = test["payload"].(map[string]any)
	c, _ := payload["access_token_claims"].(map[string]any)
	if hc, _ := c[namespace].(map[string]any); hc["x-hasura-user-id"] != "auth0|5f7c8ec7c33c6c004bbafe82" || hc["x-hasura-default-role"] != "user" {
		t.Fatalf("testing the claims Action: %v", test)
	}

	// Two users of the database connection.
	ids := map[string]string{}
	for _, name := range []string{"alice", "bob"} {
		u := s.ok("POST", "/auth/api/v2/users", "admin", map[string]any{"connection": "Username-Password-Authentication",
			"email": name + "@example.com", "username": name, "password": password, "email_verified": true})
		ids[name], _ = u["user_id"].(string)
		if ids[name] == "" {
			t.Fatalf("creating %s: %v", name, u)
		}
	}

	// "Test the Auth0 Token": each user logs in through the authorization
	// code flow with PKCE and calls the API with the access token.
	const query = `{ users { userId userName lastSeen } }`
	firstSeen := map[string]any{}
	for round := 1; round <= 2; round++ {
		if round == 2 {
			// Between the rounds bob changes his username: his next
			// login updates his row instead of adding one.
			s.ok("PATCH", "/auth/api/v2/users/"+ids["bob"], "admin", map[string]any{"username": "bobby"})
		}
		for _, name := range []string{"alice", "bob"} {
			tok := s.pkceLogin(clientID, callback, audience, name+"@example.com", password)
			if !strings.EqualFold(tok.TokenType, "Bearer") || tok.IDToken == "" {
				t.Fatalf("%s's tokens: %+v", name, tok)
			}
			_, claims := s.verifyRS256(tok.AccessToken)
			hc, _ := claims[namespace].(map[string]any)
			wantClaims := map[string]any{"x-hasura-default-role": "user", "x-hasura-allowed-roles": []any{"user"}, "x-hasura-user-id": ids[name]}
			if !reflect.DeepEqual(hc, wantClaims) {
				t.Fatalf("%s's access token claims under %s: %v", name, namespace, claims)
			}
			if claims["iss"] != s.issuer || claims["sub"] != ids[name] || !hasAudience(claims["aud"], audience) || claims["azp"] != clientID {
				t.Fatalf("%s's access token registered claims: %v", name, claims)
			}
			_, idc := s.verifyRS256(tok.IDToken)
			if idc["aud"] != clientID || idc["sub"] != ids[name] || idc["nonce"] != "n-0S6_WzA2Mj" {
				t.Fatalf("%s's ID token: %v", name, idc)
			}

			// "Add an Authorization header with the value Bearer and the
			// token value": the user sees exactly their own row.
			st, out := s.graphql("Bearer "+tok.AccessToken, query)
			data, _ := out["data"].(map[string]any)
			rows, _ := data["users"].([]any)
			if st != http.StatusOK || len(rows) != 1 {
				t.Fatalf("round %d: %s sees %d %v", round, name, st, out)
			}
			row := rows[0].(map[string]any)
			wantName := name
			if name == "bob" && round == 2 {
				wantName = "bobby"
			}
			if row["userId"] != ids[name] || row["userName"] != wantName || row["lastSeen"] == nil {
				t.Fatalf("round %d: %s's row: %v", round, name, row)
			}
			if round == 1 {
				firstSeen[name] = row["lastSeen"]
			} else if row["lastSeen"] != firstSeen[name] {
				// The guide's upsert only updates userName: the row is
				// the same one, first seen at the first login.
				t.Fatalf("round 2: %s's row was replaced (lastSeen %v, was %v)", name, row["lastSeen"], firstSeen[name])
			}
		}
	}
	// The logins updated rows, they did not add any: the test user, alice
	// and bob.
	if rows := s.sql(`SELECT count(*), count(DISTINCT "userId") FROM users`); len(rows) != 1 || rows[0][0] != "3" || rows[0][1] != "3" {
		t.Fatalf("users rows after two rounds of logins: %v, want 3", rows)
	}
	// The admin secret still sees everything.
	st, raw = s.do("POST", "/v1/graphql", "admin", map[string]any{"query": `{ users(order_by: {userId: asc}) { userId } }`})
	if st != http.StatusOK || strings.Count(string(raw), `"userId"`) != 3 {
		t.Fatalf("the admin's view: %d %s", st, raw)
	}
	// A token in a malformed header is Hasura's other header error.
	if _, out := s.graphql("Token abc", query); !strings.Contains(fmt.Sprint(out), "Malformed Authorization header") {
		t.Fatalf("a malformed Authorization header: %v", out)
	}
}

// hasAudience reports whether a JWT aud claim (a string or a list) holds want.
func hasAudience(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, x := range a {
			if x == want {
				return true
			}
		}
	}
	return false
}
