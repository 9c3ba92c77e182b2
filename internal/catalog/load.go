package catalog

import (
	"context"
	"fmt"
	"sort"
)

// Load introspects the database behind q: every relation, function and
// user-defined type outside the system schemas (and those excluded by
// opts). It issues a handful of queries whatever the database size.
func Load(ctx context.Context, q Querier, opts ...Option) (*Catalog, error) {
	return load(ctx, q, newOptions(opts), nil)
}

// LoadTables introspects only the named relations (and the types their
// columns use) into a new Catalog; missing names are left out.
func LoadTables(ctx context.Context, q Querier, names []QName, opts ...Option) (*Catalog, error) {
	return load(ctx, q, newOptions(opts), &filter{rels: names})
}

// filter restricts a load to some objects; a nil *filter loads everything.
type filter struct {
	rels, funcs, types []QName
}

func split(names []QName) (schemas, rels []string) {
	schemas, rels = make([]string, len(names)), make([]string, len(names))
	for i, n := range names {
		schemas[i], rels[i] = n.Schema, n.Name
	}
	return schemas, rels
}

func load(ctx context.Context, q Querier, o options, f *filter) (*Catalog, error) {
	var c *Catalog
	err := inSnapshot(ctx, q, func(q Querier) error {
		var err error
		c, err = loadIn(ctx, q, o, f)
		return err
	})
	return c, err
}

func loadIn(ctx context.Context, q Querier, o options, f *filter) (*Catalog, error) {
	c := &Catalog{
		Tables:    map[QName]*Table{},
		Functions: map[QName][]*Function{},
		Types:     map[QName]*Type{},
	}
	if err := loadServer(ctx, q, c); err != nil {
		return nil, err
	}
	r := newResolver()
	var relArgs, funcArgs, typeArgs []any
	if f == nil {
		relArgs = []any{o.exclude, nil, nil}
		funcArgs, typeArgs = relArgs, relArgs
	} else {
		s, n := split(f.rels)
		relArgs = []any{o.exclude, s, n}
		s, n = split(f.funcs)
		funcArgs = []any{o.exclude, s, n}
		s, n = split(f.types)
		typeArgs = []any{o.exclude, s, n}
	}
	var (
		rels  []relRow
		funcs []funcRow
		types []userTypeRow
		err   error
	)
	if f == nil || len(f.rels) > 0 {
		if rels, err = scanRelations(ctx, q, relArgs); err != nil {
			return nil, err
		}
	}
	if f == nil || len(f.funcs) > 0 {
		if funcs, err = scanFunctions(ctx, q, funcArgs); err != nil {
			return nil, err
		}
	}
	if f == nil || len(f.types) > 0 {
		if types, err = scanUserTypes(ctx, q, typeArgs); err != nil {
			return nil, err
		}
	}
	for _, rel := range rels {
		for _, col := range rel.cols {
			r.want(col.Type)
		}
	}
	for _, fn := range funcs {
		fn.wantTypes(r)
	}
	for _, t := range types {
		r.want(t.oid)
		for _, fl := range t.fields {
			r.want(fl.Type)
		}
	}
	if err := r.resolve(ctx, q); err != nil {
		return nil, err
	}
	for _, rel := range rels {
		t := rel.table(r)
		c.Tables[t.Name] = t
	}
	for _, fn := range funcs {
		x := fn.function(r)
		c.Functions[x.Name] = append(c.Functions[x.Name], x)
	}
	for _, ut := range types {
		t := ut.userType(r)
		c.Types[t.Name] = t
	}
	return c, nil
}

func loadServer(ctx context.Context, q Querier, c *Catalog) error {
	rows, err := q.Query(ctx, query("server"))
	if err != nil {
		return fmt.Errorf("catalog: server info: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&c.ServerVersion, &c.Extensions); err != nil {
			return fmt.Errorf("catalog: server info: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: server info: %w", err)
	}
	_, c.PostGIS = c.Extensions["postgis"]
	return nil
}

// sortedNames returns the keys of m in (schema, name) order.
func sortedNames[V any](m map[QName]V) []QName {
	names := make([]QName, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Less(names[j]) })
	return names
}
