package schema

import (
	"sync"
	"sync/atomic"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/vektah/gqlparser/v2/ast"
)

// Incremental builds.
//
// Build generates a table's definitions in "frames": the functions that
// declare one of the table's types (objectType, boolExpType,
// aggregateType, insertInputType, ...) or add its root fields
// (selectRootFields, mutationRootFields). With a Cache, a frame run from
// scratch records its effects in order: the definitions it adds, the root
// fields it appends and registers, the object types it maps to the table,
// the other frames it calls (with their result) and the shared types it
// asks for (scalars, comparison expressions, enums of enum tables, ...).
// A later Build whose fingerprint for the table (fingerprint.go) is the
// same replays the recording instead of running the frame: it adds the
// same *ast.Definition values, and calls the same frames and shared
// helpers, which are replayed or run in turn. Replaying performs the
// effects in the order the frame would, so the result is the schema a
// Build from scratch produces; where the replay depends on state the
// fingerprint does not cover (a type name already declared, which only
// happens with clashing names), the recording guards it, and a guard that
// does not hold makes Build start over without the cache.
//
// Cached definitions are shared between schemas (of later generations,
// and of roles with the same permissions on a table) and are never
// modified once their Build has finished: assemble sorts only the
// definitions built by its own Build.

// Cache keeps the definitions of previous Builds for reuse by later ones.
// It is safe for concurrent use by any number of Builds. Entries not used
// since the previous call to Advance are dropped by the next one.
// The zero value is ready to use.
type Cache struct {
	mu      sync.Mutex
	gen     uint64
	built   bool
	entries map[fpKey]*cacheEntry
	// replayed and ran count the frames Builds replayed and ran (tests).
	replayed, ran atomic.Int64
}

// cacheEntry holds the recorded frames of one table fingerprint.
type cacheEntry struct {
	used   uint64 // generation of the last Build that used it (under Cache.mu)
	frames [numFrameKinds]atomic.Pointer[frame]
}

// Advance starts a new generation (call it when the metadata or catalog
// changes): entries no Build used since the previous Advance are dropped,
// unless no Build ran at all in between.
func (c *Cache) Advance() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.built {
		for k, e := range c.entries {
			if e.used != c.gen {
				delete(c.entries, k)
			}
		}
	}
	c.gen++
	c.built = false
}

// Len returns the number of table fingerprints the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *Cache) lookup(k fpKey) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.built = true
	return c.entries[k]
}

// publish stores the frames a Build recorded and marks the entries it used.
func (c *Cache) publish(used map[tableSide]fpKey, rec []recorded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[fpKey]*cacheEntry{}
	}
	c.built = true
	entry := func(k fpKey) *cacheEntry {
		e := c.entries[k]
		if e == nil {
			e = &cacheEntry{}
			c.entries[k] = e
		}
		e.used = c.gen
		return e
	}
	for _, k := range used {
		entry(k)
	}
	for _, r := range rec {
		entry(r.key).frames[r.kind].CompareAndSwap(nil, r.frame)
	}
}

// frameKind names a frame function.
type frameKind uint8

const (
	fObject frameKind = iota
	fSelectColumn
	fBoolExp
	fOrderBy
	fAggregate
	fAggregateOrderBy
	fAggregateBoolExp
	fStreamCursor
	fMutationResponse
	fInsertInput
	fObjRelInsert
	fArrRelInsert
	fOnConflict
	fPKColumns
	fSelectRoots
	fMutationRoots
	numFrameKinds
)

// frame is the recording of one frame run from scratch.
type frame struct {
	ops    []op
	result string
	// uses says which of the built-in scalars Int, Float and ID the
	// frame's definitions use (pruneBuiltinScalars).
	uses uint8
}

// recorded is a frame recorded by a Build, to publish when it is done.
type recorded struct {
	key   fpKey
	kind  frameKind
	frame *frame
}

type opKind uint8

const (
	opAdd            opKind = iota // add def
	opGuard                        // name must not be declared yet
	opCall                         // run frame fk of table q, which returned name
	opScalar                       // scalar(name)
	opScalarCmp                    // scalarComparisonExp(name)
	opEnumType                     // enumType(table q)
	opEnumCmp                      // enumComparisonExp(table q)
	opOrderByEnum                  // orderByEnum()
	opCursorOrdering               // cursorOrdering()
	opObject                       // out.Objects[name] = the frame's table
	opField                        // append fd to root aux
	opRoot                         // register root field name (kind rk) in the maps aux
)

// Roots and root-field maps of opField and opRoot.
const (
	rootQuery uint8 = 1 << iota
	rootSubscription
	rootMutation
)

// op is one recorded effect of a frame (48 bytes: a cache holds one per
// definition, root field and call).
type op struct {
	kind opKind
	fk   frameKind
	aux  uint8
	rk   uint8 // RootKind of opRoot
	name string
	q    *catalog.QName
	def  *ast.Definition
	fd   *ast.FieldDefinition
}

// recorder collects the ops of the frame being run from scratch.
type recorder struct {
	ops    []op
	poison bool
	// seen are the idempotent calls already recorded: shared helpers,
	// and frames that declared their type (calling them again only finds
	// it declared).
	seen map[seenKey]bool
}

type seenKey struct {
	kind opKind
	fk   frameKind
	name string
	q    catalog.QName
}

func (r *recorder) add(o op) { r.ops = append(r.ops, o) }

// once reports whether the idempotent call k is recorded for the first
// time, and remembers it.
func (r *recorder) once(k seenKey) bool {
	if r.seen[k] {
		return false
	}
	if r.seen == nil {
		r.seen = map[seenKey]bool{}
	}
	r.seen[k] = true
	return true
}

// qname returns a copy of q for ops: ops must not point into the tables
// of the Build that recorded them, which would keep its whole generation
// alive.
func (b *builder) qname(q catalog.QName) *catalog.QName {
	p := b.qnames[q]
	if p == nil {
		p = &catalog.QName{Schema: q.Schema, Name: q.Name}
		b.qnames[q] = p
	}
	return p
}

// frame runs frame kind k of table t: body, unless top (the name of the
// type the frame declares) is already declared or a recording of the frame
// can be replayed. Within a recording frame, the call itself is recorded.
func (b *builder) frame(k frameKind, t *Table, top string, body func() string) string {
	parent := b.rec
	if parent == nil {
		return b.runFrame(k, t, top, body)
	}
	key := seenKey{kind: opCall, fk: k, q: t.Name}
	if parent.seen[key] {
		// The frame declared top when this frame called it before.
		return b.runFrame(k, t, top, body)
	}
	i := len(parent.ops)
	parent.add(op{kind: opCall, fk: k, q: b.qname(t.Name)})
	res := b.runFrame(k, t, top, body)
	parent.ops[i].name = res
	if res == top && top != "" {
		parent.once(key)
	}
	return res
}

func (b *builder) runFrame(k frameKind, t *Table, top string, body func() string) string {
	if top != "" && b.types[top] != nil {
		return top
	}
	if b.cache == nil {
		return body()
	}
	saved := b.rec
	defer func() { b.rec = saved }()
	e, key := b.entry(t, mutationSide(k))
	if e != nil {
		if fr := e.frames[k].Load(); fr != nil {
			b.rec = nil
			b.cache.replayed.Add(1)
			b.replay(t, fr)
			return fr.result
		}
	}
	b.cache.ran.Add(1)
	r := &recorder{}
	b.rec = r
	res := body()
	if !r.poison {
		ops := make([]op, len(r.ops))
		copy(ops, r.ops)
		b.recorded = append(b.recorded, recorded{key: key, kind: k, frame: &frame{ops: ops, result: res}})
	}
	return res
}

// entry returns the cache entry (nil when the cache has none yet) and
// fingerprint of one side of t.
func (b *builder) entry(t *Table, mutation bool) (*cacheEntry, fpKey) {
	key := b.fps.of(t, mutation)
	ts := tableSide{t, mutation}
	e, ok := b.entries[ts]
	if !ok {
		e = b.cache.lookup(key)
		b.entries[ts] = e
	}
	return e, key
}

// replay performs the recorded effects of frame fr of table t.
func (b *builder) replay(t *Table, fr *frame) {
	b.uses |= fr.uses
	for i := range fr.ops {
		o := &fr.ops[i]
		switch o.kind {
		case opAdd:
			b.addRaw(o.def)
		case opGuard:
			if b.types[o.name] != nil {
				b.diverged = true
			}
		case opCall:
			tt := b.all[*o.q]
			if tt == nil {
				b.diverged = true
				continue
			}
			if b.callFrame(o.fk, tt) != o.name {
				b.diverged = true
			}
		case opScalar:
			b.scalar(o.name)
		case opScalarCmp:
			b.scalarComparisonExp(o.name)
		case opEnumType, opEnumCmp:
			et := b.enumTables[*o.q]
			if et == nil {
				b.diverged = true
				continue
			}
			if o.kind == opEnumType {
				b.enumType(et)
			} else {
				b.enumComparisonExp(et)
			}
		case opOrderByEnum:
			b.orderByEnum()
		case opCursorOrdering:
			b.cursorOrdering()
		case opObject:
			b.out.Objects[o.name] = t
		case opField:
			b.appendRoot(o.aux, o.fd)
		case opRoot:
			b.register(o.aux, o.name, RootKind(o.rk), t)
		}
	}
}

// callFrame runs frame k of t (for replays).
func (b *builder) callFrame(k frameKind, t *Table) string {
	switch k {
	case fObject:
		b.objectType(t)
	case fSelectColumn:
		return b.selectColumnType(t)
	case fBoolExp:
		return b.boolExpType(t)
	case fOrderBy:
		return b.orderByType(t)
	case fAggregate:
		return b.aggregateType(t)
	case fAggregateOrderBy:
		return b.aggregateOrderByType(t)
	case fAggregateBoolExp:
		return b.aggregateBoolExpType(t)
	case fStreamCursor:
		return b.streamCursorType(t)
	case fMutationResponse:
		return b.mutationResponseType(t)
	case fInsertInput:
		return b.insertInputType(t)
	case fObjRelInsert:
		return b.relInsertInput(t, true)
	case fArrRelInsert:
		return b.relInsertInput(t, false)
	case fOnConflict:
		return b.onConflictType(t)
	case fPKColumns:
		return b.pkColumnsInput(t)
	case fSelectRoots:
		b.selectRootFields(t)
	case fMutationRoots:
		b.mutationRootFields(t)
	}
	return ""
}

// shared records, within a recording frame, a call to a shared helper
// (kind, with the name or table q it takes) and stops recording until the
// returned function is called: the helper's own definitions belong to no
// table. The helpers are idempotent: a frame records each call once.
func (b *builder) shared(kind opKind, name string, q *catalog.QName) (restore func()) {
	r := b.rec
	if r == nil {
		return func() {}
	}
	k := seenKey{kind: kind, name: name}
	if q != nil {
		k.q = *q
	}
	if r.once(k) {
		o := op{kind: kind, name: name}
		if q != nil {
			o.q = b.qname(*q)
		}
		r.add(o)
	}
	b.rec = nil
	return func() { b.rec = r }
}

// absent reports whether type name is not declared yet, for a definition
// a frame adds only then. A recording frame records the condition; it is
// not cached when the name is already declared (a clash of names).
func (b *builder) absent(name string) bool {
	if b.types[name] != nil {
		if b.rec != nil {
			b.rec.poison = true
		}
		return false
	}
	if b.rec != nil {
		b.rec.add(op{kind: opGuard, name: name})
	}
	return true
}

// setObject maps a generated object type of t to t.
func (b *builder) setObject(name string, t *Table) {
	b.out.Objects[name] = t
	if b.rec != nil {
		b.rec.add(op{kind: opObject, name: name})
	}
}

// appendRoot appends fd to query_root, subscription_root or mutation_root.
func (b *builder) appendRoot(root uint8, fd *ast.FieldDefinition) {
	switch root {
	case rootQuery:
		b.query.Fields = append(b.query.Fields, fd)
	case rootSubscription:
		b.sub.Fields = append(b.sub.Fields, fd)
	case rootMutation:
		b.mutation.Fields = append(b.mutation.Fields, fd)
	}
	if b.rec != nil {
		b.rec.add(op{kind: opField, aux: root, fd: fd})
	}
}

// register records root field name of t in the maps of roots (a set of
// rootQuery, rootSubscription, rootMutation).
func (b *builder) register(roots uint8, name string, kind RootKind, t *Table) {
	rf := &RootField{Name: name, Kind: kind, Table: t}
	if roots&rootQuery != 0 {
		b.out.Query[name] = rf
	}
	if roots&rootSubscription != 0 {
		b.out.Subscription[name] = rf
	}
	if roots&rootMutation != 0 {
		b.out.Mutation[name] = rf
	}
	if b.rec != nil {
		b.rec.add(op{kind: opRoot, aux: roots, name: name, rk: uint8(kind)})
	}
}

// Bits of frame.uses and builder.uses.
const (
	usesInt uint8 = 1 << iota
	usesFloat
	usesID
)

// typeUses returns the built-in scalars among Int, Float and ID that the
// fields and arguments of d use.
func typeUses(d *ast.Definition) uint8 {
	var u uint8
	for _, f := range d.Fields {
		u |= namedUses(f.Type)
		for _, a := range f.Arguments {
			u |= namedUses(a.Type)
		}
	}
	return u
}

func namedUses(t *ast.Type) uint8 {
	for t.Elem != nil {
		t = t.Elem
	}
	switch t.NamedType {
	case "Int":
		return usesInt
	case "Float":
		return usesFloat
	case "ID":
		return usesID
	}
	return 0
}
