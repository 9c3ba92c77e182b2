package schema

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/metadata"
)

// relationships resolves (once) the relationships of t whose definition
// matches the catalog. Relationships that do not resolve are left out, as
// Hasura leaves out inconsistent metadata.
func (b *builder) relationships(t *Table) []*Relationship {
	if rs, ok := b.rels[t]; ok {
		return rs
	}
	var rs []*Relationship
	for _, r := range t.Meta.ObjectRelationships {
		if rel := b.objectRel(t, r); rel != nil {
			rs = append(rs, rel)
		}
	}
	for _, r := range t.Meta.ArrayRelationships {
		if rel := b.arrayRel(t, r); rel != nil {
			rs = append(rs, rel)
		}
	}
	b.rels[t] = rs
	t.Relationships = make(map[string]*Relationship, len(rs))
	for _, r := range rs {
		t.Relationships[r.Name] = r
	}
	return rs
}

// newRel fills the target of a relationship.
func (b *builder) newRel(name string, object bool, target catalog.QName, m []ir.ColumnPair) *Relationship {
	tt := b.all[target]
	if tt == nil || len(m) == 0 || !isGraphQLName(name) {
		return nil
	}
	r := &Relationship{Name: name, Object: object, TargetName: target, Mapping: m, Nullable: true}
	if tt.Perm.Select != nil {
		r.Target = tt
	}
	return r
}

// objectRel resolves an object relationship.
func (b *builder) objectRel(t *Table, r *metadata.ObjectRelationship) *Relationship {
	if mc := r.Using.ManualConfiguration; mc != nil {
		rel := b.newRel(r.Name, true, qname(mc.RemoteTable), manualMapping(mc))
		if rel != nil && mc.InsertionOrder != nil {
			rel.InsertionOrder = *mc.InsertionOrder
		}
		return rel
	}
	raw := bytes.TrimSpace(r.Using.ForeignKeyConstraintOn)
	if len(raw) == 0 {
		return nil
	}
	var cols []string
	switch raw[0] {
	case '"':
		var c string
		if json.Unmarshal(raw, &c) != nil {
			return nil
		}
		cols = []string{c}
	case '[':
		if json.Unmarshal(raw, &cols) != nil {
			return nil
		}
	case '{':
		var remote metadata.RemoteFK
		if json.Unmarshal(raw, &remote) != nil {
			return nil
		}
		target, m := b.remoteFK(t, &remote)
		rel := b.newRel(r.Name, true, target, m)
		if rel != nil {
			rel.InsertionOrder = "after_parent"
		}
		return rel
	default:
		return nil
	}
	for _, fk := range t.Catalog.ForeignKeys {
		if !sameSet(fk.Columns, cols) {
			continue
		}
		m := make([]ir.ColumnPair, len(fk.Columns))
		nullable := false
		for i, c := range fk.Columns {
			m[i] = ir.ColumnPair{Outer: c, Inner: fk.RefColumns[i]}
			if col := t.Catalog.Column(c); col == nil || col.Nullable {
				nullable = true
			}
		}
		rel := b.newRel(r.Name, true, fk.RefTable, m)
		if rel != nil {
			rel.Nullable = nullable
			rel.InsertionOrder = "before_parent"
		}
		return rel
	}
	return nil
}

// arrayRel resolves an array relationship.
func (b *builder) arrayRel(t *Table, r *metadata.ArrayRelationship) *Relationship {
	if mc := r.Using.ManualConfiguration; mc != nil {
		rel := b.newRel(r.Name, false, qname(mc.RemoteTable), manualMapping(mc))
		if rel != nil && mc.InsertionOrder != nil {
			rel.InsertionOrder = *mc.InsertionOrder
		}
		return rel
	}
	if r.Using.ForeignKeyConstraintOn == nil {
		return nil
	}
	target, m := b.remoteFK(t, r.Using.ForeignKeyConstraintOn)
	rel := b.newRel(r.Name, false, target, m)
	if rel != nil {
		rel.InsertionOrder = "after_parent"
	}
	return rel
}

// remoteFK finds the foreign key on another table, given by its columns,
// that references t, and maps t's columns to the other table's.
func (b *builder) remoteFK(t *Table, remote *metadata.RemoteFK) (catalog.QName, []ir.ColumnPair) {
	target := qname(remote.Table)
	cols := remote.Columns
	if remote.Column != "" {
		cols = []string{remote.Column}
	}
	ct := b.cat.Tables[target]
	if ct == nil {
		return target, nil
	}
	for _, fk := range ct.ForeignKeys {
		if fk.RefTable != t.Name || !sameSet(fk.Columns, cols) {
			continue
		}
		m := make([]ir.ColumnPair, len(fk.Columns))
		for i, c := range fk.Columns {
			m[i] = ir.ColumnPair{Outer: fk.RefColumns[i], Inner: c}
		}
		return target, m
	}
	return target, nil
}

// manualMapping returns a manual relationship's column mapping in a stable
// order.
func manualMapping(mc *metadata.ManualRelationship) []ir.ColumnPair {
	m := make([]ir.ColumnPair, 0, len(mc.ColumnMapping))
	for k, v := range mc.ColumnMapping {
		m = append(m, ir.ColumnPair{Outer: k, Inner: v})
	}
	sort.Slice(m, func(i, j int) bool { return m[i].Outer < m[j].Outer })
	return m
}

// qname converts a metadata table name.
func qname(n metadata.TableName) catalog.QName {
	s := n.Schema
	if s == "" {
		s = "public"
	}
	return catalog.QName{Schema: s, Name: n.Name}
}

// sameSet reports whether a and b hold the same names.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
