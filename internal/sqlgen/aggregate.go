package sqlgen

import (
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// aggregate writes a SELECT whose one column (j) is the <t>_aggregate object
// for agg's rows. The summaries are computed over the same rows as nodes,
// after where, order, distinct_on, limit and offset, as Hasura does.
func (g *gen) aggregate(b *strings.Builder, agg *ir.Aggregate, p parentRow) {
	a := g.alias()
	src := rowSource{from: agg.From, where: agg.Where, order: agg.OrderBy, distinct: agg.DistinctOn,
		limit: agg.Limit, offset: agg.Offset, permLimit: agg.PermLimit, parent: p}
	var joins, obj strings.Builder
	jsonObject(&obj, len(agg.Fields), func(i int) {
		f := agg.Fields[i]
		writeLiteral(&obj, f.Alias)
		obj.WriteString(", ")
		switch {
		case f.Const != nil:
			writeLiteral(&obj, *f.Const)
			obj.WriteString("::text")
		case f.Nodes != nil:
			obj.WriteString("coalesce(json_agg(")
			g.object(&obj, &joins, f.Nodes, a)
			if order := aggOrder(agg.OrderBy, agg.DistinctOn); len(order) > 0 {
				obj.WriteString(" ORDER BY ")
				g.orderTerms(&obj, order, a)
			}
			obj.WriteString("), '[]'::json)")
		default:
			g.summary(&obj, f.Summary, a)
		}
	})
	b.WriteString("SELECT ")
	b.WriteString(obj.String())
	b.WriteString(" AS j FROM ")
	cond := g.source(b, src, a)
	b.WriteString(joins.String())
	if cond != "" {
		b.WriteString(" WHERE ")
		b.WriteString(cond)
	}
}

// summary writes the "aggregate" object: count and the per-operator objects.
func (g *gen) summary(b *strings.Builder, fields []ir.SummaryField, a string) {
	jsonObject(b, len(fields), func(i int) {
		f := fields[i]
		writeLiteral(b, f.Alias)
		b.WriteString(", ")
		switch {
		case f.Const != nil:
			writeLiteral(b, *f.Const)
			b.WriteString("::text")
		case f.Count:
			b.WriteString("count(")
			if len(f.CountColumns) == 0 {
				b.WriteByte('*')
			} else {
				if f.CountDistinct {
					b.WriteString("DISTINCT ")
				}
				g.countColumns(b, a, f.CountColumns, f.CountVisible)
			}
			b.WriteByte(')')
		case !validFunc(f.Op) || f.Op == "count":
			g.fail(errorf("unknown aggregate operator %q", f.Op))
			b.WriteString("NULL")
		default:
			jsonObject(b, len(f.Columns), func(k int) {
				c := f.Columns[k]
				writeLiteral(b, c.Alias)
				b.WriteString(", ")
				if c.Const != nil {
					writeLiteral(b, *c.Const)
					b.WriteString("::text")
					return
				}
				g.encoded(b, c.Encoding, func() {
					b.WriteString(f.Op)
					b.WriteByte('(')
					g.visible(b, c.Visible, a, func() { col(b, a, c.Name) })
					b.WriteByte(')')
				})
			})
		}
	})
}

// countColumns writes the columns an aggregate reads; a column with a
// visibility condition is null on rows not matching it.
func (g *gen) countColumns(b *strings.Builder, a string, cols []string, vis []ir.BoolExp) {
	if len(vis) != len(cols) {
		g.columnList(b, a, cols)
		return
	}
	if len(cols) > 1 {
		b.WriteByte('(')
	}
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		g.visible(b, vis[i], a, func() { col(b, a, c) })
	}
	if len(cols) > 1 {
		b.WriteByte(')')
	}
}
