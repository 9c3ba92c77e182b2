package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/demo"
	"github.com/postgate/postgate/internal/pgtest"
)

// demoConfig is `postgate serve --demo` on database dbURL, port and data
// directory dir.
func demoConfig(t *testing.T, dbURL string, port int, dir string) *config.Config {
	t.Helper()
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":      dbURL,
		"HASURA_GRAPHQL_SERVER_PORT":       strconv.Itoa(port),
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup",
		"POSTGATE_DATA_DIR":                dir,
	}
	cfg, _, err := config.Load([]string{"--demo"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Demo {
		t.Fatal("--demo did not set demo mode")
	}
	return cfg
}

// TestDemoProject starts Postgate as `postgate serve --demo` does, twice on
// the same database and data directory (a restart), and runs the command
// the banner prints: it returns the demo user's own row.
func TestDemoProject(t *testing.T) {
	dbURL := pgtest.URL(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ctx := context.Background()

	// First start: install, then stop.
	cfg := demoConfig(t, dbURL, port, dir)
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := demo.Install(ctx, demo.OptionsFor(cfg, a.Handler()))
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	a.Close()
	if first.AdminSecret == "" || first.Password == "" || first.SPAClientID == "" || first.CLIClientID == "" {
		t.Fatalf("first install: %+v", first)
	}

	// Second start: the same project, nothing duplicated.
	cfg = demoConfig(t, dbURL, port, dir)
	a, err = app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := demo.Install(ctx, demo.OptionsFor(cfg, a.Handler()))
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	if p.AdminSecret != first.AdminSecret || p.Password != first.Password || p.SPAClientID != first.SPAClientID ||
		p.CLIClientID != first.CLIClientID || p.UserID != first.UserID {
		a.Close()
		t.Fatalf("restart changed the demo project:\n%+v\n%+v", first, p)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
	})

	banner := p.Banner()
	for _, want := range []string{p.BaseURL + "/v1/graphql", p.Issuer + "authorize?", p.Issuer + "debugger", p.Password, p.AdminSecret} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner does not show %q:\n%s", want, banner)
		}
	}
	// The login page link shows the provider's login form.
	resp, err := http.Get(p.LoginURL())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `name="password"`) {
		t.Fatalf("the login page link %s: %d\n%s", p.LoginURL(), resp.StatusCode, page)
	}
	admin := func(method, path string, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, p.BaseURL+path, strings.NewReader(body))
		req.Header.Set("X-Hasura-Admin-Secret", p.AdminSecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	// Nothing was duplicated by the restart.
	var clients []map[string]any
	_ = json.Unmarshal(admin("GET", "/auth/api/v2/clients", ""), &clients)
	demoApps := 0
	for _, c := range clients {
		if md, _ := c["client_metadata"].(map[string]any); md["postgate_demo"] != nil {
			demoApps++
		}
	}
	var bindings struct{ Bindings []any }
	_ = json.Unmarshal(admin("GET", "/auth/api/v2/actions/triggers/post-login/bindings", ""), &bindings)
	var actions struct{ Actions []any }
	_ = json.Unmarshal(admin("GET", "/auth/api/v2/actions/actions", ""), &actions)
	if demoApps != 2 || len(bindings.Bindings) != 2 || len(actions.Actions) != 2 {
		t.Fatalf("after a restart: %d demo applications, %d bindings, %d actions; want 2, 2, 2", demoApps, len(bindings.Bindings), len(actions.Actions))
	}

	ownRow := func(out []byte) bool {
		var r struct {
			Data struct {
				Users []struct {
					UserID   string `json:"userId"`
					UserName string `json:"userName"`
					LastSeen string `json:"lastSeen"`
				} `json:"users"`
			} `json:"data"`
		}
		err := json.Unmarshal(out, &r)
		u := r.Data.Users
		return err == nil && len(u) == 1 && u[0].UserID == p.UserID && u[0].UserName == "demo" && u[0].LastSeen != ""
	}
	// The banner's command, run by a shell, when curl is installed.
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("sh", "-c", p.CurlCommand()).CombinedOutput()
		if err != nil || !ownRow(out) {
			t.Fatalf("the banner's command:\n%s\nanswered (%v):\n%s", p.CurlCommand(), err, out)
		}
	} else {
		t.Log("curl is not installed: running the banner command's equivalent only")
	}
	// Its equivalent in Go: the password grant, then the query.
	resp, err = http.PostForm(p.Issuer+"oauth/token", url.Values{"grant_type": {"password"}, "client_id": {p.CLIClientID},
		"username": {p.Email}, "password": {p.Password}, "audience": {p.Audience}, "scope": {"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("password grant: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", p.BaseURL+"/v1/graphql", strings.NewReader(`{"query":"`+demo.Query+`"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !ownRow(body) {
		t.Fatalf("the demo user's query: %s", body)
	}
}
