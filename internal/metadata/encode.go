package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
)

// docEncoder writes the metadata document as json.Marshal does, byte for
// byte, re-encoding only the tables it has not encoded before. A table
// reachable from a published Snapshot is never modified (operations copy a
// table before changing it, see opCtx.own), so its encoding is cached under
// its pointer; the document is the concatenation of the cached tables
// within the encoding of the rest (the top level and each source with no
// tables), which is small.
type docEncoder struct {
	mu sync.Mutex
	// tables holds the encoding of every table of the last stored
	// document (and only those, so that replaced tables are let go).
	tables map[*Table][]byte
	// gen counts commits, so that warm does not replace a newer cache.
	gen uint64
}

// encodeCountKey is the context key of a counter of tables encoded (tests).
type encodeCountKey struct{}

// encoding is a document and the table encodings it was made of, to keep
// (commit) once the document is stored.
type encoding struct {
	doc    []byte
	tables map[*Table][]byte
}

// encode returns md's document. Nothing is cached until commit: md may be
// a working copy whose tables are still being changed.
func (e *docEncoder) encode(ctx context.Context, md *Metadata) (encoding, error) {
	e.mu.Lock()
	prev := e.tables
	e.mu.Unlock()
	counted, _ := ctx.Value(encodeCountKey{}).(*atomic.Int64)
	n := 0
	for _, s := range md.Sources {
		if s != nil {
			n += len(s.Tables)
		}
	}
	next := make(map[*Table][]byte, n)
	table := func(t *Table) ([]byte, error) {
		if t == nil {
			return []byte("null"), nil
		}
		if b, ok := next[t]; ok {
			return b, nil
		}
		b, ok := prev[t]
		if !ok {
			var err error
			if b, err = json.Marshal(t); err != nil {
				return nil, err
			}
			if counted != nil {
				counted.Add(1)
			}
		}
		next[t] = b
		return b, nil
	}
	doc, err := encodeDocument(md, table)
	if err != nil {
		return encoding{}, err
	}
	return encoding{doc: doc, tables: next}, nil
}

// commit keeps the table encodings of a stored document for the next one.
func (e *docEncoder) commit(enc encoding) {
	e.mu.Lock()
	e.tables = enc.tables
	e.gen++
	e.mu.Unlock()
}

// warm encodes md, the metadata just loaded from the database (whose table
// values are new), so that the first change after start-up or after another
// instance's change re-encodes one table, not all. It keeps the result
// unless a change was stored meanwhile.
func (e *docEncoder) warm(md *Metadata) {
	e.mu.Lock()
	g := e.gen
	e.mu.Unlock()
	enc, err := e.encode(context.Background(), md)
	if err != nil {
		return
	}
	e.mu.Lock()
	if e.gen == g {
		e.tables = enc.tables
		e.gen++
	}
	e.mu.Unlock()
}

// document returns md's document using the cached table encodings, without
// caching anything (for export).
func (e *docEncoder) document(ctx context.Context, md *Metadata) ([]byte, error) {
	enc, err := e.encode(ctx, md)
	return enc.doc, err
}

var (
	sourcesKey = []byte(`"sources":[`)
	tablesKey  = []byte(`"tables":[`)
)

// encodeDocument is json.Marshal(md) with each table's encoding given by
// table. The top level is encoded with no sources and each source with no
// tables; the sources and tables are then put in their empty lists. Within
// an encoded object a key can only be found where it is a key (a quote
// inside a string is escaped), and "sources" (after "version") and
// "tables" (after "name" and "kind") are the first keys of their objects
// that can hold a list, so the first `"sources":[` or `"tables":[` is
// the list's place.
func encodeDocument(md *Metadata, table func(*Table) ([]byte, error)) ([]byte, error) {
	top := *md
	top.Sources = []*Source{}
	head, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	at := bytes.Index(head, sourcesKey)
	if at < 0 || at+len(sourcesKey) >= len(head) || head[at+len(sourcesKey)] != ']' {
		return json.Marshal(md)
	}
	at += len(sourcesKey)
	type part struct {
		head   []byte // the source without tables
		at     int    // where its tables go in head
		tables [][]byte
	}
	parts := make([]part, len(md.Sources))
	size := len(head)
	for i, s := range md.Sources {
		if s == nil {
			parts[i] = part{head: []byte("null"), at: -1}
			size += 5
			continue
		}
		c := *s
		c.Tables = []*Table{}
		h, err := json.Marshal(&c)
		if err != nil {
			return nil, err
		}
		p := bytes.Index(h, tablesKey)
		if p < 0 || p+len(tablesKey) >= len(h) || h[p+len(tablesKey)] != ']' {
			return json.Marshal(md)
		}
		parts[i] = part{head: h, at: p + len(tablesKey), tables: make([][]byte, len(s.Tables))}
		size += len(h) + 1
		for j, t := range s.Tables {
			b, err := table(t)
			if err != nil {
				return nil, err
			}
			parts[i].tables[j] = b
			size += len(b) + 1
		}
	}
	out := make([]byte, 0, size)
	out = append(out, head[:at]...)
	for i, p := range parts {
		if i > 0 {
			out = append(out, ',')
		}
		if p.at < 0 {
			out = append(out, p.head...)
			continue
		}
		out = append(out, p.head[:p.at]...)
		for j, b := range p.tables {
			if j > 0 {
				out = append(out, ',')
			}
			out = append(out, b...)
		}
		out = append(out, p.head[p.at:]...)
	}
	out = append(out, head[at:]...)
	return out, nil
}
