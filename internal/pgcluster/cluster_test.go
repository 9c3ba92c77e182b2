package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// requireBinaries skips the test when no server binaries exist (failing
// under CI, where they must).
func requireBinaries(t *testing.T) {
	t.Helper()
	if _, err := findBinDir(defaultSearchPath()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// testDir returns a directory the server user can reach, removed at the end.
func testDir(t *testing.T) string {
	t.Helper()
	base, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	return filepath.Join(base, "data")
}

func query(t *testing.T, url, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var out string
	if err := conn.QueryRow(ctx, sql).Scan(&out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestClusterLifecycle(t *testing.T) {
	requireBinaries(t)
	dir := testDir(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	ctx := context.Background()

	c, err := Start(ctx, dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	url := c.URL()
	query(t, url, "SELECT 'ok' FROM (SELECT 1) s") // connects
	execSQL(t, url, "CREATE TABLE kept AS SELECT 'hello'::text AS v")
	if tz := query(t, url, "SHOW timezone"); tz != "UTC" {
		t.Errorf("timezone = %q", tz)
	}
	if enc := query(t, url, "SHOW server_encoding"); enc != "UTF8" {
		t.Errorf("encoding = %q", enc)
	}

	// Files in the data directory.
	if fi, err := os.Stat(filepath.Join(dir, passwordFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("password file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, portFile)); strings.TrimSpace(string(b)) != strconv.Itoa(c.Port()) {
		t.Errorf("port file = %q, port %d", b, c.Port())
	}
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(c.Port()))); err != nil {
		t.Errorf("unix socket: %v", err)
	}
	// Password authentication is enforced.
	if conn, err := pgx.Connect(ctx, strings.Replace(url, c.password, "wrong", 1)); err == nil {
		conn.Close(ctx)
		t.Error("wrong password accepted")
	}

	t.Run("restarts after a crash", func(t *testing.T) {
		before := query(t, url, "SELECT pg_postmaster_start_time()::text")
		c.mu.Lock()
		proc := c.cmd.Process
		c.mu.Unlock()
		if err := proc.Kill(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn, err := pgx.Connect(ctx, c.URL())
			if err == nil {
				var after string
				_ = conn.QueryRow(ctx, "SELECT pg_postmaster_start_time()::text").Scan(&after)
				conn.Close(ctx)
				cancel()
				if after != before && after != "" {
					break
				}
			} else {
				cancel()
			}
			if time.Now().After(deadline) {
				t.Fatalf("server not restarted; logs: %s", logs.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
		if !strings.Contains(logs.String(), "restarting") {
			t.Errorf("restart not logged: %s", logs.String())
		}
	})

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Fatal("server still accepts connections after Stop")
	}

	// A stale postmaster.pid (from a crash) does not prevent the next start.
	stale := filepath.Join(dir, pgdataDir, "postmaster.pid")
	if err := os.WriteFile(stale, []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	c2, err := Start(ctx, dir, logger)
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	defer c2.Stop()
	if got := query(t, c2.URL(), "SELECT v FROM kept"); got != "hello" {
		t.Errorf("data not kept: %q", got)
	}
	if c2.password != c.password {
		t.Error("password changed between starts")
	}

	// A second instance on the same directory is refused while the first runs.
	if _, err := Start(ctx, dir, logger, WithPort(freePort())); err == nil || !strings.Contains(err.Error(), "in use by another Postgate") {
		t.Errorf("second instance: %v", err)
	}

	// A server left running by a Postgate that died without stopping it is
	// shut down by the next start, which then serves the same data.
	c2.mu.Lock()
	c2.stopping = true // the dead Postgate no longer supervises
	c2.mu.Unlock()
	c2.lock.Close()
	c3, err := Start(ctx, dir, logger)
	if err != nil {
		t.Fatalf("start after an orphaned server: %v", err)
	}
	defer c3.Stop()
	<-c2.done
	if got := query(t, c3.URL(), "SELECT v FROM kept"); got != "hello" {
		t.Errorf("data after adopting: %q", got)
	}
	if !strings.Contains(logs.String(), "left running by an earlier Postgate") {
		t.Errorf("orphan stop not logged: %s", logs.String())
	}
	if err := c3.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestNoBinaries(t *testing.T) {
	_, err := Start(context.Background(), filepath.Join(t.TempDir(), "data"), nil, WithSearchPath(t.TempDir()))
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v", err)
	}
	want := `PostgreSQL server binaries not found: install them with "apt-get install postgresql" (Debian/Ubuntu)`
	if err.Error() != want {
		t.Errorf("message = %q", err.Error())
	}
}

func TestFindBinDirOrder(t *testing.T) {
	empty, full := t.TempDir(), t.TempDir()
	for _, tool := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(full, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := findBinDir([]string{empty, full})
	if err != nil || got != full {
		t.Errorf("findBinDir = %q, %v", got, err)
	}
	if v1, v2 := versionOf("/usr/lib/postgresql/16/bin"), versionOf("/usr/lib/postgresql/9.6/bin"); v1 <= v2 {
		t.Errorf("version order %v %v", v1, v2)
	}
}

func TestUnreachableDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another user")
	}
	requireBinaries(t)
	private, err := os.MkdirTemp("", "pgcluster-private-") // mode 0700, owned by root
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(private)
	_, err = Start(context.Background(), filepath.Join(private, "data"), nil)
	if err == nil || !strings.Contains(err.Error(), "not reachable by the \"postgres\" user") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(private, "data")); !os.IsNotExist(err) {
		t.Errorf("data directory created in an unreachable place: %v", err)
	}
}
