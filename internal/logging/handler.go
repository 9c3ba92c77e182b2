// Package logging writes Hasura-shaped JSON log lines through log/slog:
//
//	{"timestamp":"2026-01-02T15:04:05.000+0000","level":"info","type":"startup","detail":{...}}
//
// A record's "type" attribute names its Hasura log type and its "detail"
// attribute is written as the detail object. Records of a configurable type
// (http-log, query-log, ...) are written only when that type is enabled;
// other types (such as "unstructured") always pass the level filter alone.
package logging

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Attribute keys with a special meaning to the handler.
const (
	KeyType   = "type"
	KeyDetail = "detail"
)

// Configurable lists the log types that HASURA_GRAPHQL_ENABLED_LOG_TYPES
// switches on and off; every other type is always written.
var configurable = map[string]bool{
	"startup": true, "http-log": true, "webhook-log": true, "websocket-log": true, "query-log": true,
	"execution-log": true, "livequery-poller-log": true, "action-handler-log": true,
	"data-connector-log": true, "jwk-refresh-log": true, "validate-input-log": true,
}

// Options selects what the handler writes.
type Options struct {
	// Types is the set of enabled configurable log types.
	Types map[string]bool
	// Level is the minimum level written (default info).
	Level slog.Leveler
}

// Handler is a slog.Handler producing Hasura's JSON log lines.
type Handler struct {
	out   *output
	opts  Options
	attrs []slog.Attr
	group string
}

type output struct {
	mu sync.Mutex
	w  io.Writer
}

// NewHandler returns a Handler writing one JSON object per line to w.
func NewHandler(w io.Writer, o Options) *Handler {
	if o.Level == nil {
		o.Level = slog.LevelInfo
	}
	return &Handler{out: &output{w: w}, opts: o}
}

// New returns a logger on a new Handler.
func New(w io.Writer, o Options) *slog.Logger { return slog.New(NewHandler(w, o)) }

// Enabled reports whether records at level are written.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.opts.Level.Level() }

// TypeEnabled reports whether records of log type t are written.
func (h *Handler) TypeEnabled(t string) bool { return !configurable[t] || h.opts.Types[t] }

// WithAttrs returns a handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), h.qualify(attrs)...)
	return &c
}

// WithGroup returns a handler that prefixes later attribute keys with name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	if c.group != "" {
		c.group += "."
	}
	c.group += name
	return &c
}

func (h *Handler) qualify(attrs []slog.Attr) []slog.Attr {
	if h.group == "" {
		return attrs
	}
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = slog.Attr{Key: h.group + "." + a.Key, Value: a.Value}
	}
	return out
}

// line is one log line; field order follows Hasura's.
type line struct {
	Timestamp string `json:"timestamp"`
	Level     string `json:"level"`
	Type      string `json:"type"`
	Detail    any    `json:"detail"`
}

// Handle writes r as one JSON line unless its type is disabled.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	// The type is found first, so that records of a disabled type cost
	// nothing more. Attributes of a handler with a group are qualified
	// ("group.key") and so never name the type or the detail.
	typ := "unstructured"
	var detailValue slog.Value
	hasDetail := false
	for _, a := range h.attrs {
		switch a.Key {
		case KeyType:
			typ = a.Value.String()
		case KeyDetail:
			detailValue, hasDetail = a.Value, true
		}
	}
	if h.group == "" {
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case KeyType:
				typ = a.Value.String()
			case KeyDetail:
				detailValue, hasDetail = a.Value, true
			}
			return true
		})
	}
	if !h.TypeEnabled(typ) {
		return nil
	}
	var detail any
	if hasDetail {
		detail = valueOf(detailValue)
	} else {
		extra := map[string]any{}
		take := func(a slog.Attr) {
			if a.Key != "" && a.Key != KeyType && a.Key != KeyDetail {
				extra[a.Key] = valueOf(a.Value)
			}
		}
		for _, a := range h.attrs {
			take(a)
		}
		r.Attrs(func(a slog.Attr) bool {
			for _, q := range h.qualify([]slog.Attr{a}) {
				take(q)
			}
			return true
		})
		if len(extra) == 0 {
			detail = r.Message
		} else {
			if r.Message != "" {
				extra["message"] = r.Message
			}
			detail = extra
		}
	}
	ts := r.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	return h.write(ts, r.Level, typ, detail, r.Message)
}

// write writes one line; a detail that cannot be encoded is replaced by
// the record's message.
func (h *Handler) write(ts time.Time, level slog.Level, typ string, detail any, message string) error {
	lb := linePool.Get().(*lineBuffer)
	defer lb.free()
	if !lb.encodeLine(ts, levelName(level), typ, detail) {
		lb.buf.Reset()
		lb.encodeLine(ts, levelName(level), typ, message)
	}
	return h.flush(lb)
}

// writeHTTP writes an http-log line of detail d.
func (h *Handler) writeHTTP(ts time.Time, level slog.Level, d *HTTP) error {
	lb := linePool.Get().(*lineBuffer)
	defer lb.free()
	if !lb.encodeHTTPLine(ts, levelName(level), d) {
		lb.buf.Reset()
		lb.encodeLine(ts, levelName(level), "http-log", "")
	}
	return h.flush(lb)
}

func (h *Handler) flush(lb *lineBuffer) error {
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := h.out.w.Write(lb.buf.Bytes())
	return err
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	default:
		return "debug"
	}
}

func valueOf(v slog.Value) any {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		m := map[string]any{}
		for _, a := range v.Group() {
			m[a.Key] = valueOf(a.Value)
		}
		return m
	case slog.KindDuration:
		return v.Duration().Seconds()
	case slog.KindTime:
		return v.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
		if raw, ok := v.Any().(json.RawMessage); ok && json.Valid(raw) {
			return raw
		}
		return v.Any()
	default:
		return v.Any()
	}
}
