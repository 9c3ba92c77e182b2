package sqlgen

import (
	"strconv"
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// aggregate writes a SELECT whose one column (j) is the <t>_aggregate object
// for agg's rows. The summaries are computed over the same rows as nodes,
// after where, order, distinct_on, limit and offset, as Hasura does.
//
// The aggregates (count, max, the nodes' json_agg, ...) are the columns
// _c0, _c1, ... of one aggregating subquery; the objects holding them are
// composite rows over its one row (see rowObject):
//
//	SELECT row_to_json(_x) AS j FROM (SELECT count(*) AS _c0, ... FROM ...) AS _s
//	CROSS JOIN LATERAL (SELECT _s._c0 AS "count") AS _y
//	CROSS JOIN LATERAL (SELECT _y AS "aggregate") AS _x
func (g *gen) aggregate(b *strings.Builder, agg *ir.Aggregate, p parentRow) {
	a := g.alias()
	s := g.alias()
	src := rowSource{from: agg.From, where: agg.Where, order: agg.OrderBy, distinct: agg.DistinctOn,
		limit: agg.Limit, offset: agg.Offset, permLimit: agg.PermLimit, parent: p}
	// joins are the relationships of the nodes (inside the subquery);
	// objs are the objects' rows over the subquery's row.
	var joins, objs, obj strings.Builder
	cols := &aggColumns{s: s}
	g.rowObject(&obj, &objs, len(agg.Fields), func(i int) string { return agg.Fields[i].Alias }, func(ob *strings.Builder, i int) {
		f := agg.Fields[i]
		switch {
		case f.Const != nil:
			writeLiteral(ob, *f.Const)
			ob.WriteString("::text")
		case f.Nodes != nil:
			cols.add(ob, func(c *strings.Builder) {
				c.WriteString("coalesce(json_agg(")
				g.object(c, &joins, f.Nodes, a)
				if order := aggOrder(agg.OrderBy, agg.DistinctOn); len(order) > 0 {
					c.WriteString(" ORDER BY ")
					g.orderTerms(c, order, a)
				}
				c.WriteString("), '[]'::json)")
			})
		default:
			g.summary(ob, &objs, cols, f.Summary, a)
		}
	}, true)
	if cols.n == 0 {
		// no aggregate selected (only __typename): still one row
		cols.add(&strings.Builder{}, func(c *strings.Builder) { c.WriteString("count(*)") })
	}
	b.WriteString("SELECT ")
	b.WriteString(obj.String())
	b.WriteString(" AS j FROM (SELECT ")
	b.WriteString(cols.list.String())
	b.WriteString(" FROM ")
	cond := g.source(b, src, a)
	b.WriteString(joins.String())
	if cond != "" {
		b.WriteString(" WHERE ")
		b.WriteString(cond)
	}
	b.WriteString(") AS ")
	b.WriteString(s)
	b.WriteString(objs.String())
}

// aggColumns is the select list of an aggregate's subquery (alias s).
type aggColumns struct {
	s    string
	list strings.Builder
	n    int
}

// add appends the column expr writes and writes a reference to it into b.
func (c *aggColumns) add(b *strings.Builder, expr func(c *strings.Builder)) {
	if c.n > 0 {
		c.list.WriteString(", ")
	}
	expr(&c.list)
	name := "_c" + strconv.Itoa(c.n)
	c.n++
	c.list.WriteString(" AS ")
	c.list.WriteString(name)
	b.WriteString(c.s)
	b.WriteByte('.')
	b.WriteString(name)
}

// summary writes the "aggregate" object: count and the per-operator objects.
func (g *gen) summary(b, objs *strings.Builder, cols *aggColumns, fields []ir.SummaryField, a string) {
	g.rowObject(b, objs, len(fields), func(i int) string { return fields[i].Alias }, func(b *strings.Builder, i int) {
		f := fields[i]
		switch {
		case f.Const != nil:
			writeLiteral(b, *f.Const)
			b.WriteString("::text")
		case f.Count:
			cols.add(b, func(c *strings.Builder) {
				c.WriteString("count(")
				if len(f.CountColumns) == 0 {
					c.WriteByte('*')
				} else {
					if f.CountDistinct {
						c.WriteString("DISTINCT ")
					}
					g.countColumns(c, a, f.CountColumns, f.CountVisible)
				}
				c.WriteByte(')')
			})
		case !validFunc(f.Op) || f.Op == "count":
			g.fail(errorf("unknown aggregate operator %q", f.Op))
			b.WriteString("NULL")
		default:
			g.rowObject(b, objs, len(f.Columns), func(k int) string { return f.Columns[k].Alias }, func(b *strings.Builder, k int) {
				c := f.Columns[k]
				if c.Const != nil {
					writeLiteral(b, *c.Const)
					b.WriteString("::text")
					return
				}
				cols.add(b, func(x *strings.Builder) {
					g.encoded(x, c.Encoding, func() {
						x.WriteString(f.Op)
						x.WriteByte('(')
						g.visible(x, c.Visible, a, func() { col(x, a, c.Name) })
						x.WriteByte(')')
					})
				})
			}, false)
		}
	}, false)
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
