package metadata

import "slices"

// changedTable is changedMetadata for an operation that changed one table of
// source s and nothing else: tracking it (added), adding or dropping a
// permission, or adding a relationship. When the metadata was wholly
// consistent before the operation and the check of that table finds
// nothing wrong, the rest of the metadata needs no new check: such a change
// cannot make another object inconsistent (nothing depends on a table's
// permissions; tracking a table or adding a relationship, whose name
// clashes with no field of its table, only lets more references resolve).
// Then only that table is checked and the
// consistent metadata is the previous one with that table replaced (or
// appended); otherwise, or when anything is found wrong, the whole metadata
// is checked as before, which also gives the errors Hasura's order.
func (o *opCtx) changedTable(s *Source, n TableName, added bool) error {
	base := o.base
	if base == nil || base.md != o.md || base.cat != o.cat || o.cat == nil || len(base.bad) > 0 ||
		s.Name != o.s.sourceName(o.md) || base.good == nil {
		return o.changedMetadata()
	}
	gi := slices.IndexFunc(base.good.Sources, func(x *Source) bool { return x.Name == s.Name })
	t := s.FindTable(n)
	if gi < 0 || t == nil {
		return o.changedMetadata()
	}
	gsrc := base.good.Sources[gi]
	ti := slices.IndexFunc(gsrc.Tables, func(x *Table) bool { return x.Table == n })
	if added != (ti < 0) || (added && (len(t.ObjectRelationships) > 0 || len(t.ArrayRelationships) > 0 || len(t.ComputedFields) > 0)) {
		return o.changedMetadata()
	}
	nt := t.clone()
	// As the whole check leaves them (it rebuilds these lists).
	if len(nt.ObjectRelationships) == 0 {
		nt.ObjectRelationships = nil
	}
	if len(nt.ArrayRelationships) == 0 {
		nt.ArrayRelationships = nil
	}
	if len(nt.ComputedFields) == 0 {
		nt.ComputedFields = nil
	}
	nsrc := *gsrc
	nsrc.Tables = slices.Clone(gsrc.Tables)
	if added {
		nsrc.Tables = append(nsrc.Tables, nt)
	} else {
		nsrc.Tables[ti] = nt
	}
	c := newChecker(o.ctx, o.cat, s.Name, o.enums())
	c.tables = make(map[TableName]*Table, len(nsrc.Tables))
	for _, x := range nsrc.Tables {
		c.tables[x.Table] = x
	}
	c.tablesOf = &nsrc
	c.count()
	if added {
		if c.tableProblem(nt) != "" {
			return o.changedMetadata()
		}
	}
	c.checkFields(&nsrc, nt)
	c.checkPermissions(&nsrc, nt)
	if len(c.out) > 0 {
		return o.changedMetadata()
	}
	good := *base.good
	good.Sources = slices.Clone(base.good.Sources)
	good.Sources[gi] = &nsrc
	o.changed = true
	o.bad = nil
	o.checked = &checkResult{md: o.md, cat: o.cat, good: &good, bad: nil}
	o.base = o.checked
	return nil
}
