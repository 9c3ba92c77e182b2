package catalog

import (
	"context"
	"fmt"
)

// typeRow is one row of types.sql.
type typeRow struct {
	oid       uint32
	schema    string
	name      string
	kind      string
	category  string
	elem      uint32
	base      uint32
	formatted string
	labels    []string
}

// resolver describes type oids, fetching them in as few queries as the
// nesting of array and domain types requires.
type resolver struct {
	types   map[uint32]*typeRow
	pending map[uint32]bool
}

func newResolver() *resolver {
	return &resolver{types: map[uint32]*typeRow{}, pending: map[uint32]bool{}}
}

// want schedules oid for resolution.
func (r *resolver) want(oid uint32) {
	if oid != 0 && r.types[oid] == nil {
		r.pending[oid] = true
	}
}

// resolve fetches every wanted type and the element and base types they
// refer to.
func (r *resolver) resolve(ctx context.Context, q Querier) error {
	for len(r.pending) > 0 {
		oids := make([]uint32, 0, len(r.pending))
		for o := range r.pending {
			oids = append(oids, o)
		}
		clear(r.pending)
		rows, err := q.Query(ctx, query("types"), oids)
		if err != nil {
			return fmt.Errorf("catalog: types: %w", err)
		}
		var got []*typeRow
		for rows.Next() {
			t := &typeRow{}
			if err := rows.Scan(&t.oid, &t.schema, &t.name, &t.kind, &t.category, &t.elem, &t.base,
				&t.formatted, &t.labels); err != nil {
				rows.Close()
				return fmt.Errorf("catalog: types: %w", err)
			}
			r.types[t.oid] = t
			got = append(got, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("catalog: types: %w", err)
		}
		for _, t := range got {
			r.want(t.elem)
			r.want(t.base)
		}
	}
	return nil
}

// columnType builds the ColumnType of a resolved oid.
func (r *resolver) columnType(oid uint32) ColumnType {
	t := r.types[oid]
	if t == nil {
		return ColumnType{OID: oid}
	}
	ct := ColumnType{
		Name:       t.formatted,
		UDT:        t.name,
		Schema:     t.schema,
		Category:   firstByte(t.category),
		EnumValues: t.labels,
		OID:        t.oid,
		Kind:       firstByte(t.kind),
	}
	if t.elem != 0 {
		e := r.columnType(t.elem)
		ct.Elem = &e
		ct.Name = e.Name + "[]"
	}
	if t.base != 0 {
		b := r.columnType(t.base)
		ct.Base = &b
	}
	return ct
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// userTypeRow is one row of usertypes.sql.
type userTypeRow struct {
	oid         uint32
	name        QName
	description string
	fields      []fieldJSON
}

type fieldJSON struct {
	Name string `json:"name"`
	Type uint32 `json:"type"`
}

func scanUserTypes(ctx context.Context, q Querier, args []any) ([]userTypeRow, error) {
	rows, err := q.Query(ctx, query("usertypes"), args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: user types: %w", err)
	}
	defer rows.Close()
	var out []userTypeRow
	for rows.Next() {
		var t userTypeRow
		if err := rows.Scan(&t.oid, &t.name.Schema, &t.name.Name, &t.description, &t.fields); err != nil {
			return nil, fmt.Errorf("catalog: user types: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: user types: %w", err)
	}
	return out, nil
}

func (u userTypeRow) userType(r *resolver) *Type {
	ct := r.columnType(u.oid)
	t := &Type{
		Name:        u.name,
		OID:         u.oid,
		Kind:        ct.Kind,
		EnumValues:  ct.EnumValues,
		Category:    ct.Category,
		Description: u.description,
		Base:        ct.Base,
	}
	for _, f := range u.fields {
		t.Fields = append(t.Fields, TypeField{Name: f.Name, Type: r.columnType(f.Type)})
	}
	return t
}
