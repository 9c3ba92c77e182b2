package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// The metadata document keeps every key it does not model: the top level,
// each source and each table decode their known keys into fields and the
// rest into Extra, and encode both back. Inner objects (relationships,
// permissions, functions) are decoded strictly.

// UnmarshalJSON decodes a version 3 document (keys not modelled go to Extra).
func (m *Metadata) UnmarshalJSON(b []byte) error {
	type plain Metadata
	var p plain
	extra, err := decodeWithExtra(b, &p)
	if err != nil {
		return err
	}
	*m = Metadata(p)
	m.Extra = extra
	return nil
}

// MarshalJSON encodes the document with its Extra sections.
func (m Metadata) MarshalJSON() ([]byte, error) {
	type plain Metadata
	p := plain(m)
	if p.Sources == nil {
		p.Sources = []*Source{}
	}
	return encodeWithExtra(p, m.Extra)
}

// UnmarshalJSON decodes a source (keys not modelled go to Extra).
func (s *Source) UnmarshalJSON(b []byte) error {
	type plain Source
	var p plain
	extra, err := decodeWithExtra(b, &p)
	if err != nil {
		return err
	}
	*s = Source(p)
	s.Extra = extra
	return nil
}

// MarshalJSON encodes the source with its Extra keys.
func (s Source) MarshalJSON() ([]byte, error) {
	type plain Source
	p := plain(s)
	if p.Tables == nil {
		p.Tables = []*Table{}
	}
	return encodeWithExtra(p, s.Extra)
}

// UnmarshalJSON decodes a table (keys not modelled go to Extra).
func (t *Table) UnmarshalJSON(b []byte) error {
	type plain Table
	var p plain
	extra, err := decodeWithExtra(b, &p)
	if err != nil {
		return err
	}
	*t = Table(p)
	t.Extra = extra
	return nil
}

// MarshalJSON encodes the table with its Extra keys.
func (t Table) MarshalJSON() ([]byte, error) {
	type plain Table
	return encodeWithExtra(plain(t), t.Extra)
}

// MarshalJSON writes the name as {"name","schema"}.
func (t TableName) MarshalJSON() ([]byte, error) {
	type plain TableName
	return json.Marshal(plain(t))
}

// decodeWithExtra decodes the keys of object b that v's struct declares into
// v (strictly below that level) and returns the others.
func decodeWithExtra(b []byte, v any) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	if all == nil {
		return nil, fmt.Errorf("expected an object, but encountered null")
	}
	known := jsonKeys(reflect.TypeOf(v).Elem())
	var extra map[string]json.RawMessage
	for k, raw := range all {
		if !known[k] {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = raw
			delete(all, k)
		}
	}
	rest, err := json.Marshal(all)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, err
	}
	return extra, nil
}

// encodeWithExtra encodes v and appends the extra keys (sorted) that v does
// not already carry.
func encodeWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return b, nil
	}
	known := jsonKeys(reflect.TypeOf(v))
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	first := len(b) == 2
	for _, k := range keys {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		raw := extra[k]
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		buf.Write(raw)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// jsonKeys lists the JSON keys a struct type declares.
func jsonKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !t.Field(i).IsExported() {
			continue
		}
		if name == "" {
			name = t.Field(i).Name
		}
		keys[name] = true
	}
	return keys
}

// legacyMetadata is the version 2 document (one implicit source).
type legacyMetadata struct {
	Version   int          `json:"version"`
	Tables    []*Table     `json:"tables"`
	Functions []legacyFunc `json:"functions,omitempty"`
}

// legacyFunc is a version 1/2 function entry: a bare name or {function, configuration}.
type legacyFunc struct{ Function }

func (f *legacyFunc) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var n TableName
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		f.Function = Function{Function: n}
		return nil
	}
	type plain Function
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	f.Function = Function(p)
	return nil
}

// Parse decodes a metadata document of version 3, or of version 1/2
// ({version, tables, functions, ...}), which becomes one source "default".
func Parse(b []byte) (*Metadata, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, err
	}
	v := 1
	if head.Version != nil {
		v = *head.Version
	}
	switch v {
	case 3:
		var m Metadata
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		return &m, nil
	case 1, 2:
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return nil, err
		}
		var lm legacyMetadata
		sub := map[string]json.RawMessage{}
		extra := map[string]json.RawMessage{}
		for k, raw := range all {
			switch k {
			case "version", "tables", "functions":
				sub[k] = raw
			default:
				extra[k] = raw
			}
		}
		rb, _ := json.Marshal(sub)
		if err := json.Unmarshal(rb, &lm); err != nil {
			return nil, err
		}
		src := DefaultSource()
		src.Tables = lm.Tables
		for _, f := range lm.Functions {
			fn := f.Function
			src.Functions = append(src.Functions, &fn)
		}
		m := &Metadata{Version: 3, Sources: []*Source{src}}
		if len(extra) > 0 {
			m.Extra = extra
		}
		return m, nil
	default:
		return nil, fmt.Errorf("unexpected metadata version: %d", v)
	}
}

// Empty returns metadata with one empty source "default".
func Empty() *Metadata {
	return &Metadata{Version: 3, Sources: []*Source{DefaultSource()}}
}

// DefaultSource returns an empty Postgres source named "default" whose
// connection comes from HASURA_GRAPHQL_DATABASE_URL, as Hasura writes it.
func DefaultSource() *Source {
	return &Source{
		Name:          "default",
		Kind:          "postgres",
		Tables:        []*Table{},
		Configuration: json.RawMessage(`{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"},"isolation_level":"read-committed","pool_settings":{"connection_lifetime":600,"idle_timeout":180,"max_connections":50,"retries":1},"use_prepared_statements":true}}`),
	}
}
