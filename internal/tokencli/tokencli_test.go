package tokencli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/tokencli"
)

const admin = "token-cli-admin"

// provider starts Postgate with its identity provider on a loopback port
// and returns the issuer URL.
func provider(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	issuer := "http://127.0.0.1:" + port + "/auth/"
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": pgtest.URL(t), "HASURA_GRAPHQL_SERVER_PORT": port, "HASURA_GRAPHQL_ADMIN_SECRET": admin,
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup", "POSTGATE_AUTH_ENABLED": "true", "POSTGATE_AUTH_ISSUER": issuer,
		"POSTGATE_AUTH_SECRET_KEY": "token-cli-test",
	}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
	})
	return issuer
}

// mgmt calls the Management API with the admin secret.
func mgmt(t *testing.T, issuer, method, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, issuer+"api/v2/"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	_, c, err := tokencli.Decode(jwt)
	if err != nil {
		t.Fatalf("decoding %q: %v", jwt, err)
	}
	var m map[string]any
	_ = json.Unmarshal(c, &m)
	return m
}

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

func TestClientCredentials(t *testing.T) {
	iss := provider(t)
	const aud = "https://api.example.com/graphql"
	mgmt(t, iss, "POST", "resource-servers", map[string]any{"name": "API", "identifier": aud})
	m2m := mgmt(t, iss, "POST", "clients", map[string]any{"name": "Worker", "app_type": "non_interactive"})
	id, secret := m2m["client_id"].(string), m2m["client_secret"].(string)
	mgmt(t, iss, "POST", "client-grants", map[string]any{"client_id": id, "audience": aud, "scope": []string{}})

	var out, errb bytes.Buffer
	st := tokencli.Run(context.Background(), []string{"--issuer", iss, "--client-id", id, "--client-secret", secret,
		"--audience", aud, "--header", "--decode"}, noEnv, &out, &errb)
	if st != 0 {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	tok, ok := strings.CutPrefix(strings.TrimSpace(out.String()), "Authorization: Bearer ")
	if !ok {
		t.Fatalf("--header printed %q", out.String())
	}
	if c := claims(t, tok); c["sub"] != id+"@clients" || c["aud"] != aud || c["iss"] != iss {
		t.Fatalf("client-credentials token: %v", c)
	}
	if !strings.Contains(errb.String(), `"gty"`) && !strings.Contains(errb.String(), `"sub": "`+id+`@clients"`) {
		t.Errorf("--decode did not show the claims: %s", errb.String())
	}

	// A wrong secret is the provider's OAuth error, exit status 1.
	out.Reset()
	errb.Reset()
	st = tokencli.Run(context.Background(), []string{"--issuer", iss, "--client-id", id, "--client-secret", "wrong",
		"--audience", aud}, noEnv, &out, &errb)
	if st != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "invalid_client") {
		t.Fatalf("wrong secret: exit %d, stdout %q, stderr %q", st, out.String(), errb.String())
	}
	// No client: usage, exit status 2.
	if st := tokencli.Run(context.Background(), nil, noEnv, &out, &errb); st != 2 {
		t.Fatalf("no --client-id: exit %d", st)
	}
}

var (
	linkRe = regexp.MustCompile(`(http://\S+activate\S*)`)
	csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

// TestDeviceFlow signs a user in as `postgate token` asks: the command
// prints a link, a browser opens it and confirms the code with the user's
// credentials, and the command prints the user's access token.
func TestDeviceFlow(t *testing.T) {
	iss := provider(t)
	const aud = "https://api.example.com/graphql"
	mgmt(t, iss, "POST", "resource-servers", map[string]any{"name": "API", "identifier": aud})
	cli := mgmt(t, iss, "POST", "clients", map[string]any{"name": "CLI", "app_type": "native"})
	user := mgmt(t, iss, "POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "dev@example.com", "password": "device-flow-pass"})

	var out bytes.Buffer
	errb := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- tokencli.Run(context.Background(), []string{"--client-id", cli["client_id"].(string), "--audience", aud, "--timeout", "60s"},
			func(k string) string {
				if k == "POSTGATE_AUTH_ISSUER" {
					return iss
				}
				return ""
			}, &out, errb)
	}()
	var link string
	for deadline := time.Now().Add(20 * time.Second); link == ""; time.Sleep(20 * time.Millisecond) {
		if m := linkRe.FindStringSubmatch(errb.String()); m != nil {
			link = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no link printed: %s", errb.String())
		}
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(page)
	u, _ := url.Parse(link)
	if m == nil || u.Query().Get("user_code") == "" {
		t.Fatalf("the activation page (%s): %s", link, page)
	}
	resp, err = browser.PostForm(iss+"activate", url.Values{"csrf_token": {string(m[1])}, "user_code": {u.Query().Get("user_code")},
		"username": {"dev@example.com"}, "password": {"device-flow-pass"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirming the code: %d %s", resp.StatusCode, page)
	}
	select {
	case st := <-done:
		if st != 0 {
			t.Fatalf("exit %d: %s", st, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the command did not finish: %s", errb.String())
	}
	if c := claims(t, strings.TrimSpace(out.String())); c["sub"] != user["user_id"] || c["iss"] != iss {
		t.Fatalf("device-flow token: %v", c)
	}
}
