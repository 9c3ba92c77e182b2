package metadata

import "strings"

// The working copy of an operation (opCtx.md) shares its tables with the
// published Snapshot it was made from (Metadata.share). Tables are
// copy-on-write: before an operation modifies a table, it replaces it in
// its own copy with a private clone (own), so the Snapshot, which readers
// may be using, never changes, and a change copies (and re-encodes, see
// docEncoder) one table rather than the whole metadata. Operations not
// listed in sharingOps have not been written for this; they start by
// owning every table (ownAll), which is the whole copy every operation
// made before.

// sharingOps lists the operations (by name without the "pg_" prefix) that
// modify tables only through own, table or findRel, or not at all.
var sharingOps = func() map[string]bool {
	m := map[string]bool{
		"track_table": true, "track_tables": true,
		"create_object_relationship": true, "create_array_relationship": true, "drop_relationship": true,
		"export_metadata": true, "get_inconsistent_metadata": true, "get_catalog_state": true, "set_catalog_state": true,
		"bulk": true, "bulk_atomic": true, "bulk_keep_going": true, "concurrent_bulk": true,
	}
	for _, k := range dmlTypes {
		m[k] = true
	}
	for _, k := range permKinds {
		m["create_"+k+"_permission"] = true
		m["drop_"+k+"_permission"] = true
	}
	return m
}()

// sharesTables reports whether operation typ may run on a working copy
// that shares tables with the published metadata.
func sharesTables(typ string) bool {
	return sharingOps[strings.TrimPrefix(typ, "pg_")]
}

// own returns t, a table of source s of the working copy, as a table this
// request may modify: t itself when the request made it, else a clone that
// takes its place in s.Tables.
func (o *opCtx) own(s *Source, t *Table) *Table {
	if t == nil || o.ownsAll || o.owned[t] {
		return t
	}
	for i, x := range s.Tables {
		if x == t {
			c := t.clone()
			s.Tables[i] = c
			o.markOwned(c)
			return c
		}
	}
	// Not a table of s: never shared with a snapshot by this request.
	return t
}

// markOwned records that t was made by this request (a clone or a new
// table), so that it may be modified in place.
func (o *opCtx) markOwned(t *Table) {
	if o.owned == nil {
		o.owned = map[*Table]bool{}
	}
	o.owned[t] = true
}

// ownAll makes every table of the working copy private to the request.
func (o *opCtx) ownAll() {
	if o.ownsAll || o.md == nil {
		return
	}
	for _, s := range o.md.Sources {
		if s == nil {
			continue
		}
		for i, t := range s.Tables {
			if t != nil && !o.owned[t] {
				s.Tables[i] = t.clone()
			}
		}
	}
	o.ownsAll, o.owned = true, nil
}

// ownObject owns the table holding an object about to be removed.
func (o *opCtx) ownObject(obj InconsistentObject) {
	if obj.table == nil || obj.Type == "source" || obj.Type == "table" || obj.Type == "function" || obj.Type == "function_permission" {
		return
	}
	if s := o.md.Source(obj.source); s != nil {
		o.own(s, s.FindTable(*obj.table))
	}
}

// shareWorking sets the working copy to md, which shares its tables with
// metadata that must not change (a published snapshot or a saved copy).
func (o *opCtx) shareWorking(md *Metadata) {
	o.md, o.owned, o.ownsAll = md, nil, false
}
