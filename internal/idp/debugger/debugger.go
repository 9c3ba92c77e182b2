// Package debugger is the identity provider's token debugger, served at
// <issuer>debugger: the part Auth0's "Authentication API Debugger"
// extension plays in the seed guide.
//
// An administrator signs in with the engine's admin secret, chooses an
// application and an API (the audience), and runs the authorization-code
// flow with PKCE through the provider's own login page; the page then shows
// the raw and decoded access and ID tokens and a ready
// "Authorization: Bearer …" header to copy into a GraphQL client.
//
// The pages are plain server-rendered HTML without JavaScript. Every form
// carries a CSRF token bound to a per-browser cookie; the administrator's
// sign-in is an HMAC-signed cookie, and failed sign-ins count in the
// provider's per-IP brute-force protection (Config.Throttle); a flow in progress (state, PKCE
// verifier, nonce, optional client secret) is kept in an AES-GCM sealed
// cookie scoped to the debugger's path, so that nothing is kept in memory
// and several server instances can share the work.
package debugger

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Application is an application the debugger can sign in through.
type Application struct {
	ClientID   string
	Name       string
	AppType    string
	Callbacks  []string
	GrantTypes []string
	// Public applications have no secret (SPA, native).
	Public bool
}

// API is an API (resource server) whose identifier is an audience.
type API struct {
	Identifier string
	Name       string
}

// Directory lists the provider's applications and APIs.
type Directory interface {
	Applications(ctx context.Context) ([]Application, error)
	APIs(ctx context.Context) ([]API, error)
}

// Config configures the debugger.
type Config struct {
	// Issuer is the provider's issuer URL, with its trailing slash; the
	// debugger lives at Issuer + "debugger".
	Issuer string
	// Key signs and seals the debugger's cookies (any length; it is hashed).
	Key []byte
	// AdminSecret reports whether s is one of the engine's admin secrets.
	AdminSecret func(s string) bool
	// Directory lists applications and APIs.
	Directory Directory
	// TokenEndpoint is the provider's token endpoint handler, called
	// in-process to exchange the authorization code.
	TokenEndpoint http.Handler
	// Throttle is the provider's per-IP brute-force protection; the
	// admin-secret form counts its failures there and is refused while the
	// address is locked, as the login page is. Nil means no throttling.
	Throttle Throttle
	// SecureCookies sets the Secure flag (on anyway for https issuers).
	SecureCookies bool
	// SessionTTL bounds an administrator's sign-in (default 8 hours).
	SessionTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Throttle is per-IP brute-force protection shared with the provider's
// login page (idp.IdP implements it).
type Throttle interface {
	// SignInLocked reports whether sign-ins from r's client address are
	// refused for now.
	SignInLocked(r *http.Request) bool
	// SignInFailed counts a failed sign-in from r's client address.
	SignInFailed(r *http.Request)
}

// Debugger serves the debugger's pages.
type Debugger struct {
	cfg    Config
	path   string // URL path of the debugger, e.g. /auth/debugger
	macKey []byte
	aead   cipher.AEAD
	secure bool
}

// Cookie names (scoped to the debugger's path).
const (
	csrfCookie    = "pg_debugger_csrf"
	sessionCookie = "pg_debugger_session"
	flowCookie    = "pg_debugger_flow"
)

// New validates cfg and returns the debugger.
func New(cfg Config) (*Debugger, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Host == "" || !strings.HasSuffix(cfg.Issuer, "/") {
		return nil, fmt.Errorf("debugger: issuer %q must be an absolute URL ending in /", cfg.Issuer)
	}
	if len(cfg.Key) == 0 || cfg.AdminSecret == nil || cfg.Directory == nil || cfg.TokenEndpoint == nil {
		return nil, errors.New("debugger: key, admin secret check, directory and token endpoint are required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	mac := sha256.Sum256(append([]byte("postgate-debugger-mac:"), cfg.Key...))
	enc := sha256.Sum256(append([]byte("postgate-debugger-seal:"), cfg.Key...))
	block, err := aes.NewCipher(enc[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Debugger{cfg: cfg, path: u.Path + "debugger", macKey: mac[:], aead: aead,
		secure: cfg.SecureCookies || u.Scheme == "https"}, nil
}

// Path is the debugger's URL path (the issuer's path + "debugger"); the
// handler serves it and everything below it.
func (d *Debugger) Path() string { return d.path }

// CallbackURL is the redirect URI the debugger uses; an application must
// list it among its callbacks to be debugged.
func (d *Debugger) CallbackURL() string { return d.cfg.Issuer + "debugger/callback" }

// ServeHTTP routes the debugger's pages.
func (d *Debugger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "+d.origin()+"; frame-ancestors 'none'")
	switch strings.TrimPrefix(r.URL.Path, d.path) {
	case "", "/":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			d.methodNotAllowed(w)
			return
		}
		d.home(w, r, "")
	case "/signin":
		d.signin(w, r)
	case "/signout":
		d.signout(w, r)
	case "/start":
		d.start(w, r)
	case "/callback":
		d.callback(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (d *Debugger) origin() string {
	u, _ := url.Parse(d.cfg.Issuer)
	return u.Scheme + "://" + u.Host
}

// reject answers a POST that failed the CSRF check.
func (d *Debugger) reject(w http.ResponseWriter, r *http.Request) {
	v := d.baseView(w, r)
	v.SignedIn = false
	v.Error = "The form expired or came from another site. Please try again."
	d.render(w, http.StatusForbidden, v)
}

func (d *Debugger) methodNotAllowed(w http.ResponseWriter) {
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// --- cookies, CSRF, session ---------------------------------------------

func (d *Debugger) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: d.path, MaxAge: maxAge, HttpOnly: true,
		Secure: d.secure, SameSite: http.SameSiteLaxMode})
}

func (d *Debugger) mac(parts ...string) string {
	h := hmac.New(sha256.New, d.macKey)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfToken returns the form token for this browser, setting its cookie
// when the browser has none.
func (d *Debugger) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	v := ""
	if err == nil && len(c.Value) >= 20 {
		v = c.Value
	} else {
		v = randomString(24)
		d.setCookie(w, csrfCookie, v, 0)
	}
	return d.mac("csrf", v)
}

// checkCSRF checks a POST: the form token matches the browser's cookie and
// a present Origin header is the issuer's.
func (d *Debugger) checkCSRF(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != d.origin() {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	want := d.mac("csrf", c.Value)
	return subtle.ConstantTimeCompare([]byte(want), []byte(r.PostFormValue("csrf_token"))) == 1
}

// signedIn reports whether the browser holds a valid administrator sign-in,
// bound to its CSRF cookie.
func (d *Debugger) signedIn(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	exp, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || d.cfg.Now().Unix() > n {
		return false
	}
	cs, err := r.Cookie(csrfCookie)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(sig), []byte(d.mac("session", exp, cs.Value))) == 1
}

// flow is a sign-in in progress.
type flow struct {
	State        string `json:"s"`
	Verifier     string `json:"v"`
	Nonce        string `json:"n"`
	ClientID     string `json:"c"`
	ClientSecret string `json:"cs,omitempty"`
	Audience     string `json:"a,omitempty"`
	Expires      int64  `json:"e"`
}

func (d *Debugger) seal(v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, d.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(d.aead.Seal(nonce, nonce, plain, []byte(flowCookie))), nil
}

func (d *Debugger) open(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < d.aead.NonceSize() {
		return errors.New("malformed")
	}
	plain, err := d.aead.Open(nil, b[:d.aead.NonceSize()], b[d.aead.NonceSize():], []byte(flowCookie))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// --- pages --------------------------------------------------------------

// view is what the page template shows.
type view struct {
	Path        string
	CSRF        string
	SignedIn    bool
	Error       string
	Apps        []Application
	APIs        []API
	Callback    string
	Issuer      string
	Selected    string
	Audience    string
	Scope       string
	Result      *result
	GraphQLHint string
}

// result is a finished flow's tokens.
type result struct {
	AppName      string
	Audience     string
	AccessToken  string
	IDToken      string
	RefreshToken string
	ExpiresIn    int
	Scope        string
	AccessParts  *decoded
	IDParts      *decoded
	Header       string
}

// decoded is a JWT's header and claims, pretty-printed.
type decoded struct {
	Header, Claims string
}

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

func (d *Debugger) render(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, v)
}

func (d *Debugger) baseView(w http.ResponseWriter, r *http.Request) view {
	return view{Path: d.path, CSRF: d.csrfToken(w, r), SignedIn: d.signedIn(r), Callback: d.CallbackURL(), Issuer: d.cfg.Issuer,
		Scope: "openid profile email", GraphQLHint: d.origin() + "/v1/graphql"}
}

// home shows the sign-in form or the flow form.
func (d *Debugger) home(w http.ResponseWriter, r *http.Request, errMsg string) {
	v := d.baseView(w, r)
	v.Error = errMsg
	status := http.StatusOK
	if v.SignedIn {
		if err := d.fillChoices(r.Context(), &v); err != nil {
			v.Error = "Listing the applications and APIs failed: " + err.Error()
			status = http.StatusInternalServerError
		}
	}
	d.render(w, status, v)
}

func (d *Debugger) fillChoices(ctx context.Context, v *view) error {
	apps, err := d.cfg.Directory.Applications(ctx)
	if err != nil {
		return err
	}
	for _, a := range apps {
		for _, g := range a.GrantTypes {
			if g == "authorization_code" {
				v.Apps = append(v.Apps, a)
				break
			}
		}
	}
	v.APIs, err = d.cfg.Directory.APIs(ctx)
	return err
}

// signin checks the admin secret.
func (d *Debugger) signin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		d.methodNotAllowed(w)
		return
	}
	if !d.checkCSRF(r) {
		d.reject(w, r)
		return
	}
	if d.cfg.Throttle != nil && d.cfg.Throttle.SignInLocked(r) {
		v := d.baseView(w, r)
		v.Error = "Too many failed sign-ins from your address. Try again later."
		d.render(w, http.StatusTooManyRequests, v)
		return
	}
	secret := r.PostFormValue("admin_secret")
	if secret == "" || !d.cfg.AdminSecret(secret) {
		if d.cfg.Throttle != nil {
			d.cfg.Throttle.SignInFailed(r)
		}
		v := d.baseView(w, r)
		v.Error = "Wrong admin secret."
		d.render(w, http.StatusUnauthorized, v)
		return
	}
	cs, _ := r.Cookie(csrfCookie)
	exp := strconv.FormatInt(d.cfg.Now().Add(d.cfg.SessionTTL).Unix(), 10)
	d.setCookie(w, sessionCookie, exp+"."+d.mac("session", exp, cs.Value), int(d.cfg.SessionTTL.Seconds()))
	http.Redirect(w, r, d.path, http.StatusSeeOther)
}

func (d *Debugger) signout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		d.methodNotAllowed(w)
		return
	}
	if !d.checkCSRF(r) {
		d.reject(w, r)
		return
	}
	d.setCookie(w, sessionCookie, "", -1)
	d.setCookie(w, flowCookie, "", -1)
	http.Redirect(w, r, d.path, http.StatusSeeOther)
}

// start begins the authorization-code flow with PKCE for the chosen
// application and API.
func (d *Debugger) start(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		d.methodNotAllowed(w)
		return
	}
	if !d.checkCSRF(r) {
		d.reject(w, r)
		return
	}
	if !d.signedIn(r) {
		d.home(w, r, "Sign in with the admin secret first.")
		return
	}
	v := d.baseView(w, r)
	if err := d.fillChoices(r.Context(), &v); err != nil {
		d.home(w, r, err.Error())
		return
	}
	v.Selected, v.Audience = r.PostFormValue("client_id"), r.PostFormValue("audience")
	if s := strings.TrimSpace(r.PostFormValue("scope")); s != "" {
		v.Scope = s
	}
	var app *Application
	for i := range v.Apps {
		if v.Apps[i].ClientID == v.Selected {
			app = &v.Apps[i]
		}
	}
	fail := func(msg string) {
		v.Error = msg
		d.render(w, http.StatusBadRequest, v)
	}
	if app == nil {
		fail("Choose an application that may use the authorization-code flow.")
		return
	}
	if !contains(app.Callbacks, d.CallbackURL()) {
		fail(fmt.Sprintf("Add %s to the allowed callback URLs of %q first (PATCH %sapi/v2/clients/%s).", d.CallbackURL(), app.Name, d.cfg.Issuer, app.ClientID))
		return
	}
	f := flow{State: randomString(18), Verifier: randomString(32), Nonce: randomString(18), ClientID: app.ClientID,
		Audience: v.Audience, Expires: d.cfg.Now().Add(15 * time.Minute).Unix()}
	if !app.Public {
		f.ClientSecret = r.PostFormValue("client_secret")
		if f.ClientSecret == "" {
			fail(fmt.Sprintf("%q is a confidential application: give its client secret.", app.Name))
			return
		}
	}
	sealed, err := d.seal(f)
	if err != nil {
		fail(err.Error())
		return
	}
	d.setCookie(w, flowCookie, sealed, 15*60)
	sum := sha256.Sum256([]byte(f.Verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {f.ClientID}, "redirect_uri": {d.CallbackURL()}, "scope": {v.Scope},
		"state": {f.State}, "nonce": {f.Nonce}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	if f.Audience != "" {
		q.Set("audience", f.Audience)
	}
	if r.PostFormValue("prompt_login") != "" {
		q.Set("prompt", "login")
	}
	http.Redirect(w, r, d.cfg.Issuer+"authorize?"+q.Encode(), http.StatusSeeOther)
}

// callback receives the provider's answer, exchanges the code and shows
// the tokens.
func (d *Debugger) callback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		d.methodNotAllowed(w)
		return
	}
	if !d.signedIn(r) {
		d.home(w, r, "Sign in with the admin secret to see tokens.")
		return
	}
	v := d.baseView(w, r)
	_ = d.fillChoices(r.Context(), &v)
	fail := func(status int, msg string) {
		v.Error = msg
		d.render(w, status, v)
	}
	var f flow
	c, err := r.Cookie(flowCookie)
	if err != nil || d.open(c.Value, &f) != nil || d.cfg.Now().Unix() > f.Expires {
		fail(http.StatusBadRequest, "No sign-in is in progress in this browser (or it expired). Start again.")
		return
	}
	d.setCookie(w, flowCookie, "", -1) // one use
	q := r.URL.Query()
	v.Selected, v.Audience = f.ClientID, f.Audience
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		fail(http.StatusBadRequest, "The state does not match the sign-in started in this browser.")
		return
	}
	if e := q.Get("error"); e != "" {
		fail(http.StatusOK, "The provider answered "+e+": "+q.Get("error_description"))
		return
	}
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {f.ClientID}, "code": {q.Get("code")},
		"code_verifier": {f.Verifier}, "redirect_uri": {d.CallbackURL()}}
	if f.ClientSecret != "" {
		form.Set("client_secret", f.ClientSecret)
	}
	status, body := d.exchange(r, form)
	var tok struct {
		AccessToken      string `json:"access_token"`
		IDToken          string `json:"id_token"`
		RefreshToken     string `json:"refresh_token"`
		ExpiresIn        int    `json:"expires_in"`
		Scope            string `json:"scope"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &tok) != nil || status != http.StatusOK || tok.AccessToken == "" {
		fail(http.StatusBadGateway, fmt.Sprintf("Exchanging the code failed (%d): %s %s", status, tok.Error, tok.ErrorDescription))
		return
	}
	res := &result{Audience: f.Audience, AccessToken: tok.AccessToken, IDToken: tok.IDToken, RefreshToken: tok.RefreshToken,
		ExpiresIn: tok.ExpiresIn, Scope: tok.Scope, Header: "Authorization: Bearer " + tok.AccessToken}
	for _, a := range v.Apps {
		if a.ClientID == f.ClientID {
			res.AppName = a.Name
		}
	}
	res.AccessParts = decode(tok.AccessToken)
	res.IDParts = decode(tok.IDToken)
	v.Result = res
	d.render(w, http.StatusOK, v)
}

// exchange posts the code to the token endpoint in-process.
func (d *Debugger) exchange(r *http.Request, form url.Values) (int, []byte) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, d.cfg.Issuer+"oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return http.StatusInternalServerError, nil
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = r.RemoteAddr
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		req.Header["X-Forwarded-For"] = xff
	}
	rec := &recorder{header: http.Header{}}
	d.cfg.TokenEndpoint.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, rec.body
}

// decode pretty-prints a JWT's header and claims (nil when it is not one).
func decode(jwt string) *decoded {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil
	}
	pretty := func(seg string) string {
		b, err := base64.RawURLEncoding.DecodeString(seg)
		if err != nil {
			return ""
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return ""
		}
		out, _ := json.MarshalIndent(v, "", "  ")
		return string(out)
	}
	return &decoded{Header: pretty(parts[0]), Claims: pretty(parts[1])}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// recorder is the minimal http.ResponseWriter for in-process calls.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if len(r.body)+len(b) > 1<<20 {
		return 0, io.ErrShortWrite
	}
	r.body = append(r.body, b...)
	return len(b), nil
}
