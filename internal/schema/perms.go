package schema

import (
	"bytes"

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
		Insert: b.insertPerm(mt, b.role, 0),
		Update: b.updatePerm(mt, b.role, 0),
		Delete: b.deletePerm(mt, b.role, 0),
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

// insertPerm resolves role's insert permission; an inherited role takes the
// first parent's permission in role_set order.
func (b *builder) insertPerm(mt *metadata.Table, role string, depth int) *metadata.InsertPermission {
	for _, d := range mt.InsertPermissions {
		if d.Role == role {
			return &d.Permission
		}
	}
	if depth <= maxRoleDepth {
		for _, r := range b.inherited[role] {
			if p := b.insertPerm(mt, r, depth+1); p != nil {
				return p
			}
		}
	}
	return nil
}

// updatePerm resolves role's update permission like insertPerm.
func (b *builder) updatePerm(mt *metadata.Table, role string, depth int) *metadata.UpdatePermission {
	for _, d := range mt.UpdatePermissions {
		if d.Role == role {
			return &d.Permission
		}
	}
	if depth <= maxRoleDepth {
		for _, r := range b.inherited[role] {
			if p := b.updatePerm(mt, r, depth+1); p != nil {
				return p
			}
		}
	}
	return nil
}

// deletePerm resolves role's delete permission like insertPerm.
func (b *builder) deletePerm(mt *metadata.Table, role string, depth int) *metadata.DeletePermission {
	for _, d := range mt.DeletePermissions {
		if d.Role == role {
			return &d.Permission
		}
	}
	if depth <= maxRoleDepth {
		for _, r := range b.inherited[role] {
			if p := b.deletePerm(mt, r, depth+1); p != nil {
				return p
			}
		}
	}
	return nil
}
