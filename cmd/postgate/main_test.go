package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/pgtest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
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

func TestCommands(t *testing.T) {
	tests := []struct {
		args       []string
		env        map[string]string
		wantStatus int
		wantOut    string
		wantErr    string
	}{
		{[]string{"version"}, nil, 0, "postgate v2.", ""},
		{[]string{"help"}, nil, 0, "postgate serve", ""},
		{[]string{"serve", "-h"}, nil, 0, "Serve flags", ""},
		{nil, nil, 2, "", "Usage:"},
		{[]string{"frobnicate"}, nil, 2, "", `unknown command "frobnicate"`},
		{[]string{"jwt-config", "--provider", "auth0"}, nil, 2, "", "--domain is required"},
		{[]string{"jwt-config", "--provider", "auth0", "--domain", "x.auth0.com", "--format", "json"}, nil, 0, `"jwk_url":"https://x.auth0.com/.well-known/jwks.json"`, ""},
		{[]string{"serve", "--server-port", "abc"}, nil, 1, "", "--server-port"},
		{[]string{"serve"}, map[string]string{"HASURA_GRAPHQL_DEV_MODE": "maybe"}, 1, "", "HASURA_GRAPHQL_DEV_MODE"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			status := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &out, &errb)
			if status != tt.wantStatus || !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("status %d, stdout %q, stderr %q", status, out.String(), errb.String())
			}
			if tt.wantStatus == 1 && strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
				t.Errorf("configuration error should be one line: %q", errb.String())
			}
		})
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serveUntilHealthy runs `postgate serve args...` and waits for /healthz.
// A port found free can be taken before serve binds it (packages test in
// parallel, and outgoing connections take ephemeral ports from the same
// range), so a failed bind is retried on another port.
func serveUntilHealthy(t *testing.T, args []string, env map[string]string) (base string, stop func() int, logs *syncBuffer) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		base, stop, logs, inUse := serveOnFreePort(t, args, env, attempt < 5)
		if !inUse {
			return base, stop, logs
		}
		t.Logf("the port was taken before serve bound it; trying another")
	}
}

// serveOnFreePort is one attempt of serveUntilHealthy; with retry, a serve
// that exits because its port is in use reports inUse instead of failing.
func serveOnFreePort(t *testing.T, args []string, env map[string]string, retry bool) (base string, stop func() int, logs *syncBuffer, inUse bool) {
	t.Helper()
	port := freePort(t)
	args = append(args[:len(args):len(args)], "--server-host", "127.0.0.1", "--server-port", strconv.Itoa(port))
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, logs, &errb)
	}()
	base = "http://127.0.0.1:" + strconv.Itoa(port)
	// Each request has a timeout: whatever took the port may accept the
	// connection and never answer.
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case status := <-done:
			cancel()
			if retry && strings.Contains(errb.String()+logs.String(), "address already in use") {
				return "", nil, nil, true
			}
			t.Fatalf("serve exited with %d: %s %s", status, errb.String(), logs.String())
		default:
		}
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve never became healthy: %s %s", errb.String(), logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop = func() int {
		cancel()
		select {
		case s := <-done:
			return s
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
	return base, stop, logs, false
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestServeWithDatabaseURL(t *testing.T) {
	base, stop, logs := serveUntilHealthy(t, []string{"--database-url", pgtest.URL(t)},
		map[string]string{"HASURA_GRAPHQL_ENABLE_TELEMETRY": "false", "HASURA_GRAPHQL_ADMIN_SECRET": "do-not-log-me"})
	if v := get(t, base+"/v1/version"); !strings.Contains(v, `"server_type":"ce"`) {
		t.Errorf("version = %s", v)
	}
	if status := stop(); status != 0 {
		t.Errorf("exit status %d", status)
	}
	l := logs.String()
	for _, want := range []string{`"type":"startup"`, `"kind":"server_configuration"`, "HASURA_GRAPHQL_ENABLE_TELEMETRY", `"type":"http-log"`} {
		if !strings.Contains(l, want) {
			t.Errorf("logs lack %s: %s", want, l)
		}
	}
	if strings.Contains(l, "do-not-log-me") {
		t.Error("admin secret written to the log")
	}
}

func TestServeEmbeddedDefault(t *testing.T) {
	pgtest.BaseURL(t) // runs where PostgreSQL tests run
	base, err := os.MkdirTemp("", "postgate-serve-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	if err := os.Chmod(base, 0o755); err != nil { // reachable by the postgres user
		t.Fatal(err)
	}
	dataDir := filepath.Join(base, "data")
	url, stop, logs := serveUntilHealthy(t, []string{"--data-dir", dataDir, "--demo"}, nil)
	if v := get(t, url+"/v1/version"); !strings.Contains(v, `"version":"v2.`) {
		t.Errorf("version = %s", v)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "pgdata", "postmaster.pid")); err != nil {
		t.Errorf("embedded cluster not running: %v", err)
	}
	if status := stop(); status != 0 {
		t.Errorf("exit status %d: %s", status, logs.String())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "pgdata", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("embedded cluster still running after exit: %v", err)
	}
	for _, want := range []string{`"kind":"demo"`, `"database":"embedded`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q: %s", want, logs.String())
		}
	}
}
