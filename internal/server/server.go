// Package server is Postgate's HTTP layer: Hasura's routes, the admin-only
// checks, CORS, request ids, body limits, panic recovery, http-log lines and
// Hasura's error JSON. The engine parts behind the routes are small
// interfaces defined here; any of them may be nil, and its endpoints then
// answer Hasura's not-found error.
package server

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/session"
)

// Version is the version Postgate reports on /v1/version: the Hasura v2
// release whose API it follows, tagged with Postgate's own version.
const Version = "v2.48.0-postgate.0.1.0"

// Authenticator resolves the session of a request (admin secret, JWT or
// webhook). A nil Authenticator is Hasura's no-auth mode: every request is
// admin, and x-hasura-role / x-hasura-* headers select a role and variables.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) (session.Session, error)
}

// GraphQL executes GraphQL requests.
type GraphQL interface {
	// Execute runs a GraphQL request body (single or batched) and returns the
	// HTTP status and the full response body.
	Execute(ctx context.Context, s session.Session, body []byte, legacy bool) (int, []byte)
	// Explain answers /v1/graphql/explain with the status and body.
	Explain(ctx context.Context, s session.Session, body []byte) (int, []byte)
}

// MetadataAPI serves the admin APIs. Errors should be *apierr.Error; other
// errors become an opaque 500.
type MetadataAPI interface {
	Metadata(ctx context.Context, body []byte) (json.RawMessage, error) // POST /v1/metadata
	QueryV2(ctx context.Context, body []byte) (json.RawMessage, error)  // POST /v2/query
	QueryV1(ctx context.Context, body []byte) (json.RawMessage, error)  // POST /v1/query
}

// PGDump answers /v1alpha1/pg_dump. Dump writes the dump of the request
// body to the writer begin returns, calling begin once before the first
// byte; an error returned before that is answered in Hasura's error format
// (an *apierr.Error), one returned after it cuts the response short.
type PGDump interface {
	Dump(ctx context.Context, body []byte, begin func() io.Writer) error
}

// Health reports the server's health for /healthz: nil when healthy, an
// *apierr.Error with code apierr.Inconsistent when the metadata has
// inconsistent objects, any other error when the server cannot serve.
type Health interface {
	Health(ctx context.Context, strict bool) error
}

// Options are the parts and settings of the HTTP layer.
type Options struct {
	Auth     Authenticator
	GraphQL  GraphQL
	Metadata MetadataAPI
	Health   Health
	// WebSocket serves GraphQL over WebSocket: GET /v1/graphql and
	// /v1alpha1/graphql with "Upgrade: websocket". It authenticates on its
	// own (from connection_init). Nil answers not-found.
	WebSocket http.Handler
	// Mounts serves other handlers, such as the identity provider under
	// "/auth/": a key ending in "/" matches every path below it (the longest
	// key wins), any other key matches exactly. Mounted handlers get request
	// ids, panic recovery and http-log lines, and do their own CORS and
	// authentication.
	Mounts map[string]http.Handler
	// Observer, when set, is told of every answered request (metrics).
	Observer Observer
	// PGDump serves the admin-only POST /v1alpha1/pg_dump; nil answers
	// not-found.
	PGDump PGDump

	// Logger receives http-log lines; nil discards them.
	Logger *slog.Logger
	// Config supplies CORS, the body limit, dev mode and the facts shown on
	// /v1alpha1/config; nil means Hasura's defaults.
	Config *config.Config
	// Version overrides the reported version (default Version).
	Version string
}

// New returns the HTTP handler serving all of Postgate's engine endpoints.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Config == nil {
		c, _, err := config.Load(nil, func(string) string { return "" })
		if err != nil {
			panic("server: default configuration: " + err.Error())
		}
		o.Config = c
	}
	if o.Version == "" {
		o.Version = Version
	}
	s := &server{opts: o, cfg: o.Config, log: o.Logger, httpLog: logging.Enabled(o.Logger, "http-log")}
	s.routes = s.routeTable()
	for key := range o.Mounts {
		if strings.HasSuffix(key, "/") {
			s.mountPrefixes = append(s.mountPrefixes, key)
		}
	}
	// Longest first: the first prefix matching a path is the longest.
	slices.SortFunc(s.mountPrefixes, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return s
}

type server struct {
	opts   Options
	cfg    *config.Config
	log    *slog.Logger
	routes map[string]route
	// mountPrefixes are the keys of Mounts ending in "/", longest first.
	mountPrefixes []string
	// httpLog is whether the logger writes http-log lines.
	httpLog bool
}

// route is one endpoint: its method, whether it speaks GraphQL's error
// format, whether it needs the admin role, and its handler.
type route struct {
	method  string
	graphql bool
	admin   bool
	auth    bool // resolves the session (false for public endpoints)
	handle  func(w http.ResponseWriter, r *http.Request, rs *reqState)
}

func (s *server) routeTable() map[string]route {
	return map[string]route{
		"/v1/graphql":         {method: http.MethodPost, graphql: true, auth: true, handle: s.graphql(false)},
		"/v1alpha1/graphql":   {method: http.MethodPost, graphql: true, auth: true, handle: s.graphql(true)},
		"/v1/graphql/explain": {method: http.MethodPost, admin: true, auth: true, handle: s.explain},
		"/v1/metadata":        {method: http.MethodPost, admin: true, auth: true, handle: s.api(MetadataAPI.Metadata)},
		"/v2/query":           {method: http.MethodPost, admin: true, auth: true, handle: s.api(MetadataAPI.QueryV2)},
		"/v1/query":           {method: http.MethodPost, admin: true, auth: true, handle: s.api(MetadataAPI.QueryV1)},
		"/v1/version":         {method: http.MethodGet, handle: s.version},
		"/healthz":            {method: http.MethodGet, handle: s.healthz},
		"/v1alpha1/config":    {method: http.MethodGet, admin: true, auth: true, handle: s.configInfo},
		"/v1alpha1/pg_dump":   {method: http.MethodPost, admin: true, auth: true, handle: s.pgDump},
		"/console":            {method: http.MethodGet, handle: s.console},
		"/":                   {method: http.MethodGet, handle: s.root},
	}
}
