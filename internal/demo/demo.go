// Package demo installs the demo project that `postgate serve --demo` (and
// `make run`) starts with: the seed guide's system, ready to use.
//
// The project is the guide's end state: a public.users table tracked with
// the user role's own-row select permission; a single-page application and
// an API (audience) in the identity provider; a native "CLI" application
// that may use the password and device grants (for curl and
// `postgate token`); the two post-login Actions (Hasura claims, user sync)
// deployed and bound; and a demo user whose password is generated once and
// kept in the data directory.
//
// Install goes through the server's own public APIs (the Management API
// under the issuer and the metadata API), in-process on its HTTP handler,
// exactly as an operator would over HTTP. It is idempotent: it runs on every
// start, creates what is missing and brings what exists back to the demo's
// settings, without duplicating anything.
//
// The two Actions are embedded in the binary as Postgate's own demo scripts
// (actions/*.js): the same logic as the guide's, written against the same
// Auth0 event/api objects, reading the endpoint and admin secret from the
// Action's secrets. The guide's text is third-party material that the
// binary cannot count on being present (and its captured text is damaged),
// so the demo does not load it; the end-to-end test runs the guide's own
// scripts instead.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/postgate/postgate/internal/config"
)

//go:embed actions/*.js
var scripts embed.FS

// Options tell Install where the server is.
type Options struct {
	// Handler is the server's HTTP handler; Install calls it in-process.
	Handler http.Handler
	// BaseURL is where clients reach the server, e.g. http://localhost:8080.
	BaseURL string
	// Issuer is the identity provider's issuer URL, with its trailing slash.
	Issuer string
	// AdminSecret authorises the metadata and Management APIs.
	AdminSecret string
	// DataDir keeps the demo user's generated password (demo-user-password).
	DataDir string
}

// Project is the installed demo: what the banner prints.
type Project struct {
	// BaseURL is where the server is reached, e.g. http://localhost:8080.
	BaseURL string
	// Issuer is the identity provider's issuer URL (trailing slash).
	Issuer string
	// AdminSecret is the engine's admin secret (generated in demo mode).
	AdminSecret string
	// Audience is the demo API's identifier (the access tokens' aud).
	Audience string
	// SPAClientID is the single-page application's client ID.
	SPAClientID string
	// CLIClientID is the native application allowed the password and
	// device grants.
	CLIClientID string
	// Username, Email and Password sign the demo user in; UserID is its id.
	Username, Email, Password, UserID string
}

// Fixed names of the demo's parts.
const (
	APIName        = "Postgate Demo API"
	SPAName        = "Postgate Demo SPA"
	CLIName        = "Postgate Demo CLI"
	ClaimsAction   = "Hasura JWT Claims"
	SyncAction     = "Hasura Sync Users"
	DemoUsername   = "demo"
	DemoEmail      = "demo@example.com"
	SPAOrigin      = "http://localhost:3000"
	demoMetaKey    = "postgate_demo"
	passwordFile   = "demo-user-password"
	userConnection = "Username-Password-Authentication"
)

// Install sets the demo project up (idempotently) and returns it.
func Install(ctx context.Context, o Options) (*Project, error) {
	if o.Handler == nil || o.BaseURL == "" || o.Issuer == "" || o.AdminSecret == "" {
		return nil, errors.New("demo: handler, base URL, issuer and admin secret are required")
	}
	iss, err := url.Parse(o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("demo: issuer: %w", err)
	}
	c := &caller{ctx: ctx, h: o.Handler, base: strings.TrimSuffix(o.BaseURL, "/"), admin: o.AdminSecret,
		mgmt: strings.TrimSuffix(iss.Path, "/") + "/api/v2"}
	p := &Project{BaseURL: c.base, Issuer: o.Issuer, AdminSecret: o.AdminSecret,
		Audience: c.base + "/v1/graphql", Username: DemoUsername, Email: DemoEmail}

	if err := c.installTable(); err != nil {
		return nil, err
	}
	if err := c.ensureAPI(p.Audience); err != nil {
		return nil, err
	}
	if p.SPAClientID, err = c.ensureClient("spa", map[string]any{
		"name": SPAName, "app_type": "spa",
		"callbacks":           []string{SPAOrigin + "/callback", o.Issuer + "debugger/callback"},
		"web_origins":         []string{SPAOrigin},
		"allowed_logout_urls": []string{SPAOrigin},
		"grant_types":         []string{"authorization_code", "refresh_token"},
	}); err != nil {
		return nil, err
	}
	if p.CLIClientID, err = c.ensureClient("cli", map[string]any{
		"name": CLIName, "app_type": "native",
		"callbacks":   []string{"http://127.0.0.1/callback"},
		"grant_types": []string{"authorization_code", "refresh_token", "password", "urn:ietf:params:oauth:grant-type:device_code"},
	}); err != nil {
		return nil, err
	}
	if err := c.ensureActions(p.BaseURL + "/v1/graphql"); err != nil {
		return nil, err
	}
	if p.Password, err = demoPassword(o.DataDir); err != nil {
		return nil, err
	}
	if p.UserID, err = c.ensureUser(p.Email, p.Username, p.Password); err != nil {
		return nil, err
	}
	return p, nil
}

// installTable creates, tracks and permits the users table.
func (c *caller) installTable() error {
	if _, err := c.json("POST", "/v2/query", map[string]any{"type": "run_sql", "args": map[string]any{"sql": `CREATE TABLE IF NOT EXISTS public.users (
  "userId" text PRIMARY KEY,
  "userName" text,
  "lastSeen" timestamp DEFAULT now()
)`}}); err != nil {
		return fmt.Errorf("demo: users table: %w", err)
	}
	table := map[string]any{"schema": "public", "name": "users"}
	if _, err := c.json("POST", "/v1/metadata", map[string]any{"type": "pg_track_table",
		"args": map[string]any{"source": "default", "table": table}}); err != nil && !isCode(err, "already-tracked") {
		return fmt.Errorf("demo: tracking users: %w", err)
	}
	if _, err := c.json("POST", "/v1/metadata", map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
		"source": "default", "table": table, "role": "user",
		"permission": map[string]any{"columns": []string{"userId", "userName", "lastSeen"},
			"filter": map[string]any{"userId": map[string]any{"_eq": "X-Hasura-User-Id"}}}}}); err != nil && !isCode(err, "already-exists") {
		return fmt.Errorf("demo: user role permission: %w", err)
	}
	return nil
}

// ensureAPI creates the demo API unless an API has its identifier.
func (c *caller) ensureAPI(identifier string) error {
	out, err := c.jsonList("GET", c.mgmt+"/resource-servers", "")
	if err != nil {
		return fmt.Errorf("demo: listing APIs: %w", err)
	}
	for _, rs := range out {
		if rs["identifier"] == identifier {
			return nil
		}
	}
	if _, err := c.json("POST", c.mgmt+"/resource-servers", map[string]any{"name": APIName, "identifier": identifier,
		"signing_alg": "RS256", "allow_offline_access": true}); err != nil {
		return fmt.Errorf("demo: creating the API: %w", err)
	}
	return nil
}

// ensureClient finds the demo application tagged kind in its metadata,
// updating its settings, or creates it; it returns its client ID.
func (c *caller) ensureClient(kind string, settings map[string]any) (string, error) {
	list, err := c.jsonList("GET", c.mgmt+"/clients", "")
	if err != nil {
		return "", fmt.Errorf("demo: listing applications: %w", err)
	}
	settings["client_metadata"] = map[string]string{demoMetaKey: kind}
	for _, cl := range list {
		md, _ := cl["client_metadata"].(map[string]any)
		if md[demoMetaKey] != kind {
			continue
		}
		id, _ := cl["client_id"].(string)
		patch := map[string]any{}
		for k, v := range settings {
			if k != "app_type" {
				patch[k] = v
			}
		}
		if _, err := c.json("PATCH", c.mgmt+"/clients/"+url.PathEscape(id), patch); err != nil {
			return "", fmt.Errorf("demo: updating %s: %w", settings["name"], err)
		}
		return id, nil
	}
	out, err := c.json("POST", c.mgmt+"/clients", settings)
	if err != nil {
		return "", fmt.Errorf("demo: creating %s: %w", settings["name"], err)
	}
	id, _ := out["client_id"].(string)
	return id, nil
}

// ensureActions creates or updates the two Actions, deploys them and binds
// them, in order, to the Login flow.
func (c *caller) ensureActions(endpoint string) error {
	claims, err := scripts.ReadFile("actions/hasura-claims.js")
	if err != nil {
		return err
	}
	sync, err := scripts.ReadFile("actions/sync-users.js")
	if err != nil {
		return err
	}
	trig := []any{map[string]any{"id": "post-login", "version": "v3"}}
	want := []map[string]any{
		{"name": ClaimsAction, "supported_triggers": trig, "runtime": "node22", "code": string(claims)},
		{"name": SyncAction, "supported_triggers": trig, "runtime": "node22", "code": string(sync),
			"dependencies": []any{map[string]any{"name": "node-fetch", "version": "2.7.0"}},
			"secrets": []any{map[string]any{"name": "HASURA_GRAPHQL_ENDPOINT", "value": endpoint},
				map[string]any{"name": "HASURA_GRAPHQL_ADMIN_SECRET", "value": c.admin}}},
	}
	var bindings []any
	for _, a := range want {
		name := a["name"].(string)
		list, err := c.jsonList("GET", c.mgmt+"/actions/actions?actionName="+url.QueryEscape(name), "actions")
		if err != nil {
			return fmt.Errorf("demo: listing Actions: %w", err)
		}
		var id string
		for _, x := range list {
			if x["name"] == name {
				id, _ = x["id"].(string)
			}
		}
		if id == "" {
			out, err := c.json("POST", c.mgmt+"/actions/actions", a)
			if err != nil {
				return fmt.Errorf("demo: creating the Action %q: %w", name, err)
			}
			id, _ = out["id"].(string)
		} else {
			patch := map[string]any{}
			for k, v := range a {
				if k != "name" && k != "supported_triggers" {
					patch[k] = v
				}
			}
			if _, err := c.json("PATCH", c.mgmt+"/actions/actions/"+url.PathEscape(id), patch); err != nil {
				return fmt.Errorf("demo: updating the Action %q: %w", name, err)
			}
		}
		if _, err := c.json("POST", c.mgmt+"/actions/actions/"+url.PathEscape(id)+"/deploy", nil); err != nil {
			return fmt.Errorf("demo: deploying the Action %q: %w", name, err)
		}
		bindings = append(bindings, map[string]any{"ref": map[string]any{"type": "action_id", "value": id}, "display_name": name})
	}
	// Keep the operator's other post-login Actions, after the demo's two.
	current, err := c.jsonList("GET", c.mgmt+"/actions/triggers/post-login/bindings", "bindings")
	if err != nil {
		return fmt.Errorf("demo: reading the Login flow: %w", err)
	}
	for _, b := range current {
		a, _ := b["action"].(map[string]any)
		if a == nil || a["name"] == ClaimsAction || a["name"] == SyncAction {
			continue
		}
		bindings = append(bindings, map[string]any{"ref": map[string]any{"type": "action_id", "value": a["id"]}, "display_name": b["display_name"]})
	}
	if _, err := c.json("PATCH", c.mgmt+"/actions/triggers/post-login/bindings", map[string]any{"bindings": bindings}); err != nil {
		return fmt.Errorf("demo: binding the Actions: %w", err)
	}
	return nil
}

// ensureUser creates the demo user or resets its password and username to
// the demo's; it returns the user ID.
func (c *caller) ensureUser(email, username, password string) (string, error) {
	list, err := c.jsonList("GET", c.mgmt+"/users-by-email?email="+url.QueryEscape(email), "")
	if err != nil {
		return "", fmt.Errorf("demo: finding the demo user: %w", err)
	}
	if len(list) > 0 {
		id, _ := list[0]["user_id"].(string)
		if _, err := c.json("PATCH", c.mgmt+"/users/"+url.PathEscape(id), map[string]any{"password": password, "username": username,
			"blocked": false}); err != nil {
			return "", fmt.Errorf("demo: updating the demo user: %w", err)
		}
		return id, nil
	}
	out, err := c.json("POST", c.mgmt+"/users", map[string]any{"connection": userConnection, "email": email, "username": username,
		"password": password, "email_verified": true, "name": "Demo User"})
	if err != nil {
		return "", fmt.Errorf("demo: creating the demo user: %w", err)
	}
	id, _ := out["user_id"].(string)
	return id, nil
}

// demoPassword reads or generates the demo user's password in dataDir.
func demoPassword(dataDir string) (string, error) {
	p := filepath.Join(dataDir, passwordFile)
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) >= 8 {
		return strings.TrimSpace(string(b)), nil
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	pw := "demo-" + base64.RawURLEncoding.EncodeToString(b[:])
	if dataDir == "" {
		return pw, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("demo: data directory: %w", err)
	}
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("demo: writing %s: %w", p, err)
	}
	return pw, nil
}

// caller sends JSON requests to the server's handler in-process, with the
// admin secret.
type caller struct {
	ctx   context.Context
	h     http.Handler
	base  string
	admin string
	mgmt  string // the Management API's path, e.g. /auth/api/v2
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Code   string
	Body   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.TrimSpace(e.Body))
}

func isCode(err error, code string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == code
}

// do sends one request and returns the raw answer of a 2xx status.
func (c *caller) do(method, path string, body any) ([]byte, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", c.admin)
	rec := &recorder{header: http.Header{}}
	c.h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status < 200 || rec.status > 299 {
		var e struct {
			Code      string `json:"code"`
			ErrorCode string `json:"errorCode"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &e)
		if e.Code == "" {
			e.Code = e.ErrorCode
		}
		return nil, &apiError{Status: rec.status, Code: e.Code, Body: rec.body.String()}
	}
	return rec.body.Bytes(), nil
}

// json sends a request and decodes an object answer (nil when empty).
func (c *caller) json(method, path string, body any) (map[string]any, error) {
	raw, err := c.do(method, path, body)
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return m, nil
}

// jsonList sends a GET and decodes a list answer: the body itself, or its
// field key.
func (c *caller) jsonList(method, path, key string) ([]map[string]any, error) {
	raw, err := c.do(method, path, nil)
	if err != nil {
		return nil, err
	}
	var list []map[string]any
	if key == "" {
		err = json.Unmarshal(raw, &list)
	} else {
		var m map[string]json.RawMessage
		if err = json.Unmarshal(raw, &m); err == nil && m[key] != nil {
			err = json.Unmarshal(m[key], &list)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return list, nil
}

// recorder is the minimal http.ResponseWriter the in-process calls need.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// OptionsFor derives Install's options from the server's configuration
// (after app.New, which fills in the demo's generated admin secret) and
// its handler: the server is reached on localhost at its port, and the
// issuer is POSTGATE_AUTH_ISSUER or the identity provider's default.
func OptionsFor(cfg *config.Config, h http.Handler) Options {
	port := cfg.Port
	if port == 0 {
		port = 8080
	}
	host := "localhost"
	if cfg.Host != "" && cfg.Host != "*" && cfg.Host != "0.0.0.0" && cfg.Host != "::" {
		host = cfg.Host
	}
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	issuer := strings.TrimSpace(cfg.IdP["POSTGATE_AUTH_ISSUER"])
	if issuer == "" {
		issuer = fmt.Sprintf("http://localhost:%d/auth/", port)
	}
	if !strings.HasSuffix(issuer, "/") {
		issuer += "/"
	}
	secret := cfg.Auth.AdminSecret
	if secret == "" {
		var list []string
		if json.Unmarshal([]byte(cfg.Auth.AdminSecrets), &list) == nil && len(list) > 0 {
			secret = list[0]
		}
	}
	return Options{Handler: h, BaseURL: base, Issuer: issuer, AdminSecret: secret, DataDir: cfg.DataDir}
}
