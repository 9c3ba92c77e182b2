package schema

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"math"
	"reflect"
	"sort"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
)

// A table's fingerprint summarises everything the definitions Build
// generates for the table can depend on, so that a Cache can hand them to
// a later Build whose inputs for the table are the same:
//
//   - the source's type and root field name customisation and the
//     options that shape definitions (NoStreaming, BackendOnly,
//     HideUpdateMany);
//   - the table's own state (see selfState);
//   - the state of every table it names: the targets of its foreign keys
//     (relationships and enum references), of its relationships (whether
//     or not they resolve today) and the tables its computed fields
//     return;
//   - the catalog functions behind its computed fields.
//
// The state of a table is its catalog entry, its metadata (all of it:
// every role's permissions, relationships, computed fields, customisation),
// whether Build tracks it (a table whose GraphQL name an earlier table
// took is not), its GraphQL name, the role's resolved permissions on it,
// and, for an enum table, its rows. Values are hashed by reflection over
// every field, so a field added to the catalog or metadata models later is
// covered without changes here. The role name itself is not part of the
// fingerprint: roles with the same resolved permissions share definitions.

// fpKey is a 128-bit fingerprint.
type fpKey [2]uint64

// fpSeeds seed the two halves of a fingerprint; fingerprints are only
// compared within one process.
var fpSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// fpVersion changes whenever what a fingerprint covers changes meaning.
const fpVersion = 1

// hasher serialises values into a buffer whose hash is the fingerprint.
type hasher struct {
	buf []byte
}

func (h *hasher) sum() fpKey {
	return fpKey{maphash.Bytes(fpSeeds[0], h.buf), maphash.Bytes(fpSeeds[1], h.buf)}
}

func (h *hasher) u64(v uint64) { h.buf = binary.LittleEndian.AppendUint64(h.buf, v) }

func (h *hasher) byte(c byte) { h.buf = append(h.buf, c) }

func (h *hasher) str(s string) {
	h.u64(uint64(len(s)))
	h.buf = append(h.buf, s...)
}

func (h *hasher) key(k fpKey) {
	h.u64(k[0])
	h.u64(k[1])
}

func (h *hasher) qname(q catalog.QName) {
	h.str(q.Schema)
	h.str(q.Name)
}

// value writes v (any Go value) with its structure, so that different
// values never serialise alike.
func (h *hasher) value(v any) { h.reflect(reflect.ValueOf(v), 0) }

func (h *hasher) reflect(v reflect.Value, depth int) {
	if depth > 64 {
		// Deeper than any catalog or metadata value: give up on
		// precision, not on correctness (the marker never matches a
		// shallower value, and equal deep values still hash alike).
		h.byte('!')
		return
	}
	if !v.IsValid() {
		h.byte('0')
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			h.byte('T')
		} else {
			h.byte('F')
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		h.byte('i')
		h.u64(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		h.byte('u')
		h.u64(v.Uint())
	case reflect.Float32, reflect.Float64:
		h.byte('f')
		h.u64(math.Float64bits(v.Float()))
	case reflect.String:
		h.byte('s')
		h.str(v.String())
	case reflect.Pointer:
		if v.IsNil() {
			h.byte('n')
			return
		}
		h.byte('p')
		h.reflect(v.Elem(), depth+1)
	case reflect.Interface:
		if v.IsNil() {
			h.byte('n')
			return
		}
		e := v.Elem()
		h.byte('I')
		h.str(e.Type().String())
		h.reflect(e, depth+1)
	case reflect.Struct:
		h.byte('{')
		for i := 0; i < v.NumField(); i++ {
			h.reflect(v.Field(i), depth+1)
		}
		h.byte('}')
	case reflect.Slice:
		if v.IsNil() {
			h.byte('n')
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			h.byte('b')
			h.str(string(v.Bytes()))
			return
		}
		fallthrough
	case reflect.Array:
		h.byte('[')
		h.u64(uint64(v.Len()))
		for i := 0; i < v.Len(); i++ {
			h.reflect(v.Index(i), depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			h.byte('n')
			return
		}
		h.byte('m')
		h.u64(uint64(v.Len()))
		if v.Len() == 0 {
			return
		}
		if v.CanInterface() && h.stringMap(v.Interface(), depth) {
			return
		}
		if v.Len() == 1 {
			it := v.MapRange()
			it.Next()
			h.reflect(it.Key(), depth+1)
			h.reflect(it.Value(), depth+1)
			return
		}
		keys := v.MapKeys()
		// Entries in a canonical order: keys by their serialisation.
		type kv struct {
			k string
			v reflect.Value
		}
		entries := make([]kv, len(keys))
		for i, k := range keys {
			var kh hasher
			kh.reflect(k, depth+1)
			entries[i] = kv{string(kh.buf), v.MapIndex(k)}
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].k < entries[j].k })
		for _, e := range entries {
			h.str(e.k)
			h.reflect(e.v, depth+1)
		}
	default:
		// Functions, channels and unsafe pointers do not occur in the
		// models; hash their kind so that the fingerprint stays defined.
		h.byte('?')
		h.str(v.Kind().String())
	}
}

// A table has two fingerprints: one for the frames of its select side
// (object type, select column enum, bool_exp, order_by, aggregate types,
// stream cursor, query and subscription root fields), which depends on the
// select permissions only, and one for the frames of its mutations, which
// depends on every permission and on the options only mutations use. Roles
// that differ only by their mutation permissions (and a role's ordinary
// and backend-only schemas) share the select side.

// tableSide names one of a table's fingerprints.
type tableSide struct {
	t        *Table
	mutation bool
}

type qnameSide struct {
	q        catalog.QName
	mutation bool
}

// mutationSide reports whether frames of kind k belong to the mutation side.
func mutationSide(k frameKind) bool {
	switch k {
	case fMutationResponse, fInsertInput, fObjRelInsert, fArrRelInsert, fOnConflict, fPKColumns, fMutationRoots:
		return true
	}
	return false
}

// stringMap writes the common maps with string keys without reflection
// (entries in key order), and reports whether m was one. The map's type
// decides the encoding, so equal maps always hash alike.
func (h *hasher) stringMap(m any, depth int) bool {
	switch m := m.(type) {
	case map[string]bool:
		keys := sortedKeys(m)
		for _, k := range keys {
			h.str(k)
			h.value(m[k])
		}
	case map[string]string:
		for _, k := range sortedKeys(m) {
			h.str(k)
			h.str(m[k])
		}
	case map[string]any:
		for _, k := range sortedKeys(m) {
			h.str(k)
			h.reflect(reflect.ValueOf(m[k]), depth+1)
		}
	default:
		return false
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fingerprints computes and remembers, for one Build, table fingerprints.
type fingerprints struct {
	b *builder
	// global and globalMutation hash the options of each side.
	global, globalMutation []byte
	self                   map[qnameSide]fpKey
	tables                 map[tableSide]fpKey
	// h and scratch are the buffers of of and selfState.
	h, scratch hasher
}

func newFingerprints(b *builder) *fingerprints {
	var g hasher
	g.u64(fpVersion)
	c := b.custom
	for _, s := range []string{c.namespace, c.rootPrefix, c.rootSuffix, c.typePrefix, c.typeSuffix} {
		g.str(s)
	}
	g.value(b.opts.NoStreaming)
	global := append([]byte(nil), g.buf...)
	g.byte('M')
	g.value(b.opts.BackendOnly)
	g.value(b.opts.HideUpdateMany)
	return &fingerprints{b: b, global: global, globalMutation: g.buf, self: map[qnameSide]fpKey{}, tables: map[tableSide]fpKey{}}
}

// selfState is the hash of the state of the relation named q (see the
// package comment above).
func (f *fingerprints) selfState(q catalog.QName, mutation bool) fpKey {
	if k, ok := f.self[qnameSide{q, mutation}]; ok {
		return k
	}
	// Both sides at once: the mutation side hashes the select side's
	// input followed by the other permissions.
	h := &f.scratch
	h.buf = h.buf[:0]
	h.qname(q)
	h.value(f.b.cat.Tables[q])
	t := f.b.all[q]
	if t != nil {
		h.byte('t')
		h.str(t.GQLName)
		h.value(t.Meta)
		h.value(t.Perm.Select)
		if t.IsEnum {
			h.value(f.b.opts.EnumValues[q])
		}
	} else {
		h.byte('-')
	}
	sel := h.sum()
	if t != nil {
		h.value(t.Perm)
	}
	mut := h.sum()
	f.self[qnameSide{q, false}] = sel
	f.self[qnameSide{q, true}] = mut
	if mutation {
		return mut
	}
	return sel
}

// of returns the fingerprint of one side of t (a tracked table of this
// Build).
func (f *fingerprints) of(t *Table, mutation bool) fpKey {
	if k, ok := f.tables[tableSide{t, mutation}]; ok {
		return k
	}
	h := &f.h
	if mutation {
		h.buf = append(h.buf[:0], f.globalMutation...)
	} else {
		h.buf = append(h.buf[:0], f.global...)
	}
	h.key(f.selfState(t.Name, mutation))
	neighbour := func(q catalog.QName) {
		h.qname(q)
		h.key(f.selfState(q, mutation))
	}
	for _, fk := range t.Catalog.ForeignKeys {
		neighbour(fk.RefTable)
	}
	for _, r := range t.Meta.ObjectRelationships {
		if mc := r.Using.ManualConfiguration; mc != nil {
			neighbour(qname(mc.RemoteTable))
		}
		if target, ok := remoteFKTarget(r.Using.ForeignKeyConstraintOn); ok {
			neighbour(target)
		}
	}
	for _, r := range t.Meta.ArrayRelationships {
		if mc := r.Using.ManualConfiguration; mc != nil {
			neighbour(qname(mc.RemoteTable))
		}
		if fk := r.Using.ForeignKeyConstraintOn; fk != nil {
			neighbour(qname(fk.Table))
		}
	}
	for _, cf := range t.Meta.ComputedFields {
		fq := qname(cf.Definition.Function)
		h.byte('c')
		h.qname(fq)
		fn := f.b.function(fq)
		h.value(fn)
		if fn != nil && fn.ReturnsTable {
			neighbour(fn.ReturnType)
		}
	}
	k := h.sum()
	f.tables[tableSide{t, mutation}] = k
	return k
}

// remoteFKTarget returns the table of an object relationship defined by a
// foreign key on another table ({"table": ..., "columns": ...}).
func remoteFKTarget(raw metadata.BoolExp) (catalog.QName, bool) {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			var remote metadata.RemoteFK
			if json.Unmarshal(raw, &remote) != nil {
				return catalog.QName{}, false
			}
			return qname(remote.Table), true
		}
		return catalog.QName{}, false
	}
	return catalog.QName{}, false
}
