package subscription_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

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

// TestAppWebSocketSettings checks that the App passes the WebSocket
// settings to the handler: HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT
// closes a silent graphql-transport-ws client (4408) after 1 s rather than
// 3, HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE sends keep-alives every second
// rather than 5, and HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE=false
// keeps connections open across a metadata change.
func TestAppWebSocketSettings(t *testing.T) {
	vars := map[string]string{
		"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT":   "1",
		"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE":                 "1",
		"HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE": "false",
	}
	cfg, _, err := config.Load([]string{"--database-url", pgtest.URL(t), "--admin-secret", adminSecret},
		func(k string) string { return vars[k] })
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

	// The server's timer starts when it accepts the connection, before dial
	// returns: timing from here leaves the dial's own (load-dependent)
	// latency out of a bound that must stay under the 3 s default.
	silent := dial(t, srv.URL, subscription.ProtocolTransportWS)
	began := time.Now()
	if code, _ := silent.closed(); code != 4408 {
		t.Fatalf("close code %d, want 4408", code)
	}
	if d := time.Since(began); d > 2500*time.Millisecond {
		t.Fatalf("init timeout after %v, want about 1s", d)
	}

	c := dial(t, srv.URL, subscription.ProtocolLegacyWS)
	c.init(adminHeaders)
	// The ka right after connection_ack, then one a second.
	deadline := time.After(2500 * time.Millisecond)
	for kas := 0; kas < 2; {
		select {
		case b, ok := <-c.msgs:
			if !ok {
				t.Fatalf("connection ended: %v", c.err)
			}
			if string(b) == `{"type":"ka"}` {
				kas++
			}
		case <-deadline:
			t.Fatalf("%d keep-alives in 2.5 s, want 2", kas)
		}
	}

	e.admin("/v2/query", `{"type":"run_sql","args":{"sql":"CREATE TABLE ws_setting(id int PRIMARY KEY)"}}`)
	e.admin("/v1/metadata", `{"type":"pg_track_table","args":{"table":"ws_setting"}}`)
	c.quiet(2500 * time.Millisecond)
	c.send(`{"type":"start","id":"1","payload":` + payload(`query { ws_setting { id } }`, nil) + `}`)
	if m := c.expect("data", "1"); compact(m) != `{"data":{"ws_setting":[]}}` {
		t.Fatalf("got %s", m.Payload)
	}
}
