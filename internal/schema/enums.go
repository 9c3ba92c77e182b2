package schema

import (
	"context"
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
)

// EnumTableError reports an enum table (is_enum) whose rows could not be
// read.
type EnumTableError struct {
	Table catalog.QName
	Err   error
}

func (e *EnumTableError) Error() string {
	return fmt.Sprintf("enum table %s: %v", e.Table, e.Err)
}

func (e *EnumTableError) Unwrap() error { return e.Err }

// LoadEnumValues reads the rows of the enum tables (is_enum) of src in one
// query: the values of each table's single-column primary key, with the
// table's other column (if it has exactly one more) as their description.
// Tables of another shape are left out. The result feeds
// Options.EnumValues.
func LoadEnumValues(ctx context.Context, q catalog.Querier, cat *catalog.Catalog, src *metadata.Source) (map[catalog.QName][]EnumValue, error) {
	out := map[catalog.QName][]EnumValue{}
	var parts []string
	var names []catalog.QName
	for _, mt := range src.Tables {
		if !mt.IsEnum {
			continue
		}
		name := qname(mt.Table)
		ct := cat.Tables[name]
		if ct == nil || ct.PrimaryKey == nil || len(ct.PrimaryKey.Columns) != 1 || len(ct.Columns) > 2 {
			continue
		}
		pk := ct.PrimaryKey.Columns[0]
		comment := "NULL"
		for _, c := range ct.Columns {
			if c.Name != pk {
				comment = quoteIdent(c.Name) + "::text"
			}
		}
		parts = append(parts, fmt.Sprintf("SELECT %d AS t, %s::text AS v, %s AS c FROM %s.%s",
			len(names), quoteIdent(pk), comment, quoteIdent(name.Schema), quoteIdent(name.Name)))
		names = append(names, name)
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, strings.Join(parts, " UNION ALL ")+" ORDER BY 1, 2")
	if err != nil {
		return nil, &EnumTableError{Table: names[0], Err: err}
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var v string
		var c *string
		if err := rows.Scan(&i, &v, &c); err != nil {
			return nil, &EnumTableError{Table: names[0], Err: err}
		}
		ev := EnumValue{Value: v}
		if c != nil {
			ev.Description = *c
		}
		out[names[i]] = append(out[names[i]], ev)
	}
	if err := rows.Err(); err != nil {
		return nil, &EnumTableError{Table: names[0], Err: err}
	}
	return out, nil
}

// quoteIdent quotes a Postgres identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
