package metadata

import (
	"encoding/json"
	"maps"
	"slices"
)

// Clone returns a deep copy of m. Raw JSON values (filters, configuration,
// Extra sections) are shared: they are never modified in place, only
// replaced.
func (m *Metadata) Clone() *Metadata {
	return m.copyWith(true)
}

// share returns a copy of m that shares its tables with m: the metadata,
// each source, the lists of sources and tables, the functions and the
// inherited roles are copied, the *Table values are not. A table reachable
// from a published Snapshot is never modified; an operation that changes a
// table first replaces it in its own copy (see opCtx.own), so that a
// change costs one table, not the whole metadata.
func (m *Metadata) share() *Metadata {
	return m.copyWith(false)
}

func (m *Metadata) copyWith(deep bool) *Metadata {
	if m == nil {
		return nil
	}
	c := *m
	c.Sources = cloneList(m.Sources, func(s *Source) *Source { return s.clone(deep) })
	c.InheritedRoles = cloneList(m.InheritedRoles, func(r *InheritedRole) *InheritedRole {
		x := *r
		x.RoleSet = slices.Clone(r.RoleSet)
		return &x
	})
	c.Extra = maps.Clone(m.Extra)
	return &c
}

// cloneList copies a list of pointers with f, keeping nil and empty apart.
func cloneList[T any](l []*T, f func(*T) *T) []*T {
	if l == nil {
		return nil
	}
	out := make([]*T, len(l))
	for i, x := range l {
		if x != nil {
			out[i] = f(x)
		}
	}
	return out
}

func (s *Source) clone(deep bool) *Source {
	c := *s
	if deep {
		c.Tables = cloneList(s.Tables, (*Table).clone)
	} else if s.Tables != nil {
		c.Tables = slices.Clone(s.Tables)
	}
	c.Functions = cloneList(s.Functions, func(f *Function) *Function {
		x := *f
		if f.Configuration != nil {
			cfg := *f.Configuration
			cfg.CustomRootFields = maps.Clone(f.Configuration.CustomRootFields)
			x.Configuration = &cfg
		}
		x.Permissions = cloneList(f.Permissions, func(p *FunctionPermission) *FunctionPermission { y := *p; return &y })
		return &x
	})
	c.Extra = maps.Clone(s.Extra)
	return &c
}

func (t *Table) clone() *Table {
	c := *t
	if t.Configuration != nil {
		cfg := *t.Configuration
		cfg.CustomRootFields = maps.Clone(t.Configuration.CustomRootFields)
		cfg.ColumnConfig = maps.Clone(t.Configuration.ColumnConfig)
		cfg.CustomColumnNames = maps.Clone(t.Configuration.CustomColumnNames)
		c.Configuration = &cfg
	}
	c.ObjectRelationships = cloneList(t.ObjectRelationships, func(r *ObjectRelationship) *ObjectRelationship {
		x := *r
		x.Using.ManualConfiguration = r.Using.ManualConfiguration.clone()
		return &x
	})
	c.ArrayRelationships = cloneList(t.ArrayRelationships, func(r *ArrayRelationship) *ArrayRelationship {
		x := *r
		x.Using.ManualConfiguration = r.Using.ManualConfiguration.clone()
		if fk := r.Using.ForeignKeyConstraintOn; fk != nil {
			y := *fk
			y.Columns = slices.Clone(fk.Columns)
			x.Using.ForeignKeyConstraintOn = &y
		}
		return &x
	})
	c.ComputedFields = cloneList(t.ComputedFields, func(f *ComputedField) *ComputedField { x := *f; return &x })
	c.SelectPermissions = cloneList(t.SelectPermissions, func(p *SelectPermissionDef) *SelectPermissionDef {
		x := *p
		x.Permission.Columns = p.Permission.Columns.clone()
		x.Permission.ComputedFields = slices.Clone(p.Permission.ComputedFields)
		x.Permission.QueryRootFields = slices.Clone(p.Permission.QueryRootFields)
		x.Permission.SubscriptionRootFields = slices.Clone(p.Permission.SubscriptionRootFields)
		if p.Permission.Limit != nil {
			l := *p.Permission.Limit
			x.Permission.Limit = &l
		}
		return &x
	})
	c.InsertPermissions = cloneList(t.InsertPermissions, func(p *InsertPermissionDef) *InsertPermissionDef {
		x := *p
		x.Permission.Columns = p.Permission.Columns.clone()
		x.Permission.Set = cloneAnyMap(p.Permission.Set)
		return &x
	})
	c.UpdatePermissions = cloneList(t.UpdatePermissions, func(p *UpdatePermissionDef) *UpdatePermissionDef {
		x := *p
		x.Permission.Columns = p.Permission.Columns.clone()
		x.Permission.Set = cloneAnyMap(p.Permission.Set)
		return &x
	})
	c.DeletePermissions = cloneList(t.DeletePermissions, func(p *DeletePermissionDef) *DeletePermissionDef { x := *p; return &x })
	c.Extra = maps.Clone(t.Extra)
	return &c
}

func (m *ManualRelationship) clone() *ManualRelationship {
	if m == nil {
		return nil
	}
	c := *m
	c.ColumnMapping = maps.Clone(m.ColumnMapping)
	return &c
}

func (c Columns) clone() Columns {
	c.Names = slices.Clone(c.Names)
	return c
}

// cloneAnyMap copies a preset map; values are copied through JSON only when
// they are composite.
func cloneAnyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any:
			var x any
			b, _ := json.Marshal(v)
			_ = decodeValue(b, &x)
			out[k] = x
		default:
			out[k] = v
		}
	}
	return out
}
