package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/postgate/postgate/internal/pgtest"
)

// serveApp starts an App on a fresh database and returns its base URL; the
// App stops when the test ends.
func serveApp(t *testing.T, args ...string) string {
	t.Helper()
	a, err := New(context.Background(), testConfig(t, append([]string{"--database-url", pgtest.URL(t)}, args...)...), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// send makes a request with the given headers and returns the status and
// body.
func send(t *testing.T, method, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrapeMetrics reads /v1/metrics and parses the exposition format.
func scrapeMetrics(t *testing.T, base string, headers map[string]string) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := send(t, http.MethodGet, base+"/v1/metrics", "", headers)
	if status != http.StatusOK {
		t.Fatalf("scrape: %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	return fams
}

// sample returns the value of the first sample of family name whose labels
// include the name=value pairs given (a histogram's count), or -1.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			ok := false
			for _, lp := range m.GetLabel() {
				ok = ok || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
			}
			if !ok {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func TestMetricsEndpoint(t *testing.T) {
	base := serveApp(t, "--admin-secret", "adm1n")
	admin := map[string]string{"x-hasura-admin-secret": "adm1n"}
	gql := func(q string) string {
		_, body := send(t, http.MethodPost, base+"/v1/graphql", q, admin)
		return body
	}
	send(t, http.MethodPost, base+"/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE item(id serial PRIMARY KEY, name text)"}}`, admin)
	if _, body := send(t, http.MethodPost, base+"/v1/metadata", `{"type":"pg_track_table","args":{"table":"item"}}`, admin); !strings.Contains(body, "success") {
		t.Fatalf("track: %s", body)
	}
	for i := 0; i < 2; i++ {
		if got := gql(`{"query":"query Items { item { id name } }"}`); !strings.Contains(got, `"data"`) {
			t.Fatalf("query: %s", got)
		}
	}
	if got := gql(`{"query":"mutation { insert_item_one(object: {name: \"a\"}) { id } }"}`); strings.Contains(got, "errors") {
		t.Fatalf("mutation: %s", got)
	}
	if got := gql(`{"query":"{ item { nope } }"}`); !strings.Contains(got, "errors") {
		t.Fatalf("bad query: %s", got)
	}

	// A WebSocket connection is counted while it is open.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()

	// Admin only without a metrics secret.
	if status, body := send(t, http.MethodGet, base+"/v1/metrics", "", nil); status == http.StatusOK || !strings.Contains(body, "access-denied") {
		t.Errorf("anonymous scrape: %d %s", status, body)
	}
	if status, _ := send(t, http.MethodGet, base+"/v1/metrics", "", map[string]string{"x-hasura-admin-secret": "wrong"}); status == http.StatusOK {
		t.Errorf("wrong admin secret accepted")
	}
	fams := scrapeMetrics(t, base, admin)
	atLeast := []struct {
		name   string
		labels []string
		min    float64
	}{
		{"hasura_graphql_requests_total", []string{"operation_type", "query", "response_status", "success"}, 2},
		{"hasura_graphql_requests_total", []string{"operation_type", "mutation", "response_status", "success"}, 1},
		{"hasura_graphql_requests_total", []string{"operation_type", "query", "response_status", "failed"}, 1},
		{"hasura_graphql_execution_time_seconds", []string{"operation_type", "query"}, 2},
		{"postgate_http_request_duration_seconds", []string{"route", "/v1/graphql", "status", "200"}, 4},
		{"postgate_http_request_duration_seconds", []string{"route", "/v1/metadata", "status", "200"}, 1},
		{"hasura_http_request_bytes_total", nil, 100},
		{"hasura_http_response_bytes_total", nil, 100},
		{"hasura_http_connections", nil, 1},
		{"hasura_websocket_connections", nil, 1},
		{"hasura_postgres_connections", []string{"source_name", "default", "role", "primary"}, 1},
		{"postgate_postgres_pool_max_connections", []string{"source_name", "default"}, 1},
		{"postgate_postgres_pool_acquires_total", []string{"source_name", "default"}, 1},
		{"postgate_plan_cache_hits_total", nil, 1},
		{"postgate_plan_cache_plans_total", nil, 2},
		{"postgate_plan_cache_parses_total", nil, 2},
		{"postgate_metadata_resource_version", nil, 1},
		{"hasura_active_subscriptions", []string{"subscription_kind", "live-query"}, 0},
		{"hasura_active_subscriptions", []string{"subscription_kind", "streaming"}, 0},
		{"hasura_source_health", []string{"source_name", "default"}, 0},
		{"go_goroutines", nil, 1},
	}
	for _, c := range atLeast {
		if got := sample(fams, c.name, c.labels...); got < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, got, c.min)
		}
	}
	if got := sample(fams, "hasura_source_health", "source_name", "default"); got != 0 {
		t.Errorf("hasura_source_health = %v", got)
	}
	if f := fams["hasura_postgres_connections"]; f != nil {
		for _, lp := range f.GetMetric()[0].GetLabel() {
			if lp.GetName() == "conn_info" && (!strings.HasPrefix(lp.GetValue(), "postgres://") || strings.Contains(lp.GetValue(), "password")) {
				t.Errorf("conn_info = %q", lp.GetValue())
			}
		}
	}

	// The counters move between scrapes.
	before := sample(fams, "hasura_graphql_requests_total", "operation_type", "query", "response_status", "success")
	gql(`{"query":"query Items { item { id name } }"}`)
	after := sample(scrapeMetrics(t, base, admin), "hasura_graphql_requests_total", "operation_type", "query", "response_status", "success")
	if after != before+1 {
		t.Errorf("query counter went from %v to %v", before, after)
	}
}

func TestMetricsSecret(t *testing.T) {
	base := serveApp(t, "--admin-secret", "adm1n", "--metrics-secret", "scrape-me")
	for _, h := range []map[string]string{
		nil,
		{"Authorization": "Bearer wrong"},
		{"x-hasura-admin-secret": "adm1n"}, // the metrics secret replaces the admin check
	} {
		if status, body := send(t, http.MethodGet, base+"/v1/metrics", "", h); status != http.StatusUnauthorized || !strings.Contains(body, "access-denied") {
			t.Errorf("%v: %d %s", h, status, body)
		}
	}
	fams := scrapeMetrics(t, base, map[string]string{"Authorization": "Bearer scrape-me"})
	if fams["hasura_graphql_requests_total"] == nil {
		t.Error("no hasura_graphql_requests_total")
	}
}
