// Package subscription serves GraphQL over WebSocket on /v1/graphql as
// Hasura does: both the graphql-transport-ws protocol (graphql-ws clients)
// and the legacy graphql-ws protocol (Apollo subscriptions-transport-ws),
// chosen by Sec-WebSocket-Protocol. A connection authenticates once, at
// connection_init, and closes when its credentials expire. Queries and
// mutations answer once; subscriptions are live queries, re-run on an
// interval by multiplexed cohort pollers that serve every subscriber of the
// same query with one statement, and sent again only when they change.
package subscription

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/session"
)

// Engine runs what arrives over WebSocket; *engine.Engine implements it.
type Engine interface {
	// Execute answers a query or mutation request body.
	Execute(ctx context.Context, s session.Session, body []byte, legacy bool) (int, []byte)
	// Subscribe plans a subscription; engine.ErrNotSubscription means the
	// request is a query or mutation.
	Subscribe(s session.Session, body []byte) (*engine.Live, error)
	// Poll runs a live query for a cohort of subscribers.
	Poll(ctx context.Context, q *engine.LiveQuery, ids []string, args [][][]any) (map[string][]byte, error)
	// Generation changes whenever the metadata does.
	Generation() uint64
}

// Authenticator resolves a connection's session from the headers of its
// connection_init payload merged over the upgrade request's.
type Authenticator interface {
	AuthenticateHeaders(ctx context.Context, h http.Header) (session.Session, error)
}

// Options configure a Handler. Zero values take Hasura's defaults.
type Options struct {
	// Engine executes operations (required).
	Engine Engine
	// Auth authenticates connection_init. Nil is Hasura's no-auth mode:
	// every connection is admin, and x-hasura-role / x-hasura-* headers
	// choose a role and session variables.
	Auth Authenticator
	// Interval is the live query refetch interval (default 1 s;
	// HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL).
	Interval time.Duration
	// BatchSize bounds the subscribers one poll statement serves (default
	// 100; HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE).
	BatchSize int
	// StreamInterval and StreamBatchSize are the same for streaming
	// subscriptions (default 1 s and 100;
	// HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_*).
	StreamInterval  time.Duration
	StreamBatchSize int
	// KeepAlive is the interval of ka (legacy) and ping messages (default
	// 5 s, Hasura's WEBSOCKET_KEEPALIVE).
	KeepAlive time.Duration
	// InitTimeout is how long a graphql-transport-ws client may take to
	// send connection_init (default 3 s).
	InitTimeout time.Duration
	// PollTimeout bounds one poll (default 1 minute).
	PollTimeout time.Duration
	// CloseOnMetadataChange closes every connection with code 1012 when the
	// metadata changes, as Hasura does by default; MetadataCheck is how
	// often the generation is compared (default 1 s).
	CloseOnMetadataChange bool
	MetadataCheck         time.Duration
	// AllowOrigin reports whether a browser origin may connect (the CORS
	// policy); nil allows every origin.
	AllowOrigin func(origin string) bool
	// DropCookie leaves the upgrade request's Cookie header out of
	// authentication, as Hasura does when CORS is disabled (cookies of a
	// WebSocket are not protected by the browser's same-origin rules).
	DropCookie bool
	// MaxMessageBytes bounds a client message (default 8 MiB).
	MaxMessageBytes int64
	// DevMode adds internal details to errors.
	DevMode bool
	// Logger receives websocket-log lines; nil discards them.
	Logger *slog.Logger
}

// Handler serves GraphQL over WebSocket. Mount it as server.Options.WebSocket.
type Handler struct {
	o   Options
	hub *hub

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
}

// New returns a Handler.
func New(o Options) *Handler {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.StreamInterval <= 0 {
		o.StreamInterval = time.Second
	}
	if o.StreamBatchSize <= 0 {
		o.StreamBatchSize = 100
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 5 * time.Second
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = 3 * time.Second
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = time.Minute
	}
	if o.MetadataCheck <= 0 {
		o.MetadataCheck = time.Second
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 8 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{o: o, conns: map[*conn]struct{}{}, hub: &hub{
		eng:       o.Engine,
		interval:  o.Interval,
		batchSize: o.BatchSize,
		timeout:   o.PollTimeout,

		streamInterval:  o.StreamInterval,
		streamBatchSize: o.StreamBatchSize,
		devMode:         o.DevMode,
		log:             o.Logger,
		cohorts:         map[string]*cohort{},
	}}
}

// Stats reports the live queries and streaming subscriptions being polled.
func (h *Handler) Stats() Stats { return h.hub.stats() }

// ServeHTTP upgrades the request and serves the connection until it closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && h.o.AllowOrigin != nil && !h.o.AllowOrigin(origin) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(apierr.GraphQLError(apierr.New(apierr.AccessDenied, "received origin header does not match configured CORS domains"), apierr.Options{}))
		return
	}
	proto := ProtocolLegacyWS
	for _, p := range offered(r) {
		if p == ProtocolTransportWS {
			proto = ProtocolTransportWS
			break
		}
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{proto},
		// Origins are checked above against the CORS policy.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return
	}
	ws.SetReadLimit(h.o.MaxMessageBytes)
	c := newConn(h, ws, proto, r)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		_ = ws.Close(websocket.StatusGoingAway, "shutting server down")
		return
	}
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
	}()
	c.serve()
}

// Close closes every connection with code 1001 (the server is going away)
// and refuses new ones; their live queries stop with them.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.StatusGoingAway, "shutting server down")
	}
}

// offered lists the subprotocols the client asked for.
func offered(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
