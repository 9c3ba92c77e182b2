package idp

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The provider library (zitadel/oidc's op) serves /authorize, its login
// callback and /userinfo. opStorage is its view of our tables. The token
// endpoint, discovery, JWKS, logout and device flow are ours (tokens.go):
// op puts access-token audiences into ID tokens, cannot drop its own
// registered claims, has no password grants and no audience parameter for
// client credentials, and answers errors with other statuses than Auth0.
type opStorage struct {
	p *IdP
}

var _ op.Storage = (*opStorage)(nil)

// authRequest is a pending /authorize request, stored as JSON.
type authRequest struct {
	ID                  string     `json:"id"`
	ClientID            string     `json:"client_id"`
	RedirectURI         string     `json:"redirect_uri"`
	State               string     `json:"state"`
	Nonce               string     `json:"nonce"`
	ResponseType        string     `json:"response_type"`
	ResponseMode        string     `json:"response_mode"`
	Scopes              []string   `json:"scopes"`
	Audience            string     `json:"audience"`
	CodeChallenge       string     `json:"code_challenge"`
	CodeChallengeMethod string     `json:"code_challenge_method"`
	Prompt              []string   `json:"prompt"`
	MaxAge              *uint      `json:"max_age"`
	LoginHint           string     `json:"login_hint"`
	HintSubject         string     `json:"hint_subject"` // sub of a valid id_token_hint
	Query               url_values `json:"query"`

	// Set when the user has signed in.
	UserID    string           `json:"-"`
	SessionID string           `json:"-"`
	AuthTime  time.Time        `json:"-"`
	IsDone    bool             `json:"-"`
	Claims    *PostLoginResult `json:"-"`
}

// url_values keeps the original authorize query for Actions' event.request.
type url_values = map[string]string

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return "" }
func (a *authRequest) GetAMR() []string       { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetNonce() string       { return a.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.RedirectURI }
func (a *authRequest) GetScopes() []string    { return a.Scopes }
func (a *authRequest) GetState() string       { return a.State }
func (a *authRequest) GetSubject() string     { return a.UserID }
func (a *authRequest) Done() bool             { return a.IsDone }
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.ResponseMode)
}
func (a *authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.ResponseType)
}
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}

type ctxKey int

const ctxAuthorizeQuery ctxKey = iota

func (s *opStorage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	c, err := s.p.st.client(ctx, r.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("Unknown client.")
	}
	codeFlow := r.ResponseType == oidc.ResponseTypeCode
	if codeFlow && c.public() && r.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge is required for public clients (PKCE)")
	}
	if r.CodeChallenge != "" && r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if codeFlow && !contains(c.GrantTypes, "authorization_code") {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("Grant type 'authorization_code' not allowed for the client.")
	}
	q, _ := ctx.Value(ctxAuthorizeQuery).(map[string]string)
	ar := &authRequest{
		ID: randomID(18), ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		ResponseType: string(r.ResponseType), ResponseMode: string(r.ResponseMode), Scopes: r.Scopes,
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: string(r.CodeChallengeMethod), Prompt: r.Prompt,
		MaxAge: r.MaxAge, LoginHint: r.LoginHint, Query: q, HintSubject: hintSubject,
	}
	if q != nil {
		ar.Audience = q["audience"]
	}
	ar.Audience = s.p.defaultAudience(ctx, ar.Audience)
	if ar.Audience == s.p.mgmtAudience() {
		return nil, oidc.ErrAccessDenied().WithDescription("The Management API accepts machine-to-machine tokens only.")
	}
	if ar.Audience != "" {
		if _, err := s.p.st.resourceServer(ctx, ar.Audience); err != nil {
			return nil, oidc.ErrAccessDenied().WithDescription("Service not found: %s", ar.Audience)
		}
	}
	if err := s.p.saveAuthRequest(ctx, ar, true); err != nil {
		return nil, err
	}
	if ar.ID[0] == 'A' { // about one request in 64 sweeps expired rows
		go func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s.p.st.sweep(sctx, s.p.cfg.Now())
		}()
	}
	return ar, nil
}

func (s *opStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	ar, err := s.p.authRequest(ctx, id)
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request")
	}
	return ar, nil
}

func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	return nil, errors.New("codes are exchanged by the token endpoint")
}

func (s *opStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	// One code per authorization: a second callback for the same request
	// gets nothing.
	tag, err := s.p.st.pool.Exec(ctx, `UPDATE `+s.p.st.t("auth_requests")+` SET code = $2, expires_at = $3 WHERE id = $1 AND code IS NULL`,
		id, hashToken(code), s.p.cfg.Now().Add(5*time.Minute))
	if err == nil && tag.RowsAffected() == 0 {
		return oidc.ErrInvalidRequest().WithDescription("The authorization request was already used.")
	}
	return err
}

func (s *opStorage) DeleteAuthRequest(ctx context.Context, id string) error { return nil }

func (s *opStorage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errors.New("tokens are issued by the token endpoint")
}

func (s *opStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("tokens are issued by the token endpoint")
}

func (s *opStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *opStorage) TerminateSession(ctx context.Context, userID, clientID string) error { return nil }

func (s *opStorage) RevokeToken(ctx context.Context, token, userID, clientID string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}

func (s *opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type opKey struct{ k signingKey }

func (k opKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k opKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k opKey) Use() string                                 { return "sig" }
func (k opKey) ID() string                                  { return k.k.KID }

// Key returns the private key when signing and the public key in key sets.
func (k opKey) Key() any { return k.k.priv }

type opPublicKey struct{ opKey }

func (k opPublicKey) Key() any { return &k.k.priv.PublicKey }

func (s *opStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.p.keys.current(ctx)
	if err != nil {
		return nil, err
	}
	return opKey{k}, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.p.keys.all(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, opPublicKey{opKey{k}})
	}
	return out, nil
}

func (s *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.st.client(ctx, id)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("Unknown client.")
	}
	return &opClient{c: c, p: s.p}, nil
}

func (s *opStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := s.p.authenticateClient(ctx, id, secret)
	return err
}

// SetUserinfoFromScopes fills the claims of ID tokens the provider
// library issues itself (response_type=id_token).
func (s *opStorage) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, _ string, scopes []string) error {
	u, err := s.p.st.user(ctx, userID)
	if err != nil {
		return err
	}
	for k, v := range profileClaims(u, scopes) {
		info.AppendClaims(k, v)
	}
	info.Subject = u.UserID
	return nil
}

var _ op.CanSetUserinfoFromRequest = (*opStorage)(nil)

// SetUserinfoFromRequest adds the ID token claims set by post-login
// Actions to ID tokens the provider library issues itself.
func (s *opStorage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, _ []string) error {
	ar, ok := req.(*authRequest)
	if !ok || ar.Claims == nil {
		return nil
	}
	for k, v := range ar.Claims.IDTokenClaims {
		if !reservedClaims[k] {
			info.AppendClaims(k, v)
		}
	}
	if ar.SessionID != "" {
		info.AppendClaims("sid", ar.SessionID)
	}
	return nil
}

// SetUserinfoFromToken answers /userinfo for the access token's subject.
func (s *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	u, err := s.p.st.user(ctx, subject)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("Unauthorized")
	}
	if u.Blocked {
		return oidc.ErrAccessDenied().WithDescription("user is blocked")
	}
	for k, v := range profileClaims(u, []string{"openid", "profile", "email"}) {
		info.AppendClaims(k, v)
	}
	info.Subject = u.UserID
	return nil
}

func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not supported")
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt is not supported")
}

func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile grant is not supported")
}

func (s *opStorage) Health(ctx context.Context) error { return s.p.st.pool.Ping(ctx) }

// opClient is an application as the provider library sees it.
type opClient struct {
	c *Client
	p *IdP
}

func (c *opClient) GetID() string                    { return c.c.ClientID }
func (c *opClient) RedirectURIs() []string           { return c.c.Callbacks }
func (c *opClient) PostLogoutRedirectURIs() []string { return c.c.AllowedLogoutURLs }
func (c *opClient) ApplicationType() op.ApplicationType {
	switch c.c.AppType {
	case "spa":
		return op.ApplicationTypeUserAgent
	case "native":
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}
func (c *opClient) AuthMethod() oidc.AuthMethod {
	switch c.c.TokenEndpointAuthMethod {
	case "none":
		return oidc.AuthMethodNone
	case "client_secret_basic":
		return oidc.AuthMethodBasic
	}
	return oidc.AuthMethodPost
}

// ResponseTypes is code, plus id_token (implicit, as regular web apps'
// form_post sign-in uses) when the application allows "implicit".
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	if contains(c.c.GrantTypes, "implicit") {
		return []oidc.ResponseType{oidc.ResponseTypeCode, oidc.ResponseTypeIDTokenOnly}
	}
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.c.GrantTypes))
	for _, g := range c.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}
func (c *opClient) LoginURL(id string) string           { return c.p.cfg.Issuer + "login?state=" + id }
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *opClient) IDTokenLifetime() time.Duration      { return c.p.cfg.IDTokenTTL }

// DevMode lets registered http:// callbacks through (Auth0 accepts them);
// redirect URIs still match exactly.
func (c *opClient) DevMode() bool { return true }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) IsScopeAllowed(string) bool           { return true }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *opClient) ClockSkew() time.Duration             { return 0 }

// saveAuthRequest stores ar (insert or update of the sign-in result).
func (p *IdP) saveAuthRequest(ctx context.Context, ar *authRequest, insert bool) error {
	if insert {
		b, _ := json.Marshal(ar)
		_, err := p.st.pool.Exec(ctx, `INSERT INTO `+p.st.t("auth_requests")+` (id, client_id, request, expires_at) VALUES ($1,$2,$3,$4)`,
			ar.ID, ar.ClientID, b, p.cfg.Now().Add(time.Hour))
		return err
	}
	var claims []byte
	if ar.Claims != nil {
		claims, _ = json.Marshal(ar.Claims)
	}
	_, err := p.st.pool.Exec(ctx, `UPDATE `+p.st.t("auth_requests")+` SET user_id=$2, session_id=$3, auth_time=$4, done=$5, claims=$6 WHERE id=$1`,
		ar.ID, ar.UserID, ar.SessionID, ar.AuthTime, ar.IsDone, claims)
	return err
}

const authReqCols = `request, coalesce(user_id,''), coalesce(session_id,''), auth_time, done, claims`

func scanAuthRequest(row pgx.Row) (*authRequest, error) {
	var b, claims []byte
	var at *time.Time
	ar := &authRequest{}
	var uid, sid string
	var done bool
	if err := row.Scan(&b, &uid, &sid, &at, &done, &claims); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, err
	}
	if err := json.Unmarshal(b, ar); err != nil {
		return nil, err
	}
	ar.UserID, ar.SessionID, ar.IsDone = uid, sid, done
	if at != nil {
		ar.AuthTime = *at
	}
	if claims != nil {
		ar.Claims = &PostLoginResult{}
		_ = json.Unmarshal(claims, ar.Claims)
	}
	return ar, nil
}

func (p *IdP) authRequest(ctx context.Context, id string) (*authRequest, error) {
	return scanAuthRequest(p.st.pool.QueryRow(ctx, `SELECT `+authReqCols+` FROM `+p.st.t("auth_requests")+
		` WHERE id = $1 AND expires_at > $2`, id, p.cfg.Now()))
}

// redeemCode marks a code used and returns its request. A code seen a
// second time is refused and the tokens it produced are revoked.
func (p *IdP) redeemCode(ctx context.Context, code string) (*authRequest, error) {
	h := hashToken(code)
	ar, err := scanAuthRequest(p.st.pool.QueryRow(ctx, `UPDATE `+p.st.t("auth_requests")+` SET code_used = true
 WHERE code = $1 AND NOT code_used AND done AND expires_at > $2 RETURNING `+authReqCols, h, p.cfg.Now()))
	if errors.Is(err, errNotFound) {
		var id string
		if p.st.pool.QueryRow(ctx, `SELECT id FROM `+p.st.t("auth_requests")+` WHERE code = $1 AND code_used`, h).Scan(&id) == nil {
			_, _ = p.st.pool.Exec(ctx, `UPDATE `+p.st.t("refresh_tokens")+` SET revoked = true WHERE family = $1`, id)
		}
	}
	return ar, err
}
