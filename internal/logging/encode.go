package logging

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The line encoder writes exactly what encoding/json (with HTML escaping
// off) writes for a line, without reflection for the parts it knows: the
// envelope and the http-log detail. Other details go through json.Encoder.

// lineBuffer is a pooled buffer with a JSON encoder writing to it.
type lineBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var linePool = sync.Pool{New: func() any {
	lb := &lineBuffer{}
	lb.enc = json.NewEncoder(&lb.buf)
	lb.enc.SetEscapeHTML(false)
	return lb
}}

// maxPooledLine is the largest buffer returned to the pool.
const maxPooledLine = 64 << 10

func (lb *lineBuffer) free() {
	if lb.buf.Cap() <= maxPooledLine {
		lb.buf.Reset()
		linePool.Put(lb)
	}
}

// encodeLine writes the line {"timestamp","level","type","detail"} and a
// newline to lb; false when the detail cannot be encoded (lb is then in an
// unspecified state).
func (lb *lineBuffer) encodeLine(ts time.Time, level, typ string, detail any) bool {
	b := appendLineStart(lb.buf.AvailableBuffer(), ts, level, typ)
	switch d := detail.(type) {
	case HTTP:
		return lb.encodeHTTPDetail(b, &d)
	case string:
		b = appendString(b, d)
		lb.buf.Write(b)
	default:
		lb.buf.Write(b)
		if lb.enc.Encode(detail) != nil {
			return false
		}
		lb.buf.Truncate(lb.buf.Len() - 1) // Encode's newline
	}
	lb.buf.WriteString("}\n")
	return true
}

// encodeHTTPLine is encodeLine for an http-log detail.
func (lb *lineBuffer) encodeHTTPLine(ts time.Time, level string, d *HTTP) bool {
	return lb.encodeHTTPDetail(appendLineStart(lb.buf.AvailableBuffer(), ts, level, "http-log"), d)
}

func (lb *lineBuffer) encodeHTTPDetail(b []byte, d *HTTP) bool {
	b, ok := appendHTTP(b, d)
	if !ok {
		return false
	}
	b = append(b, "}\n"...)
	lb.buf.Write(b)
	return true
}

// appendLineStart appends a line up to its detail.
func appendLineStart(b []byte, ts time.Time, level, typ string) []byte {
	b = append(b, `{"timestamp":"`...)
	b = ts.UTC().AppendFormat(b, "2006-01-02T15:04:05.000-0700")
	b = append(b, `","level":`...)
	b = appendString(b, level)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	return append(b, `,"detail":`...)
}

// appendHTTP appends d as encoding/json encodes an HTTP.
func appendHTTP(b []byte, d *HTTP) ([]byte, bool) {
	var ok bool
	b = append(b, `{"request_id":`...)
	b = appendString(b, d.RequestID)
	o := &d.Operation
	b = append(b, `,"operation":{"query_execution_time":`...)
	if b, ok = appendFloat(b, o.QueryExecutionTime); !ok {
		return b, false
	}
	b = append(b, `,"user_vars":`...)
	b = appendStringMap(b, o.UserVars)
	b = append(b, `,"error":`...)
	if b, ok = appendRaw(b, o.Error); !ok {
		return b, false
	}
	b = append(b, `,"request_id":`...)
	b = appendString(b, o.RequestID)
	b = append(b, `,"response_size":`...)
	b = strconv.AppendInt(b, int64(o.ResponseSize), 10)
	if o.RequestMode != "" {
		b = append(b, `,"request_mode":`...)
		b = appendString(b, o.RequestMode)
	}
	b = append(b, `,"query":`...)
	if b, ok = appendRaw(b, o.Query); !ok {
		return b, false
	}
	i := &d.HTTPInfo
	b = append(b, `},"http_info":{"status":`...)
	b = strconv.AppendInt(b, int64(i.Status), 10)
	b = append(b, `,"http_version":`...)
	b = appendString(b, i.HTTPVersion)
	b = append(b, `,"url":`...)
	b = appendString(b, i.URL)
	b = append(b, `,"ip":`...)
	b = appendString(b, i.IP)
	b = append(b, `,"method":`...)
	b = appendString(b, i.Method)
	b = append(b, `,"content_encoding":`...)
	if i.ContentEncoding == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *i.ContentEncoding)
	}
	b = append(b, "}}"...)
	return b, true
}

// appendRaw appends a json.RawMessage compacted, as encoding/json does
// (nil is null); false when it is not valid JSON.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, bool) {
	switch {
	case raw == nil:
		return append(b, "null"...), true
	case string(raw) == "null":
		return append(b, raw...), true
	}
	var out bytes.Buffer
	out.Write(b)
	if json.Compact(&out, raw) != nil {
		return b, false
	}
	return out.Bytes(), true
}

// appendStringMap appends m with its keys sorted (nil is null).
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// appendFloat appends f as encoding/json does; false for NaN and infinities.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// with HTML escaping off.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
