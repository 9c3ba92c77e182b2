package schema

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
)

// maxRoleDepth bounds inherited-role nesting (and breaks cycles).
const maxRoleDepth = 16

// permissions resolves the builder's role's permissions on a table.
func (b *builder) permissions(mt *metadata.Table, ct *catalog.Table) Permissions {
	if b.role == AdminRole {
		cols := make(map[string]bool, len(ct.Columns))
		for _, c := range ct.Columns {
			cols[c.Name] = true
		}
		cfs := make(map[string]bool, len(mt.ComputedFields))
		for _, cf := range mt.ComputedFields {
			cfs[cf.Name] = true
		}
		var p Permissions
		p.Select = &SelectPerm{Columns: cols, ComputedFields: cfs, Admin: true, AllowAggregations: true, Filters: []metadata.BoolExp{metadata.BoolExp("{}")}, Filter: metadata.BoolExp("{}")}
		if ct.Kind == catalog.KindTable || ct.Kind == catalog.KindPartitionedTable || ct.Kind == "" || ct.Insertable {
			p.Insert = &metadata.InsertPermission{Check: metadata.BoolExp("{}"), Columns: metadata.Columns{All: true}}
		}
		if ct.Kind == catalog.KindTable || ct.Kind == catalog.KindPartitionedTable || ct.Kind == "" || ct.Updatable {
			p.Update = &metadata.UpdatePermission{Filter: metadata.BoolExp("{}"), Columns: metadata.Columns{All: true}}
		}
		if ct.Kind == catalog.KindTable || ct.Kind == catalog.KindPartitionedTable || ct.Kind == "" || ct.Deletable {
			p.Delete = &metadata.DeletePermission{Filter: metadata.BoolExp("{}")}
		}
		return p
	}
	return Permissions{
		Select: b.selectPerm(mt, ct, b.role, 0),
		Insert: b.insertPerm(mt, b.role),
		Update: b.updatePerm(mt, b.role),
		Delete: b.deletePerm(mt, b.role),
	}
}

// selectPerm resolves role's select permission; an inherited role combines
// its parents': the union of their columns and computed fields, their
// filters OR-ed, the largest limit, and aggregations when any parent allows
// them.
func (b *builder) selectPerm(mt *metadata.Table, ct *catalog.Table, role string, depth int) *SelectPerm {
	for _, d := range mt.SelectPermissions {
		if d.Role == role {
			return ownSelectPerm(ct, &d.Permission)
		}
	}
	parents, ok := b.inherited[role]
	if !ok || depth > maxRoleDepth {
		return nil
	}
	var ps []*SelectPerm
	for _, r := range parents {
		if p := b.selectPerm(mt, ct, r, depth+1); p != nil {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	if len(ps) == 1 {
		return ps[0]
	}
	out := &SelectPerm{Columns: map[string]bool{}, ComputedFields: map[string]bool{}, Parents: ps}
	limitless, allQuery, allSub := false, false, false
	qrf, srf := map[string]bool{}, map[string]bool{}
	for _, p := range ps {
		for c := range p.Columns {
			out.Columns[c] = true
		}
		for c := range p.ComputedFields {
			out.ComputedFields[c] = true
		}
		out.Filters = append(out.Filters, p.Filters...)
		if p.Limit == nil {
			limitless = true
		} else if out.Limit == nil || *p.Limit > *out.Limit {
			l := *p.Limit
			out.Limit = &l
		}
		out.AllowAggregations = out.AllowAggregations || p.AllowAggregations
		allQuery = allQuery || p.QueryRootFields == nil
		allSub = allSub || p.SubscriptionRootFields == nil
		for _, f := range p.QueryRootFields {
			qrf[f] = true
		}
		for _, f := range p.SubscriptionRootFields {
			srf[f] = true
		}
	}
	if limitless {
		out.Limit = nil
	}
	if !allQuery {
		out.QueryRootFields = rootFieldList(qrf)
	}
	if !allSub {
		out.SubscriptionRootFields = rootFieldList(srf)
	}
	return out
}

// rootFieldList returns the members of set in Hasura's order.
func rootFieldList(set map[string]bool) []string {
	l := []string{}
	for _, k := range []string{"select", "select_by_pk", "select_aggregate", "select_stream"} {
		if set[k] {
			l = append(l, k)
		}
	}
	return l
}

// ownSelectPerm converts a role's own select permission.
func ownSelectPerm(ct *catalog.Table, p *metadata.SelectPermission) *SelectPerm {
	cols := map[string]bool{}
	if p.Columns.All {
		for _, c := range ct.Columns {
			cols[c.Name] = true
		}
	} else {
		for _, c := range p.Columns.Names {
			cols[c] = true
		}
	}
	cfs := map[string]bool{}
	for _, c := range p.ComputedFields {
		cfs[c] = true
	}
	filter := p.Filter
	if len(bytes.TrimSpace(filter)) == 0 || bytes.Equal(bytes.TrimSpace(filter), []byte("null")) {
		filter = metadata.BoolExp("{}")
	}
	return &SelectPerm{
		Columns:                cols,
		ComputedFields:         cfs,
		Filter:                 filter,
		Filters:                []metadata.BoolExp{filter},
		Limit:                  p.Limit,
		AllowAggregations:      p.AllowAggregations,
		QueryRootFields:        p.QueryRootFields,
		SubscriptionRootFields: p.SubscriptionRootFields,
	}
}

// Inherited roles and mutations (Hasura's rule): an inherited role without
// a permission of its own inherits an insert, update or delete permission
// only when every parent that has one has the same one (parents without
// it are ignored). Parents whose permissions differ leave the inherited
// role without the mutation, and a conflict anywhere in the role tree
// propagates upwards.

// inheritance is the outcome of resolving a mutation permission through
// inherited roles.
type inheritance int

const (
	undefined inheritance = iota
	defined
	conflicting
)

// inherit resolves role's permission of one kind: own returns a role's own
// permission, same compares two permissions' relevant parts.
func inherit[P any](b *builder, role string, depth int, own func(string) *P, same func(a, b *P) bool) (*P, inheritance) {
	if p := own(role); p != nil {
		return p, defined
	}
	parents, ok := b.inherited[role]
	if !ok || depth > maxRoleDepth {
		return nil, undefined
	}
	var out *P
	for _, r := range parents {
		p, st := inherit(b, r, depth+1, own, same)
		switch st {
		case conflicting:
			return nil, conflicting
		case defined:
			if out != nil && !same(out, p) {
				return nil, conflicting
			}
			if out == nil {
				out = p
			}
		}
	}
	if out == nil {
		return nil, undefined
	}
	return out, defined
}

// insertPerm resolves role's insert permission.
func (b *builder) insertPerm(mt *metadata.Table, role string) *metadata.InsertPermission {
	own := func(r string) *metadata.InsertPermission {
		for _, d := range mt.InsertPermissions {
			if d.Role == r {
				return &d.Permission
			}
		}
		return nil
	}
	p, _ := inherit(b, role, 0, own, func(x, y *metadata.InsertPermission) bool {
		return equalJSON(x.Check, y.Check) && sameValue(x.Set, y.Set) && sameColumns(x.Columns, y.Columns) &&
			x.BackendOnly == y.BackendOnly && equalJSON(x.ValidateInput, y.ValidateInput)
	})
	return p
}

// updatePerm resolves role's update permission like insertPerm.
func (b *builder) updatePerm(mt *metadata.Table, role string) *metadata.UpdatePermission {
	own := func(r string) *metadata.UpdatePermission {
		for _, d := range mt.UpdatePermissions {
			if d.Role == r {
				return &d.Permission
			}
		}
		return nil
	}
	p, _ := inherit(b, role, 0, own, func(x, y *metadata.UpdatePermission) bool {
		return equalJSON(x.Filter, y.Filter) && equalJSON(x.Check, y.Check) && sameValue(x.Set, y.Set) &&
			sameColumns(x.Columns, y.Columns) && x.BackendOnly == y.BackendOnly && equalJSON(x.ValidateInput, y.ValidateInput)
	})
	return p
}

// deletePerm resolves role's delete permission like insertPerm.
func (b *builder) deletePerm(mt *metadata.Table, role string) *metadata.DeletePermission {
	own := func(r string) *metadata.DeletePermission {
		for _, d := range mt.DeletePermissions {
			if d.Role == r {
				return &d.Permission
			}
		}
		return nil
	}
	p, _ := inherit(b, role, 0, own, func(x, y *metadata.DeletePermission) bool {
		return equalJSON(x.Filter, y.Filter) && x.BackendOnly == y.BackendOnly && equalJSON(x.ValidateInput, y.ValidateInput)
	})
	return p
}

// equalJSON reports whether two JSON documents have the same value (key
// order and spacing aside); empty and null are the same.
func equalJSON(a, b []byte) bool {
	return sameValue(decodeJSON(a), decodeJSON(b))
}

func decodeJSON(b []byte) any {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}

// sameValue compares decoded JSON values (a nil and an empty map match).
func sameValue(a, b any) bool {
	if isEmpty(a) && isEmpty(b) {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Map && rv.Len() == 0
}

// sameColumns compares column lists as sets.
func sameColumns(a, b metadata.Columns) bool {
	if a.All || b.All {
		return a.All == b.All
	}
	if (a.Names == nil) != (b.Names == nil) {
		return false
	}
	set := make(map[string]bool, len(a.Names))
	for _, c := range a.Names {
		set[c] = true
	}
	other := make(map[string]bool, len(b.Names))
	for _, c := range b.Names {
		if !set[c] {
			return false
		}
		other[c] = true
	}
	return len(set) == len(other)
}
