package logging

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Startup logs a "startup" line: {"kind": kind, "info": info}.
func Startup(l *slog.Logger, kind string, info any) {
	l.LogAttrs(context.Background(), slog.LevelInfo, "", slog.String(KeyType, "startup"),
		slog.Any(KeyDetail, startupDetail{Kind: kind, Info: info}))
}

type startupDetail struct {
	Kind string `json:"kind"`
	Info any    `json:"info"`
}

// Warn logs a startup warning ({"kind": kind, "info": message}) at warn level.
func Warn(l *slog.Logger, kind, message string) {
	l.LogAttrs(context.Background(), slog.LevelWarn, "", slog.String(KeyType, "startup"),
		slog.Any(KeyDetail, startupDetail{Kind: kind, Info: message}))
}

// HTTP is one request's "http-log" detail.
type HTTP struct {
	RequestID string        `json:"request_id"`
	Operation HTTPOperation `json:"operation"`
	HTTPInfo  HTTPInfo      `json:"http_info"`
}

// HTTPOperation is the "operation" object of an http-log line.
type HTTPOperation struct {
	QueryExecutionTime float64           `json:"query_execution_time"`
	UserVars           map[string]string `json:"user_vars"`
	Error              json.RawMessage   `json:"error"`
	RequestID          string            `json:"request_id"`
	ResponseSize       int               `json:"response_size"`
	RequestMode        string            `json:"request_mode,omitempty"`
	Query              json.RawMessage   `json:"query"`
}

// HTTPInfo is the "http_info" object of an http-log line.
type HTTPInfo struct {
	Status          int     `json:"status"`
	HTTPVersion     string  `json:"http_version"`
	URL             string  `json:"url"`
	IP              string  `json:"ip"`
	Method          string  `json:"method"`
	ContentEncoding *string `json:"content_encoding"`
}

// Request logs an "http-log" line: info level, error level for 4xx/5xx
// statuses, as Hasura does. A nil error or query is written as null.
func Request(l *slog.Logger, d HTTP) {
	if d.Operation.Error == nil {
		d.Operation.Error = json.RawMessage("null")
	}
	if d.Operation.Query == nil {
		d.Operation.Query = json.RawMessage("null")
	}
	d.Operation.RequestID = d.RequestID
	level := slog.LevelInfo
	if d.HTTPInfo.Status >= 400 {
		level = slog.LevelError
	}
	if h, ok := l.Handler().(*Handler); ok && h.group == "" {
		// The line depends on the level, type and detail alone: written
		// directly, without building a slog.Record (and its caller's pc).
		if !h.Enabled(context.Background(), level) || !h.TypeEnabled("http-log") {
			return
		}
		_ = h.writeHTTP(time.Now(), level, &d)
		return
	}
	l.LogAttrs(context.Background(), level, "", slog.String(KeyType, "http-log"), slog.Any(KeyDetail, d))
}

// SQL is one generated statement: its text and bind arguments.
type SQL struct {
	PreparedArguments []any  `json:"prepared_arguments"`
	Query             string `json:"query"`
}

// Query is a "query-log" detail: the GraphQL request and the SQL generated
// for each root field.
type Query struct {
	Kind         string          `json:"kind"`
	RequestID    string          `json:"request_id"`
	Query        json.RawMessage `json:"query"`
	GeneratedSQL map[string]SQL  `json:"generated_sql"`
}

// QueryLog logs a "query-log" line (kind defaults to "database").
func QueryLog(ctx context.Context, l *slog.Logger, d Query) {
	if d.Kind == "" {
		d.Kind = "database"
	}
	if d.Query == nil {
		d.Query = json.RawMessage("null")
	}
	l.LogAttrs(ctx, slog.LevelInfo, "", slog.String(KeyType, "query-log"), slog.Any(KeyDetail, d))
}

// Enabled reports whether logger l writes records of log type t (true for
// loggers whose handler is not a *Handler).
func Enabled(l *slog.Logger, t string) bool {
	if h, ok := l.Handler().(*Handler); ok {
		return h.TypeEnabled(t)
	}
	return true
}
