package auth

import (
	"errors"
	"strconv"
	"strings"
)

// jsonPath is the JSONPath subset Hasura accepts in claims_namespace_path and
// claims_map: "$", "$.a.b", "$['a b']", `$["a"]` and "$.a[0]".
type jsonPath []pathElem

type pathElem struct {
	key   string
	index int
	isIdx bool
}

var errPathSyntax = errors.New("invalid JSON path")

// parseJSONPath parses s; the leading "$" may be omitted.
func parseJSONPath(s string) (jsonPath, error) {
	rest := strings.TrimPrefix(s, "$")
	p := jsonPath{}
	first := len(rest) == len(s)
	for rest != "" {
		switch {
		case rest[0] == '.':
			name, n := identPrefix(rest[1:])
			if n == 0 {
				return nil, pathError(s)
			}
			p = append(p, pathElem{key: name})
			rest = rest[1+n:]
		case rest[0] == '[':
			elem, n, err := parseBracket(rest)
			if err != nil {
				return nil, pathError(s)
			}
			p = append(p, elem)
			rest = rest[n:]
		case first:
			name, n := identPrefix(rest)
			if n == 0 {
				return nil, pathError(s)
			}
			p = append(p, pathElem{key: name})
			rest = rest[n:]
		default:
			return nil, pathError(s)
		}
		first = false
	}
	return p, nil
}

func pathError(s string) error {
	return errors.New("invalid property name: " + s +
		". Accept letters, digits, underscore (_) or hyphen (-) only. " +
		"Use quotes enclosed in bracket ([\"...\"]) if there is any other character")
}

func identPrefix(s string) (string, int) {
	n := 0
	for n < len(s) && isIdentByte(s[n]) {
		n++
	}
	return s[:n], n
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// parseBracket parses "[0]", "['k']" or `["k"]` at the start of s.
func parseBracket(s string) (pathElem, int, error) {
	if len(s) < 3 {
		return pathElem{}, 0, errPathSyntax
	}
	if q := s[1]; q == '\'' || q == '"' {
		end := strings.IndexByte(s[2:], q)
		if end < 0 || 2+end+1 >= len(s) || s[2+end+1] != ']' {
			return pathElem{}, 0, errPathSyntax
		}
		return pathElem{key: s[2 : 2+end]}, 2 + end + 2, nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return pathElem{}, 0, errPathSyntax
	}
	i, err := strconv.Atoi(s[1:end])
	if err != nil || i < 0 {
		return pathElem{}, 0, errPathSyntax
	}
	return pathElem{index: i, isIdx: true}, end + 1, nil
}

// String renders the path the way Hasura prints it in messages.
func (p jsonPath) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, e := range p {
		switch {
		case e.isIdx:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case isPlainKey(e.key):
			b.WriteString("." + e.key)
		default:
			b.WriteString("['" + e.key + "']")
		}
	}
	return b.String()
}

func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// lookup follows the path through decoded JSON (maps and slices).
func (p jsonPath) lookup(v any) (any, bool) {
	for _, e := range p {
		if e.isIdx {
			arr, ok := v.([]any)
			if !ok || e.index >= len(arr) {
				return nil, false
			}
			v = arr[e.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[e.key]; !ok {
			return nil, false
		}
	}
	return v, true
}
