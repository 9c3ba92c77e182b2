package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/postgate/postgate/internal/apierr"
)

// graphql serves /v1/graphql (legacy=false) and /v1alpha1/graphql.
func (s *server) graphql(legacy bool) func(http.ResponseWriter, *http.Request, *reqState) {
	return func(w http.ResponseWriter, _ *http.Request, rs *reqState) {
		if s.opts.GraphQL == nil {
			s.notFound(w, rs)
			return
		}
		if err := checkJSON(rs.body); err != nil {
			s.fail(w, rs, true, legacy, err)
			return
		}
		status, body := s.opts.GraphQL.Execute(rs.ctx, *rs.session, rs.body, legacy)
		writeJSON(w, status, body)
	}
}

// explain serves /v1/graphql/explain.
func (s *server) explain(w http.ResponseWriter, r *http.Request, rs *reqState) {
	if s.opts.GraphQL == nil {
		s.notFound(w, rs)
		return
	}
	if err := checkJSON(rs.body); err != nil {
		s.fail(w, rs, false, false, err)
		return
	}
	status, body := s.opts.GraphQL.Explain(r.Context(), *rs.session, rs.body)
	writeJSON(w, status, body)
}

// api serves one of the admin JSON APIs through method m of MetadataAPI.
func (s *server) api(m func(MetadataAPI, context.Context, []byte) (json.RawMessage, error)) func(http.ResponseWriter, *http.Request, *reqState) {
	return func(w http.ResponseWriter, r *http.Request, rs *reqState) {
		if s.opts.Metadata == nil {
			s.notFound(w, rs)
			return
		}
		if err := checkJSON(rs.body); err != nil {
			s.fail(w, rs, false, false, err)
			return
		}
		out, err := m(s.opts.Metadata, r.Context(), rs.body)
		if err != nil {
			s.fail(w, rs, false, false, err)
			return
		}
		if out == nil {
			out = json.RawMessage("null")
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// pgDump serves /v1alpha1/pg_dump: the dump streams as Hasura's SQL
// content type; errors before its first byte get Hasura's error JSON.
func (s *server) pgDump(w http.ResponseWriter, r *http.Request, rs *reqState) {
	if s.opts.PGDump == nil {
		s.notFound(w, rs)
		return
	}
	if err := checkJSON(rs.body); err != nil {
		s.fail(w, rs, false, false, err)
		return
	}
	started := false
	err := s.opts.PGDump.Dump(r.Context(), rs.body, func() io.Writer {
		started = true
		w.Header().Set("Content-Type", "application/sql; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		return w
	})
	switch {
	case err != nil && !started:
		s.fail(w, rs, false, false, err)
	case err != nil:
		s.log.Error("pg_dump cut short", "type", "http-log", "error", err.Error())
	}
}

// version serves /v1/version.
func (s *server) version(w http.ResponseWriter, _ *http.Request, _ *reqState) {
	b, _ := json.Marshal(struct {
		Version    string `json:"version"`
		ServerType string `json:"server_type"`
	}{s.opts.Version, "ce"})
	writeJSON(w, http.StatusOK, b)
}

// healthz serves /healthz: "OK"; "WARN inconsistent objects in schema" when
// the metadata is inconsistent; 500 "ERROR" when it is inconsistent under
// ?strict=true or the server cannot serve.
func (s *server) healthz(w http.ResponseWriter, r *http.Request, _ *reqState) {
	strict := r.URL.Query().Get("strict") == "true"
	status, text := http.StatusOK, "OK"
	if s.opts.Health != nil {
		if err := s.opts.Health.Health(r.Context(), strict); err != nil {
			status, text = http.StatusInternalServerError, "ERROR"
			if e := apierr.As(err); e != nil && e.Code == apierr.Inconsistent && !strict {
				status, text = http.StatusOK, "WARN inconsistent objects in schema"
			} else {
				s.log.Error("health check failed", "type", "health-check-log", "error", err.Error())
			}
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// console serves /console when the console is enabled.
func (s *server) console(w http.ResponseWriter, _ *http.Request, rs *reqState) {
	if !s.cfg.EnableConsole {
		s.notFound(w, rs)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(consolePage))
}

// root redirects to the console when it is enabled.
func (s *server) root(w http.ResponseWriter, r *http.Request, rs *reqState) {
	if !s.cfg.EnableConsole {
		s.notFound(w, rs)
		return
	}
	http.Redirect(w, r, "/console", http.StatusFound)
}

const consolePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Postgate console</title></head>
<body><h1>Postgate</h1><p>The console is not available in this version. The GraphQL endpoint is
<code>/v1/graphql</code>; the metadata API is <code>/v1/metadata</code>.</p></body></html>
`
