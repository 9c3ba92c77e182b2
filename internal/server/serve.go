package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
)

// reqState is what the layers of one request learn about it, for handlers
// and the http-log line.
type reqState struct {
	id      string
	body    []byte
	session *session.Session
	err     json.RawMessage // the error object answered, for the log
	// ctx is the request's context carrying its id: handlers pass it on
	// rather than r.Context(), which does not carry the id on the GraphQL
	// routes (the request is not copied to change its context).
	ctx context.Context
}

// exchange holds everything the server keeps for one request, allocated
// together once.
type exchange struct {
	rs       reqState
	rec      recorder
	ctx      idContext
	sess     session.Session
	idHeader [1]string // the X-Request-Id response header's value
}

// ServeHTTP routes a request through request ids, CORS, panic recovery,
// authentication and the admin check, then logs it.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ex := &exchange{}
	rs, rec := &ex.rs, &ex.rec
	if v := r.Header["X-Request-Id"]; len(v) > 0 && v[0] != "" && len(v[0]) <= 128 {
		rs.id = v[0]
	} else {
		rs.id = newRequestID()
	}
	ex.idHeader[0] = rs.id
	w.Header()["X-Request-Id"] = ex.idHeader[:]
	ex.ctx = idContext{Context: r.Context(), id: rs.id}
	rs.ctx = &ex.ctx
	rec.ResponseWriter = w
	path := r.URL.Path
	rt, known := s.routes[path]
	mountKey, mounted := s.mount(path)
	routeName := "other"
	switch {
	case mounted != nil:
		routeName = mountKey
	case known:
		routeName = path
	}
	// Only the GraphQL routes' handlers take the context from rs; the
	// others (and mounted handlers) read it from the request.
	if mounted != nil || !known || !rt.graphql || r.Method != http.MethodPost {
		r = r.WithContext(rs.ctx)
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic while serving a request", "request_id", rs.id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rec.wrote {
				s.fail(rec, rs, known && rt.graphql, false, apierr.New(apierr.Unexpected, "internal error").WithStatus(http.StatusInternalServerError))
			}
		}
		took := time.Since(start)
		s.logRequest(r, rec, rs, took)
		s.observe(r, rec, rs, routeName, took)
	}()

	if mounted != nil {
		mounted.ServeHTTP(rec, r)
		return
	}
	if known && rt.graphql && r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if s.opts.WebSocket == nil {
			s.notFound(rec, rs)
			return
		}
		s.opts.WebSocket.ServeHTTP(rec, r)
		return
	}
	if s.handleCORS(rec, r) {
		return
	}
	if !known {
		s.notFound(rec, rs)
		return
	}
	if r.Method != rt.method && !(r.Method == http.MethodHead && rt.method == http.MethodGet) {
		if r.Method == http.MethodGet || r.Method == http.MethodPost {
			// Hasura answers a GET or POST on a route of the other method
			// as an unknown resource.
			s.notFound(rec, rs)
			return
		}
		rec.Header().Set("Allow", rt.method)
		s.fail(rec, rs, false, false, apierr.New("method-not-allowed", "method not allowed").WithStatus(http.StatusMethodNotAllowed))
		return
	}
	legacy := path == "/v1alpha1/graphql"
	if rt.auth {
		body, err := s.readBody(rec, r)
		if err != nil {
			s.fail(rec, rs, rt.graphql, legacy, err)
			return
		}
		rs.body = body
		sess, err := s.authenticate(rec, r, body)
		if err != nil {
			s.fail(rec, rs, rt.graphql, legacy, err)
			return
		}
		ex.sess = sess
		rs.session = &ex.sess
		if rt.admin && !sess.IsAdmin() {
			denied := apierr.New(apierr.AccessDenied, "restricted access : admin only")
			switch path {
			case "/v1/query", "/v2/query", "/v1/metadata":
				// Hasura reports the refusal at the command's arguments.
				denied.Path = "$.args"
			}
			s.fail(rec, rs, false, false, denied)
			return
		}
	}
	rt.handle(rec, r, rs)
}

// idContext is a request's context carrying its request id (what
// context.WithValue would build, kept inside the exchange).
type idContext struct {
	context.Context
	id string
}

func (c *idContext) Value(key any) any {
	if _, ok := key.(requestIDKey); ok {
		return c.id
	}
	return c.Context.Value(key)
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	size   int
	wrote  bool
	// lengthHeader holds the Content-Length header's value (writeJSON).
	lengthHeader [1]string
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.size += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush sends buffered data to the client.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if !r.wrote {
			r.WriteHeader(http.StatusOK)
		}
		f.Flush()
	}
}

// Hijack hands the connection over (WebSocket upgrades).
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("server: connection cannot be hijacked")
	}
	r.status, r.wrote = http.StatusSwitchingProtocols, true
	return h.Hijack()
}

// mount returns the mounted handler for path and the key it is mounted
// at, or nil: an exact key, else the longest "/"-ending key prefixing path.
func (s *server) mount(path string) (string, http.Handler) {
	if len(s.opts.Mounts) == 0 {
		return "", nil
	}
	if h, ok := s.opts.Mounts[path]; ok {
		return path, h
	}
	for _, prefix := range s.mountPrefixes {
		if strings.HasPrefix(path, prefix) {
			return prefix, s.opts.Mounts[prefix]
		}
	}
	return "", nil
}

// fail answers err in the format of the endpoint: Hasura's API error object,
// or a GraphQL errors list. /v1/graphql answers request-level errors with
// status 200, as Hasura does; the legacy /v1alpha1/graphql keeps the status.
func (s *server) fail(w http.ResponseWriter, rs *reqState, graphql, legacy bool, err error) {
	e := apierr.From(err)
	opts := s.errorOptions(rs)
	rs.err = apierr.APIBody(e, opts)
	if !graphql {
		writeJSON(w, e.Status, rs.err)
		return
	}
	status := e.Status
	if !legacy && status != http.StatusRequestEntityTooLarge && status < 500 {
		status = http.StatusOK
	}
	writeJSON(w, status, apierr.GraphQLBody(e, opts))
}

func (s *server) notFound(w http.ResponseWriter, rs *reqState) {
	s.fail(w, rs, false, false, apierr.New(apierr.NotFound, "resource does not exist").WithStatus(http.StatusNotFound))
}

// contentTypeJSON is the Content-Type header's value for JSON answers,
// shared by every response (net/http copies the header map when it writes
// it; Add would append to a copy, as the slice is full).
var contentTypeJSON = []string{"application/json; charset=utf-8"}

// writeJSON writes a JSON body with Hasura's content type.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = contentTypeJSON[:1:1]
	// With the length known, net/http writes the body as it is rather
	// than in chunks through its buffer.
	if rec, ok := w.(*recorder); ok {
		rec.lengthHeader[0] = strconv.Itoa(len(body))
		h["Content-Length"] = rec.lengthHeader[:]
	} else {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
