package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsExchange opens a GraphQL WebSocket with subprotocol proto, sends the
// frames (text, or binary when they start with "\x00bin:"), and collects
// what the server sends until it closes the connection, the first data
// message after the frames, or a quiet half second.
func wsExchange(t *testing.T, base, proto string, frames []string) (msgs []string, closed bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/graphql",
		&websocket.DialOptions{Subprotocols: []string{proto}})
	if err != nil {
		t.Errorf("websocket dial (%s): %v", proto, err)
		return nil, true
	}
	defer conn.CloseNow()
	conn.SetReadLimit(8 << 20)
	for _, f := range frames {
		typ := websocket.MessageText
		if rest, ok := strings.CutPrefix(f, "\x00bin:"); ok {
			typ, f = websocket.MessageBinary, rest
		}
		if err := conn.Write(ctx, typ, []byte(f)); err != nil {
			return msgs, true // the server closed the connection
		}
	}
	for {
		rctx, rcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_, b, err := conn.Read(rctx)
		rcancel()
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				msgs = append(msgs, "close "+ce.Reason)
			}
			return msgs, websocket.CloseStatus(err) != -1 || !errors.Is(err, context.DeadlineExceeded)
		}
		msgs = append(msgs, string(b))
		var m struct{ Type string }
		_ = json.Unmarshal(b, &m)
		if m.Type == "data" || m.Type == "next" {
			return msgs, false
		}
	}
}

// hostileWebSocket sends malformed and malicious messages over both
// GraphQL WebSocket protocols.
func hostileWebSocket(t *testing.T, open, jwt *hostileServer) {
	deep := nest(`{"a":`, `1`, `}`, 10000)
	forged := b64(map[string]any{"alg": "none"}) + "." + b64(hasuraClaims("1", time.Now().Add(time.Hour))) + "."
	sqlUser := `{"headers": {"x-hasura-role": "user", "x-hasura-user-id": "1' OR '1'='1"}}`
	for _, proto := range []string{"graphql-ws", "graphql-transport-ws"} {
		start := "start"
		if proto == "graphql-transport-ws" {
			start = "subscribe"
		}
		query := func(id, q string) string {
			return `{"type": "` + start + `", "id": "` + id + `", "payload": {"query": ` + string(mustMarshal(t, q)) + `}}`
		}
		cases := []struct {
			name   string
			s      *hostileServer
			frames []string
			// noRows: no message may carry a row.
			noRows bool
		}{
			{"not json", open, []string{"hello", "{", "\x00\x01\x02"}, false},
			{"binary", open, []string{"\x00bin:\xff\xfe\x00{}"}, false},
			{"wrong types", open, []string{`{"type": 5}`, `[]`, `{"type": "connection_init", "payload": "x"}`}, false},
			{"deep json", open, []string{deep}, false},
			{"huge frame", open, []string{`{"type": "connection_init", "payload": {"x": "` + strings.Repeat("a", 2<<20) + `"}}`}, false},
			{"start before init", open, []string{query("1", "{ authors { name } }")}, false},
			{"bad query", open, []string{`{"type": "connection_init"}`, query("1", "{ authors { "), query("1", nest("{a", "", "}", 10000)),
				`{"type": "` + start + `", "id": "2", "payload": {"query": 5, "variables": "x"}}`, `{"type": "` + start + `", "payload": {}}`}, false},
			{"duplicate ids", open, []string{`{"type": "connection_init"}`, query("1", "subscription { authors { id } }"), query("1", "subscription { authors { id } }")}, false},
			{"sql in session", open, []string{`{"type": "connection_init", "payload": ` + sqlUser + `}`, query("1", "query { authors { name } }")}, true},
			{"forged token", jwt, []string{`{"type": "connection_init", "payload": {"headers": {"Authorization": "Bearer ` + forged + `"}}}`,
				query("1", "query { authors { name } }")}, true},
			{"no token", jwt, []string{`{"type": "connection_init", "payload": {}}`, query("1", "query { authors { name } }")}, true},
			{"forged admin secret", jwt, []string{`{"type": "connection_init", "payload": {"headers": {"x-hasura-admin-secret": "' OR '1'='1"}}}`,
				query("1", "query { authors { name } }")}, true},
		}
		for _, c := range cases {
			t.Run(proto+" "+c.name, func(t *testing.T) {
				t.Parallel()
				msgs, _ := wsExchange(t, c.s.base, proto, c.frames)
				req := []byte(strings.Join(c.frames, "\n"))
				for _, m := range msgs {
					if l := leaks(req, []byte(m)); len(l) > 0 {
						if knownWSLeak(l) {
							t.Logf("known (%s): %s", knownWSDecodeLeak, clipBytes([]byte(m)))
							continue
						}
						t.Errorf("%s: the message leaks %q: %s", c.name, l, clipBytes([]byte(m)))
					}
					if c.noRows && (strings.Contains(m, `"alice"`) || strings.Contains(m, `"bob"`)) {
						t.Errorf("%s: rows over the WebSocket: %s", c.name, clipBytes([]byte(m)))
					}
				}
			})
		}
	}
}

// knownWSDecodeLeak: the subscription transport answers a malformed client
// message with Go's decoder message ("parsing ClientMessage failed: invalid
// character 'h' looking for beginning of value") where Hasura puts its own
// parser's ("Error in $: Failed reading: not a valid json value"), and a
// start/subscribe payload of the wrong type with the engine's known one.
const knownWSDecodeLeak = "subscription: Go decoder text in connection_error, close reasons and error payloads"

// knownWSLeak reports whether every leak found is Go decoder text.
func knownWSLeak(found []string) bool {
	for _, f := range found {
		switch {
		case f == "json: cannot unmarshal", f == "unexpected end of JSON input", strings.HasPrefix(f, "invalid character '"):
		default:
			return false
		}
	}
	return true
}
