package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Transports a Runner can send GraphQL cases over.
const (
	TransportHTTP      = "http"
	TransportWebSocket = "websocket"
	TransportBoth      = "both"
)

// wsProtocol is the Apollo subscriptions-transport-ws subprotocol Hasura's
// harness uses for its websocket transport.
const wsProtocol = "graphql-ws"

// overWebSocket reports whether a step is sent over the websocket transport:
// single GraphQL queries to /v1/graphql of the query test classes (Hasura's
// harness parametrizes those over http and websocket), except the files the
// MANIFEST marks "http only". Status codes do not exist on a websocket, so
// only cases expecting 200 qualify.
func overWebSocket(c *Case, s *Step) bool {
	if s.URL != "/v1/graphql" || s.Status != 200 || c.HasNote("http only") {
		return false
	}
	if !strings.HasPrefix(c.ID, "graphql_query/") {
		return false
	}
	_, single := s.Query.(*Object)
	return single
}

// wsMessage is one message of the protocol.
type wsMessage struct {
	Type    string
	ID      string
	Payload any
}

func readWS(ctx context.Context, conn *websocket.Conn) (wsMessage, error) {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		v, err := ParseJSON(data)
		if err != nil {
			return wsMessage{}, fmt.Errorf("message is not JSON: %s", clip(data))
		}
		o, ok := v.(*Object)
		if !ok {
			return wsMessage{}, fmt.Errorf("message is not an object: %s", clip(data))
		}
		m := wsMessage{Payload: o.Vals["payload"]}
		m.Type, _ = o.Vals["type"].(string)
		m.ID, _ = o.Vals["id"].(string)
		if m.Type == "ka" {
			continue // keep-alive
		}
		return m, nil
	}
}

// postWS runs one GraphQL request over a fresh websocket connection as
// Hasura's harness does: connection_init carrying the headers, start, then
// exactly one data (or error) message followed by complete. It returns that
// message's payload, the response body to compare.
func (r *Runner) postWS(ctx context.Context, s *Step) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(r.BaseURL, "http") + s.URL
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{wsProtocol}})
	if err != nil {
		return nil, fmt.Errorf("websocket dial: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(32 << 20)
	if conn.Subprotocol() != wsProtocol {
		return nil, fmt.Errorf("websocket subprotocol %q, want %q", conn.Subprotocol(), wsProtocol)
	}
	headers := NewObject()
	for _, h := range r.withSecret(s.Headers, r.AdminSecret) {
		headers.Set(h[0], h[1])
	}
	initPayload := NewObject()
	initPayload.Set("headers", headers)
	if err := writeWS(ctx, conn, "connection_init", "", initPayload); err != nil {
		return nil, err
	}
	m, err := readWS(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("waiting for connection_ack: %w", err)
	}
	if m.Type != "connection_ack" {
		return nil, fmt.Errorf("got %s, want connection_ack: %s", m.Type, clip(EncodeJSON(m.Payload)))
	}
	if err := writeWS(ctx, conn, "start", "1", s.Query); err != nil {
		return nil, err
	}
	m, err = readWS(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("waiting for data: %w", err)
	}
	if (m.Type != "data" && m.Type != "error") || m.ID != "1" {
		return nil, fmt.Errorf("got %s (id %q), want data or error for id 1: %s", m.Type, m.ID, clip(EncodeJSON(m.Payload)))
	}
	payload := m.Payload
	m, err = readWS(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("waiting for complete: %w", err)
	}
	if m.Type != "complete" {
		return nil, fmt.Errorf("got %s after data, want complete", m.Type)
	}
	_ = conn.Close(websocket.StatusNormalClosure, "")
	return payload, nil
}

func writeWS(ctx context.Context, conn *websocket.Conn, typ, id string, payload any) error {
	o := NewObject()
	if id != "" {
		o.Set("id", id)
	}
	o.Set("type", typ)
	if payload != nil {
		o.Set("payload", payload)
	}
	if err := conn.Write(ctx, websocket.MessageText, EncodeJSON(o)); err != nil {
		return fmt.Errorf("websocket %s: %w", typ, err)
	}
	return nil
}

// runStepWS is runStep over the websocket transport.
func (r *Runner) runStepWS(ctx context.Context, c *Case, s *Step) (fails, warns []string) {
	payload, err := r.postWS(ctx, s)
	if err != nil {
		return []string{"websocket: " + err.Error()}, nil
	}
	if payload == nil {
		return []string{"websocket: data message without payload"}, nil
	}
	resp := &response{Status: 200, JSON: payload}
	switch {
	case len(s.Allowed) > 0:
		var first []string
		for _, alt := range s.Allowed {
			f, w := r.check(s, alt.HasResponse, alt.Response, nil, resp)
			if len(f) == 0 {
				return nil, w
			}
			if first == nil {
				first = f
			}
		}
		return append([]string{"none of the allowed_responses matched"}, first...), nil
	case s.HasResponse:
		return r.check(s, true, s.Response, nil, resp)
	}
	if expectsError(c, s) && !hasErrors(payload) {
		return []string{"error case answered without an errors key: " + clip(EncodeJSON(payload))}, nil
	}
	return nil, nil
}

// ValidTransport checks a transport name.
func ValidTransport(t string) error {
	switch t {
	case TransportHTTP, TransportWebSocket, TransportBoth:
		return nil
	}
	return fmt.Errorf("transport %q: want %q, %q or %q", t, TransportHTTP, TransportWebSocket, TransportBoth)
}

// isMutation reports whether a GraphQL request body holds a mutation, which
// must not be sent twice.
func isMutation(body any) bool {
	o, ok := body.(*Object)
	if !ok {
		return false
	}
	q, _ := o.Vals["query"].(string)
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		return strings.Contains(q, "mutation")
	}
	for _, op := range doc.Operations {
		if op.Operation == ast.Mutation {
			return true
		}
	}
	return false
}
