package e2e

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/pgtest"
)

// guideAction reads one of the seed guide's Action scripts from
// ../shared/seeds/actions beside the repository (POSTGATE_SEEDS_ACTIONS
// overrides the folder). It skips when the folder is absent, except under
// CI=true where that is a failure.
func guideAction(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("POSTGATE_SEEDS_ACTIONS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		// The test runs in <repo>/e2e; the seeds are in <repo>/../shared.
		dir = filepath.Join(wd, "..", "..", "shared", "seeds", "actions")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the seed guide's Action %s is required under CI=true: %v", name, err)
		}
		t.Skipf("the seed guide's Actions are not available (%v); set POSTGATE_SEEDS_ACTIONS to their folder", err)
	}
	return string(b)
}

// liveServer is a whole Postgate (engine and identity provider) listening
// on a real loopback port, so that the issuer URL, the tokens' iss and the
// URL the sync Action fetches are all the server's own.
type liveServer struct {
	t      *testing.T
	base   string // http://127.0.0.1:<port>
	issuer string // base + "/auth/"
	admin  string
}

// startLiveServer starts Postgate with the identity provider on, on a fresh
// database, with the given admin secret and extra settings.
func startLiveServer(t *testing.T, admin string, extra map[string]string) *liveServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":      pgtest.URL(t),
		"HASURA_GRAPHQL_SERVER_HOST":       "127.0.0.1",
		"HASURA_GRAPHQL_SERVER_PORT":       strconv.Itoa(port),
		"HASURA_GRAPHQL_ADMIN_SECRET":      admin,
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup",
		"POSTGATE_AUTH_ENABLED":            "true",
		"POSTGATE_AUTH_ISSUER":             base + "/auth/",
		"POSTGATE_AUTH_SECRET_KEY":         "seed-walkthrough-secret-key",
	}
	for k, v := range extra {
		env[k] = v
	}
	serveOn(t, ln, env, nil)
	s := &liveServer{t: t, base: base, issuer: base + "/auth/", admin: admin}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never became healthy: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// do sends a JSON request. auth is "admin" for the admin secret,
// "Bearer <token>" for a token, or empty for none. It returns the status
// and the raw body.
func (s *liveServer) do(method, path, auth string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case auth == "admin":
		req.Header.Set("X-Hasura-Admin-Secret", s.admin)
	case auth != "":
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// ok sends a request that must succeed and decodes its JSON answer into a
// map (nil for an empty body).
func (s *liveServer) ok(method, path, auth string, body any) map[string]any {
	s.t.Helper()
	st, raw := s.do(method, path, auth, body)
	if st >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, st, raw)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		s.t.Fatalf("%s %s: not a JSON object: %s", method, path, raw)
	}
	return m
}

// sql runs SQL through /v2/query and returns the result rows without the
// header row.
func (s *liveServer) sql(q string) [][]any {
	s.t.Helper()
	out := s.ok("POST", "/v2/query", "admin", map[string]any{"type": "run_sql", "args": map[string]any{"sql": q}})
	res, _ := out["result"].([]any)
	var rows [][]any
	for i, r := range res {
		if i == 0 {
			continue
		}
		row, _ := r.([]any)
		rows = append(rows, row)
	}
	return rows
}

// tokens is the token endpoint's answer.
type tokens struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

var (
	loginCSRF  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	loginState = regexp.MustCompile(`name="state" value="([^"]+)"`)
)

// pkceLogin is what a single-page application and a browser do together:
// /authorize with a PKCE challenge, the login form filled in and posted
// with the browser's cookies, the redirect to the callback, and the code
// exchanged for tokens with the verifier.
func (s *liveServer) pkceLogin(clientID, callback, audience, username, password string) tokens {
	s.t.Helper()
	var vb [32]byte
	if _, err := rand.Read(vb[:]); err != nil {
		s.t.Fatal(err)
	}
	verifier := base64.RawURLEncoding.EncodeToString(vb[:])
	sum := sha256.Sum256([]byte(verifier))
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			return http.ErrUseLastResponse // the application's page: not on this server
		}
		return nil
	}}
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback},
		"scope": {"openid profile email"}, "audience": {audience}, "state": {"xyzzy"}, "nonce": {"n-0S6_WzA2Mj"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	resp, err := browser.Get(s.issuer + "authorize?" + q.Encode())
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	field := func(re *regexp.Regexp) string {
		m := re.FindSubmatch(page)
		if m == nil {
			s.t.Fatalf("the login page (%d, %s) has no %s field:\n%s", resp.StatusCode, resp.Request.URL, re, page)
		}
		return string(m[1])
	}
	form := url.Values{"csrf_token": {field(loginCSRF)}, "state": {field(loginState)}, "username": {username}, "password": {password}}
	resp, err = browser.PostForm(s.issuer+"login", form)
	if err != nil {
		s.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(back.String(), callback) {
		s.t.Fatalf("login as %s: %d, Location %q\n%s", username, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if back.Query().Get("state") != "xyzzy" || back.Query().Get("code") == "" {
		s.t.Fatalf("login as %s: sent back to %s", username, back)
	}
	// The SPA exchanges the code from its own origin, with no secret.
	resp, err = http.PostForm(s.issuer+"oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID},
		"code": {back.Query().Get("code")}, "code_verifier": {verifier}, "redirect_uri": {callback}})
	if err != nil {
		s.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var tok tokens
	if err := json.Unmarshal(raw, &tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		s.t.Fatalf("code exchange for %s: %d %s", username, resp.StatusCode, raw)
	}
	return tok
}

// verifyRS256 checks a JWT's RS256 signature against the provider's
// published JWKS and returns its header and claims.
func (s *liveServer) verifyRS256(token string) (header, claims map[string]any) {
	s.t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		s.t.Fatalf("not a compact JWS: %q", token)
	}
	dec := func(p string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			s.t.Fatalf("JWT segment: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			s.t.Fatalf("JWT segment: %v", err)
		}
		return m
	}
	header, claims = dec(parts[0]), dec(parts[1])
	if header["alg"] != "RS256" {
		s.t.Fatalf("token alg %v, want RS256", header["alg"])
	}
	resp, err := http.Get(s.issuer + ".well-known/jwks.json")
	if err != nil {
		s.t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kid, Kty, N, E string }
	}
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil {
		s.t.Fatal(err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		s.t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, k := range set.Keys {
		if k.Kid != header["kid"] || k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			s.t.Fatalf("JWKS key %s: bad modulus or exponent", k.Kid)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			s.t.Fatalf("token signature does not verify with JWKS key %s: %v", k.Kid, err)
		}
		return header, claims
	}
	s.t.Fatalf("token kid %v is not in the JWKS", header["kid"])
	return nil, nil
}

// graphql posts a query to /v1/graphql with the given Authorization value
// (empty for none) and returns the HTTP status and decoded body.
func (s *liveServer) graphql(authorization, query string) (int, map[string]any) {
	s.t.Helper()
	st, raw := s.do("POST", "/v1/graphql", authorization, map[string]any{"query": query})
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		s.t.Fatalf("/v1/graphql: not JSON: %s", raw)
	}
	return st, m
}
