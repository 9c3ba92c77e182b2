// Package auth authenticates requests the way the Hasura GraphQL Engine v2
// does: admin secret (one or a list), JWT (HASURA_GRAPHQL_JWT_SECRET(S),
// static keys or JWKS URLs, plus in-process issuers), auth webhook, and the
// unauthorized role. It turns a request into a session.Session or an
// *apierr.Error carrying Hasura's code, message and HTTP status.
package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/postgate/postgate/internal/session"
)

// userAgent is sent to JWKS endpoints and auth webhooks.
const userAgent = "postgate"

// Config holds the authentication settings as given in Hasura's variables.
// Its fields match config.Auth, so one converts to the other.
type Config struct {
	AdminSecret             string // HASURA_GRAPHQL_ADMIN_SECRET
	AdminSecrets            string // HASURA_GRAPHQL_ADMIN_SECRETS: JSON list of strings
	JWTSecret               string // HASURA_GRAPHQL_JWT_SECRET: JSON object
	JWTSecrets              string // HASURA_GRAPHQL_JWT_SECRETS: JSON list; wins over JWTSecret
	AuthHook                string // HASURA_GRAPHQL_AUTH_HOOK: webhook URL
	AuthHookMode            string // HASURA_GRAPHQL_AUTH_HOOK_MODE: GET (default) or POST
	AuthHookSendRequestBody bool   // HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY (POST mode)
	UnauthorizedRole        string // HASURA_GRAPHQL_UNAUTHORIZED_ROLE
}

// LocalIssuer is an issuer running in the same process (the built-in
// identity provider). Its tokens are verified exactly like a jwk_url
// secret's, with keys read from Keys instead of over HTTP.
type LocalIssuer struct {
	Issuer string    // required "iss"
	Keys   KeySource // current signing keys
	// Audiences returns the accepted audiences at request time; nil
	// function or nil result means no audience check.
	Audiences func(ctx context.Context) ([]string, error)
	// ClaimsNamespace defaults to DefaultClaimsNamespace.
	ClaimsNamespace string
}

// Option customises an Authenticator.
type Option func(*options)

type options struct {
	client       *http.Client
	now          func() time.Time
	log          *slog.Logger
	locals       []LocalIssuer
	hookTimeout  time.Duration
	hookCacheMax int
	refetchGap   time.Duration
	defaultTTL   time.Duration
	retryAfter   time.Duration
	startupWait  time.Duration
	tokenCache   int
}

// WithHTTPClient sets the client used for JWKS fetches and the webhook.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock used for token and cache expiry.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets where key fetch and webhook failures are logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithLocalIssuer trusts tokens of an in-process issuer (JWT mode).
func WithLocalIssuer(li LocalIssuer) Option {
	return func(o *options) { o.locals = append(o.locals, li) }
}

// WithHookTimeout bounds each auth webhook call (default 10s).
func WithHookTimeout(d time.Duration) Option { return func(o *options) { o.hookTimeout = d } }

// WithHookCacheSize bounds the number of cached webhook answers (default 10000).
func WithHookCacheSize(n int) Option { return func(o *options) { o.hookCacheMax = n } }

// WithKeyRefetchInterval sets the least time between two key set loads
// caused by tokens naming unknown key ids (default 10s).
func WithKeyRefetchInterval(d time.Duration) Option {
	return func(o *options) { o.refetchGap = d }
}

// WithTokenCacheSize bounds how many verified tokens are remembered so
// that reused tokens skip signature checks (default 10000; 0 disables).
func WithTokenCacheSize(n int) Option { return func(o *options) { o.tokenCache = n } }

// WithStartupWait bounds how long New waits for the first JWKS fetches
// (default 5s). Fetches that fail or take longer do not stop start-up.
func WithStartupWait(d time.Duration) Option { return func(o *options) { o.startupWait = d } }

type mode int

const (
	modeNone mode = iota
	modeAdminSecret
	modeJWT
	modeHook
)

// Authenticator turns requests into sessions. It is safe for concurrent use.
type Authenticator struct {
	mode             mode
	secrets          [][32]byte // SHA-256 digests of the admin secrets
	unauthorizedRole string
	verifiers        []*verifier
	hook             *webhook
	jwtInfo          []JWTInfo
}

const (
	envJWTSecret  = "HASURA_GRAPHQL_JWT_SECRET"
	envJWTSecrets = "HASURA_GRAPHQL_JWT_SECRETS"
	requiresAdmin = " requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or " +
		" --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set"
)

// New validates c with Hasura's start-up rules and builds the
// Authenticator. JWKS URLs are fetched once before it returns (bounded by
// WithStartupWait); a failed fetch is logged and retried, never fatal.
// Errors are *ConfigError.
func New(c Config, opts ...Option) (*Authenticator, error) {
	o := options{
		now:          time.Now,
		log:          slog.Default(),
		hookTimeout:  10 * time.Second,
		hookCacheMax: 10000,
		refetchGap:   10 * time.Second,
		defaultTTL:   time.Minute,
		retryAfter:   5 * time.Second,
		startupWait:  5 * time.Second,
		tokenCache:   10000,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: 10 * time.Second}
	}
	a := &Authenticator{unauthorizedRole: c.UnauthorizedRole}

	secrets, err := adminSecrets(c)
	if err != nil {
		return nil, err
	}
	for _, s := range secrets {
		a.secrets = append(a.secrets, digest(s))
	}
	specs, err := jwtSpecs(c)
	if err != nil {
		return nil, err
	}

	hasAdmin, hasHook := len(a.secrets) > 0, c.AuthHook != ""
	hasJWT := len(specs) > 0 || len(o.locals) > 0
	switch {
	case hasAdmin && !hasHook && !hasJWT:
		a.mode = modeAdminSecret
	case hasAdmin && !hasHook && hasJWT:
		a.mode = modeJWT
	case c.UnauthorizedRole != "":
		return nil, configErrorf("Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)" + requiresAdmin +
			" and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set")
	case !hasAdmin && !hasHook && !hasJWT:
		a.mode = modeNone
	case hasHook && hasJWT:
		return nil, configErrorf("Fatal Error: Both webhook and JWT mode cannot be enabled at the same time")
	case hasAdmin && hasHook:
		a.mode = modeHook
	case hasHook:
		return nil, configErrorf("Fatal Error : --auth-hook (HASURA_GRAPHQL_AUTH_HOOK)" + requiresAdmin)
	default:
		return nil, configErrorf("Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET)" + requiresAdmin)
	}

	if a.mode == modeHook {
		if a.hook, err = newWebhook(c, o); err != nil {
			return nil, err
		}
	}
	var caches []*keyCache
	byURL := map[string]*keyCache{} // secrets sharing a JWKS share its cache
	for _, s := range specs {
		v := &verifier{spec: s, now: o.now, verified: newSigCache(o.tokenCache)}
		switch kc, ok := byURL[s.jwkURL]; {
		case s.key != nil:
			v.store = staticStore{key: *s.key}
		case ok:
			v.store = kc
		default:
			kc = o.newKeyCache(fetchJWKS(o.client, s.jwkURL, o.now), s.jwkURL)
			byURL[s.jwkURL] = kc
			caches = append(caches, kc)
			v.store = kc
		}
		a.verifiers = append(a.verifiers, v)
		a.jwtInfo = append(a.jwtInfo, s.info())
	}
	for _, li := range o.locals {
		if li.Issuer == "" || li.Keys == nil {
			return nil, configErrorf("a local issuer needs an issuer and a key source")
		}
		s := &jwtSpec{
			issuer: li.Issuer, hasIssuer: true,
			claims: claimsSpec{namespace: li.ClaimsNamespace, format: FormatJSON},
		}
		if s.claims.namespace == "" {
			s.claims.namespace = DefaultClaimsNamespace
		}
		kc := o.newKeyCache(fetchKeySource(li.Keys, 30*time.Second, o.now), li.Issuer)
		kc.refetchGap = time.Second
		caches = append(caches, kc)
		a.verifiers = append(a.verifiers, &verifier{spec: s, store: kc, now: o.now, audiences: li.Audiences, verified: newSigCache(o.tokenCache)})
		a.jwtInfo = append(a.jwtInfo, s.info())
	}
	warmUp(caches, o.startupWait)
	return a, nil
}

func (o options) newKeyCache(fetch fetchFunc, source string) *keyCache {
	log := o.log
	return &keyCache{
		fetch: fetch, now: o.now,
		defaultTTL: o.defaultTTL, retryAfter: o.retryAfter, refetchGap: o.refetchGap,
		onError: func(err error) {
			log.Warn("could not load JWT verification keys; retrying", "source", source, "error", err.Error())
		},
	}
}

// warmUp loads every key cache in parallel, waiting at most wait.
func warmUp(caches []*keyCache, wait time.Duration) {
	if len(caches) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, kc := range caches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kc.refresh(context.Background())
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
	}
}

func adminSecrets(c Config) ([]string, error) {
	var out []string
	if c.AdminSecret != "" {
		out = append(out, c.AdminSecret)
	}
	if strings.TrimSpace(c.AdminSecrets) != "" {
		var list []string
		if err := json.Unmarshal([]byte(c.AdminSecrets), &list); err != nil {
			return nil, configErrorf("HASURA_GRAPHQL_ADMIN_SECRETS: expected a JSON list of strings")
		}
		for _, s := range list {
			if s == "" {
				return nil, configErrorf("HASURA_GRAPHQL_ADMIN_SECRETS: secrets cannot be empty")
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// jwtSpecs parses HASURA_GRAPHQL_JWT_SECRETS, or else HASURA_GRAPHQL_JWT_SECRET.
func jwtSpecs(c Config) ([]*jwtSpec, error) {
	if strings.TrimSpace(c.JWTSecrets) != "" {
		var list []json.RawMessage
		if !json.Valid([]byte(c.JWTSecrets)) {
			return nil, configErrorf(envJWTSecrets + ": Error in $: Failed reading: not a valid json value")
		}
		if err := json.Unmarshal([]byte(c.JWTSecrets), &list); err != nil {
			return nil, configErrorf(envJWTSecrets + ": Error in $: parsing [] failed, expected Array, but encountered " + jsonKind([]byte(c.JWTSecrets)))
		}
		var specs []*jwtSpec
		for i, raw := range list {
			s, err := parseJWTSecret(raw, fmt.Sprintf("$[%d]", i))
			if err != nil {
				return nil, configErrorf(envJWTSecrets + ": " + err.Error())
			}
			specs = append(specs, s)
		}
		return specs, nil
	}
	if strings.TrimSpace(c.JWTSecret) == "" {
		return nil, nil
	}
	s, err := parseJWTSecret([]byte(c.JWTSecret), "$")
	if err != nil {
		return nil, configErrorf(envJWTSecret + ": " + err.Error())
	}
	return []*jwtSpec{s}, nil
}

// Result is the outcome of authenticating one request.
type Result struct {
	Session session.Session
	// SetCookie holds the Set-Cookie values an auth webhook returned; the
	// server forwards them to the client as Hasura does.
	SetCookie []string
}

// Authenticate returns the session of r. body is the raw request body
// (the GraphQL request sent to a POST webhook); pass nil when the endpoint
// is not a GraphQL one. Errors are *apierr.Error.
func (a *Authenticator) Authenticate(r *http.Request, body []byte) (session.Session, error) {
	res, err := a.Resolve(r, body)
	return res.Session, err
}

// AuthenticateHeaders authenticates a request known only by its headers,
// such as a WebSocket connection_init (its payload headers merged over the
// handshake's). Header names may be in any case.
func (a *Authenticator) AuthenticateHeaders(ctx context.Context, h http.Header) (session.Session, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/v1/graphql", nil)
	if err != nil {
		return session.Session{}, unexpected("could not build the request")
	}
	for name, vals := range h {
		for _, v := range vals {
			r.Header.Add(name, v)
		}
	}
	return a.Authenticate(r, nil)
}

// Resolve is Authenticate plus the headers the server must add to its
// response.
func (a *Authenticator) Resolve(r *http.Request, body []byte) (Result, error) {
	if a.mode == modeNone {
		s, err := headerSession(r, session.AdminRole, true)
		return Result{Session: s}, err
	}
	if secret, ok := requestAdminSecret(r); ok {
		if !a.secretMatches(secret) {
			return Result{}, unauthorized(msgInvalidAdminSecret)
		}
		s, err := headerSession(r, session.AdminRole, true)
		return Result{Session: s}, err
	}
	switch a.mode {
	case modeJWT:
		s, err := a.authenticateJWT(r)
		return Result{Session: s}, err
	case modeHook:
		return a.hook.authenticate(r, body)
	}
	if a.unauthorizedRole != "" {
		return Result{Session: a.unauthorizedSession(r)}, nil
	}
	return Result{}, unauthorized(msgAdminSecretRequired)
}

// unauthorizedSession is the session of a request without credentials:
// the unauthorized role with the request's x-hasura-* headers, as Hasura
// builds it.
func (a *Authenticator) unauthorizedSession(r *http.Request) session.Session {
	s, _ := headerSession(r, a.unauthorizedRole, false)
	s.Role = a.unauthorizedRole
	s.Vars["x-hasura-role"] = a.unauthorizedRole
	return s
}

// Info is what /v1alpha1/config reports about authentication.
type Info struct {
	IsAdminSecretSet bool      `json:"is_admin_secret_set"`
	IsAuthHookSet    bool      `json:"is_auth_hook_set"`
	IsJWTSet         bool      `json:"is_jwt_set"`
	JWT              []JWTInfo `json:"jwt"`
}

// JWTInfo describes one JWT secret's claims settings.
type JWTInfo struct {
	ClaimsNamespace string          `json:"claims_namespace"`
	ClaimsFormat    string          `json:"claims_format"`
	ClaimsMap       json.RawMessage `json:"claims_map,omitempty"`
}

func (s *jwtSpec) info() JWTInfo {
	ji := JWTInfo{ClaimsNamespace: s.claims.namespace, ClaimsFormat: s.claims.format, ClaimsMap: s.claims.rawMap}
	if s.claims.path != nil {
		ji.ClaimsNamespace = s.claims.path.String()
	}
	return ji
}

// Info reports the configured authentication modes.
func (a *Authenticator) Info() Info {
	jwt := a.jwtInfo
	if jwt == nil {
		jwt = []JWTInfo{}
	}
	return Info{
		IsAdminSecretSet: a.mode != modeNone,
		IsAuthHookSet:    a.mode == modeHook,
		IsJWTSet:         a.mode == modeJWT,
		JWT:              jwt,
	}
}

func validHookURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
