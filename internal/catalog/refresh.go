package catalog

import "context"

// Refresh returns a copy of c in which the objects named by ch are reloaded
// from the database (and removed when they no longer exist). Objects that
// depend on a changed one are reloaded too: relations and functions using a
// changed type, relations with a foreign key to a changed relation, and
// functions returning a changed relation's rows. c itself is not modified.
// Pass the same options as to Load.
func (c *Catalog) Refresh(ctx context.Context, q Querier, ch Changes, opts ...Option) (*Catalog, error) {
	if ch.Empty() {
		return c, nil
	}
	rels := setOf(ch.Relations)
	funcs := setOf(ch.Functions)
	types := setOf(ch.Types)
	for n, t := range c.Tables {
		if rels[n] {
			continue
		}
		for _, col := range t.Columns {
			if usesType(col.Type, types) {
				rels[n] = true
			}
		}
		for _, fk := range t.ForeignKeys {
			if rels[fk.RefTable] {
				rels[n] = true
			}
		}
	}
	// A second pass catches foreign keys to relations added above.
	for n, t := range c.Tables {
		for _, fk := range t.ForeignKeys {
			if rels[fk.RefTable] {
				rels[n] = true
			}
		}
	}
	for n, fs := range c.Functions {
		for _, f := range fs {
			if rels[f.ReturnType] || types[f.ReturnType] || usesType(f.Return, types) {
				funcs[n] = true
			}
			for _, a := range f.Args {
				if usesType(a.Type, types) {
					funcs[n] = true
				}
			}
		}
	}
	f := &filter{rels: keys(rels), funcs: keys(funcs), types: keys(types)}
	fresh, err := load(ctx, q, newOptions(opts), f)
	if err != nil {
		return nil, err
	}
	out := c.Clone()
	out.PostGIS, out.Extensions, out.ServerVersion = fresh.PostGIS, fresh.Extensions, fresh.ServerVersion
	for n := range rels {
		delete(out.Tables, n)
	}
	for n, t := range fresh.Tables {
		out.Tables[n] = t
	}
	for n := range funcs {
		delete(out.Functions, n)
	}
	for n, fs := range fresh.Functions {
		out.Functions[n] = fs
	}
	for n := range types {
		delete(out.Types, n)
	}
	for n, t := range fresh.Types {
		out.Types[n] = t
	}
	return out, nil
}

// usesType reports whether t, its element or its base type is one of names.
func usesType(t ColumnType, names map[QName]bool) bool {
	if names[QName{Schema: t.Schema, Name: t.UDT}] {
		return true
	}
	if t.Elem != nil && usesType(*t.Elem, names) {
		return true
	}
	return t.Base != nil && usesType(*t.Base, names)
}

func setOf(names []QName) map[QName]bool {
	m := make(map[QName]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func keys(m map[QName]bool) []QName {
	return sortedNames(m)
}
