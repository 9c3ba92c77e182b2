package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/pgtest"
)

// hostileLog collects a server's log lines so that a test can look for
// panics the server recovered from (a recovered panic still answers, but it
// is a crash all the same).
type hostileLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *hostileLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// panics returns the log lines that record a panic.
func (l *hostileLog) panics() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, "panic") {
			if len(line) > 600 {
				line = line[:600] + "…"
			}
			out = append(out, line)
		}
	}
	return out
}

// hostileServer is a whole Postgate listening on a loopback port, in one of
// the three authentication modes the hostile tests cover.
type hostileServer struct {
	name    string
	base    string
	admin   string // admin secret; empty in no-auth mode
	handler http.Handler
	log     *hostileLog
}

// startHostileServer starts Postgate on a fresh database with env on top of
// the defaults. idp switches the identity provider on (which needs an admin
// secret in env).
func startHostileServer(t testing.TB, name string, idp bool, env map[string]string) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	all := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":      pgtest.URL(t),
		"HASURA_GRAPHQL_SERVER_HOST":       "127.0.0.1",
		"HASURA_GRAPHQL_SERVER_PORT":       strconv.Itoa(port),
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup",
		// A small body limit keeps the over-the-limit bodies cheap.
		"POSTGATE_MAX_BODY_BYTES": strconv.Itoa(hostileBodyLimit),
	}
	if idp {
		all["POSTGATE_AUTH_ENABLED"] = "true"
		all["POSTGATE_AUTH_ISSUER"] = base + "/auth/"
		all["POSTGATE_AUTH_SECRET_KEY"] = "hostile-test-secret-key-0123456789"
	}
	for k, v := range env {
		all[k] = v
	}
	logs := &hostileLog{}
	a := serveOn(t, ln, all, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	s := &hostileServer{name: name, base: base, admin: all["HASURA_GRAPHQL_ADMIN_SECRET"], handler: a.Handler(), log: logs}
	deadline := time.Now().Add(20 * time.Second)
	for !s.healthy() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the server never became healthy", name)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return s
}

// hostileBodyLimit is the request body limit the hostile servers run with.
const hostileBodyLimit = 256 << 10

// hostileClient never follows redirects: where a redirect goes is what the
// open-redirect checks look at.
var hostileClient = &http.Client{
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// healthy reports whether /healthz answers 200.
func (s *hostileServer) healthy() bool {
	resp, err := hostileClient.Get(s.base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// hostileResp is one answer.
type hostileResp struct {
	status int
	header http.Header
	body   []byte
}

// send sends one raw request. Headers with the value "admin" under the
// name X-Hasura-Admin-Secret are replaced by the server's admin secret.
func (s *hostileServer) send(t testing.TB, method, path string, header map[string]string, body []byte) hostileResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if strings.EqualFold(k, "X-Hasura-Admin-Secret") && v == "admin" {
			v = s.admin
		}
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := hostileClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", s.name, method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		t.Fatalf("%s: %s %s: reading the answer: %v", s.name, method, path, err)
	}
	return hostileResp{status: resp.StatusCode, header: resp.Header, body: raw}
}

// adminJSON posts v as JSON with the admin secret (when there is one) and
// fails the test unless the answer is a 2xx.
func (s *hostileServer) adminJSON(t testing.TB, path string, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	r := s.send(t, "POST", path, map[string]string{"X-Hasura-Admin-Secret": "admin"}, b)
	if r.status >= 300 {
		t.Fatalf("%s: POST %s %s: %d %s", s.name, path, b, r.status, r.body)
	}
	var out map[string]any
	_ = json.Unmarshal(r.body, &out)
	return out
}

// count returns the number of rows in a table, read with run_sql.
func (s *hostileServer) count(t testing.TB, table string) int {
	t.Helper()
	out := s.adminJSON(t, "/v2/query", map[string]any{"type": "run_sql", "args": map[string]any{
		"sql": "SELECT count(*) FROM " + table}})
	res, _ := out["result"].([]any)
	if len(res) != 2 {
		t.Fatalf("count %s: %v", table, out)
	}
	n, _ := strconv.Atoi(res[1].([]any)[0].(string))
	return n
}

// state is what must not change when a hostile request is refused: the row
// counts of the test tables, the list of tables, and the metadata's
// resource_version.
func (s *hostileServer) state(t testing.TB) string {
	t.Helper()
	md := s.adminJSON(t, "/v1/metadata", map[string]any{"type": "export_metadata", "version": 2, "args": map[string]any{}})
	out := s.adminJSON(t, "/v2/query", map[string]any{"type": "run_sql", "args": map[string]any{
		"sql": `SELECT string_agg(table_schema || '.' || table_name, ',' ORDER BY 1) FROM information_schema.tables
WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'hdb_catalog', 'postgate_auth')`}})
	return "resource_version=" + string(mustMarshal(t, md["resource_version"])) + " tables=" + string(mustMarshal(t, out["result"])) +
		" articles=" + strconv.Itoa(s.count(t, "public.articles")) + " authors=" + strconv.Itoa(s.count(t, "public.authors")) +
		" secrets=" + strconv.Itoa(s.count(t, "public.secrets"))
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setupHostileSchema creates and tracks the tables every hostile test uses:
// authors and articles (role user sees its own articles) and secrets (no
// permission for anyone but admin).
func setupHostileSchema(t testing.TB, s *hostileServer) {
	t.Helper()
	s.adminJSON(t, "/v2/query", map[string]any{"type": "run_sql", "args": map[string]any{"sql": `
CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL, user_id text NOT NULL);
CREATE TABLE articles (id serial PRIMARY KEY, title text NOT NULL, body text, author_id int REFERENCES authors(id), n int);
CREATE TABLE secrets (id serial PRIMARY KEY, value text NOT NULL);
INSERT INTO authors (name, user_id) VALUES ('alice', '1'), ('bob', '2');
INSERT INTO articles (title, body, author_id, n) VALUES ('a1', 'x', 1, 1), ('a2', 'y', 1, 2), ('b1', 'z', 2, 3);
INSERT INTO secrets (value) VALUES ('top-secret-value');`}})
	for _, tb := range []string{"authors", "articles", "secrets"} {
		s.adminJSON(t, "/v1/metadata", map[string]any{"type": "pg_track_table", "args": map[string]any{"table": tb}})
	}
	s.adminJSON(t, "/v1/metadata", map[string]any{"type": "pg_create_object_relationship", "args": map[string]any{
		"table": "articles", "name": "author", "using": map[string]any{"foreign_key_constraint_on": "author_id"}}})
	s.adminJSON(t, "/v1/metadata", map[string]any{"type": "pg_create_array_relationship", "args": map[string]any{
		"table": "authors", "name": "articles", "using": map[string]any{"foreign_key_constraint_on": map[string]any{
			"table": "articles", "column": "author_id"}}}})
	s.adminJSON(t, "/v1/metadata", map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
		"table": "authors", "role": "user", "permission": map[string]any{"columns": "*",
			"filter": map[string]any{"user_id": map[string]any{"_eq": "X-Hasura-User-Id"}}}}})
	s.adminJSON(t, "/v1/metadata", map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
		"table": "articles", "role": "user", "permission": map[string]any{"columns": []string{"id", "title", "author_id", "n"},
			"filter": map[string]any{"author": map[string]any{"user_id": map[string]any{"_eq": "X-Hasura-User-Id"}}}}}})
	s.adminJSON(t, "/v1/metadata", map[string]any{"type": "pg_create_insert_permission", "args": map[string]any{
		"table": "articles", "role": "user", "permission": map[string]any{"columns": []string{"title", "author_id"},
			"check": map[string]any{"author": map[string]any{"user_id": map[string]any{"_eq": "X-Hasura-User-Id"}}}}}})
}

// leakPatterns are strings that only an internal error would put in an
// answer: Go error text, driver names, SQL, stack traces, file paths.
var leakPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bpgx\b|pgconn|pgproto|jackc`),
	regexp.MustCompile(`\bpanic\b|goroutine \d|runtime error|runtime\.`),
	regexp.MustCompile(`\.go:\d+`),
	regexp.MustCompile(`/home/|/work/|/usr/local/go|/root/|postgate/internal`),
	regexp.MustCompile(`\bSELECT |\bINSERT INTO |\bUPDATE [a-z"]+ SET |\bDELETE FROM |\bWITH [a-z_"]+ AS `),
	regexp.MustCompile(`ERROR: |SQLSTATE|\(SQLSTATE`),
	regexp.MustCompile(`json: cannot unmarshal|json: unknown field|invalid character '|unexpected end of JSON input|reflect:`),
	regexp.MustCompile(`\bnil pointer\b|index out of range|http: `),
	regexp.MustCompile(`hdb_catalog\.|postgate_auth\.`),
	regexp.MustCompile(`top-secret-value`),
}

// leaks returns the internals found in an answer that the request itself
// did not contain (error messages may quote the request's own names).
func leaks(request, answer []byte) []string {
	var out []string
	for _, re := range leakPatterns {
		for _, m := range re.FindAll(answer, 3) {
			if bytes.Contains(request, m) {
				continue
			}
			out = append(out, string(m))
		}
	}
	return out
}

// shapeKind names the error format an endpoint must answer with.
type shapeKind int

const (
	shapeGraphQL   shapeKind = iota // {"errors":[{"message","extensions":{"code","path"}}]} or {"data":...}
	shapeHasura                     // {"code","error","path"}
	shapeOAuth                      // {"error","error_description"}
	shapeAuth0Mgmt                  // {"statusCode","error","message"}
	shapeAny                        // any non-5xx, e.g. an HTML page or a redirect
)

// checkShape reports what is wrong with an error answer's shape.
func checkShape(kind shapeKind, r hostileResp) string {
	if kind == shapeAny || r.status == http.StatusNoContent || (r.status >= 300 && r.status < 400) {
		return ""
	}
	if kind != shapeGraphQL && r.status < 300 {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil && !(kind == shapeGraphQL && json.Valid(r.body)) {
		return "not a JSON object"
	}
	str := func(k string) bool { s, ok := m[k].(string); return ok && s != "" }
	switch kind {
	case shapeGraphQL:
		if bytes.HasPrefix(bytes.TrimSpace(r.body), []byte("[")) && json.Valid(r.body) {
			return "" // a batch's answers
		}
		if _, ok := m["data"]; ok && m["errors"] == nil {
			return ""
		}
		errs, ok := m["errors"].([]any)
		if !ok || len(errs) == 0 {
			if str("code") && str("error") { // Hasura's non-GraphQL shape, used for some request errors
				return ""
			}
			return "no errors array"
		}
		e, _ := errs[0].(map[string]any)
		ext, _ := e["extensions"].(map[string]any)
		if msg, _ := e["message"].(string); msg == "" || ext == nil || ext["code"] == nil {
			return "error without message or extensions.code"
		}
	case shapeHasura:
		if r.status < 300 {
			return ""
		}
		if !str("code") || !str("error") {
			return "no code/error"
		}
	case shapeOAuth:
		if r.status < 300 {
			return ""
		}
		if !str("error") {
			return "no error"
		}
	case shapeAuth0Mgmt:
		if r.status < 300 {
			return ""
		}
		if !str("error") || !str("message") || m["statusCode"] == nil {
			return "no statusCode/error/message"
		}
	}
	return ""
}

// hostileCheck holds the expectations for one answer.
type hostileCheck struct {
	shape shapeKind
	// allow5xx lists statuses >= 500 that Hasura itself answers for the case.
	allow5xx []int
}

// verify fails t when the answer is a crash, has the wrong shape or leaks
// internals.
func verify(t testing.TB, what string, req []byte, r hostileResp, c hostileCheck) {
	t.Helper()
	if r.status >= 500 {
		ok := false
		for _, s := range c.allow5xx {
			ok = ok || s == r.status
		}
		if !ok {
			t.Errorf("%s: status %d: %s", what, r.status, clipBytes(r.body))
			return
		}
	}
	if msg := checkShape(c.shape, r); msg != "" {
		t.Errorf("%s: %d: %s: %s", what, r.status, msg, clipBytes(r.body))
	}
	if l := leaks(req, r.body); len(l) > 0 {
		if known := knownLeak(what, l); known != "" {
			t.Logf("known (%s): %s", known, what)
			return
		}
		t.Errorf("%s: %d: the answer leaks %q: %s", what, r.status, l, clipBytes(r.body))
	}
}

// knownLeak names the known, not yet fixed issue that explains every leak
// found in an answer, or returns "". Both are Go decoder messages for a body
// of the wrong JSON type ("json: cannot unmarshal number into Go value of
// type struct { Query *string ... }"); TestHostileKnownIssues keeps the
// failing expectations.
func knownLeak(what string, found []string) string {
	for _, f := range found {
		if f != "json: cannot unmarshal" {
			return ""
		}
	}
	switch {
	case strings.Contains(what, "/graphql"):
		return knownEngineDecodeLeak
	case strings.Contains(what, "/actions/"):
		return knownActionsDecodeLeak
	}
	return ""
}

const (
	knownEngineDecodeLeak = "engine: a GraphQL request body of the wrong JSON type is answered with Go's decoder message " +
		"where Hasura answers e.g. \"Error in $.query: parsing Text failed, expected String, but encountered Number\""
	knownActionsDecodeLeak = "idp/actions: an Actions API body of the wrong JSON type is answered with Go's decoder message " +
		"in the Payload validation error"
)

func clipBytes(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}
