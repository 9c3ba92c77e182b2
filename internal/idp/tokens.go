package idp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// oauthError is an error answered by the token endpoint as an OAuth error
// body with Auth0's statuses.
type oauthError struct {
	Status      int
	Code        string
	Description string
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func oerr(status int, code, desc string) *oauthError {
	return &oauthError{Status: status, Code: code, Description: desc}
}

// writeOAuthError answers err as {"error","error_description"}; errors
// that are not *oauthError are server errors (details stay in the log).
func (p *IdP) writeOAuthError(w http.ResponseWriter, err error) {
	var oe *oauthError
	if tooLong(err) {
		oe = oerr(http.StatusBadRequest, "invalid_request", "A value is too long.")
	} else if !errors.As(err, &oe) {
		p.cfg.Logger.Error("identity provider error", "type", "auth", "error", err.Error())
		oe = oerr(http.StatusInternalServerError, "server_error", "Internal error")
	}
	if oe.Status == http.StatusUnauthorized && oe.Code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	}
	writeJSON(w, oe.Status, map[string]string{"error": oe.Code, "error_description": oe.Description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// params reads a token-endpoint body: form-encoded or JSON (Auth0 takes
// both). Values with NUL characters or invalid UTF-8 are refused: no
// client, code or token can contain them, and PostgreSQL text cannot hold
// them.
func params(r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var v url.Values
	if ct == "application/json" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, oerr(http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		}
		var m map[string]any
		if !utf8.Valid(body) || json.Unmarshal(body, &m) != nil {
			return nil, oerr(http.StatusBadRequest, "invalid_request", "The request body is not valid JSON.")
		}
		v = url.Values{}
		for k, x := range m {
			switch x := x.(type) {
			case string:
				v.Set(k, x)
			case float64, bool:
				v.Set(k, fmt.Sprint(x))
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, oerr(http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		}
		v = r.PostForm
	}
	for k, vs := range v {
		for _, x := range vs {
			if !cleanText(k) || !cleanText(x) {
				return nil, oerr(http.StatusBadRequest, "invalid_request", "The request contains a NUL character or invalid UTF-8.")
			}
		}
	}
	return v, nil
}

// secretHash is how client secrets are stored.
func secretHash(secret string) string {
	h := sha256.Sum256([]byte("postgate-client-secret:" + secret))
	return hex.EncodeToString(h[:])
}

// authenticateClient checks a client's credentials. Public clients
// (token_endpoint_auth_method none) authenticate by id alone.
func (p *IdP) authenticateClient(ctx context.Context, id, secret string) (*Client, error) {
	if id == "" {
		return nil, oerr(http.StatusUnauthorized, "invalid_client", "Missing client_id.")
	}
	c, err := p.st.client(ctx, id)
	if errors.Is(err, errNotFound) {
		return nil, oerr(http.StatusUnauthorized, "invalid_client", "Unknown client.")
	}
	if err != nil {
		return nil, err
	}
	if c.public() {
		return c, nil
	}
	if secret == "" || subtle.ConstantTimeCompare([]byte(secretHash(secret)), []byte(c.secretHash)) != 1 {
		return nil, oerr(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
	}
	return c, nil
}

// clientFromRequest authenticates the client by Basic auth or body.
func (p *IdP) clientFromRequest(r *http.Request, f url.Values) (*Client, error) {
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		u, _ = url.QueryUnescape(u)
		pw, _ = url.QueryUnescape(pw)
		if id != "" && id != u {
			return nil, oerr(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		}
		id, secret = u, pw
	}
	return p.authenticateClient(r.Context(), id, secret)
}

// grant holds what a token response is minted from.
type grant struct {
	client    *Client
	user      *User // nil for client credentials
	audience  string
	scopes    []string
	nonce     string
	authTime  time.Time
	sessionID string
	family    string // refresh token family (the authorization it descends from)
	result    *PostLoginResult
	gty       string
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// reserved claims cannot be set by Actions.
var reservedClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true,
	"jti": true, "azp": true, "scope": true, "gty": true, "permissions": true, "nonce": true, "auth_time": true,
	"sid": true, "at_hash": true, "c_hash": true, "acr": true, "amr": true}

// mint issues the access token, and for users the ID token (openid) and
// refresh token (offline_access allowed by the API).
func (p *IdP) mint(ctx context.Context, g grant) (*tokenResponse, error) {
	now := p.cfg.Now()
	lifetime := int(p.cfg.AccessTokenTTL.Seconds())
	var rs *ResourceServer
	if g.audience != "" {
		var err error
		rs, err = p.st.resourceServer(ctx, g.audience)
		if errors.Is(err, errNotFound) {
			return nil, oerr(http.StatusForbidden, "access_denied", "Service not found: "+g.audience)
		}
		if err != nil {
			return nil, err
		}
		lifetime = rs.TokenLifetime
		g.audience = rs.Identifier
		if g.user != nil && rs.Identifier == p.mgmtAudience() {
			return nil, oerr(http.StatusForbidden, "access_denied", "The Management API accepts machine-to-machine tokens only.")
		}
	}
	scopes := p.grantedScopes(ctx, g, rs)
	openid := contains(scopes, "openid")
	at := map[string]any{"iss": p.cfg.Issuer, "iat": now.Unix(), "exp": now.Unix() + int64(lifetime), "azp": g.client.ClientID}
	if g.user != nil {
		at["sub"] = g.user.UserID
	} else {
		at["sub"] = g.client.ClientID + "@clients"
	}
	switch {
	case g.audience != "" && openid:
		at["aud"] = []string{g.audience, p.cfg.Issuer + "userinfo"}
	case g.audience != "":
		at["aud"] = g.audience
	default:
		at["aud"] = p.cfg.Issuer + "userinfo"
	}
	if len(scopes) > 0 {
		at["scope"] = strings.Join(scopes, " ")
	}
	if g.gty != "" {
		at["gty"] = g.gty
	}
	if rs != nil && rs.EnforcePolicies {
		perms := []string{}
		if g.user != nil {
			ps, err := p.st.userPermissions(ctx, g.user.UserID, rs.Identifier)
			if err != nil {
				return nil, err
			}
			perms = append(perms, ps...)
		} else {
			perms = apiScopesOnly(scopes, rs)
		}
		at["permissions"] = perms
	}
	if g.result != nil {
		addCustomClaims(at, g.result.AccessTokenClaims)
	}
	typ := jose.ContentType("JWT")
	if rs != nil && strings.HasPrefix(rs.TokenDialect, "rfc9068_profile") {
		// RFC 9068 profile: client_id instead of azp, a jti, typ at+jwt.
		delete(at, "azp")
		at["client_id"], at["jti"] = g.client.ClientID, randomID(16)
		typ = "at+jwt"
	}
	access, err := p.keys.signTyped(ctx, at, typ)
	if err != nil {
		return nil, err
	}
	resp := &tokenResponse{AccessToken: access, ExpiresIn: lifetime, TokenType: "Bearer", Scope: strings.Join(scopes, " ")}
	if g.user == nil {
		return resp, nil
	}
	if openid {
		id := map[string]any{"iss": p.cfg.Issuer, "sub": g.user.UserID, "aud": g.client.ClientID, "iat": now.Unix(),
			"exp": now.Add(p.cfg.IDTokenTTL).Unix()}
		if g.nonce != "" {
			id["nonce"] = g.nonce
		}
		if g.sessionID != "" {
			id["sid"] = g.sessionID
		}
		if !g.authTime.IsZero() {
			id["auth_time"] = g.authTime.Unix()
		}
		for k, v := range profileClaims(g.user, scopes) {
			id[k] = v
		}
		if g.result != nil {
			addCustomClaims(id, g.result.IDTokenClaims)
		}
		if resp.IDToken, err = p.keys.sign(ctx, id); err != nil {
			return nil, err
		}
	}
	if contains(scopes, "offline_access") && contains(g.client.GrantTypes, "refresh_token") && (rs == nil || rs.AllowOfflineAccess) {
		if resp.RefreshToken, err = p.newRefreshToken(ctx, p.st.pool, g, scopes); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// grantedScopes keeps the OIDC scopes and the API's own scopes (those the
// user's roles allow when the API enforces RBAC), then applies Actions'
// scope changes.
func (p *IdP) grantedScopes(ctx context.Context, g grant, rs *ResourceServer) []string {
	oidcScopes := map[string]bool{"openid": true, "profile": true, "email": true, "offline_access": true}
	var allowed map[string]bool
	if rs != nil && rs.EnforcePolicies && g.user != nil {
		ps, _ := p.st.userPermissions(ctx, g.user.UserID, rs.Identifier)
		allowed = map[string]bool{}
		for _, s := range ps {
			allowed[s] = true
		}
	}
	var out []string
	for _, s := range g.scopes {
		if s == "" || contains(out, s) {
			continue
		}
		if oidcScopes[s] {
			if g.user != nil {
				out = append(out, s)
			}
			continue
		}
		if rs == nil || !slices.ContainsFunc(rs.Scopes, func(x Scope) bool { return x.Value == s }) {
			continue
		}
		if allowed != nil && !allowed[s] {
			continue
		}
		out = append(out, s)
	}
	if g.result != nil {
		for _, s := range g.result.AddScopes {
			if !contains(out, s) {
				out = append(out, s)
			}
		}
		out = slices.DeleteFunc(out, func(s string) bool { return contains(g.result.RemoveScopes, s) })
	}
	return out
}

func apiScopesOnly(scopes []string, rs *ResourceServer) []string {
	out := []string{}
	for _, s := range scopes {
		if slices.ContainsFunc(rs.Scopes, func(x Scope) bool { return x.Value == s }) {
			out = append(out, s)
		}
	}
	return out
}

func addCustomClaims(dst, claims map[string]any) {
	for k, v := range claims {
		if !reservedClaims[k] {
			dst[k] = v
		}
	}
}

// profileClaims are the ID token's and /userinfo's user claims per scope.
func profileClaims(u *User, scopes []string) map[string]any {
	out := map[string]any{}
	if contains(scopes, "profile") {
		name, nick := u.Name, u.Nickname
		login := ""
		if u.Email != nil {
			login = *u.Email
		} else if u.Username != nil {
			login = *u.Username
		}
		if name == "" {
			name = login
		}
		if nick == "" {
			nick, _, _ = strings.Cut(login, "@")
		}
		out["name"], out["nickname"] = name, nick
		if u.Picture != "" {
			out["picture"] = u.Picture
		}
		if u.GivenName != "" {
			out["given_name"] = u.GivenName
		}
		if u.FamilyName != "" {
			out["family_name"] = u.FamilyName
		}
		out["updated_at"] = u.UpdatedAt.UTC().Format(time.RFC3339Nano)
	}
	if contains(scopes, "email") && u.Email != nil {
		out["email"], out["email_verified"] = *u.Email, u.EmailVerified
	}
	return out
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// newRefreshToken stores a new refresh token of g's family.
func (p *IdP) newRefreshToken(ctx context.Context, db execer, g grant, scopes []string) (string, error) {
	tok := randomID(32)
	fam := g.family
	if fam == "" {
		fam = randomID(12)
	}
	// The family's lifetime is absolute: rotation does not extend it.
	start := p.cfg.Now()
	var first *time.Time
	if err := p.st.pool.QueryRow(ctx, `SELECT min(created_at) FROM `+p.st.t("refresh_tokens")+` WHERE family = $1`, fam).Scan(&first); err == nil && first != nil {
		start = *first
	}
	_, err := db.Exec(ctx, `INSERT INTO `+p.st.t("refresh_tokens")+` (token_hash, family, client_id, user_id, audience, scopes,
 session_id, auth_time, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		hashToken(tok), fam, g.client.ClientID, g.user.UserID, g.audience, scopes, g.sessionID, g.authTime, start.Add(p.cfg.RefreshTokenTTL))
	return tok, err
}

// token is POST /oauth/token.
func (p *IdP) token(w http.ResponseWriter, r *http.Request) {
	f, err := params(r)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	gt := f.Get("grant_type")
	if gt == "" {
		p.writeOAuthError(w, oerr(http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type"))
		return
	}
	known := map[string]bool{"authorization_code": true, "refresh_token": true, "client_credentials": true, "password": true,
		grantPasswordRealm: true, grantDeviceCode: true}
	if !known[gt] {
		p.writeOAuthError(w, oerr(http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+gt))
		return
	}
	c, err := p.clientFromRequest(r, f)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	if !contains(c.GrantTypes, gt) {
		p.writeOAuthError(w, oerr(http.StatusForbidden, "unauthorized_client", "Grant type '"+gt+"' not allowed for the client."))
		return
	}
	var resp *tokenResponse
	switch gt {
	case "authorization_code":
		resp, err = p.codeGrant(r, f, c)
	case "refresh_token":
		resp, err = p.refreshGrant(r, f, c)
	case "client_credentials":
		resp, err = p.clientCredentialsGrant(r, f, c)
	case "password", grantPasswordRealm:
		resp, err = p.passwordGrant(r, f, c, gt)
	case grantDeviceCode:
		resp, err = p.deviceGrant(r, f, c)
	}
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

const (
	grantPasswordRealm = "http://auth0.com/oauth/grant-type/password-realm"
	grantDeviceCode    = "urn:ietf:params:oauth:grant-type:device_code"
)

func (p *IdP) codeGrant(r *http.Request, f url.Values, c *Client) (*tokenResponse, error) {
	ctx := r.Context()
	code := f.Get("code")
	if code == "" {
		return nil, oerr(http.StatusBadRequest, "invalid_request", "Missing required parameter: code")
	}
	ar, err := p.redeemCode(ctx, code)
	if errors.Is(err, errNotFound) {
		return nil, oerr(http.StatusForbidden, "invalid_grant", "Invalid authorization code")
	}
	if err != nil {
		return nil, err
	}
	if ar.ClientID != c.ClientID {
		return nil, oerr(http.StatusForbidden, "invalid_grant", "Invalid authorization code")
	}
	if f.Get("redirect_uri") != ar.RedirectURI {
		return nil, oerr(http.StatusForbidden, "invalid_grant", "Redirect URI mismatch.")
	}
	if ar.CodeChallenge != "" {
		v := f.Get("code_verifier")
		if v == "" {
			return nil, oerr(http.StatusForbidden, "invalid_grant", "Missing code_verifier.")
		}
		sum := sha256.Sum256([]byte(v))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ar.CodeChallenge)) != 1 {
			return nil, oerr(http.StatusForbidden, "invalid_grant", "Failed to verify code verifier")
		}
	}
	u, err := p.st.user(ctx, ar.UserID)
	if err != nil {
		return nil, oerr(http.StatusForbidden, "invalid_grant", "Invalid authorization code")
	}
	if u.Blocked {
		return nil, oerr(http.StatusUnauthorized, "unauthorized", "user is blocked")
	}
	return p.mint(ctx, grant{client: c, user: u, audience: ar.Audience, scopes: ar.Scopes, nonce: ar.Nonce,
		authTime: ar.AuthTime, sessionID: ar.SessionID, family: ar.ID, result: ar.Claims})
}

func (p *IdP) refreshGrant(r *http.Request, f url.Values, c *Client) (*tokenResponse, error) {
	ctx := r.Context()
	tok := f.Get("refresh_token")
	if tok == "" {
		return nil, oerr(http.StatusBadRequest, "invalid_request", "Missing required parameter: refresh_token")
	}
	invalid := oerr(http.StatusForbidden, "invalid_grant", "Unknown or invalid refresh token.")
	var (
		fam, clientID, userID, aud, sid string
		scopes                          []string
		authTime, expires               time.Time
		usedAt                          *time.Time
		used, revoked                   bool
	)
	err := pgx.BeginFunc(ctx, p.st.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT family, client_id, user_id, audience, scopes, coalesce(session_id,''), auth_time, expires_at, used, used_at, revoked
 FROM `+p.st.t("refresh_tokens")+` WHERE token_hash = $1 FOR UPDATE`, hashToken(tok)).
			Scan(&fam, &clientID, &userID, &aud, &scopes, &sid, &authTime, &expires, &used, &usedAt, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid
		}
		if err != nil {
			return err
		}
		now := p.cfg.Now()
		if used && !revoked && p.withinReuseInterval(usedAt, now) && clientID == c.ClientID && !now.After(expires) {
			// A second tab refreshing at the same time: a fresh pair of
			// the same family, the token stays used.
			return nil
		}
		if used || revoked {
			return errReuse
		}
		if clientID != c.ClientID || now.After(expires) {
			return invalid
		}
		_, err = tx.Exec(ctx, `UPDATE `+p.st.t("refresh_tokens")+` SET used = true, used_at = $2 WHERE token_hash = $1`, hashToken(tok), now)
		return err
	})
	if errors.Is(err, errReuse) {
		// Reuse of a rotated token: someone holds a copy. Revoke the
		// whole family so neither party can continue.
		if _, err := p.st.pool.Exec(ctx, `UPDATE `+p.st.t("refresh_tokens")+` SET revoked = true WHERE family = $1`, fam); err != nil {
			return nil, err
		}
		p.cfg.Logger.Warn("refresh token reuse detected; token family revoked", "type", "auth", "client_id", clientID, "user_id", userID)
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	u, err := p.st.user(ctx, userID)
	if err != nil {
		return nil, invalid
	}
	if u.Blocked {
		return nil, oerr(http.StatusUnauthorized, "unauthorized", "user is blocked")
	}
	if s := f.Get("scope"); s != "" {
		var narrowed []string
		for _, x := range strings.Fields(s) {
			if contains(scopes, x) {
				narrowed = append(narrowed, x)
			}
		}
		if !contains(narrowed, "offline_access") && contains(scopes, "offline_access") {
			narrowed = append(narrowed, "offline_access") // the rotated token keeps the grant alive
		}
		scopes = narrowed
	}
	res, err := p.runPostLogin(ctx, r, u, c, aud, scopes, "oauth2-refresh-token", sid)
	if err != nil {
		return nil, err
	}
	return p.mint(ctx, grant{client: c, user: u, audience: aud, scopes: scopes, authTime: authTime, sessionID: sid, family: fam, result: res})
}

var errReuse = errors.New("refresh token reused")

// withinReuseInterval reports whether a refresh token first used at usedAt
// may still be presented again at now (RefreshTokenLeeway).
func (p *IdP) withinReuseInterval(usedAt *time.Time, now time.Time) bool {
	return usedAt != nil && p.cfg.RefreshTokenLeeway > 0 && !now.After(usedAt.Add(p.cfg.RefreshTokenLeeway))
}

func (p *IdP) clientCredentialsGrant(r *http.Request, f url.Values, c *Client) (*tokenResponse, error) {
	ctx := r.Context()
	if c.public() {
		return nil, oerr(http.StatusUnauthorized, "invalid_client", "Client authentication is required for client_credentials.")
	}
	aud := p.defaultAudience(ctx, f.Get("audience"))
	if aud == "" {
		return nil, oerr(http.StatusForbidden, "access_denied", "No audience parameter was provided, and no default audience has been configured")
	}
	rs, err := p.st.resourceServer(ctx, aud)
	if errors.Is(err, errNotFound) {
		return nil, oerr(http.StatusForbidden, "access_denied", "Service not found: "+aud)
	}
	if err != nil {
		return nil, err
	}
	cg, err := p.st.clientGrant(ctx, c.ClientID, rs.Identifier)
	if errors.Is(err, errNotFound) {
		return nil, oerr(http.StatusForbidden, "access_denied", fmt.Sprintf(
			"Client is not authorized to access %q. You need to create a \"client-grant\" associated to this API.", rs.Identifier))
	}
	if err != nil {
		return nil, err
	}
	scopes := cg.Scope
	if s := f.Get("scope"); s != "" {
		scopes = nil
		for _, x := range strings.Fields(s) {
			if contains(cg.Scope, x) {
				scopes = append(scopes, x)
			}
		}
	}
	var result *PostLoginResult
	if h := p.cfg.Hooks.CredentialsExchange; h != nil {
		ev := CredentialsExchangeEvent{Client: eventClient(c), Request: eventRequest(r), ResourceServer: &EventResourceServer{Identifier: rs.Identifier},
			Transaction: EventTransaction{ID: randomID(12), Protocol: "oauth2-client-credentials", RequestedScopes: scopes}, Tenant: EventTenant{ID: "postgate"}}
		ev.AccessToken.Scope = scopes
		out, err := h.RunCredentialsExchange(ctx, ev)
		if err != nil {
			return nil, err
		}
		if out.Denied {
			return nil, oerr(http.StatusForbidden, "access_denied", out.DenyReason)
		}
		result = &PostLoginResult{AccessTokenClaims: out.AccessTokenClaims}
	}
	return p.mint(ctx, grant{client: c, audience: rs.Identifier, scopes: scopes, gty: "client-credentials", result: result})
}

func (p *IdP) passwordGrant(r *http.Request, f url.Values, c *Client, gt string) (*tokenResponse, error) {
	ctx := r.Context()
	if gt == grantPasswordRealm && f.Get("realm") != connectionName {
		return nil, oerr(http.StatusBadRequest, "invalid_request", "Unknown realm: "+f.Get("realm"))
	}
	if f.Get("username") == "" || f.Get("password") == "" {
		return nil, oerr(http.StatusBadRequest, "invalid_request", "Missing required parameter: username and password")
	}
	u, err := p.checkCredentials(ctx, clientIP(r), f.Get("username"), f.Get("password"))
	if err != nil {
		return nil, err
	}
	scopes := strings.Fields(f.Get("scope"))
	aud := p.defaultAudience(ctx, f.Get("audience"))
	res, err := p.runPostLogin(ctx, r, u, c, aud, scopes, "oauth2-resource-owner", "")
	if err != nil {
		return nil, err
	}
	gty := "password"
	return p.mint(ctx, grant{client: c, user: u, audience: aud, scopes: scopes, authTime: p.cfg.Now(), result: res, gty: gty})
}

// revoke is POST /oauth/revoke: it revokes a refresh token (and its
// family). Auth0 answers 200 with an empty body, also for unknown tokens.
func (p *IdP) revoke(w http.ResponseWriter, r *http.Request) {
	f, err := params(r)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	c, err := p.clientFromRequest(r, f)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	tok := f.Get("token")
	if tok == "" {
		p.writeOAuthError(w, oerr(http.StatusBadRequest, "invalid_request", "Missing required parameter: token"))
		return
	}
	_, err = p.st.pool.Exec(r.Context(), `UPDATE `+p.st.t("refresh_tokens")+` SET revoked = true WHERE family IN (SELECT family FROM `+
		p.st.t("refresh_tokens")+` WHERE token_hash = $1 AND client_id = $2)`, hashToken(tok), c.ClientID)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// discovery is the OpenID Provider metadata, shaped like Auth0's.
func (p *IdP) discovery(w http.ResponseWriter, r *http.Request) {
	iss := p.cfg.Issuer
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "authorize",
		"token_endpoint":                        iss + "oauth/token",
		"device_authorization_endpoint":         iss + "oauth/device/code",
		"userinfo_endpoint":                     iss + "userinfo",
		"jwks_uri":                              iss + ".well-known/jwks.json",
		"revocation_endpoint":                   iss + "oauth/revoke",
		"end_session_endpoint":                  iss + "oidc/logout",
		"scopes_supported":                      []string{"openid", "profile", "offline_access", "name", "given_name", "family_name", "nickname", "email", "email_verified", "picture", "created_at"},
		"response_types_supported":              []string{"code", "id_token"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "client_credentials", "password", grantPasswordRealm, grantDeviceCode},
		"code_challenge_methods_supported":      []string{"S256"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"claims_supported":                      []string{"aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name", "given_name", "iat", "identities", "iss", "name", "nickname", "picture", "sub", "updated_at"},
		"request_uri_parameter_supported":       false,
		"request_parameter_supported":           false,
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=15")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(doc)
}

// jwksHandler publishes the signing keys (next, current and not yet
// retired previous ones) with a max-age so verifiers refresh in time to
// see the next key before it signs.
func (p *IdP) jwksHandler(w http.ResponseWriter, r *http.Request) {
	set, err := p.keys.jwks(r.Context())
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=15, stale-while-revalidate=15, stale-if-error=86400")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(set)
}

// userinfo is GET|POST /userinfo: the profile of the access token's user.
// The token must name <issuer>userinfo in its audience (openid asked).
func (p *IdP) userinfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Headers", "Authorization")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && r.Method == http.MethodPost {
		_ = r.ParseForm()
		tok, ok = r.PostForm.Get("access_token"), r.PostForm.Get("access_token") != ""
	}
	fail := func() {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("Unauthorized"))
	}
	if !ok || tok == "" {
		fail()
		return
	}
	claims, err := p.keys.verify(r.Context(), tok)
	if err != nil || claims["iss"] != p.cfg.Issuer || !audHas(claims["aud"], p.cfg.Issuer+"userinfo") {
		fail()
		return
	}
	sub, _ := claims["sub"].(string)
	u, err := p.st.user(r.Context(), sub)
	if err != nil || u.Blocked {
		fail()
		return
	}
	sc, _ := claims["scope"].(string)
	out := profileClaims(u, strings.Fields(sc))
	out["sub"] = u.UserID
	writeJSON(w, http.StatusOK, out)
}
