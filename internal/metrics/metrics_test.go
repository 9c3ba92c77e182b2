package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
)

func TestOperationType(t *testing.T) {
	tests := []struct {
		query, name, want string
	}{
		{`{ users { id } }`, "", OpQuery},
		{`query { users { id } }`, "", OpQuery},
		{`mutation M { insert_users(objects: []) { affected_rows } }`, "", OpMutation},
		{`subscription S($id: Int = 1) { users(where: {id: {_eq: $id}}) { id } }`, "", OpSubscription},
		{`query Q($w: users_bool_exp = {id: {_eq: 1}}) @cached { users(where: $w) { id } }`, "", OpQuery},
		{"# mutation in a comment\nquery { a }", "", OpQuery},
		{`query A { a } mutation B { b }`, "B", OpMutation},
		{`query A { a } mutation B { b }`, "A", OpQuery},
		{`query A { a } mutation B { b }`, "", OpUnknown},
		{`query A { a } mutation B { b }`, "C", OpUnknown},
		{`fragment F on users { id } subscription { users { ...F } }`, "", OpSubscription},
		{`fragment mutation on users { id } query { users { ...mutation } }`, "", OpQuery},
		{`query { a(s: "mutation { x }", b: """ subscription { } """) }`, "", OpQuery},
		{`mutation @dir(a: {b: "}"}) { x }`, "", OpMutation},
		{`query A { a }`, "B", OpUnknown},
		{``, "", OpUnknown},
		{`garbage`, "", OpUnknown},
	}
	for _, tt := range tests {
		if got := OperationType(tt.query, tt.name); got != tt.want {
			t.Errorf("OperationType(%q, %q) = %q, want %q", tt.query, tt.name, got, tt.want)
		}
	}
}

func TestSucceeded(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{200, `{"data":{"users":[]}}`, true},
		{200, `{"data":{"errors":"a column"}}`, true},
		{200, `{"errors":[{"message":"x"}]}`, false},
		{200, `{"data":null,"errors":[{"message":"x"}]}`, false},
		{400, `{"data":{}}`, false},
		{200, `oops`, false},
	}
	for _, tt := range tests {
		if got := succeeded(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("succeeded(%d, %s) = %v", tt.status, tt.body, got)
		}
	}
}

// fakeGraphQL answers every request with a fixed response.
type fakeGraphQL struct{ resp string }

func (f fakeGraphQL) Execute(context.Context, session.Session, []byte, bool) (int, []byte) {
	return http.StatusOK, []byte(f.resp)
}

func (f fakeGraphQL) Explain(context.Context, session.Session, []byte) (int, []byte) {
	return http.StatusOK, []byte(`[]`)
}

// scrape gathers m's registry and returns its families by name.
func scrape(t *testing.T, h http.Handler, header string) map[string]*dto.MetricFamily {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/v1/metrics", nil)
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value returns the value of the family's sample whose labels include
// labels (name=value pairs), or -1.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
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
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	return -1
}

func TestInstrumentedGraphQLAndHTTP(t *testing.T) {
	m := New(Options{
		PlanCache:       func() PlanCacheStats { return PlanCacheStats{Hits: 3, Plans: 2, Parses: 1} },
		ResourceVersion: func() int64 { return 7 },
		Subscriptions: func() SubscriptionStats {
			return SubscriptionStats{Active: 4, Pollers: 2, StreamingActive: 3, StreamingPollers: 1, Polls: 9}
		},
	})
	ok := m.GraphQL(fakeGraphQL{`{"data":{}}`})
	bad := m.GraphQL(fakeGraphQL{`{"errors":[{"message":"no"}]}`})
	ctx := context.Background()
	ok.Execute(ctx, session.Session{}, []byte(`{"query":"{ a }"}`), false)
	ok.Execute(ctx, session.Session{}, []byte(`{"query":"mutation { a }"}`), false)
	bad.Execute(ctx, session.Session{}, []byte(`{"query":"subscription { a }"}`), false)
	bad.Execute(ctx, session.Session{}, []byte(`not json`), false)
	batch := m.GraphQL(fakeGraphQL{`[{"data":{}},{"errors":[]}]`})
	batch.Execute(ctx, session.Session{}, []byte(`[{"query":"{ a }"},{"query":"mutation { b }"}]`), false)

	m.ObserveRequest("/v1/graphql", 200, 5*time.Millisecond, 10, 20)
	m.ObserveRequest("/v1/graphql", 101, time.Hour, 0, 0)
	m.ConnState(nil, http.StateNew)
	m.ConnState(nil, http.StateNew)
	m.ConnState(nil, http.StateHijacked)
	release := make(chan struct{})
	entered := make(chan struct{})
	ws := m.WebSocket(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { close(entered); <-release }))
	go ws.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/graphql", nil))
	<-entered

	fams := scrape(t, m.Handler(Access{}), "")
	close(release)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hasura_graphql_requests_total", []string{"operation_type", "query", "response_status", "success"}, 2},
		{"hasura_graphql_requests_total", []string{"operation_type", "mutation", "response_status", "success"}, 1},
		{"hasura_graphql_requests_total", []string{"operation_type", "mutation", "response_status", "failed"}, 1},
		{"hasura_graphql_requests_total", []string{"operation_type", "subscription", "response_status", "failed"}, 1},
		{"hasura_graphql_requests_total", []string{"operation_type", "unknown", "response_status", "failed"}, 1},
		{"hasura_graphql_execution_time_seconds", []string{"operation_type", "query"}, 2},
		{"hasura_graphql_execution_time_seconds", []string{"operation_type", "mutation"}, 1},
		{"postgate_http_request_duration_seconds", []string{"route", "/v1/graphql", "status", "200"}, 1},
		{"hasura_http_request_bytes_total", nil, 10},
		{"hasura_http_response_bytes_total", nil, 20},
		{"hasura_http_connections", nil, 1},
		{"hasura_websocket_connections", nil, 1},
		{"postgate_plan_cache_hits_total", nil, 3},
		{"postgate_plan_cache_plans_total", nil, 2},
		{"postgate_plan_cache_parses_total", nil, 1},
		{"postgate_metadata_resource_version", nil, 7},
		{"hasura_active_subscriptions", []string{"subscription_kind", "live-query"}, 4},
		{"hasura_active_subscription_pollers", []string{"subscription_kind", "live-query"}, 2},
		{"hasura_active_subscriptions", []string{"subscription_kind", "streaming"}, 3},
		{"hasura_active_subscription_pollers", []string{"subscription_kind", "streaming"}, 1},
		{"postgate_subscription_polls_total", nil, 9},
	}
	for _, c := range checks {
		if got := value(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if value(fams, "postgate_http_request_duration_seconds", "status", "101") != -1 {
		t.Error("a WebSocket upgrade was timed")
	}
	if fams["go_goroutines"] == nil || runtime.GOOS == "linux" && fams["process_start_time_seconds"] == nil {
		t.Error("the Go runtime or process collector is missing")
	}
}

func TestNilMetricsIsInert(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("/", 200, time.Second, 1, 1)
	m.ConnState(nil, http.StateNew)
	g := fakeGraphQL{}
	if m.GraphQL(g) != GraphQL(g) {
		t.Error("nil Metrics wrapped the executor")
	}
}

func TestHandlerAccess(t *testing.T) {
	m := New(Options{})
	get := func(h http.Handler, method, authz string) (int, string) {
		req := httptest.NewRequest(method, "/v1/metrics", nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}

	withSecret := m.Handler(Access{Secret: "s3cret", Admin: func(*http.Request) (bool, error) { return true, nil }})
	if code, body := get(withSecret, http.MethodGet, ""); code != http.StatusUnauthorized || !strings.Contains(body, `"access-denied"`) {
		t.Errorf("no secret: %d %s", code, body)
	}
	if code, _ := get(withSecret, http.MethodGet, "Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", code)
	}
	if code, body := get(withSecret, http.MethodGet, "Bearer s3cret"); code != http.StatusOK || !strings.Contains(body, "hasura_http_connections") {
		t.Errorf("secret: %d %s", code, body)
	}
	if code, _ := get(withSecret, http.MethodGet, "bearer  s3cret "); code != http.StatusOK {
		t.Errorf("case-insensitive scheme: %d", code)
	}
	if code, _ := get(withSecret, http.MethodPost, "Bearer s3cret"); code != http.StatusNotFound {
		t.Errorf("POST: %d", code)
	}

	adminOnly := m.Handler(Access{Admin: func(r *http.Request) (bool, error) {
		switch r.Header.Get("Authorization") {
		case "admin":
			return true, nil
		case "broken":
			return false, apierr.New(apierr.InvalidJWT, "Could not verify JWT")
		case "boom":
			return false, errors.New("internal")
		}
		return false, nil
	}})
	if code, body := get(adminOnly, http.MethodGet, ""); code != http.StatusBadRequest || !strings.Contains(body, "admin only") {
		t.Errorf("not admin: %d %s", code, body)
	}
	if code, body := get(adminOnly, http.MethodGet, "broken"); code != http.StatusBadRequest || !strings.Contains(body, "invalid-jwt") {
		t.Errorf("auth error: %d %s", code, body)
	}
	if code, _ := get(adminOnly, http.MethodGet, "boom"); code != http.StatusInternalServerError {
		t.Errorf("internal error: %d", code)
	}
	if code, _ := get(adminOnly, http.MethodGet, "admin"); code != http.StatusOK {
		t.Errorf("admin: %d", code)
	}
	if code, _ := get(m.Handler(Access{}), http.MethodGet, ""); code != http.StatusOK {
		t.Errorf("no-auth mode: %d", code)
	}
}
