package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func decodeLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestLineShape(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, Options{Types: map[string]bool{"startup": true}})
	Startup(l, "server_configuration", map[string]any{"port": 8080})
	raw := b.String()
	if !regexp.MustCompile(`^\{"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000","level":"info","type":"startup","detail":\{"kind":"server_configuration","info":\{"port":8080\}\}\}\n$`).MatchString(raw) {
		t.Errorf("line = %s", raw)
	}
}

func TestTypeAndLevelFiltering(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		log   func(l *slog.Logger)
		lines int
	}{
		{"enabled type", Options{Types: map[string]bool{"http-log": true}}, func(l *slog.Logger) { Request(l, HTTP{}) }, 1},
		{"disabled type", Options{Types: map[string]bool{"startup": true}}, func(l *slog.Logger) { Request(l, HTTP{}) }, 0},
		{"query-log off by default", Options{Types: map[string]bool{"startup": true, "http-log": true}},
			func(l *slog.Logger) { QueryLog(context.Background(), l, Query{}) }, 0},
		{"query-log on", Options{Types: map[string]bool{"query-log": true}},
			func(l *slog.Logger) { QueryLog(context.Background(), l, Query{}) }, 1},
		{"unconfigurable type always written", Options{}, func(l *slog.Logger) { l.Info("hello", "type", "pg-client") }, 1},
		{"untyped is unstructured", Options{}, func(l *slog.Logger) { l.Info("hello") }, 1},
		{"below level dropped", Options{Level: slog.LevelWarn}, func(l *slog.Logger) { l.Info("hello") }, 0},
		{"debug when enabled", Options{Level: slog.LevelDebug}, func(l *slog.Logger) { l.Debug("hello") }, 1},
		{"warn startup passes warn level", Options{Level: slog.LevelWarn, Types: map[string]bool{"startup": true}},
			func(l *slog.Logger) { Warn(l, "config", "x") }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.log(New(&b, tt.opts))
			if got := len(decodeLines(t, &b)); got != tt.lines {
				t.Errorf("wrote %d lines, want %d: %s", got, tt.lines, b.String())
			}
		})
	}
}

func TestHTTPLog(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, Options{Types: map[string]bool{"http-log": true}})
	Request(l, HTTP{
		RequestID: "rid",
		Operation: HTTPOperation{QueryExecutionTime: 0.5, UserVars: map[string]string{"x-hasura-role": "user"}, ResponseSize: 12},
		HTTPInfo:  HTTPInfo{Status: 404, HTTPVersion: "HTTP/1.1", URL: "/nope", IP: "127.0.0.1", Method: "GET"},
	})
	lines := decodeLines(t, &b)
	if len(lines) != 1 {
		t.Fatalf("lines = %d", len(lines))
	}
	m := lines[0]
	if m["level"] != "error" || m["type"] != "http-log" {
		t.Errorf("level/type = %v/%v", m["level"], m["type"])
	}
	d := m["detail"].(map[string]any)
	op := d["operation"].(map[string]any)
	info := d["http_info"].(map[string]any)
	if d["request_id"] != "rid" || op["request_id"] != "rid" || op["response_size"] != 12.0 || op["error"] != nil {
		t.Errorf("operation = %v", op)
	}
	if op["user_vars"].(map[string]any)["x-hasura-role"] != "user" {
		t.Errorf("user_vars = %v", op["user_vars"])
	}
	if info["status"] != 404.0 || info["url"] != "/nope" || info["method"] != "GET" || info["ip"] != "127.0.0.1" || info["http_version"] != "HTTP/1.1" {
		t.Errorf("http_info = %v", info)
	}
	if _, ok := info["content_encoding"]; !ok {
		t.Error("content_encoding missing")
	}
}

func TestQueryLog(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, Options{Types: map[string]bool{"query-log": true}})
	QueryLog(context.Background(), l, Query{RequestID: "r1", Query: json.RawMessage(`{"query":"{a}"}`),
		GeneratedSQL: map[string]SQL{"a": {PreparedArguments: []any{"x"}, Query: "SELECT 1"}}})
	m := decodeLines(t, &b)[0]
	d := m["detail"].(map[string]any)
	if d["kind"] != "database" || d["request_id"] != "r1" || d["query"].(map[string]any)["query"] != "{a}" {
		t.Errorf("detail = %v", d)
	}
	sql := d["generated_sql"].(map[string]any)["a"].(map[string]any)
	if sql["query"] != "SELECT 1" || sql["prepared_arguments"].([]any)[0] != "x" {
		t.Errorf("generated_sql = %v", sql)
	}
}

func TestUnstructuredDetail(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, Options{}).With("component", "pgcluster")
	l.Warn("restarting", "attempt", 2, "err", errors.New("boom"))
	l.WithGroup("g").Info("grouped", "k", "v")
	lines := decodeLines(t, &b)
	d := lines[0]["detail"].(map[string]any)
	if lines[0]["type"] != "unstructured" || lines[0]["level"] != "warn" || d["message"] != "restarting" ||
		d["component"] != "pgcluster" || d["attempt"] != 2.0 || d["err"] != "boom" {
		t.Errorf("line = %v", lines[0])
	}
	if lines[1]["detail"].(map[string]any)["g.k"] != "v" {
		t.Errorf("grouped = %v", lines[1])
	}
}

func TestEnabled(t *testing.T) {
	l := New(&bytes.Buffer{}, Options{Types: map[string]bool{"http-log": true}})
	if !Enabled(l, "http-log") || Enabled(l, "query-log") || !Enabled(l, "unstructured") {
		t.Error("Enabled mismatch")
	}
	if !Enabled(slog.Default(), "query-log") {
		t.Error("foreign handlers should report enabled")
	}
}
