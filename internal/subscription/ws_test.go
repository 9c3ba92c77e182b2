package subscription_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/postgate/postgate/internal/subscription"
)

const adminHeaders = `{"x-hasura-admin-secret":"` + adminSecret + `"}`

// userHeaders acts as role user with the admin secret and a user id.
func userHeaders(id string) string {
	return `{"x-hasura-admin-secret":"` + adminSecret + `","x-hasura-role":"user","x-hasura-user-id":"` + id + `"}`
}

func payload(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// compact is the message payload without insignificant spaces.
func compact(m *msg) string {
	var b bytes.Buffer
	if err := json.Compact(&b, m.Payload); err != nil {
		return string(m.Payload)
	}
	return b.String()
}

// contains fails unless the message payload contains every want.
func contains(t *testing.T, m *msg, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(string(m.Payload), w) {
			t.Fatalf("%s payload %s lacks %s", m.Type, m.Payload, w)
		}
	}
}

// TestTransportProtocolQueryAndMutation: graphql-transport-ws handshake,
// ping/pong, a query and a mutation answered with next + complete, and a
// validation error as an error message carrying a list of errors.
func TestTransportProtocolQueryAndMutation(t *testing.T) {
	e := start(t)
	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	if got := c.c.Subprotocol(); got != subscription.ProtocolTransportWS {
		t.Fatalf("subprotocol %q", got)
	}
	c.init(adminHeaders)
	c.send(`{"type":"ping","payload":{"n":1}}`)
	if m := c.expect("pong", ""); string(m.Payload) != `{"n":1}` {
		t.Fatalf("pong payload %s", m.Payload)
	}
	c.send(`{"type":"subscribe","id":"q","payload":` + payload(`query { item(order_by:{id:asc}) { name } }`, nil) + `}`)
	contains(t, c.expect("next", "q"), `"a1"`, `"b1"`)
	c.expect("complete", "q")
	c.send(`{"type":"subscribe","id":"m","payload":` + payload(`mutation($n:String!) { insert_item_one(object:{owner:"carol",name:$n}) { name } }`, map[string]any{"n": "c1"}) + `}`)
	contains(t, c.expect("next", "m"), `"c1"`)
	c.expect("complete", "m")
	c.send(`{"type":"subscribe","id":"bad","payload":` + payload(`query { nope }`, nil) + `}`)
	m := c.expect("error", "bad")
	if !strings.HasPrefix(string(m.Payload), "[") {
		t.Fatalf("error payload is not a list: %s", m.Payload)
	}
	contains(t, m, `validation-failed`)
	c.expect("complete", "bad")
}

// TestLegacyProtocol: subscriptions-transport-ws, chosen by "graphql-ws"
// and by default: connection_ack then ka, a query answered with data +
// complete, errors as {"errors": [...]}, and connection_terminate.
func TestLegacyProtocol(t *testing.T) {
	e := start(t)
	for _, proto := range []string{subscription.ProtocolLegacyWS, ""} {
		c := dial(t, e.srv.URL, proto)
		if got := c.c.Subprotocol(); got != proto {
			t.Fatalf("subprotocol %q, want %q", got, proto)
		}
		c.send(`{"type":"start","id":"early","payload":` + payload(`query { item { id } }`, nil) + `}`)
		contains(t, c.expect("error", "early"), `start received before the connection is initialised`, `start-failed`)
		c.expect("complete", "early")
		c.send(`{"type":"connection_init","payload":{"headers":` + adminHeaders + `}}`)
		// ka comes right after the ack.
		b := <-c.msgs
		if !strings.Contains(string(b), `"connection_ack"`) {
			t.Fatalf("got %s", b)
		}
		if b = <-c.msgs; string(b) != `{"type":"ka"}` {
			t.Fatalf("got %s, want ka", b)
		}
		c.send(`{"type":"start","id":"1","payload":` + payload(`query { item(order_by:{id:asc}) { name } }`, nil) + `}`)
		contains(t, c.expect("data", "1"), `{"data":{"item":[`, `"a1"`)
		c.expect("complete", "1")
		c.send(`{"type":"start","id":"2","payload":` + payload(`query { nope }`, nil) + `}`)
		contains(t, c.expect("error", "2"), `{"errors":[`, `validation-failed`)
		c.expect("complete", "2")
		c.send(`{"type":"bogus"}`)
		contains(t, c.expect("connection_error", ""), `"parsing ClientMessage failed`)
		c.send(`{"type":"connection_terminate"}`)
		if code, _ := c.closed(); code != websocket.StatusNormalClosure {
			t.Fatalf("close code %d", code)
		}
	}
}

// TestLiveQueryUpdates: a subscription gets its initial result, a new
// result after a row is inserted over HTTP, and nothing while the result
// stays the same; in both protocols.
func TestLiveQueryUpdates(t *testing.T) {
	e := start(t)
	for i, proto := range []string{subscription.ProtocolTransportWS, subscription.ProtocolLegacyWS} {
		dataType, startType := "next", "subscribe"
		if proto == subscription.ProtocolLegacyWS {
			dataType, startType = "data", "start"
		}
		c := dial(t, e.srv.URL, proto)
		c.init(adminHeaders)
		c.send(`{"type":"` + startType + `","id":"s","payload":` + payload(`subscription($o:String!) { item(where:{owner:{_eq:$o}}, order_by:{id:asc}) { name } }`, map[string]any{"o": proto}) + `}`)
		if m := c.expect(dataType, "s"); compact(m) != `{"data":{"item":[]}}` {
			t.Fatalf("initial result %s", m.Payload)
		}
		c.quiet(200 * time.Millisecond) // four polls, same result
		name := []string{"d1", "d2"}[i]
		e.insert(proto, name)
		contains(t, c.expect(dataType, "s"), `"`+name+`"`)
		c.quiet(200 * time.Millisecond)
	}
}

// TestCohortServesSessions: two users subscribed to the same query share
// one cohort poller and each sees only their own rows; an insert for one
// reaches only that one.
func TestCohortServesSessions(t *testing.T) {
	e := start(t)
	q := payload(`subscription { item(order_by:{id:asc}) { owner name } }`, nil)
	alice := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	alice.init(userHeaders("alice"))
	bob := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	bob.init(userHeaders("bob"))
	alice.send(`{"type":"subscribe","id":"1","payload":` + q + `}`)
	bob.send(`{"type":"subscribe","id":"1","payload":` + q + `}`)
	if m := alice.expect("next", "1"); !strings.Contains(string(m.Payload), `"a1"`) || strings.Contains(string(m.Payload), "bob") {
		t.Fatalf("alice got %s", m.Payload)
	}
	if m := bob.expect("next", "1"); !strings.Contains(string(m.Payload), `"b1"`) || strings.Contains(string(m.Payload), "alice") {
		t.Fatalf("bob got %s", m.Payload)
	}
	waitStats(t, e.handler(), 1, 2)
	e.insert("alice", "a2")
	contains(t, alice.expect("next", "1"), `"a1"`, `"a2"`)
	bob.quiet(200 * time.Millisecond)
}

// TestUnsubscribeStopsPolling: complete (graphql-transport-ws) and stop
// (legacy) end the subscription, and the cohort's poller stops with its
// last subscriber.
func TestUnsubscribeStopsPolling(t *testing.T) {
	e := start(t)
	q := payload(`subscription { item { id } }`, nil)
	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	c.init(adminHeaders)
	l := dial(t, e.srv.URL, subscription.ProtocolLegacyWS)
	l.init(adminHeaders)
	c.send(`{"type":"subscribe","id":"1","payload":` + q + `}`)
	c.expect("next", "1")
	l.send(`{"type":"start","id":"1","payload":` + q + `}`)
	l.expect("data", "1")
	waitStats(t, e.handler(), 1, 2)
	c.send(`{"type":"complete","id":"1"}`)
	l.send(`{"type":"stop","id":"1"}`)
	waitStats(t, e.handler(), 0, 0)
	before := e.handler().Stats().Polls
	e.insert("alice", "late")
	c.quiet(200 * time.Millisecond)
	l.quiet(10 * time.Millisecond)
	if after := e.handler().Stats().Polls; after != before {
		t.Fatalf("polls went on: %d -> %d", before, after)
	}
}

// TestClosingConnectionStopsPolling: a client that goes away takes its
// subscriptions with it.
func TestClosingConnectionStopsPolling(t *testing.T) {
	e := start(t)
	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	c.init(adminHeaders)
	c.send(`{"type":"subscribe","id":"1","payload":` + payload(`subscription { item { id } }`, nil) + `}`)
	c.expect("next", "1")
	_ = c.c.Close(websocket.StatusNormalClosure, "")
	waitStats(t, e.handler(), 0, 0)
}

// TestBadAuth: a bad JWT closes a graphql-transport-ws connection with
// 4403, and gets a legacy client Hasura's connection_error with the
// message as a string payload.
func TestBadAuth(t *testing.T) {
	e := start(t)
	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	c.send(`{"type":"connection_init","payload":{"headers":{"Authorization":"Bearer nonsense"}}}`)
	if code, reason := c.closed(); code != 4403 || reason != "Forbidden" {
		t.Fatalf("close %d %q", code, reason)
	}
	l := dial(t, e.srv.URL, subscription.ProtocolLegacyWS)
	l.send(`{"type":"connection_init","payload":{}}`)
	m := l.expect("connection_error", "")
	if string(m.Payload) != `"Missing 'Authorization' or 'Cookie' header in JWT authentication mode"` {
		t.Fatalf("connection_error payload %s", m.Payload)
	}
	if code, _ := l.closed(); code != 4400 {
		t.Fatalf("close %d", code)
	}
}

// TestJWTSessionAndExpiry: a JWT in connection_init (in headers, or as
// the payload itself) gives the user's session, and the connection closes
// when the token expires.
func TestJWTSessionAndExpiry(t *testing.T) {
	e := start(t)
	long := dial(t, e.srv.URL, subscription.ProtocolLegacyWS)
	long.send(`{"type":"connection_init","payload":{"Authorization":"Bearer ` + token("bob", time.Hour) + `"}}`)
	long.expect("connection_ack", "")
	long.send(`{"type":"start","id":"1","payload":` + payload(`subscription { item { name } }`, nil) + `}`)
	if m := long.expect("data", "1"); compact(m) != `{"data":{"item":[{"name":"b1"}]}}` {
		t.Fatalf("bob sees %s", m.Payload)
	}

	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	began := time.Now()
	c.init(`{"Authorization":"Bearer ` + token("alice", 2*time.Second) + `"}`)
	c.send(`{"type":"subscribe","id":"1","payload":` + payload(`subscription { item { name } }`, nil) + `}`)
	if m := c.expect("next", "1"); compact(m) != `{"data":{"item":[{"name":"a1"}]}}` {
		t.Fatalf("alice sees %s", m.Payload)
	}
	code, reason := c.closed()
	if code != websocket.StatusNormalClosure || reason != "JWT expired" {
		t.Fatalf("close %d %q", code, reason)
	}
	if d := time.Since(began); d < 900*time.Millisecond || d > 3*time.Second {
		t.Fatalf("closed after %v", d)
	}
	long.quiet(10 * time.Millisecond)
}

// TestErrorsStayWithTheirSubscriber: two subscribers in one cohort, one
// of whose variables makes the statement fail: the failing one gets the
// error as its result, the other keeps getting its data.
func TestErrorsStayWithTheirSubscriber(t *testing.T) {
	e := start(t)
	q := `subscription($re:String!) { item(where:{name:{_regex:$re}}, order_by:{id:asc}) { name } }`
	good := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	good.init(adminHeaders)
	bad := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	bad.init(adminHeaders)
	good.send(`{"type":"subscribe","id":"1","payload":` + payload(q, map[string]any{"re": "^a"}) + `}`)
	contains(t, good.expect("next", "1"), `"a1"`)
	bad.send(`{"type":"subscribe","id":"1","payload":` + payload(q, map[string]any{"re": "("}) + `}`)
	contains(t, bad.expect("next", "1"), `{"errors":[`)
	waitStats(t, e.handler(), 1, 2)
	e.insert("alice", "a9")
	if m := good.expect("next", "1"); compact(m) != `{"data":{"item":[{"name":"a1"},{"name":"a9"}]}}` {
		t.Fatalf("good subscriber got %s", m.Payload)
	}
	bad.quiet(100 * time.Millisecond) // the same error is not sent again
}

// TestMetadataChangeClosesConnections: as in Hasura, a metadata change
// closes WebSocket connections with 1012 so clients resubscribe against
// the new schema.
func TestMetadataChangeClosesConnections(t *testing.T) {
	e := start(t)
	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	c.init(adminHeaders)
	c.send(`{"type":"subscribe","id":"1","payload":` + payload(`subscription { item { id } }`, nil) + `}`)
	c.expect("next", "1")
	e.admin("/v1/metadata", `{"type":"pg_untrack_table","args":{"table":"item"}}`)
	if code, _ := c.closed(); code != 1012 {
		t.Fatalf("close %d, want 1012", code)
	}
}

// TestStreamingSubscription: <table>_stream sends the rows after the
// cursor in batches, moves the cursor past each batch, sends nothing for a
// poll that finds no new rows (as Hasura), keeps streaming rows inserted
// later, and keeps the cursor column out of rows that do not select it.
func TestStreamingSubscription(t *testing.T) {
	e := start(t)
	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	c.init(adminHeaders)
	c.send(`{"type":"subscribe","id":"s","payload":` + payload(`subscription { item_stream(batch_size: 1, cursor: {initial_value: {id: 0}, ordering: ASC}) { name } }`, nil) + `}`)
	for _, want := range []string{`{"data":{"item_stream":[{"name":"a1"}]}}`, `{"data":{"item_stream":[{"name":"b1"}]}}`} {
		if m := c.expect("next", "s"); compact(m) != want {
			t.Fatalf("got %s, want %s", m.Payload, want)
		}
	}
	c.quiet(150 * time.Millisecond)
	e.insert("carol", "c1")
	if m := c.expect("next", "s"); compact(m) != `{"data":{"item_stream":[{"name":"c1"}]}}` {
		t.Fatalf("got %s", m.Payload)
	}

	// A variable cursor, a filter, descending order, and the cursor column
	// selected by the client too.
	l := dial(t, e.srv.URL, subscription.ProtocolLegacyWS)
	l.init(adminHeaders)
	q := `subscription($c: Int!, $o: String!) { rows: item_stream(batch_size: 10, cursor: {initial_value: {id: $c}, ordering: DESC}, where: {owner: {_neq: $o}}) { id owner } }`
	l.send(`{"type":"start","id":"1","payload":` + payload(q, map[string]any{"c": 100, "o": "bob"}) + `}`)
	if m := l.expect("data", "1"); compact(m) != `{"data":{"rows":[{"id":3,"owner":"carol"},{"id":1,"owner":"alice"}]}}` {
		t.Fatalf("got %s", m.Payload)
	}
}

// waitStats waits until h polls the given numbers of cohorts and
// subscribers (a subscriber joins its cohort just after its first result).
func waitStats(t *testing.T, h *subscription.Handler, cohorts, subscribers int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		st := h.Stats()
		if st.Cohorts == cohorts && st.Subscribers == subscribers {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want %d cohorts of %d subscribers", st, cohorts, subscribers)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestExplainSubscription: /v1/graphql/explain shows the multiplexed
// statement a subscription's polls run, with its plan and variables.
func TestExplainSubscription(t *testing.T) {
	e := start(t)
	got := e.admin("/v1/graphql/explain", `{"query":"subscription($o:String!) { item(where:{owner:{_eq:$o}}) { name } }","variables":{"o":"bob"},"user":{"x-hasura-role":"user","x-hasura-user-id":"bob"}}`)
	var ex struct {
		SQL       string
		Plan      []string
		Variables struct {
			Query   map[string]any
			Session map[string]string
		}
	}
	if err := json.Unmarshal([]byte(got), &ex); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if !strings.Contains(ex.SQL, "unnest(") || len(ex.Plan) == 0 || ex.Variables.Query["o"] != "bob" || ex.Variables.Session["x-hasura-user-id"] != "bob" {
		t.Fatalf("explain %s", got)
	}
}

// TestStatsCountStreamingApart: Stats counts streaming subscriptions and
// their pollers apart from live queries (for /v1/metrics'
// subscription_kind="streaming").
func TestStatsCountStreamingApart(t *testing.T) {
	e := start(t)
	c := dial(t, e.srv.URL, subscription.ProtocolTransportWS)
	c.init(adminHeaders)
	c.send(`{"type":"subscribe","id":"live","payload":` + payload(`subscription { item { id } }`, nil) + `}`)
	c.expect("next", "live")
	for _, id := range []string{"s1", "s2"} {
		c.send(`{"type":"subscribe","id":"` + id + `","payload":` + payload(`subscription { item_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id } }`, nil) + `}`)
		c.expect("next", id)
	}
	waitStats(t, e.handler(), 2, 3)
	if st := e.handler().Stats(); st.StreamingCohorts != 1 || st.StreamingSubscribers != 2 {
		t.Fatalf("stats %+v, want 1 streaming cohort of 2 subscribers", st)
	}
	c.send(`{"type":"complete","id":"s1"}`)
	c.send(`{"type":"complete","id":"s2"}`)
	waitStats(t, e.handler(), 1, 1)
	if st := e.handler().Stats(); st.StreamingCohorts != 0 || st.StreamingSubscribers != 0 {
		t.Fatalf("stats %+v, want no streaming subscriptions", st)
	}
}

// TestLegacyEndpointErrorShape: on /v1alpha1/graphql, errors of queries
// and mutations take Hasura's legacy shape, as those of subscriptions do:
// an error raised before execution is the error message's payload,
// {"path","error","code"}, and one raised while the statement runs is in
// the data message's errors list.
func TestLegacyEndpointErrorShape(t *testing.T) {
	e := start(t)
	c := dialPath(t, e.srv.URL, "/v1alpha1/graphql", subscription.ProtocolLegacyWS)
	c.init(adminHeaders)
	c.send(`{"type":"start","id":"1","payload":` + payload(`query { nope }`, nil) + `}`)
	if m := c.expect("error", "1"); compact(m) != `{"code":"validation-failed","error":"field \"nope\" not found in type: 'query_root'","path":"$.selectionSet.nope"}` {
		t.Errorf("pre-execution error: %s", m.Payload)
	}
	c.expect("complete", "1")
	c.send(`{"type":"start","id":"2","payload":` + payload(`mutation { insert_item_one(object: {id: 1, owner: "x", name: "y"}) { id } }`, nil) + `}`)
	contains(t, c.expect("error", "2"), `{"code":"constraint-violation","error":"Uniqueness violation.`, `"path":"$.selectionSet.insert_item_one.args.object"}`)
	c.expect("complete", "2")
	e.admin("/v2/query", `{"type":"run_sql","args":{"sql":"CREATE VIEW broken AS SELECT id / 0 AS x FROM item"}}`)
	e.admin("/v1/metadata", `{"type":"pg_track_table","args":{"table":"broken"}}`)
	c = dialPath(t, e.srv.URL, "/v1alpha1/graphql", subscription.ProtocolLegacyWS) // the metadata change closed c
	c.init(adminHeaders)
	c.send(`{"type":"start","id":"4","payload":` + payload(`query { broken { x } }`, nil) + `}`)
	m := c.expect("data", "4")
	contains(t, m, `{"data":null,"errors":[{"code":"`, `"path":"$"`)
	if strings.Contains(string(m.Payload), `"extensions"`) || strings.Contains(string(m.Payload), `"message"`) {
		t.Errorf("execution error not in the legacy shape: %s", m.Payload)
	}
	c.expect("complete", "4")
	c.send(`{"type":"start","id":"3","payload":` + payload(`subscription { nope }`, nil) + `}`)
	contains(t, c.expect("error", "3"), `"error":"field \"nope\" not found`, `"code":"validation-failed"`)
	c.expect("complete", "3")

	// /v1/graphql keeps GraphQL errors.
	v1 := dial(t, e.srv.URL, subscription.ProtocolLegacyWS)
	v1.init(adminHeaders)
	v1.send(`{"type":"start","id":"1","payload":` + payload(`query { nope }`, nil) + `}`)
	contains(t, v1.expect("error", "1"), `{"errors":[{"extensions":`, `"message":"field \"nope\" not found`)
}
