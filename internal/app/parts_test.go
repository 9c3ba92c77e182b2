package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/pgtest"
)

// post sends a JSON body and returns the response body.
func post(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestAssembledServerServesEnumTables checks the parts work together: SQL
// through /v2/query, tracking through /v1/metadata, and the enum table's rows
// read into the GraphQL schema as an enum.
func TestAssembledServerServesEnumTables(t *testing.T) {
	url := pgtest.URL(t)
	a, err := New(context.Background(), testConfig(t, "--database-url", url), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	post(t, srv.URL+"/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE color(value text PRIMARY KEY, comment text); INSERT INTO color VALUES ('red','Red'),('blue',NULL); CREATE TABLE shirt(id serial PRIMARY KEY, color text REFERENCES color(value)); INSERT INTO shirt(color) VALUES ('red'),('blue');"}}`)
	if got := post(t, srv.URL+"/v1/metadata", `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"color","is_enum":true}},{"type":"pg_track_table","args":{"table":"shirt"}}]}`); !strings.Contains(got, "success") {
		t.Fatalf("track: %s", got)
	}
	got := post(t, srv.URL+"/v1/graphql", `{"query":"{ shirt(where:{color:{_eq:red}}) { id color } __type(name:\"color_enum\") { enumValues { name description } } }"}`)
	want := `"enumValues":[{"name":"blue","description":null},{"name":"red","description":"Red"}]`
	if !strings.Contains(got, want) || !strings.Contains(got, `"color":"red"`) || strings.Contains(got, `"blue"}]`) && strings.Contains(got, `"id":2`) {
		t.Fatalf("got %s", got)
	}
}

// TestMetadataChangesReachOtherInstances runs two instances on one database:
// a table tracked through one is served by the other within a second.
func TestMetadataChangesReachOtherInstances(t *testing.T) {
	url := pgtest.URL(t)
	var urls []string
	for i := 0; i < 2; i++ {
		a, err := New(context.Background(), testConfig(t, "--database-url", url), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	post(t, urls[0]+"/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE note(id int PRIMARY KEY); INSERT INTO note VALUES (7);"}}`)
	waitForListeners(t, url, 2)
	if got := post(t, urls[0]+"/v1/metadata", `{"type":"pg_track_table","args":{"table":"note"}}`); !strings.Contains(got, "success") {
		t.Fatalf("track: %s", got)
	}
	// Normally well under a second (LISTEN/NOTIFY, with the one-second poll
	// as a backup); the deadline only allows for a heavily loaded machine.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := post(t, urls[1]+"/v1/graphql", `{"query":"{ note { id } }"}`)
		if strings.Contains(got, `"id":7`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("second instance still answers %s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForListeners waits until n connections to the database at url have
// finished their LISTEN for metadata changes. pg_stat_activity is
// cluster-wide, and other tests listen in databases of their own, so only
// this database counts.
func waitForListeners(t *testing.T, url string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for {
		var got int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'idle' AND query = 'LISTEN postgate_metadata'`).Scan(&got); err != nil {
			t.Fatalf("waiting for %d metadata listeners: %v", n, err)
		}
		if got >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d metadata listeners registered", got, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestEngineWiring checks what the App hands the engine: query-log lines
// carry the request's id, and admins see internal details of database
// errors (HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS defaults to true).
func TestEngineWiring(t *testing.T) {
	url := pgtest.URL(t)
	var logs lockedBuffer
	logger := logging.New(&logs, logging.Options{Types: map[string]bool{"query-log": true}})
	a, err := New(context.Background(), testConfig(t, "--database-url", url), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	post(t, srv.URL+"/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE n(id int PRIMARY KEY, v int); INSERT INTO n VALUES (1, 0);"}}`)
	post(t, srv.URL+"/v1/metadata", `{"type":"pg_track_table","args":{"table":"n"}}`)

	req, _ := http.NewRequest("POST", srv.URL+"/v1/graphql", strings.NewReader(`{"query":"{ n { id } }"}`))
	req.Header.Set("x-request-id", "wiring-test-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(logs.String(), `"request_id":"wiring-test-42"`) || !strings.Contains(logs.String(), `"type":"query-log"`) {
		t.Fatalf("query-log without the request id:\n%s", logs.String())
	}

	post(t, srv.URL+"/v2/query", `{"type":"run_sql","args":{"sql":"CREATE FUNCTION boom() RETURNS SETOF n LANGUAGE plpgsql STABLE AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;"}}`)
	post(t, srv.URL+"/v1/metadata", `{"type":"pg_track_function","args":{"function":"boom"}}`)
	got := post(t, srv.URL+"/v1/graphql", `{"query":"{ boom { id } }"}`)
	if !strings.Contains(got, `"internal"`) {
		t.Fatalf("admin should see internal details of a database error: %s", got)
	}
}

// TestInferFunctionPermissionsSetting: with
// HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=false a role sees a tracked
// function only with a function permission, as in Hasura.
func TestInferFunctionPermissionsSetting(t *testing.T) {
	for _, infer := range []bool{true, false} {
		url := pgtest.URL(t)
		a, err := New(context.Background(), testConfig(t, "--database-url", url, "--infer-function-permissions="+map[bool]string{true: "true", false: "false"}[infer]), nil)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler())
		post(t, srv.URL+"/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE p(id int PRIMARY KEY); INSERT INTO p VALUES (1); CREATE FUNCTION all_p() RETURNS SETOF p LANGUAGE sql STABLE AS 'SELECT * FROM p';"}}`)
		post(t, srv.URL+"/v1/metadata", `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"p"}},{"type":"pg_track_function","args":{"function":"all_p"}},{"type":"pg_create_select_permission","args":{"table":"p","role":"user","permission":{"columns":"*","filter":{}}}}]}`)
		req, _ := http.NewRequest("POST", srv.URL+"/v1/graphql", strings.NewReader(`{"query":"{ all_p { id } }"}`))
		req.Header.Set("x-hasura-role", "user")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		a.Close()
		visible := strings.Contains(string(b), `"id":1`)
		if visible != infer {
			t.Errorf("infer=%v: %s", infer, b)
		}
	}
}
