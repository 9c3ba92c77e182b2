package sqlgen

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
)

// Args turns a Statement's parameters into driver arguments for pgx: each is
// a Go string (the value's PostgreSQL text form) or nil (SQL NULL), matching
// the statement's $n::text placeholders. vars holds the request's GraphQL
// variables by name; sess holds the session variables by lower-case name.
//
// A session variable the statement needs but the session lacks is an
// *apierr.Error with code not-found naming the first one, as Hasura reports
// it: missing session variable: "x-hasura-user-id".
func Args(params []ir.Value, vars map[string]any, sess map[string]string) ([]any, error) {
	out := make([]any, len(params))
	var missing []string
	for i, p := range params {
		switch v := p.(type) {
		case ir.Literal:
			out[i] = encodeValue(v.Val, v.Type)
		case *ir.Literal:
			out[i] = encodeValue(v.Val, v.Type)
		case ir.Variable:
			out[i] = encodeValue(lookupVar(v, vars), v.Type)
		case *ir.Variable:
			out[i] = encodeValue(lookupVar(*v, vars), v.Type)
		case ir.SessionVar:
			s, ok := sessionValue(sess, v.Name)
			if !ok {
				missing = appendMissing(missing, v.Name)
				continue
			}
			out[i] = sessionText(s, v.Type)
		case *ir.SessionVar:
			s, ok := sessionValue(sess, v.Name)
			if !ok {
				missing = appendMissing(missing, v.Name)
				continue
			}
			out[i] = sessionText(s, v.Type)
		case ir.SessionJSON, *ir.SessionJSON:
			out[i] = sessionJSON(sess)
		default:
			return nil, apierr.Internalf("sqlgen: unknown parameter kind %T", p)
		}
	}
	if len(missing) > 0 {
		msg := "missing session variable: " + strconv.Quote(missing[0])
		return nil, &apierr.Error{Status: http.StatusBadRequest, Code: apierr.NotFound, Message: msg, Path: "$"}
	}
	return out, nil
}

func sessionValue(sess map[string]string, name string) (string, bool) {
	s, ok := sess[name]
	if !ok {
		s, ok = sess[strings.ToLower(name)]
	}
	return s, ok
}

// sessionText is a session variable's value as the text of type typ. Session
// variables are strings; for array types a JSON array (as JWT claims carry
// lists) becomes an array literal, and a Postgres array literal passes as is.
func sessionText(s, typ string) string {
	if strings.HasSuffix(typ, "[]") && strings.HasPrefix(strings.TrimSpace(s), "[") {
		var l []any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if err := d.Decode(&l); err == nil {
			var b strings.Builder
			writeArrayLiteral(&b, l, isJSONType(strings.TrimSuffix(typ, "[]")))
			return b.String()
		}
	}
	return s
}

// sessionJSON is the session as a JSON object with lower-case keys.
func sessionJSON(sess map[string]string) string {
	m := make(map[string]string, len(sess))
	for k, v := range sess {
		m[strings.ToLower(k)] = v
	}
	data, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(data)
}

func appendMissing(list []string, name string) []string {
	name = strings.ToLower(name)
	for _, m := range list {
		if m == name {
			return list
		}
	}
	return append(list, name)
}

// lookupVar finds a variable's value by name and path, falling back to its
// default when the variable (or the path inside it) is absent.
func lookupVar(v ir.Variable, vars map[string]any) any {
	val, ok := vars[v.Name]
	if !ok {
		return v.Default
	}
	for _, step := range v.Path {
		switch s := step.(type) {
		case string:
			m, isMap := val.(map[string]any)
			if !isMap {
				return nil
			}
			if val, ok = m[s]; !ok {
				return nil
			}
		case int, int64, float64, json.Number:
			idx, ok := literalInt(s)
			l, isList := val.([]any)
			if !ok || !isList || idx < 0 || idx >= int64(len(l)) {
				return nil
			}
			val = l[idx]
		default:
			return nil
		}
	}
	return val
}

// encodeValue renders a JSON-decoded value as the text PostgreSQL parses into
// type typ: JSON text for json/jsonb, an array literal for array types given
// a list, the plain text form otherwise. nil is SQL NULL.
func encodeValue(val any, typ string) any {
	if val == nil {
		return nil
	}
	if isJSONType(typ) {
		return jsonText(val)
	}
	if l, ok := val.([]any); ok {
		var b strings.Builder
		writeArrayLiteral(&b, l, isJSONType(strings.TrimSuffix(typ, "[]")))
		return b.String()
	}
	return scalarText(val)
}

func isJSONType(t string) bool { return t == "json" || t == "jsonb" }

// scalarText is the text form of a scalar; objects are written as JSON (e.g.
// GeoJSON for geometry input).
func scalarText(val any) string {
	switch x := val.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	default:
		return jsonText(val)
	}
}

func jsonText(val any) string {
	if n, ok := val.(json.Number); ok {
		return string(n)
	}
	data, err := json.Marshal(val)
	if err != nil {
		return "null"
	}
	return string(data)
}

// writeArrayLiteral writes l as a PostgreSQL array literal: every non-NULL
// element double-quoted with backslashes and double quotes escaped, nested
// lists as nested arrays. jsonElems writes elements as JSON text.
func writeArrayLiteral(b *strings.Builder, l []any, jsonElems bool) {
	b.WriteByte('{')
	for i, e := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		if e == nil {
			b.WriteString("NULL")
			continue
		}
		if sub, ok := e.([]any); ok && !jsonElems {
			writeArrayLiteral(b, sub, false)
			continue
		}
		var s string
		if jsonElems {
			s = jsonText(e)
		} else {
			s = scalarText(e)
		}
		b.WriteByte('"')
		for j := 0; j < len(s); j++ {
			c := s[j]
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
}

// ArrayLiteral returns l as a PostgreSQL array literal (see Args).
func ArrayLiteral(l []any) string {
	var b strings.Builder
	writeArrayLiteral(&b, l, false)
	return b.String()
}
