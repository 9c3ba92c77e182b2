package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The conformance files and the server's answers are both held as plain JSON
// values: nil, bool, json.Number, string, []any and *Object. Objects keep the
// order their keys were written in, so request bodies go out as the case
// wrote them and an optional strict mode can check key order.

// Object is a JSON object that remembers the order of its keys.
type Object struct {
	Keys []string
	Vals map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{Vals: map[string]any{}} }

// Set adds key or replaces its value, keeping its first position.
func (o *Object) Set(key string, v any) {
	if _, ok := o.Vals[key]; !ok {
		o.Keys = append(o.Keys, key)
	}
	o.Vals[key] = v
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.Vals[key]
	return v, ok
}

// Has reports whether key is present.
func (o *Object) Has(key string) bool {
	_, ok := o.Vals[key]
	return ok
}

// maxDepth bounds nesting (and alias expansion) in decoded documents.
const maxDepth = 200

// FromYAML decodes one YAML document into a JSON value the way the Python
// harness sees it: aliases expanded, merge keys (<<) applied with explicit
// keys winning, and non-string map keys turned into their text ("1: 2"
// becomes {"1": 2}). An empty document is nil.
func FromYAML(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	return fromNode(&doc, 0)
}

func fromNode(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("yaml: document nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromNode(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("yaml: line %d: unknown alias %q", n.Line, n.Value)
		}
		return fromNode(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromNode(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return mappingFromNode(n, depth)
	case yaml.ScalarNode:
		return scalarFromNode(n)
	}
	return nil, fmt.Errorf("yaml: line %d: unexpected node kind %d", n.Line, n.Kind)
}

func mappingFromNode(n *yaml.Node, depth int) (*Object, error) {
	obj := NewObject()
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key, err := keyText(k, depth)
		if err != nil {
			return nil, err
		}
		val, err := fromNode(v, depth+1)
		if err != nil {
			return nil, err
		}
		obj.Set(key, val)
	}
	// Merged mappings never override explicit keys; in a list of merged
	// mappings the earlier one wins (YAML merge key semantics).
	for _, m := range merges {
		for _, src := range mergeSources(m) {
			if src.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("yaml: line %d: merge value is not a mapping", m.Line)
			}
			sub, err := mappingFromNode(src, depth+1)
			if err != nil {
				return nil, err
			}
			for _, k := range sub.Keys {
				if !obj.Has(k) {
					obj.Set(k, sub.Vals[k])
				}
			}
		}
	}
	return obj, nil
}

// mergeSources returns the mappings a merge key's value names: one mapping
// (or alias to one) or a sequence of them.
func mergeSources(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return []*yaml.Node{n}
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, deref(c))
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

// keyText turns a mapping key into a JSON object key, as Python's json.dumps
// does for the scalar keys PyYAML produces.
func keyText(k *yaml.Node, depth int) (string, error) {
	k = deref(k)
	if k.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("yaml: line %d: non-scalar mapping key", k.Line)
	}
	v, err := scalarFromNode(k)
	if err != nil {
		return "", err
	}
	switch v := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(v), nil
	case json.Number:
		return v.String(), nil
	case string:
		return v, nil
	}
	return k.Value, nil
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func scalarFromNode(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("yaml: line %d: bad boolean %q", n.Line, n.Value)
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
		if b, ok := new(big.Int).SetString(s, 0); ok {
			return json.Number(b.String()), nil
		}
		return nil, fmt.Errorf("yaml: line %d: bad integer %q", n.Line, n.Value)
	case "!!float":
		if jsonNumber.MatchString(n.Value) {
			return json.Number(n.Value), nil
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil {
			return nil, fmt.Errorf("yaml: line %d: float %q has no JSON form", n.Line, n.Value)
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	// Strings, and anything with a tag JSON has no type for (timestamps,
	// binary, custom tags), are kept as their text.
	return n.Value, nil
}

// ParseJSON decodes exactly one JSON value, keeping object key order and
// numbers as written.
func ParseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("json: data after the top-level value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("json: value nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := NewObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj.Set(key, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("json: unexpected %v", t)
	default:
		return t, nil // nil, bool, json.Number or string
	}
}

// EncodeJSON renders v as compact JSON, objects in their key order.
func EncodeJSON(v any) []byte {
	var b bytes.Buffer
	encodeValue(&b, v)
	return b.Bytes()
}

func encodeValue(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(v.String())
	case string:
		encodeString(b, v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeValue(b, e)
		}
		b.WriteByte(']')
	case *Object:
		b.WriteByte('{')
		for i, k := range v.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeString(b, k)
			b.WriteByte(':')
			encodeValue(b, v.Vals[k])
		}
		b.WriteByte('}')
	default:
		// Only the types above are ever built; fall back to encoding/json.
		raw, err := json.Marshal(v)
		if err != nil {
			b.WriteString("null")
			return
		}
		b.Write(raw)
	}
}

func encodeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // strings always encode
	b.Truncate(b.Len() - 1)
}
