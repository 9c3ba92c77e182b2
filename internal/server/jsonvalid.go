package server

import "encoding/json"

// validJSON reports whether b is one JSON value, exactly as json.Valid
// does, but faster: a direct recursive scan (values nested deeper than
// maxValidDepth are left to json.Valid).
func validJSON(b []byte) bool {
	v := validator{b: b}
	v.ws()
	ok := v.value(0)
	if v.deep {
		return json.Valid(b)
	}
	v.ws()
	return ok && v.i == len(b)
}

// maxValidDepth is the nesting validJSON follows itself.
const maxValidDepth = 128

type validator struct {
	b    []byte
	i    int
	deep bool // nesting beyond maxValidDepth was met
}

// stringByte marks the bytes a JSON string holds unescaped: all but
// control characters, the quote and the backslash.
var stringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (v *validator) ws() {
	for v.i < len(v.b) {
		switch v.b[v.i] {
		case ' ', '\t', '\n', '\r':
			v.i++
		default:
			return
		}
	}
}

func (v *validator) peek() byte {
	if v.i < len(v.b) {
		return v.b[v.i]
	}
	return 0
}

func (v *validator) literal(lit string) bool {
	if len(v.b)-v.i >= len(lit) && string(v.b[v.i:v.i+len(lit)]) == lit {
		v.i += len(lit)
		return true
	}
	return false
}

// str consumes a string starting at its opening quote.
func (v *validator) str() bool {
	v.i++
	for {
		for v.i < len(v.b) && stringByte[v.b[v.i]] {
			v.i++
		}
		if v.i >= len(v.b) {
			return false
		}
		switch v.b[v.i] {
		case '"':
			v.i++
			return true
		case '\\':
			v.i++
			if v.i >= len(v.b) {
				return false
			}
			switch v.b[v.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				v.i++
			case 'u':
				if len(v.b)-v.i < 5 {
					return false
				}
				for _, h := range v.b[v.i+1 : v.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				v.i += 5
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
}

func (v *validator) value(depth int) bool {
	switch c := v.peek(); {
	case c == '"':
		return v.str()
	case c == '{':
		if depth >= maxValidDepth {
			v.deep = true
			return false
		}
		v.i++
		v.ws()
		if v.peek() == '}' {
			v.i++
			return true
		}
		for {
			v.ws()
			if v.peek() != '"' || !v.str() {
				return false
			}
			v.ws()
			if v.peek() != ':' {
				return false
			}
			v.i++
			v.ws()
			if !v.value(depth + 1) {
				return false
			}
			v.ws()
			switch v.peek() {
			case '}':
				v.i++
				return true
			case ',':
				v.i++
			default:
				return false
			}
		}
	case c == '[':
		if depth >= maxValidDepth {
			v.deep = true
			return false
		}
		v.i++
		v.ws()
		if v.peek() == ']' {
			v.i++
			return true
		}
		for {
			v.ws()
			if !v.value(depth + 1) {
				return false
			}
			v.ws()
			switch v.peek() {
			case ']':
				v.i++
				return true
			case ',':
				v.i++
			default:
				return false
			}
		}
	case c == 't':
		return v.literal("true")
	case c == 'f':
		return v.literal("false")
	case c == 'n':
		return v.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return v.number()
	}
	return false
}

func (v *validator) number() bool {
	if v.peek() == '-' {
		v.i++
	}
	switch c := v.peek(); {
	case c == '0':
		v.i++
	case c >= '1' && c <= '9':
		v.digits()
	default:
		return false
	}
	if v.peek() == '.' {
		v.i++
		if !v.digits() {
			return false
		}
	}
	if c := v.peek(); c == 'e' || c == 'E' {
		v.i++
		if c := v.peek(); c == '+' || c == '-' {
			v.i++
		}
		if !v.digits() {
			return false
		}
	}
	return true
}

func (v *validator) digits() bool {
	start := v.i
	for v.i < len(v.b) && v.b[v.i] >= '0' && v.b[v.i] <= '9' {
		v.i++
	}
	return v.i > start
}
