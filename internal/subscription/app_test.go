package subscription_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/subscription"
)

// TestAppServesSubscriptions checks the App's wiring: GET /v1/graphql
// upgrades, connection_init is authenticated with the admin secret, and a
// live query follows the refetch interval set by
// HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL.
func TestAppServesSubscriptions(t *testing.T) {
	cfg, _, err := config.Load([]string{"--database-url", pgtest.URL(t), "--admin-secret", adminSecret},
		func(k string) string {
			if k == "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL" {
				return "50"
			}
			return ""
		})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv}
	e.admin("/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE item(id serial PRIMARY KEY, owner text NOT NULL, name text NOT NULL)"}}`)
	e.admin("/v1/metadata", `{"type":"pg_track_table","args":{"table":"item"}}`)

	c := dial(t, srv.URL, subscription.ProtocolTransportWS)
	c.init(adminHeaders)
	c.send(`{"type":"subscribe","id":"1","payload":` + payload(`subscription { item { name } }`, nil) + `}`)
	if m := c.expect("next", "1"); compact(m) != `{"data":{"item":[]}}` {
		t.Fatalf("got %s", m.Payload)
	}
	e.insert("alice", "a1")
	if m := c.expect("next", "1"); compact(m) != `{"data":{"item":[{"name":"a1"}]}}` {
		t.Fatalf("got %s", m.Payload)
	}
}
