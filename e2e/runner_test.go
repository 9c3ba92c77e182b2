package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// fakeServer answers like a Hasura server for a tiny synthetic corpus and
// records every request as "<url> <body>".
type fakeServer struct {
	mu  sync.Mutex
	log []string
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.log = append(f.log, r.URL.Path+" "+string(body))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.Contains(string(body), "setup_fails"):
		w.WriteHeader(400)
		io.WriteString(w, `{"path":"$","error":"nope","code":"not-supported"}`)
	case r.URL.Path == "/v1/graphql" && strings.Contains(string(body), "bad"):
		io.WriteString(w, `{"errors":[{"extensions":{"path":"$.selectionSet.bad","code":"validation-failed"},"message":"new wording"}]}`)
	case r.URL.Path == "/v1/graphql" && r.Header.Get("X-Hasura-Role") == "user":
		io.WriteString(w, `{"data":{"x":`+r.Header.Get("X-Hasura-User-Id")+`}}`)
	case r.URL.Path == "/v1/graphql":
		w.Header().Set("X-Custom", "yes")
		io.WriteString(w, `{"data":{"x":1}}`)
	default:
		io.WriteString(w, `{"message":"success"}`)
	}
}

// requests returns the recorded requests, each shortened to the url and
// the "type" or "query" of its body.
func (f *fakeServer) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, l := range f.log {
		url, body, _ := strings.Cut(l, " ")
		v, _ := ParseJSON([]byte(body))
		tag := ""
		if o, ok := v.(*Object); ok {
			if s, ok := o.Vals["type"].(string); ok {
				tag = s
				if a, ok := o.Vals["args"].(*Object); ok {
					if sql, ok := a.Vals["sql"].(string); ok {
						tag += ":" + sql
					}
				}
			} else if s, ok := o.Vals["query"].(string); ok {
				tag = strings.TrimSpace(s)
			}
		}
		out = append(out, url+" "+tag)
	}
	f.log = nil
	return out
}

func writeCorpus(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, queriesDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	manifest := "path\tcommit\ttest_class\tarea\n" +
		"server/tests-py/queries/q/a.yaml\tc\tT.test_a\tselect/a\n" +
		"server/tests-py/queries/q/old.yaml\tc\tT.test_old (legacy v1alpha1)\tselect/old-legacy\n"
	if err := os.WriteFile(filepath.Join(root, "MANIFEST.tsv"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func sqlFixture(name string) string {
	return "type: run_sql\nargs:\n  sql: " + name + "\n"
}

func gqlCase(query, response string) string {
	return "url: /v1/graphql\nstatus: 200\nquery:\n  query: " + query + "\nresponse: " + response + "\n"
}

func TestRunnerFixtureOrder(t *testing.T) {
	root := writeCorpus(t, map[string]string{
		"q/setup.yaml":           sqlFixture("q_setup"),
		"q/teardown.yaml":        sqlFixture("q_teardown"),
		"q/a.yaml":               gqlCase("a", "{data: {x: 1}}"),
		"q/b.yaml":               gqlCase("b", "{data: {x: 2}}"),
		"m/schema_setup.yaml":    sqlFixture("m_schema"),
		"m/values_setup.yaml":    sqlFixture("m_values"),
		"m/values_teardown.yaml": sqlFixture("m_values_down"),
		"m/c.yaml":               gqlCase("c", "{data: {x: 1}}"),
		"m/d.yaml":               gqlCase("d", "{data: {x: 1}}"),
		"v1/p/setup.yaml":        sqlFixture("p_setup"),
		"v1/p/teardown.yaml":     sqlFixture("p_teardown"),
		"v1/p/e.yaml":            "- url: /v1/query\n  status: 200\n  query: {type: track_table, args: {name: t}}\n  response: {message: success}\n",
		"v1/p/f.yaml":            "url: /v1/query\nstatus: 200\nquery: {type: untrack_table, args: {name: t}}\nresponse: {message: success}\n",
	})
	manifest, err := LoadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := LoadCorpus(root, manifest)
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeServer{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	resets := 0
	r := &Runner{BaseURL: srv.URL, ResetDB: func(context.Context) error { resets++; return nil }}

	got := map[string]Result{}
	kinds := map[string]FixtureKind{}
	var order []string
	for _, d := range dirs {
		kinds[d.Rel] = d.Kind
		r.RunDir(context.Background(), d, func(c *Case, run func() Result) {
			res := run()
			got[c.ID] = res
		})
		order = append(order, fake.requests()...)
	}
	if kinds["q"] != PerClass || kinds["m"] != Mutation || kinds["v1/p"] != PerMethod {
		t.Errorf("fixture kinds %v", kinds)
	}
	want := []string{
		"/v1/metadata clear_metadata",
		"/v1/query run_sql:m_schema",
		"/v1/query run_sql:m_values", "/v1/graphql c", "/v1/query run_sql:m_values_down",
		"/v1/query run_sql:m_values", "/v1/graphql d", "/v1/query run_sql:m_values_down",
		"/v1/metadata clear_metadata",
		"/v1/query run_sql:q_setup", "/v1/graphql a", "/v1/graphql b", "/v1/query run_sql:q_teardown",
		"/v1/metadata clear_metadata",
		"/v1/query run_sql:p_setup", "/v1/query track_table", "/v1/query run_sql:p_teardown",
		"/v1/metadata clear_metadata",
		"/v1/query run_sql:p_setup", "/v1/query untrack_table", "/v1/query run_sql:p_teardown",
	}
	if strings.Join(order, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
	if resets != 4 {
		t.Errorf("%d database resets, want 4", resets)
	}
	for id, res := range got {
		wantPass := id != "q/b"
		if res.Passed != wantPass {
			t.Errorf("%s: passed=%v (%s)", id, res.Passed, res.Reason)
		}
	}
	if got["q/a"].Case.Area != "select/a" || got["m/c"].Case.Area != "unlisted" {
		t.Errorf("areas: %q %q", got["q/a"].Case.Area, got["m/c"].Case.Area)
	}
}

func TestRunnerCaseRules(t *testing.T) {
	root := writeCorpus(t, map[string]string{
		"q/old.yaml": gqlCase("a", "{data: {x: 1}}"),
		// An error answer whose message drifted passes with a warning.
		"q/err_message.yaml": gqlCase("bad", `{errors: [{extensions: {path: $.selectionSet.bad, code: validation-failed}, message: old wording}]}`),
		// A status-only error case must answer errors.
		"q/status_only_error.yaml":  "description: query (Error)\nurl: /v1/graphql\nstatus: 200\nquery: {query: a}\n",
		"q/status_only_err_ok.yaml": "description: query (Error)\nurl: /v1/graphql\nstatus: 200\nquery: {query: bad}\n",
		"q/status_mismatch.yaml":    "url: /v1/graphql\nstatus: 400\nquery: {query: a}\n",
		"q/headers.yaml":            "url: /v1/graphql\nstatus: 200\nheaders: {X-Hasura-Role: user, X-Hasura-User-Id: 7}\nquery: {query: a}\nresponse: {data: {x: 7}}\n",
		"q/allowed.yaml": "url: /v1/graphql\nstatus: 200\nquery: {query: a}\nallowed_responses:\n" +
			"- response: {data: {x: 2}}\n- response: {data: {x: 1}}\n  resp_headers: {X-Custom: 'yes'}\n",
		"q/resp_headers_bad.yaml": "url: /v1/graphql\nstatus: 200\nquery: {query: a}\nresponse: {data: {x: 1}}\nresp_headers: {X-Custom: 'no'}\n",
		"q/multi_step.yaml":       "- " + strings.ReplaceAll(gqlCase("a", "{data: {x: 1}}"), "\n", "\n  ") + "\n- " + strings.ReplaceAll(gqlCase("a", "{data: {x: 5}}"), "\n", "\n  "),
		"q/broken.yaml":           "url: [\n",
		"s/setup.yaml":            sqlFixture("setup_fails"),
		"s/x.yaml":                gqlCase("a", "{data: {x: 1}}"),
	})
	manifest, _ := LoadManifest(root)
	dirs, err := LoadCorpus(root, manifest)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&fakeServer{})
	defer srv.Close()
	r := &Runner{BaseURL: srv.URL}
	got := map[string]Result{}
	for _, d := range dirs {
		r.RunDir(context.Background(), d, func(c *Case, run func() Result) { got[c.ID] = run() })
	}
	want := map[string]struct {
		pass   bool
		reason string
	}{
		"q/old":                {true, ""},
		"q/err_message":        {true, ""},
		"q/status_only_error":  {false, "without an errors key"},
		"q/status_only_err_ok": {true, ""},
		"q/status_mismatch":    {false, "status 200, want 400"},
		"q/headers":            {true, ""},
		"q/allowed":            {true, ""},
		"q/resp_headers_bad":   {false, "X-Custom"},
		"q/multi_step":         {false, "step 2: $.data.x"},
		"q/broken":             {false, "cannot load case"},
		"s/x":                  {false, "setup.yaml failed: /v1/query answered 400"},
	}
	for id, w := range want {
		res, ok := got[id]
		if !ok {
			t.Errorf("%s did not run", id)
			continue
		}
		if res.Passed != w.pass || !strings.Contains(res.Reason, w.reason) {
			t.Errorf("%s: passed=%v reason %q, want passed=%v reason containing %q", id, res.Passed, res.Reason, w.pass, w.reason)
		}
	}
	if n := len(got["q/err_message"].Warnings); n != 1 {
		t.Errorf("err_message: %d warnings, want 1", n)
	}
	if !got["q/old"].Case.HasNote("legacy") {
		t.Errorf("legacy note not read from the manifest: %v", got["q/old"].Case.Notes)
	}

	rep := NewReport([]Result{got["q/old"], got["q/broken"], got["s/x"]},
		map[string]string{"s/x": "pending"}, map[string]bool{"q/broken": true})
	if s := rep.Summary(); !strings.HasPrefix(s, "conformance: 1 passed, 1 failed, 1 deviations") || len(rep.Regressions) != 1 {
		t.Errorf("summary %q, regressions %d", s, len(rep.Regressions))
	}
}

func TestRunnerAdminSecret(t *testing.T) {
	root := writeCorpus(t, map[string]string{
		"q/setup.yaml": sqlFixture("q_setup"),
		"q/a.yaml":     gqlCase("a", "{data: {x: 1}}"),
		"q/m.yaml":     "url: /v1/query\nstatus: 200\nquery: {type: track_table, args: {name: t}}\nresponse: {message: success}\n",
	})
	manifest, _ := LoadManifest(root)
	dirs, err := LoadCorpus(root, manifest)
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeServer{}
	for _, enforce := range []bool{true, false} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if enforce && r.Header.Get(adminSecretHeader) != "s3cret" {
				if r.URL.Path == "/v1/graphql" {
					io.WriteString(w, `{"errors":[{"extensions":{"path":"$","code":"access-denied"},"message":"invalid x-hasura-admin-secret/x-hasura-access-key"}]}`)
					return
				}
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"path":"$","error":"invalid x-hasura-admin-secret/x-hasura-access-key","code":"access-denied"}`)
				return
			}
			fake.ServeHTTP(w, r)
		})
		srv := httptest.NewServer(h)
		r := &Runner{BaseURL: srv.URL, AdminSecret: "s3cret"}
		for _, d := range dirs {
			r.RunDir(context.Background(), d, func(c *Case, run func() Result) {
				res := run()
				if enforce && !res.Passed {
					t.Errorf("%s: %s", c.ID, res.Reason)
				}
				if !enforce && (res.Passed || !strings.Contains(res.Reason, "without the admin secret: not refused")) {
					t.Errorf("%s: open server not caught: passed=%v %s", c.ID, res.Passed, res.Reason)
				}
			})
		}
		srv.Close()
	}
}

// fakeWS answers subscriptions-transport-ws like Hasura does for queries:
// connection_ack, then one data message and complete per start.
func fakeWS(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			(&fakeServer{}).ServeHTTP(w, r)
			return
		}
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{wsProtocol}})
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.CloseNow()
		ctx := r.Context()
		role := ""
		for {
			m, err := readWS(ctx, conn)
			if err != nil {
				return
			}
			switch m.Type {
			case "connection_init":
				if p, ok := m.Payload.(*Object); ok {
					if h, ok := p.Vals["headers"].(*Object); ok {
						role, _ = h.Vals["X-Hasura-Role"].(string)
					}
				}
				conn.Write(ctx, websocket.MessageText, []byte(`{"type":"ka"}`))
				conn.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_ack"}`))
			case "start":
				q, _ := m.Payload.(*Object).Vals["query"].(string)
				body := `{"data":{"x":1}}`
				if strings.Contains(q, "wsdiff") {
					body = `{"data":{"x":9}}`
				} else if q == "bad" {
					body = `{"errors":[{"extensions":{"path":"$","code":"validation-failed"},"message":"m"}]}`
				} else if role == "user" {
					body = `{"data":{"x":7}}`
				}
				conn.Write(ctx, websocket.MessageText, []byte(`{"id":"`+m.ID+`","type":"data","payload":`+body+`}`))
				conn.Write(ctx, websocket.MessageText, []byte(`{"id":"`+m.ID+`","type":"complete"}`))
			}
		}
	})
}

func TestRunnerWebSocket(t *testing.T) {
	root := writeCorpus(t, map[string]string{
		"graphql_query/w/a.yaml":       gqlCase("a", "{data: {x: 1}}"),
		"graphql_query/w/bad.yaml":     gqlCase("bad", "{errors: [{extensions: {path: $, code: validation-failed}, message: other}]}"),
		"graphql_query/w/user.yaml":    "url: /v1/graphql\nstatus: 200\nheaders: {X-Hasura-Role: user}\nquery: {query: a}\nresponse: {data: {x: 7}}\n",
		"graphql_query/w/wrong.yaml":   gqlCase("a", "{data: {x: 2}}"),
		"graphql_query/w/batch.yaml":   "url: /v1/graphql\nstatus: 200\nquery: [{query: a}]\nresponse: [{data: {x: 1}}]\n",
		"graphql_mutation/w/mut.yaml":  gqlCase("a", "{data: {x: 1}}"),
		"graphql_query/w/legacy.yaml":  "url: /v1alpha1/graphql\nstatus: 200\nquery: {query: a}\nresponse: {data: {x: 1}}\n",
		"graphql_query/w/status.yaml":  "description: (Error)\nurl: /v1/graphql\nstatus: 200\nquery: {query: bad}\n",
		"graphql_query/w/setup.yaml":   sqlFixture("s"),
		"graphql_query/w/missing.yaml": "url: /v1/graphql\nstatus: 200\nquery: {query: a}\nresponse: {data: {y: 1}}\n",
	})
	manifest, _ := LoadManifest(root)
	dirs, err := LoadCorpus(root, manifest)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fakeWS(t))
	defer srv.Close()
	r := &Runner{BaseURL: srv.URL, Transport: TransportWebSocket}
	got := map[string]Result{}
	for _, d := range dirs {
		r.RunDir(context.Background(), d, func(c *Case, run func() Result) { got[c.ID] = run() })
	}
	// Batches and /v1alpha1 stay on http, where the fake neither batches
	// nor serves v1alpha1: their failures show they did not go over the
	// websocket.
	wantPass := map[string]bool{
		"graphql_query/w/a": true, "graphql_query/w/bad": true, "graphql_query/w/user": true,
		"graphql_query/w/wrong": false, "graphql_query/w/batch": false, "graphql_mutation/w/mut": true,
		"graphql_query/w/legacy": false, "graphql_query/w/status": true, "graphql_query/w/missing": false,
	}
	for id, want := range wantPass {
		if res := got[id]; res.Passed != want {
			t.Errorf("%s: passed=%v (%s), want %v", id, res.Passed, res.Reason, want)
		}
	}
	if len(got["graphql_query/w/bad"].Warnings) != 1 {
		t.Errorf("bad: message drift not warned: %q", got["graphql_query/w/bad"].Warnings)
	}
	// Over HTTP the fake answers the "user" case without a role: it fails,
	// which shows the websocket path (headers in connection_init) was taken.
	r.Transport = TransportHTTP
	for _, d := range dirs {
		r.RunDir(context.Background(), d, func(c *Case, run func() Result) {
			if c.ID == "graphql_query/w/user" {
				if res := run(); res.Passed {
					t.Error("user case passed over http against a fake that ignores roles there")
				}
			}
		})
	}
}

func TestAdminRoleHalf(t *testing.T) {
	r := &Runner{AdminRoleHalf: true}
	n := 0
	for i := 0; i < 200; i++ {
		c := &Case{ID: "dir/case_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))}
		if r.adminRoleFor(c) != r.adminRoleFor(c) {
			t.Fatal("not deterministic")
		}
		if r.adminRoleFor(c) {
			n++
		}
	}
	if n < 60 || n > 140 {
		t.Errorf("%d of 200 cases get the admin role header", n)
	}
	if (&Runner{}).adminRoleFor(&Case{ID: "x"}) {
		t.Error("added without AdminRoleHalf")
	}
}

func TestRunnerBothTransports(t *testing.T) {
	root := writeCorpus(t, map[string]string{
		"graphql_query/w/same.yaml":     gqlCase("a", "{data: {x: 1}}"),
		"graphql_query/w/differs.yaml":  gqlCase("wsdiff", "{data: {x: 1}}"),
		"graphql_query/w/mutation.yaml": gqlCase("'mutation { wsdiff }'", "{data: {x: 1}}"),
	})
	manifest, _ := LoadManifest(root)
	dirs, err := LoadCorpus(root, manifest)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fakeWS(t))
	defer srv.Close()
	for _, tr := range []string{TransportHTTP, TransportBoth} {
		r := &Runner{BaseURL: srv.URL, Transport: tr}
		got := map[string]Result{}
		for _, d := range dirs {
			r.RunDir(context.Background(), d, func(c *Case, run func() Result) { got[c.ID] = run() })
		}
		if !got["graphql_query/w/same"].Passed || !got["graphql_query/w/mutation"].Passed {
			t.Errorf("%s: %q / %q", tr, got["graphql_query/w/same"].Reason, got["graphql_query/w/mutation"].Reason)
		}
		diff := got["graphql_query/w/differs"]
		if tr == TransportHTTP && !diff.Passed {
			t.Errorf("http: %s", diff.Reason)
		}
		if tr == TransportBoth && (diff.Passed || !strings.HasPrefix(diff.Reason, "websocket: ")) {
			t.Errorf("both: websocket difference not caught: passed=%v %q", diff.Passed, diff.Reason)
		}
	}
	if !isMutation(mustJSON(t, `{"query":"mutation m { a }"}`)) || isMutation(mustJSON(t, `{"query":"query { a }"}`)) {
		t.Error("isMutation")
	}
}
