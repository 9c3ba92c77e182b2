package subscription_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/subscription"
)

// TestTransportProtocolErrors checks graphql-transport-ws's close codes:
// 4401 for subscribe before connection_ack, 4409 for a duplicate id, 4429
// for a second connection_init, 4408 for a missing one, 4400 for a
// message that is not one of the protocol's.
func TestTransportProtocolErrors(t *testing.T) {
	e := start(t)
	h := subscription.New(subscription.Options{
		Engine:      e.eng,
		Interval:    50 * time.Millisecond,
		InitTimeout: 200 * time.Millisecond,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sub := `{"type":"subscribe","id":"1","payload":` + payload(`subscription { item { id } }`, nil) + `}`
	cases := []struct {
		name   string
		script func(c *client)
		code   websocket.StatusCode
	}{
		{"subscribe before ack", func(c *client) { c.send(sub) }, 4401},
		{"duplicate id", func(c *client) {
			c.init(`{}`)
			c.send(sub)
			c.expect("next", "1")
			c.send(sub)
		}, 4409},
		{"second init", func(c *client) {
			c.init(`{}`)
			c.send(`{"type":"connection_init"}`)
		}, 4429},
		{"init timeout", func(c *client) {}, 4408},
		{"unknown message", func(c *client) {
			c.init(`{}`)
			c.send(`{"type":"start","id":"1"}`)
		}, 4400},
		{"invalid JSON", func(c *client) { c.send(`{`) }, 4400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, srv.URL, subscription.ProtocolTransportWS)
			tc.script(c)
			if code, reason := c.closed(); code != tc.code {
				t.Fatalf("close %d %q, want %d", code, reason, tc.code)
			}
		})
	}
	waitStats(t, h, 0, 0)
}

// TestNoAuthModeSessionFromHeaders: without an authenticator every
// connection is admin unless connection_init's headers pick a role, as in
// Hasura's mode without secrets.
func TestNoAuthModeSessionFromHeaders(t *testing.T) {
	e := start(t)
	srv := httptest.NewServer(subscription.New(subscription.Options{Engine: e.eng, Interval: 50 * time.Millisecond}))
	t.Cleanup(srv.Close)
	c := dial(t, srv.URL, subscription.ProtocolTransportWS)
	c.init(`{"x-hasura-role":"user","x-hasura-user-id":"bob"}`)
	c.send(`{"type":"subscribe","id":"1","payload":` + payload(`subscription { item { owner } }`, nil) + `}`)
	if m := c.expect("next", "1"); compact(m) != `{"data":{"item":[{"owner":"bob"}]}}` {
		t.Fatalf("got %s", m.Payload)
	}
}

// TestKeepAliveAndShutdown: graphql-transport-ws keep-alives are pings
// with Hasura's payload; Close ends every connection with 1001 and stops
// its pollers.
func TestKeepAliveAndShutdown(t *testing.T) {
	e := start(t)
	h := subscription.New(subscription.Options{
		Engine:    e.eng,
		Interval:  50 * time.Millisecond,
		KeepAlive: 50 * time.Millisecond,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := dial(t, srv.URL, subscription.ProtocolTransportWS)
	c.init(`{}`)
	select {
	case b := <-c.msgs:
		if string(b) != `{"type":"ping","payload":{"message":"keepalive"}}` {
			t.Fatalf("got %s", b)
		}
	case <-time.After(10 * time.Second): // 50 ms when idle
		t.Fatal("no keep-alive")
	}
	c.send(`{"type":"subscribe","id":"1","payload":` + payload(`subscription { item { id } }`, nil) + `}`)
	c.expect("next", "1")
	h.Close()
	if code, _ := c.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("close %d", code)
	}
	waitStats(t, h, 0, 0)
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
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

// TestLegacyDuplicateIDAndLogs: a legacy start reusing a running
// subscription's id gets Hasura's start-failed error; the connection's
// life is written as websocket-log lines.
func TestLegacyDuplicateIDAndLogs(t *testing.T) {
	var logs lockedBuffer
	e := start(t, func(o *subscription.Options) {
		o.Logger = logging.New(&logs, logging.Options{Types: map[string]bool{"websocket-log": true}})
	})
	c := dial(t, e.srv.URL, subscription.ProtocolLegacyWS)
	c.init(`{"x-hasura-admin-secret":"` + adminSecret + `"}`)
	start := `{"type":"start","id":"1","payload":{"query":"subscription Items { item { id } }","operationName":"Items"}}`
	c.send(start)
	c.expect("data", "1")
	c.send(start)
	contains(t, c.expect("error", "1"), `an operation already exists with this id: 1`)
	c.expect("complete", "1")
	c.send(`{"type":"stop","id":"1"}`)
	c.send(`{"type":"connection_terminate"}`)
	c.closed()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"type":"closed"`) {
		if time.Now().After(deadline) {
			t.Fatalf("logs: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{`"type":"websocket-log"`, `"type":"accepted"`, `"operation_type":{"type":"started"}`,
		`"operation_type":{"type":"stopped"}`, `"operation_name":"Items"`, `"x-hasura-role":"admin"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

// noEngine is an Engine for tests that never run an operation.
type noEngine struct{}

func (noEngine) Execute(context.Context, session.Session, []byte, bool) (int, []byte) {
	return 500, nil
}
func (noEngine) Subscribe(session.Session, []byte) (*engine.Live, error) {
	return nil, errors.New("not used")
}
func (noEngine) Poll(context.Context, *engine.LiveQuery, []string, [][][]any) (map[string][]byte, error) {
	return nil, errors.New("not used")
}
func (noEngine) Generation() uint64 { return 0 }

// TestMalformedClientMessages: a client message that does not parse is
// answered in the words of Hasura's JSON parser, never the Go decoder's: a
// legacy connection_error, and the reason of graphql-transport-ws's 4400
// close.
func TestMalformedClientMessages(t *testing.T) {
	srv := httptest.NewServer(subscription.New(subscription.Options{Engine: noEngine{}}))
	t.Cleanup(srv.Close)
	cases := []struct{ in, want string }{
		{`hello`, `Error in $: Failed reading: not a valid json value`},
		{`{"type":`, `Error in $: Failed reading: not a valid json value`},
		{`[1]`, `Error in $: parsing ClientMessage failed, expected Object, but encountered Array`},
		{`{"type":5}`, `Error in $.type: parsing Text failed, expected String, but encountered Number`},
		{`{"type":"start","id":true}`, `Error in $.id: parsing Text failed, expected String, but encountered Boolean`},
		{`{"id":"1"}`, `Error in $: key "type" not found`},
	}
	for _, tc := range cases {
		want := "parsing ClientMessage failed: " + tc.want
		l := dial(t, srv.URL, subscription.ProtocolLegacyWS)
		l.send(tc.in)
		m := l.expect("connection_error", "")
		var got string
		if err := json.Unmarshal(m.Payload, &got); err != nil || got != want {
			t.Errorf("legacy %s: connection_error %s, want %q", tc.in, m.Payload, want)
		}
		c := dial(t, srv.URL, subscription.ProtocolTransportWS)
		c.send(tc.in)
		if code, reason := c.closed(); code != 4400 || reason != "Parsing client message failed: "+tc.want {
			t.Errorf("transport %s: close %d %q, want 4400 %q", tc.in, code, reason, "Parsing client message failed: "+tc.want)
		}
	}
	l := dial(t, srv.URL, subscription.ProtocolLegacyWS)
	l.send(`{"type":"bogus"}`)
	if m := l.expect("connection_error", ""); string(m.Payload) != `"parsing ClientMessage failed: Error in $: unexpected type for ClientMessage: bogus"` {
		t.Errorf("unknown type: %s", m.Payload)
	}
	l.send(`{"type":"start"}`)
	if m := l.expect("connection_error", ""); string(m.Payload) != `"parsing ClientMessage failed: Error in $: key \"id\" not found"` {
		t.Errorf("start without id: %s", m.Payload)
	}
}

// TestWrongTypedPayloads: a start or subscribe payload whose fields have
// the wrong types fails that operation with Hasura's parser wording.
func TestWrongTypedPayloads(t *testing.T) {
	e := start(t)
	cases := []struct{ payload, want string }{
		{`{"query":5}`, `"message":"parsing Text failed, expected String, but encountered Number"`},
		{`{"query":"{ item { id } }","operationName":[]}`, `"message":"parsing Text failed, expected String, but encountered Array"`},
		{`"query"`, `"message":"expected Object, but encountered String"`},
	}
	for _, proto := range []string{subscription.ProtocolLegacyWS, subscription.ProtocolTransportWS} {
		c := dial(t, e.srv.URL, proto)
		c.init(adminHeaders)
		typ := "start"
		if proto == subscription.ProtocolTransportWS {
			typ = "subscribe"
		}
		for _, tc := range cases {
			c.send(`{"type":"` + typ + `","id":"1","payload":` + tc.payload + `}`)
			m := c.expect("error", "1")
			if p := string(m.Payload); !strings.Contains(p, tc.want) || strings.Contains(p, "json:") || strings.Contains(p, "Go ") {
				t.Errorf("%s %s: %s, want %s", proto, tc.payload, p, tc.want)
			}
			c.expect("complete", "1")
		}
	}
}
