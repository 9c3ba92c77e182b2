package metrics

import (
	"encoding/json"
	"unicode/utf8"
	"unsafe"
)

// requestOperation returns the operation type of a single (not batched)
// GraphQL request body, exactly as decoding it into a gqlRequest with
// json.Unmarshal and calling OperationType would: "unknown" when the body
// does not decode. Bodies the fast scanner fully understands (one JSON
// object whose "query" and "operationName" are plain strings, the usual
// case) are read without decoding the rest or allocating; anything else
// (escaped or case-variant keys, \u escapes, deep nesting, invalid JSON)
// takes json.Unmarshal.
func requestOperation(body []byte) string {
	var stack [1024]byte
	if op, ok := fastOperation(body, stack[:0]); ok {
		return op
	}
	var r gqlRequest
	if json.Unmarshal(body, &r) != nil {
		return OpUnknown
	}
	return OperationType(r.Query, r.OperationName)
}

// maxScanDepth is the nesting the fast scanner follows before it leaves
// the body to json.Unmarshal.
const maxScanDepth = 64

// fastOperation is requestOperation's fast path; ok is false when the
// body must be decoded by json.Unmarshal instead. buf is scratch space for
// unescaping the query.
func fastOperation(body, buf []byte) (op string, ok bool) {
	s := jsonScanner{b: body}
	var query, name strSpan
	s.ws()
	if !s.byte('{') {
		return "", false
	}
	s.ws()
	if !s.byte('}') {
		for {
			s.ws()
			if s.peek() != '"' {
				return "", false
			}
			key, good := s.str()
			if !good || !key.plain {
				return "", false
			}
			s.ws()
			if !s.byte(':') {
				return "", false
			}
			s.ws()
			var dst *strSpan
			switch k := body[key.start:key.end]; {
			case string(k) == "query":
				dst = &query
			case string(k) == "operationName":
				dst = &name
			case foldsTo(k, "query") || foldsTo(k, "operationName"):
				return "", false // json.Unmarshal matches keys case-insensitively
			}
			if dst != nil {
				switch s.peek() {
				case '"':
					v, good := s.str()
					if !good {
						return "", false
					}
					*dst = v
				case 'n': // null leaves the field as it was
					if !s.literal("null") {
						return "", false
					}
				default:
					return "", false // a type error for json.Unmarshal
				}
			} else if !s.value(0) {
				return "", false
			}
			s.ws()
			if s.byte('}') {
				break
			}
			if !s.byte(',') {
				return "", false
			}
		}
	}
	s.ws()
	if s.i != len(body) {
		return "", false
	}
	q, good := spanString(body, query, buf)
	if !good {
		return "", false
	}
	n, good := spanString(body, name, q.rest)
	if !good {
		return "", false
	}
	return OperationType(q.s, n.s), true
}

// foldsTo reports whether the ASCII key k equals name case-insensitively.
func foldsTo(k []byte, name string) bool {
	if len(k) != len(name) {
		return false
	}
	for i := range k {
		a, b := k[i], name[i]
		if a >= 'A' && a <= 'Z' {
			a += 'a' - 'A'
		}
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// strSpan is a JSON string's contents in the body (without the quotes):
// plain when it has no escapes and only ASCII bytes.
type strSpan struct {
	start, end int
	plain      bool
	set        bool
}

type spanText struct {
	s    string
	rest []byte // what is left of the scratch space
}

// spanString returns the string value of span, viewing the body when it is
// plain and unescaping into buf otherwise. The result is only valid while
// body and buf are; ok is false for what only json.Unmarshal decodes
// exactly (\u escapes, invalid UTF-8).
func spanString(body []byte, sp strSpan, buf []byte) (spanText, bool) {
	if !sp.set || sp.start == sp.end {
		return spanText{rest: buf}, true
	}
	raw := body[sp.start:sp.end]
	if sp.plain {
		return spanText{s: unsafe.String(&raw[0], len(raw)), rest: buf}, true
	}
	out := buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default: // \u: surrogates and replacement are json.Unmarshal's
			return spanText{}, false
		}
	}
	if !utf8.Valid(out) {
		return spanText{}, false
	}
	if len(out) == 0 {
		return spanText{rest: buf}, true
	}
	s := unsafe.String(&out[0], len(out))
	if len(out) <= cap(buf) {
		return spanText{s: s, rest: buf[len(out):len(out)]}, true
	}
	return spanText{s: s, rest: buf}, true // out grew onto the heap
}

// jsonScanner walks JSON text strictly: it accepts exactly what
// json.Valid accepts (up to maxScanDepth), so that a body it reads is one
// json.Unmarshal would also decode.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (s *jsonScanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// str consumes a string starting at its opening quote.
func (s *jsonScanner) str() (strSpan, bool) {
	s.i++
	sp := strSpan{start: s.i, plain: true, set: true}
	for s.i < len(s.b) {
		for s.i < len(s.b) && plainByte[s.b[s.i]] {
			s.i++
		}
		if s.i == len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			sp.end = s.i
			s.i++
			return sp, true
		case c == '\\':
			sp.plain = false
			s.i++
			if s.i >= len(s.b) {
				return sp, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if len(s.b)-s.i < 5 {
					return sp, false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return sp, false
					}
				}
				s.i += 5
			default:
				return sp, false
			}
		case c < 0x20:
			return sp, false
		case c >= 0x80:
			sp.plain = false
			s.i++
		default:
			s.i++
		}
	}
	return sp, false
}

// value consumes one JSON value.
func (s *jsonScanner) value(depth int) bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		s.ws()
		if s.byte('}') {
			return true
		}
		for {
			s.ws()
			if s.peek() != '"' {
				return false
			}
			if _, ok := s.str(); !ok {
				return false
			}
			s.ws()
			if !s.byte(':') {
				return false
			}
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.byte('}') {
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case c == '[':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		s.ws()
		if s.byte(']') {
			return true
		}
		for {
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.byte(']') {
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

// number consumes a JSON number.
func (s *jsonScanner) number() bool {
	s.byte('-')
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.byte('.') {
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits consumes one or more digits.
func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// plainByte marks the bytes a JSON string holds as they are: ASCII other
// than control characters, the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
