package idp

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// IdP is the running identity provider.
type IdP struct {
	cfg        Config
	st         *store
	keys       *keyring
	op         http.Handler
	path       string // where Handler is mounted: the issuer's path, or /auth/ for an issuer at "/"
	cookiePath string // the issuer's path as browsers see it
	// dummyHash is checked for unknown users so that their logins cost as
	// much as real ones.
	dummyHash string

	audMu     sync.Mutex
	audCache  []string
	audLoaded time.Time
}

// New creates or migrates the schema, makes sure signing keys exist and
// builds the provider.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*IdP, error) {
	cfg = cfg.withDefaults()
	if len(cfg.SecretKey) == 0 {
		return nil, fmt.Errorf("%w: a secret key is required", ErrConfig)
	}
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Host == "" || !strings.HasSuffix(cfg.Issuer, "/") {
		return nil, fmt.Errorf("%w: issuer %q must be an absolute URL ending in /", ErrConfig, cfg.Issuer)
	}
	st, err := migrate(ctx, pool, cfg.Schema)
	if err != nil {
		return nil, err
	}
	p := &IdP{cfg: cfg, st: st, path: u.Path, cookiePath: u.Path, dummyHash: hashPassword(cfg.Password, randomID(12))}
	if p.path == "" || p.path == "/" {
		// An issuer at the root of its host (a domain of its own behind a
		// proxy) is served from /auth/ so that it never hides the engine.
		p.path, p.cookiePath = "/auth/", "/"
	}
	p.keys = newKeyring(st, cfg.encryptionKey(), cfg.Now, cfg.newKey)
	if err := p.keys.ensure(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if err := p.ensureManagementAPI(ctx); err != nil {
		return nil, err
	}
	opCfg := &op.Config{
		CryptoKey:      sha256.Sum256(append([]byte("postgate-auth-codes:"), cfg.SecretKey...)),
		CodeMethodS256: true,
		AuthMethodPost: true,
	}
	provider, err := op.NewProvider(opCfg, &opStorage{p: p}, op.StaticIssuer(cfg.Issuer),
		op.WithAllowInsecure(),
		op.WithCustomAuthEndpoint(op.NewEndpoint("authorize")),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	p.op = provider
	return p, nil
}

// Issuer returns the issuer URL (with its trailing slash).
func (p *IdP) Issuer() string { return p.cfg.Issuer }

// Path returns where Handler is mounted: the issuer's URL path, or /auth/
// when the issuer is at the root of its host (a proxy maps it there).
func (p *IdP) Path() string { return p.path }

// KeySet returns the published public keys (auth.KeySource): the engine
// reads them in-process.
func (p *IdP) KeySet(ctx context.Context) (jwk.Set, error) { return p.keys.KeySet(ctx) }

// Audiences returns the identifiers of the APIs (the access token
// audiences the engine accepts), cached for a few seconds.
func (p *IdP) Audiences(ctx context.Context) ([]string, error) {
	p.audMu.Lock()
	defer p.audMu.Unlock()
	if !p.audLoaded.IsZero() && p.cfg.Now().Sub(p.audLoaded) < 2*time.Second {
		return p.audCache, nil
	}
	rss, err := p.st.resourceServers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rss))
	for _, r := range rss {
		if r.Identifier != p.mgmtAudience() {
			out = append(out, r.Identifier)
		}
	}
	p.audCache, p.audLoaded = out, p.cfg.Now()
	return out, nil
}

func (p *IdP) invalidateAudiences() {
	p.audMu.Lock()
	p.audLoaded = time.Time{}
	p.audMu.Unlock()
}

// mgmtAudience is the Management API's audience.
func (p *IdP) mgmtAudience() string { return p.cfg.Issuer + "api/v2/" }

// ensureManagementAPI registers the Management API as a system API so
// machine-to-machine applications can be granted access to it.
func (p *IdP) ensureManagementAPI(ctx context.Context) error {
	var scopes []Scope
	for _, res := range []string{"clients", "client_grants", "resource_servers", "users", "roles", "signing_keys", "tenant_settings", "actions"} {
		for _, verb := range []string{"read", "create", "update", "delete"} {
			scopes = append(scopes, Scope{Value: verb + ":" + res})
		}
	}
	if rs, err := p.st.resourceServer(ctx, p.mgmtAudience()); err == nil {
		rs.Scopes = scopes // this version's scopes
		return p.st.saveRS(ctx, rs, false)
	}
	err := p.st.saveRS(ctx, &ResourceServer{ID: randomID(12), Identifier: p.mgmtAudience(), Name: "Postgate Management API",
		SigningAlg: "RS256", TokenLifetime: 86400, TokenLifetimeForWeb: 7200, TokenDialect: "access_token", Scopes: scopes}, true)
	if err != nil {
		// Another instance may have created it at the same time.
		if _, err2 := p.st.resourceServer(ctx, p.mgmtAudience()); err2 == nil {
			return nil
		}
	}
	return err
}

// Handler serves every endpoint below the issuer path. Mount it at Path().
func (p *IdP) Handler() http.Handler {
	mux := http.NewServeMux()
	opH := http.StripPrefix(strings.TrimSuffix(p.path, "/"), p.op)
	pre := p.path
	mux.HandleFunc("GET "+pre+".well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET "+pre+".well-known/jwks.json", p.jwksHandler)
	mux.Handle(pre+"authorize", p.withAuthorizeQuery(opH))
	mux.Handle(pre+"authorize/", p.sameBrowser(opH))
	mux.HandleFunc(pre+"userinfo", p.userinfo)
	mux.HandleFunc(pre+"oauth/token", p.cors(http.MethodPost, p.token))
	mux.HandleFunc(pre+"oauth/revoke", p.cors(http.MethodPost, p.revoke))
	mux.HandleFunc(pre+"oauth/device/code", p.cors(http.MethodPost, p.deviceCode))
	mux.HandleFunc(pre+"dbconnections/signup", p.cors(http.MethodPost, p.dbSignup))
	mux.HandleFunc(pre+"dbconnections/change_password", p.cors(http.MethodPost, p.dbChangePassword))
	mux.HandleFunc(pre+"activate", p.activate)
	mux.HandleFunc(pre+"login", p.login)
	mux.HandleFunc(pre+"signup", p.signup)
	mux.HandleFunc(pre+"reset", p.reset)
	mux.HandleFunc(pre+"reset/confirm", p.resetConfirm)
	mux.HandleFunc("GET "+pre+"v2/logout", p.logoutV2)
	mux.HandleFunc(pre+"oidc/logout", p.logoutOIDC)
	mux.Handle(pre+"api/v2/", http.StripPrefix(strings.TrimSuffix(pre, "/")+"/api/v2", p.checkMgmtInput(p.management())))
	return securityHeaders(p.withClientIP(mux))
}

// securityHeaders keeps the provider's pages out of frames and caches.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		h.ServeHTTP(w, r)
	})
}

// withAuthorizeQuery hands the raw /authorize query (audience, and the
// rest for Actions' event.request.query) to CreateAuthRequest.
func (p *IdP) withAuthorizeQuery(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := map[string]string{}
		for k, v := range r.Form {
			if len(v) > 0 && k != "code_verifier" {
				q[k] = v[0]
			}
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxAuthorizeQuery, q)))
	})
}

// RotateSigningKey rotates the signing keys (see keys/signing/rotate).
func (p *IdP) RotateSigningKey(ctx context.Context) error {
	return p.keys.rotate(ctx, p.st.maxTokenLifetime(ctx, p.cfg.IDTokenTTL))
}

// sameBrowser lets the login callback through only for the browser whose
// session completed the authorization request.
func (p *IdP) sameBrowser(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ar, err := p.authRequest(r.Context(), r.URL.Query().Get("id"))
		if err == nil && ar.IsDone {
			if sid, _, _ := p.session(r); sid == "" || sid != ar.SessionID {
				p.message(w, r, http.StatusForbidden, "Log in", "This login was completed in another browser. Go back to the application and try again.")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
