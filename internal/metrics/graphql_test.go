package metrics

import (
	"context"
	"net/http"
	"testing"

	"github.com/postgate/postgate/internal/optype"
	"github.com/postgate/postgate/internal/session"
)

// recordingGraphQL records fixed operation types, as the engine does, and
// answers with a fixed response.
type recordingGraphQL struct {
	types []string
	resp  string
}

func (g recordingGraphQL) Execute(ctx context.Context, _ session.Session, _ []byte, _ bool) (int, []byte) {
	for _, t := range g.types {
		optype.Record(ctx, t)
	}
	return http.StatusOK, []byte(g.resp)
}

func (g recordingGraphQL) Explain(context.Context, session.Session, []byte) (int, []byte) {
	return http.StatusOK, []byte(`[]`)
}

// TestRecordedOperationTypes checks that the types an executor records
// label the samples, not the request's documents.
func TestRecordedOperationTypes(t *testing.T) {
	tests := []struct {
		name   string
		types  []string
		resp   string
		body   string
		labels [][2]string // operation_type, response_status
	}{
		{"recorded over the document", []string{"mutation"}, `{"data":{}}`, `{"query":"{ a }"}`, [][2]string{{OpMutation, statusSuccess}}},
		{"unknown", []string{""}, `{"errors":[{"message":"x"}]}`, `{"query":"{ a }"}`, [][2]string{{OpUnknown, statusFailed}}},
		{"not a request", []string{""}, `{"errors":[{"message":"x"}]}`, `not json`, [][2]string{{OpUnknown, statusFailed}}},
		{"subscription", []string{"subscription"}, `{"errors":[{"message":"x"}]}`, `{"query":"{ a }"}`, [][2]string{{OpSubscription, statusFailed}}},
		{"two types for one request", []string{"query", "query"}, `{"data":{}}`, `{"query":"{ a }"}`, [][2]string{{OpUnknown, statusSuccess}}},
		{"batch", []string{"query", "", "mutation"}, `[{"data":{}},{"errors":[]},{"data":null,"errors":[]}]`, ` [{"query":"mutation { a }"},{},{}]`,
			[][2]string{{OpQuery, statusSuccess}, {OpUnknown, statusFailed}, {OpMutation, statusFailed}}},
		{"batch that does not decode", []string{""}, `{"errors":[{"message":"x"}]}`, `[{"query":1}]`, [][2]string{{OpUnknown, statusFailed}}},
		{"batch with fewer types than responses", []string{"query"}, `[{"data":{}},{"data":{}}]`, `[{"query":"{ a }"},{"query":"{ a }"}]`, [][2]string{{OpUnknown, statusFailed}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{})
			m.GraphQL(recordingGraphQL{tt.types, tt.resp}).Execute(context.Background(), session.Session{}, []byte(tt.body), false)
			want := map[[2]string]float64{}
			for _, l := range tt.labels {
				want[l]++
			}
			fams := scrape(t, m.Handler(Access{}), "")
			for _, op := range []string{OpQuery, OpMutation, OpSubscription, OpUnknown} {
				for _, st := range []string{statusSuccess, statusFailed} {
					got := value(fams, "hasura_graphql_requests_total", "operation_type", op, "response_status", st)
					if got < 0 {
						got = 0
					}
					if w := want[[2]string{op, st}]; got != w {
						t.Errorf("requests{%s,%s} = %v, want %v", op, st, got, w)
					}
				}
			}
		})
	}
}

// TestUnrecordedOperationTypes checks the types read from the body for an
// executor that records none.
func TestUnrecordedOperationTypes(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{`{"query":"query Q1 { artist(limit: 10) { artist_id name } }"}`, OpQuery},
		{` {"query" : "subscription S { x }" , "variables": {"a": [1, {"b": "c\"d"}]}} `, OpSubscription},
		{`{"operationName":"B","query":"query A { a } mutation B { b }"}`, OpMutation},
		{`{"query":"query A { a } mutation B { b }"}`, OpUnknown},
		{`{"query":"\u006dutation { a }"}`, OpMutation},
		{`{"Query":"mutation { a }"}`, OpMutation},
		{`{"query":1}`, OpUnknown},
		{`{"query":"mutation { a }"} x`, OpUnknown},
		{``, OpUnknown},
	}
	for _, tt := range tests {
		m := New(Options{})
		m.GraphQL(fakeGraphQL{`{"data":{}}`}).Execute(context.Background(), session.Session{}, []byte(tt.body), false)
		fams := scrape(t, m.Handler(Access{}), "")
		if got := value(fams, "hasura_graphql_requests_total", "operation_type", tt.want, "response_status", statusSuccess); got != 1 {
			t.Errorf("%s: %v requests of type %s, want 1", tt.body, got, tt.want)
		}
	}
}

func FuzzOperationTypeSkipsNested(f *testing.F) {
	for _, q := range []string{
		`{ users { id } }`, `query Q($w: users_bool_exp = {id: {_eq: 1}}) @cached { users(where: $w) { id } }`,
		"# mutation in a comment\nquery { a }", `query A { a } mutation B { b }`,
		`fragment F on users { id } subscription { users { ...F } }`,
		`query { a(s: "mutation { x }", b: """ subscription { } """) }`, `mutation @dir(a: {b: "}"}) { x }`,
		"query { a(x: -1.5e3, y: [1, {z: \"#\"}]) # }\n } mutation M { b }",
	} {
		f.Add(q, "")
		f.Add(q, "M")
	}
	f.Fuzz(func(t *testing.T, q, name string) {
		if got, want := operationType(q, name, true), operationType(q, name, false); got != want {
			t.Errorf("operationType(%q, %q) = %q skipping nested tokens, %q scanning them", q, name, got, want)
		}
	})
}

// BenchmarkExecute measures the wrapper around an executor that records the
// operation type (as the engine does) and around one whose requests' types
// are read from their bodies.
func BenchmarkExecute(b *testing.B) {
	body := []byte(`{"query":"query Q1 { artist(limit: 10, order_by: {artist_id: asc}) { artist_id name } }"}`)
	m := New(Options{})
	for _, bc := range []struct {
		name string
		g    GraphQL
	}{
		{"recorded", recordingGraphQL{[]string{"query"}, `{"data":{}}`}},
		{"from-body", fakeGraphQL{`{"data":{}}`}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := m.GraphQL(bc.g)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				g.Execute(ctx, session.Session{}, body, false)
			}
		})
	}
}
