package perm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Input values. A boolean expression (from metadata JSON or a GraphQL
// argument) is read as a tree of these: Object for input objects (fields in
// their written order), []any for lists, Var for a GraphQL variable, and the
// JSON scalars nil, bool, json.Number and string.

// Object is an input object with its fields in written order.
type Object []Member

// Member is one field of an Object.
type Member struct {
	Name  string
	Value any
}

// Get returns the value of field name and whether it is present.
func (o Object) Get(name string) (any, bool) {
	for _, m := range o {
		if m.Name == name {
			return m.Value, true
		}
	}
	return nil, false
}

// Var is a reference to a GraphQL variable, or to the value at Path inside
// one. Where the expression needs a concrete value (an object, a list, a
// flag), it is resolved through Env.Resolve; in a scalar value position it
// becomes an ir.Variable.
type Var struct {
	Name string
	Path []any
	// Kind is what the value at Path is, when known: 'o' object, 'l' list,
	// 's' scalar, 'n' null (0 when unknown).
	Kind byte
}

// Plain converts a tree into plain JSON values (map[string]any for objects),
// resolving variables with resolve. It is used for literal values such as
// jsonb operands.
func Plain(v any, resolve func(Var) (any, error)) (any, error) {
	switch x := v.(type) {
	case Object:
		m := make(map[string]any, len(x))
		for _, f := range x {
			p, err := Plain(f.Value, resolve)
			if err != nil {
				return nil, err
			}
			m[f.Name] = p
		}
		return m, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			p, err := Plain(e, resolve)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case Var:
		if resolve == nil {
			return nil, errors.New("variable not allowed here")
		}
		r, err := resolve(x)
		if err != nil {
			return nil, err
		}
		return Plain(r, resolve)
	default:
		return v, nil
	}
}

// DecodeJSON decodes JSON into a tree, keeping object field order and
// numbers as json.Number.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := Object{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, Member{Name: key, Value: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return list, nil
		}
		return nil, errors.New("unexpected delimiter")
	default:
		return t, nil
	}
}
