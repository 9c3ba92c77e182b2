package server

import (
	"bufio"
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
}

// ServeHTTP routes a request through request ids, CORS, panic recovery,
// authentication and the admin check, then logs it.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rs := &reqState{id: r.Header.Get("X-Request-Id")}
	if rs.id == "" || len(rs.id) > 128 {
		rs.id = newRequestID()
	}
	w.Header().Set("X-Request-Id", rs.id)
	r = r.WithContext(withRequestID(r.Context(), rs.id))
	rec := &recorder{ResponseWriter: w}
	rt, known := s.routes[r.URL.Path]
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic while serving a request", "request_id", rs.id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rec.wrote {
				s.fail(rec, rs, known && rt.graphql, false, apierr.New(apierr.Unexpected, "internal error").WithStatus(http.StatusInternalServerError))
			}
		}
		s.logRequest(r, rec, rs, time.Since(start))
		s.observe(r, rec, rs, start)
	}()

	if h := s.mount(r.URL.Path); h != nil {
		h.ServeHTTP(rec, r)
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
	legacy := r.URL.Path == "/v1alpha1/graphql"
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
		rs.session = &sess
		if rt.admin && !sess.IsAdmin() {
			denied := apierr.New(apierr.AccessDenied, "restricted access : admin only")
			switch r.URL.Path {
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

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	size   int
	wrote  bool
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

// mount returns the mounted handler for path, or nil.
func (s *server) mount(path string) http.Handler {
	if h, ok := s.opts.Mounts[path]; ok {
		return h
	}
	best := ""
	for prefix := range s.opts.Mounts {
		if strings.HasSuffix(prefix, "/") && strings.HasPrefix(path, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return nil
	}
	return s.opts.Mounts[best]
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

// writeJSON writes a JSON body with Hasura's content type.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// With the length known, net/http writes the body as it is rather
	// than in chunks through its buffer.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
