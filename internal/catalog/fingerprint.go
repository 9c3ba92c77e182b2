package catalog

import (
	"context"
	"fmt"
	"sort"
)

// Fingerprint summarises the database's schema cheaply: a hash per
// relation, per function name (all overloads) and per user type. Taking one
// before and after arbitrary DDL and comparing them with Diff tells which
// objects need reloading. It needs no superuser rights.
type Fingerprint struct {
	Relations map[QName]string
	Functions map[QName]string
	Types     map[QName]string
	// The oids of relations, functions (when not overloaded) and types
	// identify them across renames.
	RelationOIDs, FunctionOIDs, TypeOIDs map[QName]uint32
}

// Changes names the objects that were created, altered or dropped between
// two fingerprints, each list in (schema, name) order.
type Changes struct {
	Relations []QName
	Functions []QName
	Types     []QName
	// Renamed maps the old name of each renamed relation, function or type
	// to its new name (both names also appear in the lists above).
	Renamed map[QName]QName
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Relations) == 0 && len(c.Functions) == 0 && len(c.Types) == 0
}

// TakeFingerprint reads the current fingerprint of the database behind q
// (one query). Pass the same options as to Load.
func TakeFingerprint(ctx context.Context, q Querier, opts ...Option) (Fingerprint, error) {
	var fp Fingerprint
	err := inSnapshot(ctx, q, func(q Querier) error {
		var err error
		fp, err = fingerprint(ctx, q, newOptions(opts))
		return err
	})
	return fp, err
}

func fingerprint(ctx context.Context, q Querier, o options) (Fingerprint, error) {
	fp := Fingerprint{Relations: map[QName]string{}, Functions: map[QName]string{}, Types: map[QName]string{},
		RelationOIDs: map[QName]uint32{}, FunctionOIDs: map[QName]uint32{}, TypeOIDs: map[QName]uint32{}}
	rows, err := q.Query(ctx, query("fingerprint"), o.exclude)
	if err != nil {
		return fp, fmt.Errorf("catalog: fingerprint: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, hash string
		var n QName
		var oid uint32
		if err := rows.Scan(&kind, &n.Schema, &n.Name, &oid, &hash); err != nil {
			return fp, fmt.Errorf("catalog: fingerprint: %w", err)
		}
		switch kind {
		case "r":
			fp.Relations[n], fp.RelationOIDs[n] = hash, oid
		case "f":
			fp.Functions[n], fp.FunctionOIDs[n] = hash, oid
		case "t":
			fp.Types[n], fp.TypeOIDs[n] = hash, oid
		}
	}
	if err := rows.Err(); err != nil {
		return fp, fmt.Errorf("catalog: fingerprint: %w", err)
	}
	return fp, nil
}

// Diff returns the objects whose hash differs between a and b, including
// those present in only one of them.
func Diff(a, b Fingerprint) Changes {
	ch := Changes{
		Relations: diffMap(a.Relations, b.Relations),
		Functions: diffMap(a.Functions, b.Functions),
		Types:     diffMap(a.Types, b.Types),
	}
	renames(a.RelationOIDs, b.RelationOIDs, &ch.Renamed)
	renames(a.FunctionOIDs, b.FunctionOIDs, &ch.Renamed)
	renames(a.TypeOIDs, b.TypeOIDs, &ch.Renamed)
	return ch
}

// renames adds to *out each name of a that is gone from b while its oid
// lives on under a new name.
func renames(a, b map[QName]uint32, out *map[QName]QName) {
	added := map[uint32]QName{}
	for n, oid := range b {
		if _, ok := a[n]; !ok && oid != 0 {
			added[oid] = n
		}
	}
	for n, oid := range a {
		if _, ok := b[n]; ok || oid == 0 {
			continue
		}
		if to, ok := added[oid]; ok {
			if *out == nil {
				*out = map[QName]QName{}
			}
			(*out)[n] = to
		}
	}
}

func diffMap(a, b map[QName]string) []QName {
	var out []QName
	for n, h := range a {
		if h2, ok := b[n]; !ok || h2 != h {
			out = append(out, n)
		}
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}
