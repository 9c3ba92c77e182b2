package sqlgen

import (
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// orderTerms writes an ORDER BY list for rows under alias a.
func (g *gen) orderTerms(b *strings.Builder, order []ir.OrderBy, a string) {
	for i, o := range order {
		if i > 0 {
			b.WriteString(", ")
		}
		g.orderExpr(b, o.Expr, a)
		// PostgreSQL's defaults are ASC NULLS LAST and DESC NULLS FIRST
		switch {
		case o.Desc && o.NullsFirst:
			b.WriteString(" DESC")
		case o.Desc:
			b.WriteString(" DESC NULLS LAST")
		case o.NullsFirst:
			b.WriteString(" ASC NULLS FIRST")
		default:
			b.WriteString(" ASC")
		}
	}
}

// orderExpr writes the value rows are ordered by: a column, a scalar
// subquery through an object relationship, an aggregate of an array
// relationship, or a computed field.
func (g *gen) orderExpr(b *strings.Builder, e ir.OrderExpr, a string) {
	switch x := e.(type) {
	case ir.OrderColumn:
		g.visible(b, x.Visible, a, func() { col(b, a, x.Name) })
	case *ir.OrderColumn:
		g.orderExpr(b, *x, a)
	case ir.OrderObjectRel:
		t := g.alias()
		b.WriteString("(SELECT ")
		g.orderExpr(b, x.Expr, t)
		b.WriteString(" FROM ")
		g.relation(b, x.Rel.Target)
		b.WriteString(" AS ")
		b.WriteString(t)
		b.WriteString(" WHERE ")
		g.correlate(b, x.Rel, a, t)
		if x.Where != nil {
			b.WriteString(" AND ")
			g.boolExp(b, x.Where, scope{cur: t, root: t})
		}
		b.WriteString(" LIMIT 1)")
	case *ir.OrderObjectRel:
		g.orderExpr(b, *x, a)
	case ir.OrderArrayAggregate:
		t := g.alias()
		b.WriteString("(SELECT ")
		if x.Function == "count" || x.Column == "" {
			b.WriteString("count(*)")
		} else if !validFunc(x.Function) {
			g.fail(errorf("unknown aggregate %q", x.Function))
		} else {
			b.WriteString(x.Function)
			b.WriteByte('(')
			g.visible(b, x.Visible, t, func() { col(b, t, x.Column) })
			b.WriteByte(')')
		}
		b.WriteString(" FROM ")
		if x.Source != nil {
			g.call(b, x.Source.Name, x.Source.Args, a, true)
			b.WriteString(" AS ")
			b.WriteString(t)
			if x.Where != nil {
				b.WriteString(" WHERE ")
				g.boolExp(b, x.Where, scope{cur: t, root: t})
			}
			b.WriteByte(')')
			return
		}
		g.relation(b, x.Rel.Target)
		b.WriteString(" AS ")
		b.WriteString(t)
		b.WriteString(" WHERE ")
		g.correlate(b, x.Rel, a, t)
		if x.Where != nil {
			b.WriteString(" AND ")
			g.boolExp(b, x.Where, scope{cur: t, root: t})
		}
		b.WriteByte(')')
	case *ir.OrderArrayAggregate:
		g.orderExpr(b, *x, a)
	case ir.OrderComputed:
		g.visible(b, x.Op.Visible, a, func() { g.call(b, x.Op.Function, x.Op.Args, a, true) })
	case *ir.OrderComputed:
		g.orderExpr(b, *x, a)
	default:
		g.fail(errorf("unknown order expression %T", e))
		b.WriteString("NULL")
	}
}

// aggregateFuncs are the aggregate functions Hasura exposes.
var aggregateFuncs = map[string]bool{
	"count": true, "sum": true, "avg": true, "max": true, "min": true,
	"stddev": true, "stddev_pop": true, "stddev_samp": true,
	"variance": true, "var_pop": true, "var_samp": true,
}

func validFunc(f string) bool { return aggregateFuncs[f] }
