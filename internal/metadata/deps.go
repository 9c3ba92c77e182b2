package metadata

import (
	"slices"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
)

// depName names an object in a dependency error, as Hasura does
// ("relationship article.author", "permission article.user.select").
func (o InconsistentObject) depName() string {
	t := ""
	if o.table != nil {
		t = o.table.display()
	}
	switch o.Type {
	case "table":
		return "table " + t
	case "object_relation", "array_relation":
		return "relationship " + t + "." + o.object
	case "computed_field":
		return "computed field " + t + "." + o.object
	case "function":
		return "function " + t
	case "function_permission":
		return "function permission " + t + "." + o.object
	case "source":
		return "source " + o.source
	}
	if kind, ok := strings.CutSuffix(o.Type, "_permission"); ok {
		return "permission " + t + "." + o.object + "." + kind
	}
	return o.Name
}

// dependencyError is Hasura's refusal to drop objects others depend on.
func dependencyError(deps []InconsistentObject) *apierr.Error {
	names := make([]string, len(deps))
	for i, d := range deps {
		names[i] = d.depName()
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return apierr.New(apierr.DependencyError, "cannot drop due to the following dependent objects : "+strings.Join(names, ", "))
}

// remove deletes the object o names from md.
func (md *Metadata) remove(o InconsistentObject) {
	if o.Type == "source" {
		md.Sources = slices.DeleteFunc(md.Sources, func(s *Source) bool { return s.Name == o.source })
		return
	}
	s := md.Source(o.source)
	if s == nil || o.table == nil {
		return
	}
	defer s.tidy()
	switch o.Type {
	case "function":
		s.Functions = slices.DeleteFunc(s.Functions, func(f *Function) bool { return f.Function == *o.table })
		return
	case "function_permission":
		if f := s.FindFunction(*o.table); f != nil {
			f.Permissions = slices.DeleteFunc(f.Permissions, func(p *FunctionPermission) bool { return p.Role == o.object })
		}
		return
	case "table":
		s.Tables = slices.DeleteFunc(s.Tables, func(t *Table) bool { return t.Table == *o.table })
		return
	}
	t := s.FindTable(*o.table)
	if t == nil {
		return
	}
	defer t.tidy()
	switch o.Type {
	case "object_relation":
		t.ObjectRelationships = slices.DeleteFunc(t.ObjectRelationships, func(r *ObjectRelationship) bool { return r.Name == o.object })
	case "array_relation":
		t.ArrayRelationships = slices.DeleteFunc(t.ArrayRelationships, func(r *ArrayRelationship) bool { return r.Name == o.object })
	case "computed_field":
		t.ComputedFields = slices.DeleteFunc(t.ComputedFields, func(c *ComputedField) bool { return c.Name == o.object })
	default:
		t.dropPermission(o.kind, o.object)
	}
}

// dropPermission removes role's permission of kind; it reports whether one existed.
func (t *Table) dropPermission(kind, role string) bool {
	defer t.tidy()
	n := 0
	switch kind {
	case "select":
		n = len(t.SelectPermissions)
		t.SelectPermissions = slices.DeleteFunc(t.SelectPermissions, func(p *SelectPermissionDef) bool { return p.Role == role })
		return n != len(t.SelectPermissions)
	case "insert":
		n = len(t.InsertPermissions)
		t.InsertPermissions = slices.DeleteFunc(t.InsertPermissions, func(p *InsertPermissionDef) bool { return p.Role == role })
		return n != len(t.InsertPermissions)
	case "update":
		n = len(t.UpdatePermissions)
		t.UpdatePermissions = slices.DeleteFunc(t.UpdatePermissions, func(p *UpdatePermissionDef) bool { return p.Role == role })
		return n != len(t.UpdatePermissions)
	case "delete":
		n = len(t.DeletePermissions)
		t.DeletePermissions = slices.DeleteFunc(t.DeletePermissions, func(p *DeletePermissionDef) bool { return p.Role == role })
		return n != len(t.DeletePermissions)
	}
	return false
}

// hasPermission reports whether role has a permission of kind on t.
func (t *Table) hasPermission(kind, role string) bool {
	switch kind {
	case "select":
		return slices.ContainsFunc(t.SelectPermissions, func(p *SelectPermissionDef) bool { return p.Role == role })
	case "insert":
		return slices.ContainsFunc(t.InsertPermissions, func(p *InsertPermissionDef) bool { return p.Role == role })
	case "update":
		return slices.ContainsFunc(t.UpdatePermissions, func(p *UpdatePermissionDef) bool { return p.Role == role })
	case "delete":
		return slices.ContainsFunc(t.DeletePermissions, func(p *DeletePermissionDef) bool { return p.Role == role })
	}
	return false
}

// newInconsistencies checks md and returns the objects that were not
// inconsistent before (by name), with the full new list.
func (o *opCtx) newInconsistencies() (fresh, all []InconsistentObject) {
	_, fresh, all = o.check()
	return fresh, all
}

// check is newInconsistencies with the consistent part of md.
func (o *opCtx) check() (good *Metadata, fresh, all []InconsistentObject) {
	good, all = checkConsistency(o.ctx, o.md, o.cat, o.s.sourceName(o.md), o.enums())
	before := map[string]bool{}
	for _, b := range o.bad {
		before[b.Name] = true
	}
	for _, b := range all {
		if !before[b.Name] {
			fresh = append(fresh, b)
		}
	}
	return good, fresh, all
}

// removeWithDependents applies drop (which removes some objects from the
// working metadata) and then handles the objects that became inconsistent
// because of it: without cascade they are a dependency-error; with cascade
// they are removed too, repeatedly, until nothing new breaks.
func (o *opCtx) removeWithDependents(drop func(), cascade bool, self func(InconsistentObject) bool) error {
	drop()
	for range 100 {
		fresh, all := o.newInconsistencies()
		var deps []InconsistentObject
		for _, f := range fresh {
			if self == nil || !self(f) {
				deps = append(deps, f)
			}
		}
		if len(deps) == 0 {
			o.changed, o.checked, o.base = true, nil, nil
			o.bad = all
			return nil
		}
		if !cascade {
			return dependencyError(deps)
		}
		for _, d := range deps {
			o.ownObject(d)
			o.md.remove(d)
		}
	}
	return apierr.Internalf("metadata: dependency removal did not settle")
}

// tidy drops lists emptied by removals, as Hasura's export leaves them out.
func (t *Table) tidy() {
	if len(t.ObjectRelationships) == 0 {
		t.ObjectRelationships = nil
	}
	if len(t.ArrayRelationships) == 0 {
		t.ArrayRelationships = nil
	}
	if len(t.ComputedFields) == 0 {
		t.ComputedFields = nil
	}
	if len(t.SelectPermissions) == 0 {
		t.SelectPermissions = nil
	}
	if len(t.InsertPermissions) == 0 {
		t.InsertPermissions = nil
	}
	if len(t.UpdatePermissions) == 0 {
		t.UpdatePermissions = nil
	}
	if len(t.DeletePermissions) == 0 {
		t.DeletePermissions = nil
	}
}

// tidy drops lists emptied by removals.
func (s *Source) tidy() {
	if len(s.Functions) == 0 {
		s.Functions = nil
	}
	for _, f := range s.Functions {
		if len(f.Permissions) == 0 {
			f.Permissions = nil
		}
	}
}
