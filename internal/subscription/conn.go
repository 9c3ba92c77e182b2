package subscription

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/session"
)

// outQueue bounds the messages waiting for a slow client; a client that
// lets it fill up is disconnected.
const outQueue = 1024

// writeTimeout bounds the write of one message.
const writeTimeout = 10 * time.Second

// conn is one WebSocket connection. Client messages are handled one at a
// time by the read loop, which alone touches the connection state below
// (ops, session); a writer goroutine sends queued messages in order, and a
// supervisor sends keep-alives and closes the connection on init timeout,
// credential expiry or a metadata change.
type conn struct {
	id     string
	h      *Handler
	ws     *websocket.Conn
	proto  string
	legacy bool // /v1alpha1/graphql: errors in Hasura's legacy shape
	hdr    http.Header
	gen    uint64

	ctx    context.Context
	cancel context.CancelFunc
	out    chan outMsg
	// initCh carries the credentials' expiry after each successful
	// connection_init (zero when they do not expire).
	initCh    chan time.Time
	closeOnce sync.Once
	// closing is set once the close frame is queued: later client
	// messages are ignored.
	closing atomic.Bool

	// Read loop state.
	initTried bool
	inited    bool
	sess      session.Session
	ops       map[string]*subscriber
}

// outMsg is a queued message, or the close frame that ends the queue.
type outMsg struct {
	b      []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

func newConn(h *Handler, ws *websocket.Conn, proto string, r *http.Request) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	hdr := r.Header.Clone()
	for _, k := range []string{"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol", "Upgrade", "Connection"} {
		hdr.Del(k)
	}
	if h.o.DropCookie {
		hdr.Del("Cookie")
	}
	return &conn{
		id: newConnID(), h: h, ws: ws, proto: proto, legacy: r.URL.Path == "/v1alpha1/graphql", hdr: hdr,
		gen: h.o.Engine.Generation(),
		ctx: ctx, cancel: cancel,
		out:    make(chan outMsg, outQueue),
		initCh: make(chan time.Time, 1),
		ops:    map[string]*subscriber{},
	}
}

func (c *conn) transport() bool { return c.proto == ProtocolTransportWS }

// serve runs the connection until it closes.
func (c *conn) serve() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writer()
	}()
	go c.supervise()
	c.logEvent(slog.LevelInfo, wsEvent{Type: "accepted"}, "")
	c.readLoop()
	for id, s := range c.ops {
		c.h.hub.remove(s)
		c.logOp(id, s.name, "stopped", nil)
	}
	c.logEvent(slog.LevelInfo, wsEvent{Type: "closed"}, "")
	c.ops = nil
	c.cancel()
	<-done
	_ = c.ws.CloseNow()
}

func (c *conn) readLoop() {
	for {
		_, data, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		if c.closing.Load() {
			continue // draining until the close handshake ends
		}
		c.handle(data)
		if c.ctx.Err() != nil {
			return
		}
	}
}

// writer sends queued messages in order until the close frame or the end
// of the connection.
func (c *conn) writer() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case m := <-c.out:
			if m.close {
				_ = c.ws.Close(m.code, m.reason)
				c.cancel()
				return
			}
			ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
			err := c.ws.Write(ctx, websocket.MessageText, m.b)
			cancel()
			if err != nil {
				c.cancel()
				return
			}
		}
	}
}

// send queues a message; it never blocks.
func (c *conn) send(b []byte) {
	select {
	case c.out <- outMsg{b: b}:
	case <-c.ctx.Done():
	default:
		c.close(websocket.StatusPolicyViolation, "the client reads too slowly")
	}
}

// close sends the close frame after the messages already queued, once.
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.closing.Store(true)
	c.closeOnce.Do(func() {
		select {
		case c.out <- outMsg{close: true, code: code, reason: closeReason(reason)}:
		case <-c.ctx.Done():
		default:
			c.cancel()
		}
	})
}

// supervise enforces the init timeout (graphql-transport-ws), sends
// keep-alives once the connection is initialised, closes it when its
// credentials expire and, if configured, when the metadata changes.
func (c *conn) supervise() {
	var initC <-chan time.Time
	if c.transport() {
		t := time.NewTimer(c.h.o.InitTimeout)
		defer t.Stop()
		initC = t.C
	}
	var genC <-chan time.Time
	if c.h.o.CloseOnMetadataChange {
		t := time.NewTicker(c.h.o.MetadataCheck)
		defer t.Stop()
		genC = t.C
	}
	var kaC <-chan time.Time
	var ka *time.Ticker
	defer func() {
		if ka != nil {
			ka.Stop()
		}
	}()
	expiry := time.NewTimer(time.Hour)
	expiry.Stop()
	defer expiry.Stop()
	var expC <-chan time.Time
	inited := false
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-initC:
			if !inited {
				c.close(closeInitTimeout, "Connection initialisation timeout")
				return
			}
		case exp := <-c.initCh:
			inited = true
			if ka == nil {
				ka = time.NewTicker(c.h.o.KeepAlive)
				kaC = ka.C
			}
			expiry.Stop()
			expC = nil
			if !exp.IsZero() {
				expiry.Reset(time.Until(exp))
				expC = expiry.C
			}
		case <-kaC:
			c.keepAlive()
		case <-expC:
			c.close(websocket.StatusNormalClosure, "JWT expired")
			return
		case <-genC:
			if c.h.o.Engine.Generation() != c.gen {
				c.close(closeServiceRestart, "Server state changed, restarting the server")
				return
			}
		}
	}
}

func (c *conn) keepAlive() {
	if c.transport() {
		c.send(message("ping", "", []byte(`{"message":"keepalive"}`)))
		return
	}
	c.send(message("ka", "", nil))
}

// handle processes one client message.
func (c *conn) handle(data []byte) {
	var m clientMsg
	var msg string
	if err := json.Unmarshal(data, &m); err != nil {
		msg = parseFailure(err)
	} else if m.Type == "" {
		msg = `Error in $: key "type" not found`
	}
	if msg != "" {
		if c.transport() {
			// Hasura's reason repeats the connection_error's prefix, which
			// would push the parser's words past the 123 bytes of a close
			// frame.
			c.close(closeBadRequest, "Parsing client message failed: "+msg)
			return
		}
		c.connectionError(parseFailed + msg)
		return
	}
	if c.transport() {
		c.handleTransport(&m)
		return
	}
	c.handleLegacy(&m)
}

// handleTransport handles a graphql-transport-ws message.
func (c *conn) handleTransport(m *clientMsg) {
	switch m.Type {
	case "connection_init":
		if c.initTried {
			c.close(closeTooManyInits, "Too many initialisation requests")
			return
		}
		c.initTried = true
		if err := c.authenticate(m.Payload); err != nil {
			c.close(closeForbidden, "Forbidden")
			return
		}
		c.send(message("connection_ack", "", nil))
	case "ping":
		var payload []byte
		if m.hasPayload() {
			payload = m.Payload
		}
		c.send(message("pong", "", payload))
	case "pong":
	case "subscribe":
		if !c.inited {
			c.close(closeUnauthorized, "Unauthorized")
			return
		}
		if m.ID == nil || *m.ID == "" || !m.hasPayload() {
			c.close(closeBadRequest, "Invalid message received")
			return
		}
		if _, dup := c.ops[*m.ID]; dup {
			c.close(closeDuplicateID, "Subscriber for "+*m.ID+" already exists")
			return
		}
		c.start(*m.ID, m.Payload)
	case "complete":
		if m.ID != nil {
			c.stop(*m.ID)
		}
	default:
		c.close(closeBadRequest, "Invalid message received")
	}
}

// handleLegacy handles a subscriptions-transport-ws message.
func (c *conn) handleLegacy(m *clientMsg) {
	switch m.Type {
	case "connection_init":
		c.initTried = true
		if err := c.authenticate(m.Payload); err != nil {
			msg := apierr.From(err).Message
			c.connectionError(msg)
			c.close(closeBadRequest, "Connection initialization failed: "+msg)
			return
		}
		c.send(message("connection_ack", "", nil))
		c.send(message("ka", "", nil))
	case "start":
		if m.ID == nil {
			c.connectionError(parseFailed + `Error in $: key "id" not found`)
			return
		}
		id := *m.ID
		switch {
		case !c.inited:
			c.startFailed(id, "start received before the connection is initialised")
		case c.ops[id] != nil:
			c.startFailed(id, "an operation already exists with this id: "+id)
		default:
			c.start(id, m.Payload)
		}
	case "stop":
		if m.ID != nil {
			c.stop(*m.ID)
		}
	case "connection_terminate":
		c.close(websocket.StatusNormalClosure, "GQL_CONNECTION_TERMINATE received")
	case "ping":
		c.send(message("pong", "", nil))
	case "pong":
	default:
		c.connectionError(parseFailed + "Error in $: unexpected type for ClientMessage: " + m.Type)
	}
}

// connectionError sends a legacy connection_error with a string payload.
func (c *conn) connectionError(msg string) {
	c.send(message("connection_error", "", jsonString(msg)))
}

// startFailed refuses a legacy start with Hasura's start-failed error.
func (c *conn) startFailed(id, msg string) {
	c.sendError(id, apierr.New(codeStartFailed, msg))
	c.send(message("complete", id, nil))
}

// authenticate resolves the connection's session from connection_init's
// payload and the upgrade request's headers.
func (c *conn) authenticate(payload json.RawMessage) error {
	h, err := initHeaders(c.hdr, payload)
	if err != nil {
		return err
	}
	var s session.Session
	if c.h.o.Auth == nil {
		s = headerSession(h)
	} else if s, err = c.h.o.Auth.AuthenticateHeaders(c.ctx, h); err != nil {
		return err
	}
	c.sess, c.inited = s, true
	select {
	case <-c.initCh:
	default:
	}
	c.initCh <- s.Expires
	return nil
}

// initHeaders merges connection_init's headers (payload.headers, or the
// payload's own string fields) over the upgrade request's.
func initHeaders(base http.Header, payload json.RawMessage) (http.Header, error) {
	h := base.Clone()
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return h, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(p, &fields); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "the connection_init payload must be an object")
	}
	if raw, ok := fields["headers"]; ok {
		var hm map[string]json.RawMessage
		if err := json.Unmarshal(raw, &hm); err == nil {
			fields = hm
		}
	}
	for k, v := range fields {
		var s string
		if json.Unmarshal(v, &s) == nil {
			h.Set(k, s)
		}
	}
	return h, nil
}

// headerSession is the session of Hasura's no-auth mode: admin, unless
// x-hasura-role names another role, with the x-hasura-* headers as
// session variables.
func headerSession(h http.Header) session.Session {
	vars := map[string]string{}
	for name, values := range h {
		if session.IsSessionVar(name) && len(values) > 0 {
			vars[strings.ToLower(name)] = values[0]
		}
	}
	role := strings.TrimSpace(vars["x-hasura-role"])
	if role == "" {
		role = session.AdminRole
	}
	vars["x-hasura-role"] = role
	return session.Session{Role: role, Vars: vars}
}

// dataType is the message type of a result: next or data.
func (c *conn) dataType() string {
	if c.transport() {
		return "next"
	}
	return "data"
}

// start runs an operation: a query or mutation answers once, a
// subscription joins its live query cohort.
func (c *conn) start(id string, payload json.RawMessage) {
	if exp := c.sess.Expires; !exp.IsZero() && !time.Now().Before(exp) {
		c.close(websocket.StatusNormalClosure, "JWT expired")
		return
	}
	eng := c.h.o.Engine
	live, err := eng.Subscribe(c.sess, payload)
	if errors.Is(err, engine.ErrNotSubscription) {
		_, body := eng.Execute(c.ctx, c.sess, payload, c.legacy)
		c.sendResult(id, body)
		c.send(message("complete", id, nil))
		return
	}
	if err != nil {
		c.logOp(id, "", "query_err", err)
		c.sendError(id, err)
		c.send(message("complete", id, nil))
		return
	}
	typ := c.dataType()
	s := c.h.hub.add(c.ctx, live, func(b []byte) { c.send(message(typ, id, b)) })
	s.name = live.OperationName
	c.ops[id] = s
	c.logOp(id, s.name, "started", nil)
}

// stop ends a subscription; unknown ids (finished queries) are ignored.
func (c *conn) stop(id string) {
	if s := c.ops[id]; s != nil {
		c.h.hub.remove(s)
		delete(c.ops, id)
		c.logOp(id, s.name, "stopped", nil)
	}
}

// sendResult sends a query's or mutation's response: errors as an error
// message in graphql-transport-ws (as Hasura does), a response without
// data as an error message in the legacy protocol. On /v1alpha1/graphql
// the errors take Hasura's legacy shape (see legacyErrors).
func (c *conn) sendResult(id string, body []byte) {
	var top map[string]json.RawMessage
	_ = json.Unmarshal(body, &top)
	if errs, ok := top["errors"]; ok && c.legacy {
		// /v1alpha1/graphql: Hasura's legacy error objects; an error raised
		// before execution is the error message's whole payload.
		legacy := legacyErrors(errs)
		if _, data := top["data"]; !data && len(legacy) > 0 {
			c.send(message("error", id, legacy[0]))
			return
		}
		top["errors"], _ = json.Marshal(legacy)
		body, _ = json.Marshal(top)
	}
	if c.transport() {
		if errs, ok := top["errors"]; ok {
			c.send(message("error", id, errs))
			return
		}
		c.send(message("next", id, body))
		return
	}
	if _, ok := top["data"]; ok {
		c.send(message("data", id, body))
		return
	}
	c.send(message("error", id, body))
}

// sendError sends an error raised before execution: a list of GraphQL
// errors in graphql-transport-ws, {"errors": [...]} in the legacy protocol,
// and Hasura's legacy error object on /v1alpha1/graphql.
func (c *conn) sendError(id string, err error) {
	o := apierr.Options{DevMode: c.h.o.DevMode}
	ae := apierr.From(err)
	var payload []byte
	switch {
	case c.legacy:
		payload = apierr.APIBody(ae, o)
	case c.transport():
		payload = append(append([]byte{'['}, apierr.GraphQLError(ae, o)...), ']')
	default:
		payload = apierr.GraphQLBody(ae, o)
	}
	c.send(message("error", id, payload))
}

// legacyErrors rewrites a response's GraphQL errors,
// {"extensions":{"path","code","internal"},"message"}, as Hasura's legacy
// error objects, {"path","error","code","internal"}, the shape of errors on
// /v1alpha1/graphql over WebSocket.
func legacyErrors(errs json.RawMessage) []json.RawMessage {
	var list []struct {
		Message    string `json:"message"`
		Extensions struct {
			Path     *string         `json:"path"`
			Code     *string         `json:"code"`
			Internal json.RawMessage `json:"internal"`
		} `json:"extensions"`
	}
	if json.Unmarshal(errs, &list) != nil {
		return nil
	}
	out := make([]json.RawMessage, 0, len(list))
	for _, e := range list {
		obj := map[string]any{"error": e.Message, "path": "$", "code": apierr.Unexpected}
		if e.Extensions.Path != nil {
			obj["path"] = *e.Extensions.Path
		}
		if e.Extensions.Code != nil {
			obj["code"] = *e.Extensions.Code
		}
		if len(e.Extensions.Internal) > 0 {
			obj["internal"] = e.Extensions.Internal
		}
		b, _ := json.Marshal(obj)
		out = append(out, b)
	}
	return out
}
