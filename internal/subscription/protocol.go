package subscription

import (
	"encoding/json"
	"strings"

	"github.com/coder/websocket"
	"github.com/postgate/postgate/internal/apierr"
)

// Subprotocol names as clients send them in Sec-WebSocket-Protocol.
const (
	// ProtocolTransportWS is the graphql-ws library's protocol
	// (graphql-transport-ws): Apollo Client ≥ 3.5.10, urql, GraphiQL.
	ProtocolTransportWS = "graphql-transport-ws"
	// ProtocolLegacyWS is Apollo's subscriptions-transport-ws protocol,
	// confusingly named graphql-ws. Hasura uses it when the client asks for
	// no subprotocol.
	ProtocolLegacyWS = "graphql-ws"
)

// Close codes of the graphql-transport-ws protocol.
const (
	closeBadRequest     websocket.StatusCode = 4400
	closeUnauthorized   websocket.StatusCode = 4401
	closeForbidden      websocket.StatusCode = 4403
	closeInitTimeout    websocket.StatusCode = 4408
	closeDuplicateID    websocket.StatusCode = 4409
	closeTooManyInits   websocket.StatusCode = 4429
	closeServiceRestart websocket.StatusCode = 1012
)

// codeStartFailed is Hasura's error code for an operation refused before it
// is planned (unknown connection state, duplicate id).
const codeStartFailed = "start-failed"

// clientMsg is any message a client sends, in either protocol.
type clientMsg struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// hasPayload reports whether the message carries a non-null payload.
func (m *clientMsg) hasPayload() bool {
	p := strings.TrimSpace(string(m.Payload))
	return p != "" && p != "null"
}

// parseFailed begins the legacy connection_error of a client message that
// does not parse.
const parseFailed = "parsing ClientMessage failed: "

// parseFailure words err, from decoding a client message, as Hasura's JSON
// parser does ("Error in $.id: parsing Text failed, expected String, but
// encountered Number"), without the Go decoder's text.
func parseFailure(err error) string {
	e := apierr.JSONTypeError(err, "$")
	if e == nil {
		return "Error in $: Failed reading: not a valid json value"
	}
	switch {
	case strings.HasPrefix(e.Message, "expected String,"):
		e.Message = "parsing Text failed, " + e.Message
	case e.Path == "$":
		e.Message = "parsing ClientMessage failed, " + e.Message
	}
	return "Error in " + e.Path + ": " + e.Message
}

// message encodes a server message: type, then id and payload when given.
// payload is raw JSON.
func message(typ, id string, payload []byte) []byte {
	b := make([]byte, 0, 32+len(id)+len(payload))
	b = append(b, `{"type":`...)
	b = appendString(b, typ)
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, id)
	}
	if payload != nil {
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
	}
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// jsonString is s as a JSON string.
func jsonString(s string) []byte { return appendString(nil, s) }

// closeReason fits a close reason into a control frame (at most 123 bytes).
func closeReason(s string) string {
	if len(s) <= 123 {
		return s
	}
	s = s[:120]
	for len(s) > 0 && !utf8Start(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// utf8Start reports whether b begins a UTF-8 sequence (is not a
// continuation byte).
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
