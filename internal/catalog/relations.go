package catalog

import (
	"context"
	"fmt"
)

// relRow is one row of relations.sql.
type relRow struct {
	oid         uint32
	name        QName
	kind        string
	description string
	updatable   int32
	partition   bool
	cols        []colJSON
	cons        []conJSON
	idx         []conJSON
}

type colJSON struct {
	Name      string `json:"name"`
	Num       int    `json:"num"`
	Type      uint32 `json:"type"`
	FullType  string `json:"full_type"`
	NotNull   bool   `json:"notnull"`
	HasDef    bool   `json:"hasdef"`
	Identity  string `json:"identity"`
	Generated string `json:"generated"`
	Default   string `json:"default"`
	Comment   string `json:"comment"`
}

type conJSON struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Cols      []string `json:"cols"`
	RefSchema string   `json:"ref_schema"`
	RefTable  string   `json:"ref_table"`
	RefCols   []string `json:"ref_cols"`
}

func scanRelations(ctx context.Context, q Querier, args []any) ([]relRow, error) {
	rows, err := q.Query(ctx, query("relations"), args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: relations: %w", err)
	}
	defer rows.Close()
	var out []relRow
	for rows.Next() {
		var r relRow
		if err := rows.Scan(&r.oid, &r.name.Schema, &r.name.Name, &r.kind, &r.description,
			&r.updatable, &r.partition, &r.cols, &r.cons, &r.idx); err != nil {
			return nil, fmt.Errorf("catalog: relations: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: relations: %w", err)
	}
	return out, nil
}

var relKinds = map[string]TableKind{
	"r": KindTable,
	"v": KindView,
	"m": KindMaterializedView,
	"f": KindForeignTable,
	"p": KindPartitionedTable,
}

// pg_relation_is_updatable bits: 1 << CMD_UPDATE, CMD_INSERT, CMD_DELETE.
const (
	updatableBit  = 1 << 2
	insertableBit = 1 << 3
	deletableBit  = 1 << 4
)

func (r relRow) table(res *resolver) *Table {
	t := &Table{
		Name:        r.name,
		OID:         r.oid,
		Kind:        relKinds[r.kind],
		Description: r.description,
		Insertable:  r.updatable&insertableBit != 0,
		Updatable:   r.updatable&updatableBit != 0,
		Deletable:   r.updatable&deletableBit != 0,
		IsPartition: r.partition,
		Columns:     make([]*Column, 0, len(r.cols)),
	}
	for _, c := range r.cols {
		t.Columns = append(t.Columns, &Column{
			Name:           c.Name,
			Ordinal:        c.Num,
			Type:           res.columnType(c.Type),
			Nullable:       !c.NotNull,
			HasDefault:     c.HasDef || c.Identity != "",
			IsIdentity:     c.Identity != "",
			IdentityAlways: c.Identity == "a",
			IsGenerated:    c.Generated != "",
			Default:        c.Default,
			FullType:       c.FullType,
			Description:    c.Comment,
		})
	}
	for _, k := range r.cons {
		switch k.Type {
		case "p":
			t.PrimaryKey = &Constraint{Name: k.Name, Columns: k.Cols}
		case "u":
			t.Uniques = append(t.Uniques, &Constraint{Name: k.Name, Columns: k.Cols})
		case "f":
			t.ForeignKeys = append(t.ForeignKeys, &ForeignKey{
				Name:       k.Name,
				Table:      r.name,
				RefTable:   QName{Schema: k.RefSchema, Name: k.RefTable},
				Columns:    k.Cols,
				RefColumns: k.RefCols,
			})
		}
	}
	for _, k := range r.idx {
		t.Uniques = append(t.Uniques, &Constraint{Name: k.Name, Columns: k.Cols})
	}
	return t
}
