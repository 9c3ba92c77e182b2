package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/postgate/postgate/internal/auth"
	"github.com/postgate/postgate/internal/idp"
	"github.com/postgate/postgate/internal/idp/actions"
	"github.com/postgate/postgate/internal/idp/debugger"
	"github.com/postgate/postgate/internal/logging"
)

// buildIdP starts the built-in identity provider when
// POSTGATE_AUTH_ENABLED=true (or --demo): it mounts it at its issuer path
// and, unless HASURA_GRAPHQL_JWT_SECRET(S) is set, returns the option that
// makes the engine trust it in-process (JWT mode).
func (a *App) buildIdP(ctx context.Context) ([]auth.Option, error) {
	cfg := a.Config
	if !cfg.Demo && !idp.Enabled(cfg.IdP) {
		return nil, nil
	}
	if cfg.Demo && cfg.Auth.AdminSecret == "" && cfg.Auth.AdminSecrets == "" {
		s, err := demoAdminSecret(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		cfg.Auth.AdminSecret = s
		logging.Startup(a.Logger, "demo", map[string]any{"message": "demo mode: generated admin secret (kept in the data directory)",
			"admin_secret": s})
		fmt.Fprintf(os.Stderr, "postgate demo: admin secret %s\n", s)
	}
	secrets, err := adminSecrets(cfg.Auth.AdminSecret, cfg.Auth.AdminSecrets)
	if err != nil {
		return nil, err
	}
	if len(secrets) == 0 {
		return nil, errors.New("POSTGATE_AUTH_ENABLED=true requires an admin secret (HASURA_GRAPHQL_ADMIN_SECRET): " +
			"it authorises the identity provider's Management API")
	}
	dataDir := ""
	if cfg.Demo {
		dataDir = cfg.DataDir
	}
	icfg, err := idp.ConfigFromEnv(cfg.IdP, cfg.Port, dataDir)
	if err != nil {
		return nil, err
	}
	icfg.AdminSecret = idp.AdminSecretChecker(secrets...)
	icfg.Logger = a.Logger

	// Actions (post-login, credentials exchange, registration) and their
	// Management API routes.
	ast, err := actions.OpenStore(ctx, a.MetadataPool, icfg.Schema, actions.WithSecretKey(icfg.SecretKey))
	if err != nil {
		return nil, fmt.Errorf("identity provider actions: %w", err)
	}
	acfg, err := actions.ConfigFromEnv(cfg.IdP)
	if err != nil {
		return nil, err
	}
	acfg.Logger = a.Logger
	rt := actions.New(acfg)
	flows := &actions.Flows{Store: ast, Runtime: rt}
	icfg.Hooks = flows.Hooks()
	icfg.ActionsAPI = actions.NewHandler(ast, rt, actions.HandlerOptions{})

	p, err := idp.New(ctx, a.MetadataPool, icfg)
	if err != nil {
		return nil, fmt.Errorf("identity provider: %w", err)
	}
	if a.Mounts == nil {
		a.Mounts = map[string]http.Handler{}
	}
	a.Mounts[p.Path()] = p.Handler()
	// The token debugger at <issuer>debugger (admin sign-in, PKCE flow,
	// decoded tokens).
	dbg, err := debugger.New(debugger.Config{Issuer: p.Issuer(), Key: icfg.SecretKey, AdminSecret: icfg.AdminSecret,
		Directory: debugger.ManagementDirectory(a.Mounts[p.Path()], p.Issuer(), secrets[0]), TokenEndpoint: a.Mounts[p.Path()],
		SecureCookies: icfg.CookieSecure, Throttle: p})
	if err != nil {
		return nil, fmt.Errorf("token debugger: %w", err)
	}
	for path, h := range dbg.Mounts() {
		a.Mounts[path] = h
	}
	logging.Startup(a.Logger, "identity_provider", map[string]any{"issuer": p.Issuer(),
		"discovery": p.Issuer() + ".well-known/openid-configuration", "management_api": p.Issuer() + "api/v2/"})
	if cfg.Auth.JWTSecret != "" || cfg.Auth.JWTSecrets != "" {
		return nil, nil
	}
	return []auth.Option{auth.WithLocalIssuer(auth.LocalIssuer{Issuer: p.Issuer(), Keys: p, Audiences: p.Audiences})}, nil
}

// adminSecrets lists HASURA_GRAPHQL_ADMIN_SECRET and the JSON list in
// HASURA_GRAPHQL_ADMIN_SECRETS.
func adminSecrets(one, list string) ([]string, error) {
	var out []string
	if one != "" {
		out = append(out, one)
	}
	if strings.TrimSpace(list) != "" {
		var l []string
		if err := json.Unmarshal([]byte(list), &l); err != nil {
			return nil, fmt.Errorf("HASURA_GRAPHQL_ADMIN_SECRETS: %w", err)
		}
		out = append(out, l...)
	}
	return out, nil
}

// demoAdminSecret reads or creates the demo admin secret in dataDir.
func demoAdminSecret(dataDir string) (string, error) {
	p := filepath.Join(dataDir, "demo-admin-secret")
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	s := hex.EncodeToString(b[:])
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(p, []byte(s+"\n"), 0o600); err != nil {
		return "", err
	}
	return s, nil
}
