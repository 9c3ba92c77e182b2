package metrics_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/metrics"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/session"
)

// TestEngineOperationTypes runs requests through the engine wrapped by the
// metrics and checks the operation types they are counted under, which
// the engine records: the selected operation's type, also when the
// document or its variables are rejected, and "unknown" when no operation
// can be selected.
func TestEngineOperationTypes(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `CREATE TABLE author (id int PRIMARY KEY, name text);
		INSERT INTO author VALUES (1, 'A'), (2, 'B');`)
	eng := engine.New(pool, engine.Options{MaxBodyBytes: 1 << 10})
	cat, err := catalog.Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var src metadata.Source
	if err := json.Unmarshal([]byte(`{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "author"}}]}`), &src); err != nil {
		t.Fatal(err)
	}
	eng.Update(cat, &src, nil)

	const (
		query      = `{ author(order_by: {id: asc}) { id } }`
		mutation   = `mutation { delete_author(where: {id: {_eq: 0}}) { affected_rows } }`
		withVar    = `query ($id: Int!) { author(where: {id: {_eq: $id}}) { id } }`
		twoQueries = `query A { author { id } } query B { author { name } }`
	)
	req := func(q string, more ...string) string {
		b, _ := json.Marshal(q)
		return `{"query":` + string(b) + strings.Join(more, "") + `}`
	}
	type count struct {
		op, status string
		n          float64
	}
	tests := []struct {
		name string
		body string
		want []count
	}{
		{"query", req(query), []count{{"query", "success", 1}}},
		{"mutation", req(mutation), []count{{"mutation", "success", 1}}},
		{"named operation", req(twoQueries, `,"operationName":"B"`), []count{{"query", "success", 1}}},
		{"invalid field", req(`{ nosuch }`), []count{{"query", "failed", 1}}},
		{"invalid mutation field", req(`mutation { nosuch }`), []count{{"mutation", "failed", 1}}},
		{"missing variable", req(withVar), []count{{"query", "failed", 1}}},
		{"subscription over HTTP", req(`subscription { author { id } }`), []count{{"subscription", "failed", 1}}},
		{"syntax error", req(`query { author { id }`), []count{{"unknown", "failed", 1}}},
		{"no operation selected", req(twoQueries), []count{{"unknown", "failed", 1}}},
		{"no such operation", req(query, `,"operationName":"C"`), []count{{"unknown", "failed", 1}}},
		{"invalid JSON", `{"query":`, []count{{"unknown", "failed", 1}}},
		{"body too large", req(query + strings.Repeat(" ", 2<<10)), []count{{"unknown", "failed", 1}}},
		{"batch", `[` + req(query) + `,` + req(`{`) + `,` + req(mutation) + `,` + req(`mutation { nosuch }`) + `]`,
			[]count{{"query", "success", 1}, {"unknown", "failed", 1}, {"mutation", "success", 1}, {"mutation", "failed", 1}}},
		{"batch that does not decode", `[{"query":1}]`, []count{{"unknown", "failed", 1}}},
	}
	admin := session.Session{Role: session.AdminRole, Vars: map[string]string{"x-hasura-role": session.AdminRole}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(metrics.Options{})
			// Twice: the second time the engine answers from its cache.
			for range 2 {
				m.GraphQL(eng).Execute(context.Background(), admin, []byte(tt.body), false)
			}
			fams := scrape(t, m)
			want := map[[2]string]float64{}
			for _, c := range tt.want {
				want[[2]string{c.op, c.status}] += 2 * c.n
			}
			for _, op := range []string{"query", "mutation", "subscription", "unknown"} {
				for _, st := range []string{"success", "failed"} {
					if got, w := requests(fams, op, st), want[[2]string{op, st}]; got != w {
						t.Errorf("requests{operation_type=%q,response_status=%q} = %v, want %v", op, st, got, w)
					}
				}
			}
		})
	}
}

// scrape returns the families m serves by name.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(metrics.Access{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// requests returns hasura_graphql_requests_total for one operation type
// and status.
func requests(fams map[string]*dto.MetricFamily, op, status string) float64 {
	f := fams["hasura_graphql_requests_total"]
	if f == nil {
		return 0
	}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["operation_type"] == op && labels["response_status"] == status {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
