package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/auth"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/session"
)

// readBody reads the request body up to the configured limit. A body of
// known length is read into one buffer of that size; a longer one is
// refused without being read.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := s.cfg.MaxBodyBytes
	if n := r.ContentLength; n > 0 && r.Body != nil && r.Body != http.NoBody {
		if n > limit {
			return nil, apierr.ErrBodyTooLarge
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, apierr.New(apierr.BadRequest, "could not read the request body").Wrap(err)
		}
		// The body should end here; a request whose body runs on (one
		// built in-process with a wrong length) is read to its end.
		var one [1]byte
		if m, _ := r.Body.Read(one[:]); m == 0 {
			return body, nil
		}
		rest, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max(limit-n-1, 0)))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, apierr.ErrBodyTooLarge
			}
			return nil, apierr.New(apierr.BadRequest, "could not read the request body").Wrap(err)
		}
		return append(append(body, one[0]), rest...), nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, apierr.ErrBodyTooLarge
		}
		return nil, apierr.New(apierr.BadRequest, "could not read the request body").Wrap(err)
	}
	return body, nil
}

// checkJSON returns Hasura's invalid-json error when body is not one JSON
// value, worded like Hasura's parser.
func checkJSON(body []byte) error {
	if json.Valid(body) {
		return nil
	}
	trimmed := bytes.TrimSpace(body)
	msg := "Error in $: Failed reading: not a valid json value"
	switch {
	case len(trimmed) == 0 || truncated(trimmed):
		msg = "Error in $: not enough input"
	case trailingData(trimmed):
		msg = "Error in $: endOfInput"
	case trimmed[0] != '{' && trimmed[0] != '[' && trimmed[0] != '"':
		if tok := leadingToken(trimmed); tok != "" {
			msg += " at '" + tok + "'"
		}
	}
	return apierr.New(apierr.InvalidJSON, msg)
}

// truncated reports whether b is a JSON value cut short.
func truncated(b []byte) bool {
	var se *json.SyntaxError
	return errors.As(json.Unmarshal(b, new(json.RawMessage)), &se) &&
		se.Offset == int64(len(b)) && strings.Contains(se.Error(), "unexpected end")
}

// leadingToken returns the printable start of b, up to 32 characters.
func leadingToken(b []byte) string {
	var tok []byte
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || len(tok) == 32 {
			break
		}
		tok = append(tok, c)
	}
	return string(tok)
}

// trailingData reports whether b starts with a complete JSON value followed
// by more input.
func trailingData(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return false
	}
	return dec.More() || dec.InputOffset() < int64(len(b))
}

// resolver is an Authenticator that also names headers for the response:
// the Set-Cookie values an auth webhook returned, which Hasura forwards to
// the client (auth.Authenticator is one).
type resolver interface {
	Resolve(r *http.Request, body []byte) (auth.Result, error)
}

// authenticate resolves the session: through the Authenticator (adding the
// cookies it asks for to w), or in no-auth mode as admin, switched to the
// x-hasura-role header's role with the request's x-hasura-* headers as
// variables.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request, body []byte) (session.Session, error) {
	if res, ok := s.opts.Auth.(resolver); ok {
		out, err := res.Resolve(r, body)
		if err != nil {
			return session.Session{}, err
		}
		for _, c := range out.SetCookie {
			w.Header().Add("Set-Cookie", c)
		}
		return out.Session, nil
	}
	if s.opts.Auth != nil {
		return s.opts.Auth.Authenticate(r, body)
	}
	return headerSession(r.Header), nil
}

// requestIDKey is the context key of the request id.
type requestIDKey struct{}

// RequestID returns the id of the request whose context ctx is (its
// X-Request-Id, or the one the server generated), or "". Handlers behind
// the server use it for log lines, such as the engine's query-log
// (engine.Options.RequestID).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// errorOptions is how errors are written for the request: with their
// internal details in dev mode, and for admin requests unless
// HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS is false.
func (s *server) errorOptions(rs *reqState) apierr.Options {
	admin := rs != nil && rs.session != nil && rs.session.IsAdmin()
	return apierr.Options{DevMode: s.cfg.DevMode || (admin && s.cfg.AdminInternalErrors)}
}

func headerSession(h http.Header) session.Session {
	vars := map[string]string{}
	for name, values := range h {
		if session.IsSessionVar(name) && len(values) > 0 {
			vars[session.VarName(name)] = values[0]
		}
	}
	role := strings.TrimSpace(vars["x-hasura-role"])
	if role == "" {
		role = session.AdminRole
	}
	vars["x-hasura-role"] = role
	backendOnly := strings.EqualFold(strings.TrimSpace(vars["x-hasura-use-backend-only-permissions"]), "true")
	return session.Session{Role: role, Vars: vars, BackendOnly: backendOnly}
}

// handleCORS applies the CORS policy and answers preflight requests; it
// reports whether the request has been answered.
func (s *server) handleCORS(w http.ResponseWriter, r *http.Request) bool {
	c := s.cfg.CORS
	origin := r.Header.Get("Origin")
	if c.Disabled || origin == "" {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if !c.Allows(origin) {
		if preflight {
			w.WriteHeader(http.StatusNoContent) // no CORS headers: the browser refuses
			return true
		}
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS")
	if !preflight {
		return false
	}
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "1728000")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// logRequest writes the request's http-log line.
func (s *server) logRequest(r *http.Request, rec *recorder, rs *reqState, took time.Duration) {
	if !s.httpLog {
		return
	}
	status := rec.status
	if !rec.wrote {
		status = http.StatusOK
	}
	var vars map[string]string
	if rs.session != nil {
		vars = rs.session.Vars
	}
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	d := logging.HTTP{
		RequestID: rs.id,
		Operation: logging.HTTPOperation{
			QueryExecutionTime: took.Seconds(),
			UserVars:           vars,
			ResponseSize:       rec.size,
		},
		HTTPInfo: logging.HTTPInfo{Status: status, HTTPVersion: r.Proto, URL: r.URL.Path, IP: ip, Method: r.Method},
	}
	if rs.err != nil {
		d.Operation.Error = rs.err
	}
	logging.Request(s.log, d)
}

// newRequestID returns a random UUID (version 4), from the runtime's
// ChaCha8 generator.
func newRequestID() string {
	const hexDigits = "0123456789abcdef"
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0x0f]
		j += 2
	}
	return string(out[:])
}
