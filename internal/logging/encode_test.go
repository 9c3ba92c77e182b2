package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"
)

// refLine is a line as encoding/json writes it.
func refLine(ts time.Time, level, typ string, detail any) ([]byte, bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(line{Timestamp: ts.UTC().Format("2006-01-02T15:04:05.000-0700"), Level: level, Type: typ, Detail: detail})
	return buf.Bytes(), err == nil
}

func checkLine(t *testing.T, ts time.Time, level, typ string, detail any) {
	t.Helper()
	want, wantOK := refLine(ts, level, typ, detail)
	lb := linePool.Get().(*lineBuffer)
	defer lb.free()
	ok := lb.encodeLine(ts, level, typ, detail)
	if ok != wantOK || ok && !bytes.Equal(lb.buf.Bytes(), want) {
		t.Errorf("encodeLine(%#v):\n got %v %s\nwant %v %s", detail, ok, lb.buf.Bytes(), wantOK, want)
	}
}

func sampleHTTP() HTTP {
	enc := "gzip"
	return HTTP{
		RequestID: "0d7f2c1e-3c1b-4f7e-9a51-6b1f0f5f6a10",
		Operation: HTTPOperation{
			QueryExecutionTime: 0.000123456,
			UserVars:           map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42", "x-hasura-a": "<&>\u2028\"\\\n\x01é\xff"},
			Error:              json.RawMessage(` {"code": "not-exists", "error":"table \"x\" <does> not exist", "path":"$.args"} `),
			ResponseSize:       1234,
			RequestMode:        "single",
			Query:              json.RawMessage(`{"query":"{ a }"}`),
		},
		HTTPInfo: HTTPInfo{Status: 400, HTTPVersion: "HTTP/1.1", URL: "/v1/graphql?x=\"1\"", IP: "127.0.0.1", Method: "POST", ContentEncoding: &enc},
	}
}

func TestEncodeLineMatchesEncodingJSON(t *testing.T) {
	ts := time.Date(2026, 1, 2, 15, 4, 5, 678_000_000, time.FixedZone("x", 3600))
	d := sampleHTTP()
	checkLine(t, ts, "error", "http-log", d)
	d.Operation.RequestMode, d.Operation.UserVars, d.HTTPInfo.ContentEncoding = "", nil, nil
	d.Operation.Error, d.Operation.Query = nil, json.RawMessage("null")
	checkLine(t, ts, "info", "http-log", d)
	d.Operation.UserVars = map[string]string{}
	for _, f := range []float64{0, 1e-7, 1e-6, 0.5, 12.25, 1e20, 1e21, 123456789.123, -3e-9, math.Inf(1), math.NaN()} {
		d.Operation.QueryExecutionTime = f
		checkLine(t, ts, "info", "http-log", d)
	}
	d.Operation.QueryExecutionTime = 1
	d.Operation.Error = json.RawMessage(`{"broken"`)
	checkLine(t, ts, "info", "http-log", d)
	checkLine(t, ts, "warn", "ty\"pe", "a message \u2029 \x7f")
	checkLine(t, ts, "info", "startup", map[string]any{"kind": "k", "info": map[string]any{"a": 1, "b": []int{1}}})
	checkLine(t, ts, "info", "startup", json.RawMessage(`{"a": 1}`))
}

func FuzzEncodeHTTP(f *testing.F) {
	f.Add("id", "/v1/graphql", "POST", "x-hasura-role", "admin", []byte(`{"code":"x"}`), 0.25, 200)
	f.Add("\xff\u2028", "\x00", "", "", "\t", []byte(`null`), 1e-9, 500)
	f.Fuzz(func(t *testing.T, id, url, method, k, v string, raw []byte, took float64, status int) {
		d := HTTP{
			RequestID: id,
			Operation: HTTPOperation{QueryExecutionTime: took, UserVars: map[string]string{k: v, "x-hasura-role": v}, Error: raw, RequestID: id, ResponseSize: status * 3},
			HTTPInfo:  HTTPInfo{Status: status, HTTPVersion: "HTTP/1.1", URL: url, IP: v, Method: method},
		}
		checkLine(t, time.Unix(int64(status), 0), "info", k, d)
	})
}

// TestRequestLineSameThroughSlog checks that the direct http-log path and
// the slog path write the same line.
func TestRequestLineSameThroughSlog(t *testing.T) {
	var direct, viaSlog bytes.Buffer
	d := sampleHTTP()
	Request(New(&direct, Options{Types: map[string]bool{"http-log": true}}), d)
	d.Operation.RequestID = d.RequestID
	New(&viaSlog, Options{Types: map[string]bool{"http-log": true}}).LogAttrs(context.Background(), slog.LevelError, "",
		slog.String(KeyType, "http-log"), slog.Any(KeyDetail, d))
	// The timestamps differ; compare the rest.
	strip := func(b []byte) []byte { return b[bytes.Index(b, []byte(`"level"`)):] }
	if direct.Len() == 0 || !bytes.Equal(strip(direct.Bytes()), strip(viaSlog.Bytes())) {
		t.Errorf("direct %s\nslog   %s", direct.Bytes(), viaSlog.Bytes())
	}
	var none bytes.Buffer
	Request(New(&none, Options{Types: map[string]bool{"startup": true}}), d)
	Request(New(&none, Options{Types: map[string]bool{"http-log": true}, Level: slog.LevelWarn}), HTTP{HTTPInfo: HTTPInfo{Status: 200}})
	if none.Len() != 0 {
		t.Errorf("disabled http-log written: %s", none.Bytes())
	}
}

func BenchmarkRequestLog(b *testing.B) {
	l := New(io.Discard, Options{Types: map[string]bool{"http-log": true}})
	d := sampleHTTP()
	d.Operation.Error, d.Operation.Query, d.HTTPInfo.Status = nil, nil, 200
	d.Operation.UserVars = map[string]string{"x-hasura-role": "admin"}
	b.ReportAllocs()
	for b.Loop() {
		Request(l, d)
	}
}
