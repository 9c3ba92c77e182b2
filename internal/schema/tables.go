package schema

import (
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
)

// resolveTables creates a Table for every tracked table present in the
// catalog, resolves the role's permissions and keeps the visible ones.
func (b *builder) resolveTables() {
	used := map[string]bool{}
	for _, mt := range b.src.Tables {
		q := catalog.QName{Schema: mt.Table.Schema, Name: mt.Table.Name}
		ct := b.cat.Tables[q]
		gql := tableGQLName(mt)
		// Like Hasura, a table whose GraphQL name is invalid or already
		// taken by an earlier table is left out (inconsistent metadata).
		if ct == nil || !isGraphQLName(gql) || used[gql] {
			continue
		}
		used[gql] = true
		t := &Table{
			Name:        q,
			Catalog:     ct,
			Meta:        mt,
			GQLName:     tableGQLName(mt),
			QuotedName:  quotedName(q),
			Fields:      map[string]*Field{},
			ColumnField: map[string]string{},
			IsEnum:      mt.IsEnum,
			typePrefix:  b.custom.typePrefix,
			typeSuffix:  b.custom.typeSuffix,
		}
		t.Description = tableDescription(t)
		t.Columns = make(map[string]*catalog.Column, len(ct.Columns))
		for _, c := range ct.Columns {
			n := columnGQLName(mt, c.Name)
			t.ColumnField[c.Name] = n
			t.Columns[n] = c
		}
		if t.IsEnum {
			t.EnumType = t.TypeName("_enum")
			b.enumTables[q] = t
		}
		b.all[q] = t
		t.Perm = b.permissions(mt, ct)
		p := t.Perm
		if p.Select != nil || p.Insert != nil || p.Update != nil || p.Delete != nil {
			b.tables = append(b.tables, t)
			b.out.Tables[q] = t
		}
	}
}

// tableGQLName is the base of a table's GraphQL names.
func tableGQLName(mt *metadata.Table) string {
	if c := mt.Configuration; c != nil && c.CustomName != "" {
		return c.CustomName
	}
	if mt.Table.Schema == "public" || mt.Table.Schema == "" {
		return mt.Table.Name
	}
	return mt.Table.Schema + "_" + mt.Table.Name
}

// quotedName is the table name Hasura writes in descriptions.
func quotedName(q catalog.QName) string {
	if q.Schema == "public" || q.Schema == "" {
		return q.Name
	}
	return q.Schema + "." + q.Name
}

// tableDescription is the table's comment, its database description, or
// Hasura's default text.
func tableDescription(t *Table) string {
	if c := t.Meta.Configuration; c != nil && c.Comment != nil {
		return *c.Comment
	}
	if t.Catalog.Description != "" {
		return t.Catalog.Description
	}
	return `columns and relationships of "` + t.QuotedName + `"`
}

// columnGQLName is a column's GraphQL field name.
func columnGQLName(mt *metadata.Table, col string) string {
	if c := mt.Configuration; c != nil {
		if cc, ok := c.ColumnConfig[col]; ok && cc.CustomName != "" {
			return cc.CustomName
		}
		if n, ok := c.CustomColumnNames[col]; ok && n != "" {
			return n
		}
	}
	return col
}

// columnDescription is a column's comment or database description.
func columnDescription(t *Table, c *catalog.Column) string {
	if cfg := t.Meta.Configuration; cfg != nil {
		if cc, ok := cfg.ColumnConfig[c.Name]; ok && cc.Comment != nil {
			return *cc.Comment
		}
	}
	return c.Description
}

// rootName returns the custom root field name for key, or def, with the
// source's root field prefix and suffix.
func (b *builder) rootName(mt *metadata.Table, key, def string) (name, comment string, hasComment bool) {
	if c := mt.Configuration; c != nil {
		if r, ok := c.CustomRootFields[key]; ok {
			if r.Name != nil && *r.Name != "" {
				def = *r.Name
			}
			if r.Comment != nil {
				return b.custom.rootField(def), *r.Comment, true
			}
		}
	}
	return b.custom.rootField(def), "", false
}

// selectable reports whether the role may select column col of t.
func (t *Table) selectable(col string) bool {
	s := t.Perm.Select
	return s != nil && (s.Admin || s.Columns[col])
}

// pkSelectable reports whether the table has a primary key whose columns
// the role can all select.
func (t *Table) pkSelectable() bool {
	pk := t.Catalog.PrimaryKey
	if pk == nil || len(pk.Columns) == 0 {
		return false
	}
	for _, c := range pk.Columns {
		if !t.selectable(c) {
			return false
		}
	}
	return true
}

// aggregatable reports whether the role may use aggregates on t.
func (t *Table) aggregatable() bool {
	s := t.Perm.Select
	return s != nil && (s.Admin || s.AllowAggregations)
}
