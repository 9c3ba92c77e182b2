package idp

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSignupAndPasswordReset(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	f := e.fixture()
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	v := oauth2.GenerateVerifier()
	b := newBrowser(t, appURL)
	if _, page := b.get(oc.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("screen_hint", "signup"))); !strings.Contains(page, "<h1>Sign up</h1>") {
		t.Fatalf("screen_hint=signup: %s", page)
	}
	_, page := b.get(oc.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
	signup := regexp.MustCompile(`href="([^"]*signup[^"]*)"`).FindStringSubmatch(page)
	if signup == nil {
		t.Fatalf("no sign-up link:\n%s", page)
	}
	_, page = b.get(strings.ReplaceAll(signup[1], "&amp;", "&"))
	resp, page := b.post(e.issuer+"signup", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "state": {formField(t, stateRe, page)},
		"email": {"new@example.com"}, "password": {"short"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Password is too weak") {
		t.Fatalf("weak password: %d %s", resp.StatusCode, page)
	}
	resp, _ = b.post(e.issuer+"signup", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "state": {formField(t, stateRe, page)},
		"email": {"new@example.com"}, "password": {"long enough pw"}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("sign-up should complete the login: %d %s", resp.StatusCode, loc)
	}
	var users []User
	e.mustAPI("GET", "users?q="+url.QueryEscape(`email:"new@example.com"`), nil, &users)
	if len(users) != 1 || users[0].Identities[0].Connection != connectionName {
		t.Fatalf("search: %+v", users)
	}
	e.mustAPI("GET", "users?q="+url.QueryEscape(`email:*@example.com AND blocked:false`), nil, &users)
	if len(users) != 2 {
		t.Fatalf("wildcard search: %+v", users)
	}

	// Password reset: the link is written to the log without SMTP.
	_, page = b.get(e.issuer + "reset")
	resp, page = b.post(e.issuer+"reset", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "email": {userMail}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "If an account exists") {
		t.Fatalf("reset request: %d %s", resp.StatusCode, page)
	}
	link := regexp.MustCompile(`"link":"([^"]+)"`).FindStringSubmatch(logs.String())
	if link == nil {
		t.Fatalf("no reset link logged: %s", logs.String())
	}
	u := strings.ReplaceAll(link[1], `\u0026`, "&")
	_, page = b.get(u)
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page)[1]
	csrf := formField(t, csrfRe, page)
	resp, page = b.post(e.issuer+"reset/confirm", url.Values{"csrf_token": {csrf}, "token": {tok}, "password": {"a brand new password"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "password was changed") {
		t.Fatalf("reset confirm: %d %s", resp.StatusCode, page)
	}
	resp, _ = b.post(e.issuer+"reset/confirm", url.Values{"csrf_token": {csrf}, "token": {tok}, "password": {"another password"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("reset link reused: %d", resp.StatusCode)
	}
	st, body := e.token(url.Values{"grant_type": {"password"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
		"username": {userMail}, "password": {"a brand new password"}})
	if st != http.StatusOK {
		t.Fatalf("login with the new password: %d %v", st, body)
	}
}

func TestCORSForApplications(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	req, _ := http.NewRequest(http.MethodOptions, e.issuer+"oauth/token", nil)
	req.Header.Set("Origin", appURL)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != appURL {
		t.Fatalf("preflight from a web origin: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("Origin", "https://evil.example.com")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("unknown origin allowed: %v", resp.Header)
	}
}

func TestManagementAPIShapes(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	var me mgmtError
	if st := e.api("GET", "clients/nope", nil, &me); st != 404 || me.StatusCode != 404 || me.Err != "Not Found" || me.ErrorCode != "inexistent_client" {
		t.Fatalf("missing client: %d %+v", st, me)
	}
	if st := e.api("POST", "users", map[string]any{"email": userMail, "password": "whatever123", "connection": connectionName}, &me); st != 409 {
		t.Fatalf("duplicate user: %d %+v", st, me)
	}
	if st := e.api("POST", "clients", map[string]any{"app_type": "spa"}, &me); st != 400 || !strings.Contains(me.Message, "name") {
		t.Fatalf("client without name: %d %+v", st, me)
	}
	var c Client
	e.mustAPI("GET", "clients/"+f.m2m.ClientID, nil, &c)
	if c.ClientSecret != "" || c.AppType != "non_interactive" || c.GrantTypes[0] != "client_credentials" {
		t.Fatalf("secret must be shown only once: %+v", c)
	}
	e.mustAPI("POST", "clients/"+f.m2m.ClientID+"/rotate-secret", nil, &c)
	if c.ClientSecret == "" || c.ClientSecret == f.m2m.ClientSecret {
		t.Fatalf("rotate-secret: %+v", c)
	}
	var u User
	e.mustAPI("PATCH", "users/"+url.PathEscape(f.user.UserID), map[string]any{"user_metadata": map[string]any{"theme": "dark"},
		"app_metadata": map[string]any{"plan": nil, "tier": 2}}, &u)
	if u.UserMetadata["theme"] != "dark" || u.AppMetadata["plan"] != nil || u.AppMetadata["tier"] != float64(2) {
		t.Fatalf("metadata merge: %+v", u)
	}
	var roles []Role
	e.mustAPI("GET", "users/"+url.PathEscape(f.user.UserID)+"/roles", nil, &roles)
	if len(roles) != 1 || roles[0].Name != "reader" {
		t.Fatalf("user roles: %+v", roles)
	}
	var perms []permission
	e.mustAPI("GET", "users/"+url.PathEscape(f.user.UserID)+"/permissions", nil, &perms)
	if len(perms) != 1 || perms[0].PermissionName != "read:todos" {
		t.Fatalf("user permissions: %+v", perms)
	}
	var members []map[string]any
	e.mustAPI("GET", "roles/"+f.role.ID+"/users", nil, &members)
	if len(members) != 1 || members[0]["user_id"] != f.user.UserID {
		t.Fatalf("role users: %+v", members)
	}
	var rss []ResourceServer
	e.mustAPI("GET", "resource-servers", nil, &rss)
	if len(rss) != 2 || !rss[0].IsSystem || rss[1].Identifier != apiID {
		t.Fatalf("resource servers: %+v", rss)
	}
	auds, _ := e.p.Audiences(t.Context())
	if len(auds) != 1 || auds[0] != apiID {
		t.Fatalf("engine audiences: %v", auds)
	}
	e.mustAPI("POST", "client-grants", map[string]any{"client_id": f.m2m.ClientID, "audience": apiID, "scope": []string{"read:todos"}}, nil)
	e.mustAPI("DELETE", "resource-servers/"+f.api.ID, nil, nil)
	var grants []ClientGrant
	e.mustAPI("GET", "client-grants", nil, &grants)
	if len(grants) != 0 {
		t.Fatalf("grants of a deleted API: %+v", grants)
	}
	if st := e.api("DELETE", "resource-servers/"+rss[0].ID, nil, &me); st != 403 {
		t.Fatalf("deleting the Management API: %d", st)
	}
	e.mustAPI("DELETE", "users/"+url.PathEscape(f.user.UserID), nil, nil)
	if st := e.api("GET", "users/"+url.PathEscape(f.user.UserID), nil, &me); st != 404 || me.ErrorCode != "inexistent_user" {
		t.Fatalf("deleted user: %d %+v", st, me)
	}
}

func TestDBConnectionsSignup(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	post := func(path string, form url.Values) (int, string) {
		resp, err := http.PostForm(e.issuer+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	st, body := post("dbconnections/signup", url.Values{"client_id": {f.spa.ClientID}, "email": {"carol@example.com"}, "password": {"carols password"},
		"connection": {connectionName}})
	if st != 200 || !strings.Contains(body, `"email":"carol@example.com"`) {
		t.Fatalf("signup: %d %s", st, body)
	}
	st, body = post("dbconnections/signup", url.Values{"client_id": {f.spa.ClientID}, "email": {"carol@example.com"}, "password": {"carols password"}})
	if st != 400 || !strings.Contains(body, `"code":"invalid_signup"`) {
		t.Fatalf("duplicate signup: %d %s", st, body)
	}
	st, body = post("dbconnections/change_password", url.Values{"client_id": {f.spa.ClientID}, "email": {"carol@example.com"}, "connection": {connectionName}})
	if st != 200 || !strings.Contains(body, "reset your password") {
		t.Fatalf("change_password: %d %s", st, body)
	}
}

func TestSilentAuthenticationWebMessage(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	v := oauth2.GenerateVerifier()
	silent := oc.AuthCodeURL("w1", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none"),
		oauth2.SetAuthURLParam("response_mode", "web_message"))
	b := newBrowser(t, appURL)
	resp, page := b.get(silent)
	if resp.StatusCode != 200 || !strings.Contains(page, `"error":"login_required"`) || !strings.Contains(page, `"state":"w1"`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors "+appURL) || resp.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("silent auth without a session: %d %v %s", resp.StatusCode, resp.Header, page)
	}
	login(t, b, oc.AuthCodeURL("l", oauth2.S256ChallengeOption(v)), userMail, userPass)
	_, page = b.get(silent)
	m := regexp.MustCompile(`"code":"([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("silent auth with a session: %s", page)
	}
	st, body := e.token(url.Values{"grant_type": {"authorization_code"}, "client_id": {f.spa.ClientID}, "code": {m[1]},
		"redirect_uri": {callback}, "code_verifier": {v}})
	if st != 200 || body["id_token"] == nil {
		t.Fatalf("exchange of a web_message code: %d %v", st, body)
	}
}

func TestFormPostResponseMode(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	oc := oauth2.Config{ClientID: f.spa.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	v := oauth2.GenerateVerifier()
	b := newBrowser(t, appURL)
	resp, page := b.get(oc.AuthCodeURL("fp", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("response_mode", "form_post")))
	resp, page = b.post(e.issuer+"login", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "state": {formField(t, stateRe, page)},
		"username": {userMail}, "password": {userPass}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="`+callback+`"`) || !strings.Contains(page, `name="code"`) {
		t.Fatalf("form_post: %d %s", resp.StatusCode, page)
	}
}

func TestHostileInput(t *testing.T) {
	e := newEnv(t)
	var c Client
	e.mustAPI("POST", "clients", map[string]any{"name": `<script>alert(1)</script>`, "app_type": "spa", "callbacks": []string{callback}}, &c)
	if st := e.api("PATCH", "clients/"+c.ClientID, map[string]any{"logo_uri": "javascript:alert(1)"}, nil); st != 400 {
		t.Fatalf("javascript: logo accepted: %d", st)
	}
	oc := oauth2.Config{ClientID: c.ClientID, Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "authorize"}, RedirectURL: callback, Scopes: []string{"openid"}}
	b := newBrowser(t, appURL)
	_, page := b.get(oc.AuthCodeURL(`"><img src=x>`, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("login_hint", `"><script>x()</script>`)))
	if strings.Contains(page, "<script>alert(1)") || strings.Contains(page, "<script>x()") || !strings.Contains(page, "&lt;script&gt;alert(1)") {
		t.Fatalf("unescaped input on the login page:\n%s", page)
	}
	// A login page for an unknown or forged request never redirects.
	resp, _ := b.get(e.issuer + "login?state=" + url.QueryEscape("https://evil.example.com/"))
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Fatalf("forged state: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Oversized bodies are refused.
	big := strings.Repeat("a", 2<<20)
	resp, err := http.PostForm(e.issuer+"oauth/token", url.Values{"grant_type": {"password"}, "username": {big}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("2 MiB token request: %d", resp.StatusCode)
	}
}

// TestImplicitIDTokenFormPost is the sign-in of regular web apps that ask
// for an ID token by form_post (express-openid-connect's default).
func TestImplicitIDTokenFormPost(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	var web Client
	e.mustAPI("POST", "clients", map[string]any{"name": "Express", "app_type": "regular_web", "callbacks": []string{callback}}, &web)
	q := url.Values{"client_id": {web.ClientID}, "response_type": {"id_token"}, "response_mode": {"form_post"}, "scope": {"openid profile email"},
		"redirect_uri": {callback}, "nonce": {"n-1"}, "state": {"st"}}
	b := newBrowser(t, appURL)
	_, page := b.get(e.issuer + "authorize?" + q.Encode())
	resp, page := b.post(e.issuer+"login", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "state": {formField(t, stateRe, page)},
		"username": {userMail}, "password": {userPass}})
	m := regexp.MustCompile(`name="id_token" value="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("implicit form_post: %d %s", resp.StatusCode, page)
	}
	ctx := t.Context()
	prov, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: web.ClientID}).Verify(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	_ = idt.Claims(&claims)
	if idt.Nonce != "n-1" || idt.Subject != f.user.UserID || claims["email"] != userMail || claims["https://example.com/roles"] == nil {
		t.Fatalf("implicit id token: %v", claims)
	}
	// Without "implicit" in its grant types the application cannot.
	e.mustAPI("PATCH", "clients/"+web.ClientID, map[string]any{"grant_types": []string{"authorization_code"}}, nil)
	resp, _ = newBrowser(t, appURL).get(e.issuer + "authorize?" + q.Encode())
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("implicit allowed without the grant")
	}
}
