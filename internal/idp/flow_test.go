package idp

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestDiscoveryAndJWKS(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	if prov.Endpoint().TokenURL != e.issuer+"oauth/token" || prov.Endpoint().AuthURL != e.issuer+"authorize" {
		t.Fatalf("endpoints: %+v", prov.Endpoint())
	}
	resp, err := http.Get(e.issuer + ".well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Fatalf("JWKS Cache-Control = %q", cc)
	}
	set, err := e.p.KeySet(ctx)
	if err != nil || set.Len() != 2 {
		t.Fatalf("published keys: %v %v (want current and next)", set, err)
	}
}

// login drives /authorize through the login form and returns the
// redirect to the application.
func login(t *testing.T, b *browser, authURL, user, pass string) *url.URL {
	t.Helper()
	resp, page := b.get(authURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: %d %s", resp.StatusCode, page)
	}
	if !strings.Contains(page, "My Hasura App") && !strings.Contains(page, "Web") {
		t.Fatalf("login page not themed with the app name:\n%s", page)
	}
	resp, page = b.post(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/auth/login", url.Values{
		"csrf_token": {formField(t, csrfRe, page)}, "state": {formField(t, stateRe, page)},
		"username": {user}, "password": {pass}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login POST: %d %s", resp.StatusCode, page)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	return u
}

func TestAuthorizationCodePKCE(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: prov.Endpoint(), RedirectURL: callback,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", "offline_access", "read:todos", "write:todos"}}
	verifier := oauth2.GenerateVerifier()
	authURL := oc.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0nce"),
		oauth2.SetAuthURLParam("audience", apiID))
	b := newBrowser(t, appURL)
	back := login(t, b, authURL, userMail, userPass)
	if back.Query().Get("state") != "st4te" || back.Query().Get("code") == "" {
		t.Fatalf("redirect back: %s", back)
	}
	code := back.Query().Get("code")

	// Missing and wrong verifiers are refused without burning... the code
	// is single use, so check them on fresh codes below.
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := prov.Verifier(&oidc.Config{ClientID: f.spa.ClientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "n0nce" || idt.Subject != f.user.UserID {
		t.Fatalf("id token: %+v", idt)
	}
	idc := claimsOf(t, rawID)
	if idc["email"] != userMail || idc["name"] != "Alice" || idc["sub"] != f.user.UserID || idc["aud"] != f.spa.ClientID {
		t.Fatalf("id token claims: %v", idc)
	}
	if roles, _ := idc["https://example.com/roles"].([]any); len(roles) != 1 || roles[0] != "reader" {
		t.Fatalf("action id token claim: %v", idc)
	}
	at := claimsOf(t, tok.AccessToken)
	aud, _ := at["aud"].([]any)
	if len(aud) != 2 || aud[0] != apiID || aud[1] != e.issuer+"userinfo" || at["iss"] != e.issuer || at["azp"] != f.spa.ClientID {
		t.Fatalf("access token claims: %v", at)
	}
	if at["scope"] != "openid profile email offline_access read:todos" {
		t.Fatalf("scope (RBAC keeps only permitted API scopes): %v", at["scope"])
	}
	if perms, _ := at["permissions"].([]any); len(perms) != 1 || perms[0] != "read:todos" {
		t.Fatalf("permissions: %v", at["permissions"])
	}
	if exp, iat := at["exp"].(float64), at["iat"].(float64); exp-iat != 3600 {
		t.Fatalf("lifetime %v, want the API's token_lifetime", exp-iat)
	}
	hc, _ := at["https://hasura.io/jwt/claims"].(map[string]any)
	if hc["x-hasura-user-id"] != f.user.UserID {
		t.Fatalf("hasura claims: %v", at)
	}
	if ev := e.actions.last(); ev.Transaction.Protocol != "oidc-basic-profile" || ev.ResourceServer == nil || ev.Request.Query["audience"] != apiID ||
		ev.Transaction.State != "st4te" || ev.Stats.LoginsCount != 1 ||
		ev.ResourceServer.Identifier != apiID || ev.User.AppMetadata["plan"] != "pro" || ev.Client.ClientID != f.spa.ClientID {
		t.Fatalf("post-login event: %+v", ev)
	}
	var u User
	e.mustAPI("GET", "users/"+url.PathEscape(f.user.UserID), nil, &u)
	if u.UserMetadata["last_protocol"] != "oidc-basic-profile" || u.LoginsCount != 1 {
		t.Fatalf("metadata from the action not persisted: %+v", u)
	}

	// /userinfo with the access token.
	ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Email != userMail || ui.Subject != f.user.UserID {
		t.Fatalf("userinfo: %+v %v", ui, err)
	}

	// Replayed code.
	st, body := e.token(url.Values{"grant_type": {"authorization_code"}, "client_id": {f.spa.ClientID}, "code": {code},
		"redirect_uri": {callback}, "code_verifier": {verifier}})
	if st != http.StatusForbidden || body["error"] != "invalid_grant" {
		t.Fatalf("replayed code: %d %v", st, body)
	}
	// The replay revoked the refresh token the code produced.
	st, body = e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {f.spa.ClientID}, "refresh_token": {tok.RefreshToken}})
	if st != http.StatusForbidden || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after code replay: %d %v", st, body)
	}

	// SSO: a second authorize with the session cookie needs no form, and
	// prompt=none works; a new browser gets login_required.
	v2 := oauth2.GenerateVerifier()
	resp, _ := b.get(oc.AuthCodeURL("s2", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("prompt", "none")))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s2" {
		t.Fatalf("prompt=none with a session: %d %s", resp.StatusCode, loc)
	}
	code2 := loc.Query().Get("code")
	// Silent renewal with id_token_hint (as oidc-client-ts sends it).
	resp, _ = b.get(oc.AuthCodeURL("s2b", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("prompt", "none"),
		oauth2.SetAuthURLParam("id_token_hint", rawID)))
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("prompt=none with id_token_hint: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Missing verifier, then wrong verifier: both invalid_grant (each burns a code).
	st, body = e.token(url.Values{"grant_type": {"authorization_code"}, "client_id": {f.spa.ClientID}, "code": {code2}, "redirect_uri": {callback}})
	if st != http.StatusForbidden || body["error"] != "invalid_grant" {
		t.Fatalf("missing verifier: %d %v", st, body)
	}
	resp, _ = b.get(oc.AuthCodeURL("s3", oauth2.S256ChallengeOption(v2)))
	loc, _ = url.Parse(resp.Header.Get("Location"))
	st, body = e.token(url.Values{"grant_type": {"authorization_code"}, "client_id": {f.spa.ClientID}, "code": {loc.Query().Get("code")},
		"redirect_uri": {callback}, "code_verifier": {oauth2.GenerateVerifier()}})
	if st != http.StatusForbidden || body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", st, body)
	}
	fresh := newBrowser(t, appURL)
	resp, _ = fresh.get(oc.AuthCodeURL("s4", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("prompt", "none")))
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != "s4" {
		t.Fatalf("prompt=none without a session: %s", loc)
	}

	// A public client must use PKCE.
	resp, _ = fresh.get(oc.AuthCodeURL("s5"))
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("no PKCE: %d %s", resp.StatusCode, loc)
	}
	// Wrong redirect URI: refused on the provider's page, never redirected.
	bad := oc
	bad.RedirectURL = "https://evil.example.com/callback"
	resp, page := fresh.get(bad.AuthCodeURL("s6", oauth2.S256ChallengeOption(v2)))
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(resp.Header.Get("Location"), "evil") {
		t.Fatalf("wrong redirect_uri: %d %s", resp.StatusCode, page)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	st, body := e.token(url.Values{"grant_type": {"password"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
		"username": {userMail}, "password": {userPass}, "audience": {apiID}, "scope": {"openid offline_access"}})
	if st != http.StatusOK {
		t.Fatalf("password grant: %d %v", st, body)
	}
	rt1, _ := body["refresh_token"].(string)
	if rt1 == "" {
		t.Fatalf("no refresh token: %v", body)
	}
	refresh := func(rt string) (int, map[string]any) {
		return e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
			"refresh_token": {rt}})
	}
	st, body = refresh(rt1)
	rt2, _ := body["refresh_token"].(string)
	if st != http.StatusOK || rt2 == "" || rt2 == rt1 || body["access_token"] == nil {
		t.Fatalf("refresh: %d %v", st, body)
	}
	if e.actions.last().Transaction.Protocol != "oauth2-refresh-token" {
		t.Fatalf("post-login not run on refresh")
	}
	at := claimsOf(t, body["access_token"].(string))
	if at["sub"] != f.user.UserID || at["https://hasura.io/jwt/claims"] == nil {
		t.Fatalf("refreshed access token: %v", at)
	}
	// Reusing rt1 after the reuse interval is detected and revokes the
	// family: rt2 dies too.
	e.nowMu.Lock()
	e.now = time.Now().Add(DefaultRefreshTokenLeeway + time.Second)
	e.nowMu.Unlock()
	if st, body = refresh(rt1); st != http.StatusForbidden || body["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v", st, body)
	}
	if st, body = refresh(rt2); st != http.StatusForbidden || body["error"] != "invalid_grant" {
		t.Fatalf("family not revoked: %d %v", st, body)
	}
	// Another client cannot use someone else's refresh token.
	_, body = e.token(url.Values{"grant_type": {"password"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
		"username": {userMail}, "password": {userPass}, "scope": {"openid offline_access"}})
	rt3 := body["refresh_token"].(string)
	st, body = e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {f.spa.ClientID}, "refresh_token": {rt3}})
	if st == http.StatusOK {
		t.Fatalf("token substitution between clients accepted: %v", body)
	}
	// Revocation.
	resp, err := http.PostForm(e.issuer+"oauth/revoke", url.Values{"client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret}, "token": {rt3}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	if st, _ = refresh(rt3); st != http.StatusForbidden {
		t.Fatalf("revoked token still works: %d", st)
	}
}

// TestRefreshReuseInterval: two tabs refreshing with the same token at
// once both get a fresh pair of the same family; a reuse after the
// interval still revokes the whole family, and with the interval off an
// immediate reuse does.
func TestRefreshReuseInterval(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	start := time.Now()
	setNow := func(d time.Duration) {
		e.nowMu.Lock()
		e.now = start.Add(d)
		e.nowMu.Unlock()
	}
	setNow(0)
	login := func() string {
		st, body := e.token(url.Values{"grant_type": {"password"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
			"username": {userMail}, "password": {userPass}, "audience": {apiID}, "scope": {"openid offline_access"}})
		rt, _ := body["refresh_token"].(string)
		if st != http.StatusOK || rt == "" {
			t.Fatalf("password grant: %d %v", st, body)
		}
		return rt
	}
	refresh := func(rt string) (int, string) {
		st, body := e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
			"refresh_token": {rt}})
		next, _ := body["refresh_token"].(string)
		if st == http.StatusOK && (next == "" || body["access_token"] == nil) {
			t.Fatalf("refresh without a new pair: %v", body)
		}
		return st, next
	}
	rt1 := login()
	stA, rtA := refresh(rt1) // tab A
	setNow(time.Second)
	stB, rtB := refresh(rt1) // tab B, within the interval
	if stA != http.StatusOK || stB != http.StatusOK || rtA == rtB || rtB == rt1 {
		t.Fatalf("concurrent refreshes: %d %d (tokens distinct: %v)", stA, stB, rtA != rtB)
	}
	// Both tabs go on with their own tokens.
	stA, rtA = refresh(rtA)
	stB, rtB = refresh(rtB)
	if stA != http.StatusOK || stB != http.StatusOK {
		t.Fatalf("tabs after the shared refresh: %d %d", stA, stB)
	}
	// After the interval, presenting rt1 again revokes the whole family.
	setNow(DefaultRefreshTokenLeeway + 2*time.Second)
	if st, _ := refresh(rt1); st != http.StatusForbidden {
		t.Fatalf("reuse after the interval: %d", st)
	}
	for _, rt := range []string{rtA, rtB} {
		if st, _ := refresh(rt); st != http.StatusForbidden {
			t.Fatalf("family not revoked after a late reuse: %d", st)
		}
	}

	// Another client presenting a rotated token within the interval gets
	// nothing.
	rt1 = login()
	if st, _ := refresh(rt1); st != http.StatusOK {
		t.Fatalf("refresh: %d", st)
	}
	if st, _ := e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {f.spa.ClientID}, "refresh_token": {rt1}}); st == http.StatusOK {
		t.Fatal("another client used a rotated token within the interval")
	}

	// With the interval off, an immediate reuse revokes the family.
	e.p.cfg.RefreshTokenLeeway = -1
	rt1 = login()
	if st, _ := refresh(rt1); st != http.StatusOK {
		t.Fatalf("refresh: %d", st)
	}
	if st, _ := refresh(rt1); st != http.StatusForbidden {
		t.Fatalf("immediate reuse with the interval off: %d", st)
	}
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.m2m.ClientID}, "client_secret": {f.m2m.ClientSecret}, "audience": {apiID}}
	st, body := e.token(cc)
	if st != http.StatusForbidden || body["error"] != "access_denied" {
		t.Fatalf("without a client grant: %d %v", st, body)
	}
	e.mustAPI("POST", "client-grants", map[string]any{"client_id": f.m2m.ClientID, "audience": apiID, "scope": []string{"read:todos"}}, nil)
	st, body = e.token(cc)
	if st != http.StatusOK {
		t.Fatalf("client credentials: %d %v", st, body)
	}
	at := claimsOf(t, body["access_token"].(string))
	if at["sub"] != f.m2m.ClientID+"@clients" || at["gty"] != "client-credentials" || at["aud"] != apiID || at["scope"] != "read:todos" || at["azp"] != f.m2m.ClientID {
		t.Fatalf("M2M claims: %v", at)
	}
	if h := headerOf(t, body["access_token"].(string)); h["alg"] != "RS256" || h["typ"] != "JWT" {
		t.Fatalf("header: %v", h)
	}
	// The RFC 9068 dialect.
	e.mustAPI("PATCH", "resource-servers/"+f.api.ID, map[string]any{"token_dialect": "rfc9068_profile"}, nil)
	_, body = e.token(cc)
	at = claimsOf(t, body["access_token"].(string))
	if h := headerOf(t, body["access_token"].(string)); h["typ"] != "at+jwt" || at["client_id"] != f.m2m.ClientID || at["jti"] == nil || at["azp"] != nil {
		t.Fatalf("rfc9068 token: %v %v", h, at)
	}
	bad := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.m2m.ClientID}, "client_secret": {"wrong"}, "audience": {apiID}}
	if st, body = e.token(bad); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", st, body)
	}
	pw := url.Values{"grant_type": {"password"}, "client_id": {f.m2m.ClientID}, "client_secret": {f.m2m.ClientSecret}, "username": {userMail}, "password": {userPass}}
	if st, body = e.token(pw); st != http.StatusForbidden || body["error"] != "unauthorized_client" {
		t.Fatalf("disabled grant type: %d %v", st, body)
	}
	if st, body = e.token(url.Values{"grant_type": {"urn:x"}, "client_id": {f.m2m.ClientID}}); st != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
		t.Fatalf("unknown grant: %d %v", st, body)
	}

	// An M2M token for the Management API with the right scope works there.
	var mg []ClientGrant
	e.mustAPI("POST", "client-grants", map[string]any{"client_id": f.m2m.ClientID, "audience": e.issuer + "api/v2/", "scope": []string{"read:users"}}, nil)
	e.mustAPI("GET", "client-grants?client_id="+f.m2m.ClientID, nil, &mg)
	if len(mg) != 2 {
		t.Fatalf("grants: %v", mg)
	}
	cc.Set("audience", e.issuer+"api/v2/")
	_, body = e.token(cc)
	mtok := "Bearer " + body["access_token"].(string)
	var users []User
	if st := e.apiAs(mtok, "GET", "users", nil, &users); st != http.StatusOK || len(users) != 1 {
		t.Fatalf("M2M read:users: %d %v", st, users)
	}
	var me mgmtError
	if st := e.apiAs(mtok, "GET", "clients", nil, &me); st != http.StatusForbidden || me.ErrorCode != "insufficient_scope" {
		t.Fatalf("M2M without read:clients: %d %+v", st, me)
	}
	if st := e.apiAs("", "GET", "clients", nil, &me); st != http.StatusUnauthorized || me.StatusCode != 401 || me.Err != "Unauthorized" {
		t.Fatalf("no credentials: %d %+v", st, me)
	}
}

func TestPasswordGrantAndBruteForce(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	form := func(pass string) url.Values {
		return url.Values{"grant_type": {grantPasswordRealm}, "realm": {connectionName}, "client_id": {f.web.ClientID},
			"client_secret": {f.web.ClientSecret}, "username": {userMail}, "password": {pass}, "audience": {apiID}, "scope": {"openid read:todos"}}
	}
	st, body := e.token(form(userPass))
	if st != http.StatusOK {
		t.Fatalf("password-realm: %d %v", st, body)
	}
	at := claimsOf(t, body["access_token"].(string))
	if at["gty"] != "password" || e.actions.last().Transaction.Protocol != "oauth2-resource-owner" {
		t.Fatalf("password token: %v", at)
	}
	st, body = e.token(form("nope"))
	if st != http.StatusForbidden || body["error"] != "invalid_grant" || body["error_description"] != "Wrong email or password." {
		t.Fatalf("wrong password: %d %v", st, body)
	}
	e.token(form("nope"))
	e.token(form("nope"))
	st, body = e.token(form(userPass))
	if st != http.StatusTooManyRequests || body["error"] != "too_many_attempts" {
		t.Fatalf("lockout: %d %v", st, body)
	}
	// Unblocking through the Management API clears the lockout; blocking refuses.
	e.mustAPI("PATCH", "users/"+url.PathEscape(f.user.UserID), map[string]any{"blocked": true}, nil)
	e.mustAPI("PATCH", "users/"+url.PathEscape(f.user.UserID), map[string]any{"blocked": false}, nil)
	if st, body = e.token(form(userPass)); st != http.StatusOK {
		t.Fatalf("after unblock: %d %v", st, body)
	}
	e.mustAPI("PATCH", "users/"+url.PathEscape(f.user.UserID), map[string]any{"blocked": true}, nil)
	if st, body = e.token(form(userPass)); st != http.StatusUnauthorized || body["error_description"] != "user is blocked" {
		t.Fatalf("blocked user: %d %v", st, body)
	}
	// Denied by an Action: access_denied with the reason, metadata kept.
	e.mustAPI("PATCH", "users/"+url.PathEscape(f.user.UserID), map[string]any{"blocked": false, "app_metadata": map[string]any{"deny": true}}, nil)
	if st, body = e.token(form(userPass)); st != http.StatusForbidden || body["error"] != "access_denied" || body["error_description"] != "not allowed here" {
		t.Fatalf("denied by action: %d %v", st, body)
	}
	var u User
	e.mustAPI("GET", "users/"+url.PathEscape(f.user.UserID), nil, &u)
	if u.AppMetadata["denied_once"] != true || u.AppMetadata["plan"] != "pro" {
		t.Fatalf("metadata: %v", u.AppMetadata)
	}
}

func TestBlockedUserAndDeniedLoginOnPage(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	v := oauth2.GenerateVerifier()
	e.mustAPI("PATCH", "users/"+url.PathEscape(f.user.UserID), map[string]any{"app_metadata": map[string]any{"deny": true}}, nil)
	back := login(t, newBrowser(t, appURL), oc.AuthCodeURL("x", oauth2.S256ChallengeOption(v)), userMail, userPass)
	if back.Query().Get("error") != "access_denied" || back.Query().Get("error_description") != "not allowed here" || back.Query().Get("state") != "x" {
		t.Fatalf("action deny on login: %s", back)
	}
	e.mustAPI("PATCH", "users/"+url.PathEscape(f.user.UserID), map[string]any{"blocked": true}, nil)
	b := newBrowser(t, appURL)
	resp, page := b.get(oc.AuthCodeURL("y", oauth2.S256ChallengeOption(v)))
	resp, page = b.post(e.issuer+"login", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "state": {formField(t, stateRe, page)},
		"username": {userMail}, "password": {userPass}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "user is blocked") {
		t.Fatalf("blocked user on the page: %d %s", resp.StatusCode, page)
	}
	// CSRF: a form without the cookie's token is refused.
	resp, _ = b.post(e.issuer+"login", url.Values{"csrf_token": {"forged-token-value-xxxxxx"}, "state": {formField(t, stateRe, page)},
		"username": {userMail}, "password": {userPass}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("CSRF: %d", resp.StatusCode)
	}
}

func TestDeviceFlow(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	var native Client
	e.mustAPI("POST", "clients", map[string]any{"name": "TV", "app_type": "native"}, &native)
	resp, err := http.PostForm(e.issuer+"oauth/device/code", url.Values{"client_id": {native.ClientID}, "scope": {"openid offline_access"}, "audience": {apiID}})
	if err != nil {
		t.Fatal(err)
	}
	var dc map[string]any
	decodeBody(t, resp, &dc)
	poll := url.Values{"grant_type": {grantDeviceCode}, "client_id": {native.ClientID}, "device_code": {dc["device_code"].(string)}}
	if st, body := e.token(poll); st != http.StatusForbidden || body["error"] != "authorization_pending" {
		t.Fatalf("pending: %d %v", st, body)
	}
	if st, body := e.token(poll); st != http.StatusTooManyRequests || body["error"] != "slow_down" {
		t.Fatalf("fast polling: %d %v", st, body)
	}
	b := newBrowser(t, appURL)
	_, page := b.get(dc["verification_uri_complete"].(string))
	r2, page := b.post(e.issuer+"activate", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "user_code": {strings.ToLower(dc["user_code"].(string))},
		"username": {userMail}, "password": {userPass}})
	if r2.StatusCode != http.StatusOK || !strings.Contains(page, "connected") {
		t.Fatalf("activate: %d %s", r2.StatusCode, page)
	}
	st, body := e.token(poll)
	if st != http.StatusOK || body["refresh_token"] == nil || body["id_token"] == nil {
		t.Fatalf("device token: %d %v", st, body)
	}
	if at := claimsOf(t, body["access_token"].(string)); at["sub"] != f.user.UserID || at["https://hasura.io/jwt/claims"] == nil {
		t.Fatalf("device access token: %v", at)
	}
	if st, body = e.token(poll); st != http.StatusForbidden || body["error"] != "invalid_grant" {
		t.Fatalf("device code reuse: %d %v", st, body)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	v := oauth2.GenerateVerifier()
	b := newBrowser(t, appURL)
	login(t, b, oc.AuthCodeURL("a", oauth2.S256ChallengeOption(v)), userMail, userPass)
	resp, _ := b.get(e.issuer + "v2/logout?client_id=" + f.spa.ClientID + "&returnTo=" + url.QueryEscape("https://evil.example.com/"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("open redirect on logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = b.get(e.issuer + "v2/logout?client_id=" + f.spa.ClientID + "&returnTo=" + url.QueryEscape(appURL+"/bye"))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != appURL+"/bye" {
		t.Fatalf("logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The session is gone: prompt=none now answers login_required.
	resp, _ = b.get(oc.AuthCodeURL("b", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none")))
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "login_required" {
		t.Fatalf("session survived logout: %s", resp.Header.Get("Location"))
	}
	// OIDC RP-initiated logout.
	back := login(t, b, oc.AuthCodeURL("c", oauth2.S256ChallengeOption(v)), userMail, userPass)
	st, body := e.token(url.Values{"grant_type": {"authorization_code"}, "client_id": {f.spa.ClientID}, "code": {back.Query().Get("code")},
		"redirect_uri": {callback}, "code_verifier": {v}})
	if st != http.StatusOK {
		t.Fatalf("exchange: %d %v", st, body)
	}
	resp, _ = b.get(e.issuer + "oidc/logout?id_token_hint=" + body["id_token"].(string) + "&post_logout_redirect_uri=" + url.QueryEscape(appURL+"/bye") + "&state=z")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != appURL+"/bye?state=z" {
		t.Fatalf("oidc logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestKeyRotationWithTokensInFlight(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	e.mustAPI("POST", "client-grants", map[string]any{"client_id": f.m2m.ClientID, "audience": apiID, "scope": []string{}}, nil)
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.m2m.ClientID}, "client_secret": {f.m2m.ClientSecret}, "audience": {apiID}}
	_, body := e.token(cc)
	old := body["access_token"].(string)
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	verify := prov.Verifier(&oidc.Config{ClientID: apiID})
	if _, err := verify.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	var before []signingKeyView
	e.mustAPI("GET", "keys/signing", nil, &before)
	var nextKID string
	for _, k := range before {
		if k.Next {
			nextKID = k.KID
		}
	}
	e.mustAPI("POST", "keys/signing/rotate", nil, nil)
	_, body = e.token(cc)
	newTok := body["access_token"].(string)
	if kid := headerOf(t, newTok)["kid"]; kid != nextKID {
		t.Fatalf("new tokens should be signed by the pre-published next key %s, got %v", nextKID, kid)
	}
	// A verifier that cached the JWKS before the rotation already knows
	// the new key; the old token still verifies after the rotation.
	for _, tok := range []string{old, newTok} {
		if _, err := verify.Verify(ctx, tok); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	set, err := e.p.KeySet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 3 {
		t.Fatalf("JWKS after rotation has %d keys, want previous, current and next", set.Len())
	}
	var after []signingKeyView
	e.mustAPI("GET", "keys/signing", nil, &after)
	i := slices.IndexFunc(after, func(k signingKeyView) bool { return k.Previous })
	if i < 0 {
		t.Fatalf("keys: %+v", after)
	}
	// Revoking the previous key withdraws it: the old token stops verifying.
	if st := e.api("PUT", "keys/signing/"+nextKID+"/revoke", nil, nil); st != 400 {
		t.Fatalf("revoking the current key: %d", st)
	}
	e.mustAPI("PUT", "keys/signing/"+after[i].KID+"/revoke", nil, nil)
	ks, _ := e.p.KeySet(ctx)
	if ks.Len() != 2 {
		t.Fatalf("JWKS after revocation has %d keys", ks.Len())
	}
	if _, err := prov.Verifier(&oidc.Config{ClientID: apiID}).Verify(ctx, newTok); err != nil {
		t.Fatal(err)
	}
}

func decodeBody(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := jsonDecode(resp, v); err != nil {
		t.Fatal(err)
	}
}

func TestUsersCannotGetManagementTokens(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	st, body := e.token(url.Values{"grant_type": {"password"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
		"username": {userMail}, "password": {userPass}, "audience": {e.issuer + "api/v2/"}, "scope": {"read:users delete:users"}})
	if st != http.StatusForbidden || body["error"] != "access_denied" {
		t.Fatalf("user token for the Management API: %d %v", st, body)
	}
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid", "read:users"}}
	resp, _ := newBrowser(t, appURL).get(oc.AuthCodeURL("m", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("audience", e.issuer+"api/v2/")))
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "access_denied" {
		t.Fatalf("authorize for the Management API: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestCallbackBoundToBrowser(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	b := newBrowser(t, appURL)
	resp, page := b.get(oc.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	state := formField(t, stateRe, page)
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ = b.post(e.issuer+"login", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "state": {state},
		"username": {userMail}, "password": {userPass}})
	cb := resp.Header.Get("Location")
	if !strings.Contains(cb, "authorize/callback?id=") {
		t.Fatalf("login did not go to the callback: %s", cb)
	}
	// Another browser replaying the callback URL gets nothing.
	other := newBrowser(t, appURL)
	if resp, _ = other.get(cb); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("callback from another browser: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = b.get(cb)
	if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The same browser cannot mint a second code for the request.
	if resp, _ = b.get(cb); strings.Contains(resp.Header.Get("Location"), "code=") {
		t.Fatalf("second code for one authorization: %s", resp.Header.Get("Location"))
	}
}

func TestIssuerAtHostRoot(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Issuer = "https://login.example.com/" })
	if e.p.Path() != "/auth/" {
		t.Fatalf("mount path %q", e.p.Path())
	}
	// The proxy maps https://login.example.com/ to /auth/ on the server.
	resp, err := http.Get(e.srv.URL + "/auth/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	decodeBody(t, resp, &doc)
	if doc["issuer"] != "https://login.example.com/" || doc["token_endpoint"] != "https://login.example.com/oauth/token" {
		t.Fatalf("discovery: %v", doc)
	}
}

func TestDefaultAudience(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	var me mgmtError
	if st := e.api("PATCH", "tenants/settings", map[string]any{"default_audience": "https://nope"}, &me); st != 400 {
		t.Fatalf("unknown default audience: %d %+v", st, me)
	}
	e.mustAPI("PATCH", "tenants/settings", map[string]any{"default_audience": apiID, "picture_url": "https://cdn.example.com/logo.png"}, nil)
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	// A client configured only with the issuer (no audience parameter).
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: prov.Endpoint(), RedirectURL: callback, Scopes: []string{"openid"}}
	v := oauth2.GenerateVerifier()
	back := login(t, newBrowser(t, appURL), oc.AuthCodeURL("d", oauth2.S256ChallengeOption(v)), userMail, userPass)
	tok, err := oc.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if aud, _ := claimsOf(t, tok.AccessToken)["aud"].([]any); len(aud) != 2 || aud[0] != apiID {
		t.Fatalf("default audience not applied: %v", claimsOf(t, tok.AccessToken))
	}
	_, page := newBrowser(t, appURL).get(e.issuer + "reset")
	if !strings.Contains(page, "https://cdn.example.com/logo.png") {
		t.Fatalf("tenant logo missing on the reset page")
	}
}
