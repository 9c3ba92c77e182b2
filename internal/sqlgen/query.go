package sqlgen

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// Query compiles one root query field to one statement returning one row with
// one json column: the field's value (an array, an object, or null).
func Query(r *ir.Root) (Statement, error) {
	if r == nil {
		return Statement{}, errorf("nil root")
	}
	g := &gen{}
	var b strings.Builder
	b.Grow(512)
	switch {
	case r.Select != nil && r.Select.Single:
		b.WriteString("SELECT coalesce((")
		g.rows(&b, r.Select, parentRow{})
		b.WriteString("), 'null'::json) AS root")
	case r.Select != nil:
		g.rows(&b, r.Select, parentRow{})
	case r.Aggregate != nil:
		g.aggregate(&b, r.Aggregate, parentRow{})
	default:
		return Statement{}, errorf("root %q selects nothing", r.Alias)
	}
	if g.err != nil {
		return Statement{}, g.err
	}
	return Statement{SQL: b.String(), Params: g.params}, nil
}

// parentRow is what a nested selection is joined to: the outer row's alias
// and, for relationships, the column mapping.
type parentRow struct {
	alias string
	rel   *ir.Relationship
}

// rowSource is the part Select and Aggregate share: which rows, in what
// order, how many.
type rowSource struct {
	from      ir.From
	where     ir.BoolExp
	order     []ir.OrderBy
	distinct  []string
	limit     ir.Value
	offset    ir.Value
	permLimit *int
	parent    parentRow
	// raw, when set, is the FROM item text (a mutation's written rows).
	raw string
}

// rows writes a SELECT whose one column is the JSON of sel's rows: an array
// (coalesced to []) or, for Single, an object (no row when none matches).
func (g *gen) rows(b *strings.Builder, sel *ir.Select, p parentRow) {
	g.rowsFrom(b, sel, p, "")
}

// rowsFrom is rows reading the FROM item raw instead of sel.From when set.
func (g *gen) rowsFrom(b *strings.Builder, sel *ir.Select, p parentRow, raw string) {
	a := g.alias()
	src := rowSource{from: sel.From, where: sel.Where, order: sel.OrderBy, distinct: sel.DistinctOn,
		limit: sel.Limit, offset: sel.Offset, permLimit: sel.PermLimit, parent: p, raw: raw}
	var joins strings.Builder
	var obj strings.Builder
	g.object(&obj, &joins, sel.Fields, a)
	b.WriteString("SELECT ")
	if sel.Single {
		b.WriteString(obj.String())
	} else {
		b.WriteString("coalesce(json_agg(")
		b.WriteString(obj.String())
		if order := aggOrder(sel.OrderBy, sel.DistinctOn); len(order) > 0 {
			b.WriteString(" ORDER BY ")
			g.orderTerms(b, order, a)
		}
		b.WriteString("), '[]'::json)")
	}
	b.WriteString(" AS j FROM ")
	cond := g.source(b, src, a)
	b.WriteString(joins.String())
	if cond != "" {
		b.WriteString(" WHERE ")
		b.WriteString(cond)
	}
}

// wrapped reports whether the rows need their own subquery (a limit, an
// offset or DISTINCT ON must apply before the JSON is built).
func (s rowSource) wrapped() bool {
	return s.limit != nil || s.offset != nil || s.permLimit != nil || len(s.distinct) > 0
}

// source writes the FROM item for s under alias a. When the rows need no
// subquery it returns the filter for the caller's WHERE clause; otherwise the
// filter is inside the subquery and it returns "".
func (g *gen) source(b *strings.Builder, s rowSource, a string) string {
	var cond strings.Builder
	g.filter(&cond, s, a)
	if !s.wrapped() {
		g.fromItem(b, s, a)
		return cond.String()
	}
	limited := s.limit != nil || s.offset != nil || s.permLimit != nil
	if limited {
		b.WriteString("(SELECT ")
		b.WriteString(a)
		b.WriteString(".* FROM ")
	}
	if len(s.distinct) > 0 {
		b.WriteString("(SELECT DISTINCT ON (")
		for i, d := range s.distinct {
			if i > 0 {
				b.WriteString(", ")
			}
			col(b, a, d)
		}
		b.WriteString(") ")
		b.WriteString(a)
		b.WriteString(".* FROM ")
		g.fromItem(b, s, a)
		if cond.Len() > 0 {
			b.WriteString(" WHERE ")
			b.WriteString(cond.String())
		}
		b.WriteString(" ORDER BY ")
		g.orderTerms(b, distinctOrder(s.distinct, s.order), a)
		b.WriteString(") AS ")
		b.WriteString(a)
	} else {
		g.fromItem(b, s, a)
		if cond.Len() > 0 {
			b.WriteString(" WHERE ")
			b.WriteString(cond.String())
		}
	}
	if limited {
		if len(s.order) > 0 {
			b.WriteString(" ORDER BY ")
			g.orderTerms(b, s.order, a)
		}
		g.limitOffset(b, s)
		b.WriteString(") AS ")
		b.WriteString(a)
	}
	return ""
}

// filter writes the correlation with the parent row and the where clause.
func (g *gen) filter(b *strings.Builder, s rowSource, a string) {
	if s.parent.rel != nil && len(s.parent.rel.Mapping) > 0 {
		g.correlate(b, *s.parent.rel, s.parent.alias, a)
	}
	if s.where != nil {
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		g.boolExp(b, s.where, scope{cur: a, root: a})
	}
}

// fromItem writes the table or function call and its alias.
func (g *gen) fromItem(b *strings.Builder, s rowSource, a string) {
	switch {
	case s.raw != "":
		b.WriteString(s.raw)
	case s.from.Function != nil:
		g.call(b, s.from.Function.Name, s.from.Function.Args, s.parent.alias, false)
	default:
		g.relation(b, s.from.Table)
	}
	b.WriteString(" AS ")
	b.WriteString(a)
}

// distinctOrder is the ORDER BY PostgreSQL requires with DISTINCT ON: the
// distinct columns first (in the direction the user ordered them, else
// ascending), then the rest of the user's order.
func distinctOrder(distinct []string, order []ir.OrderBy) []ir.OrderBy {
	out := make([]ir.OrderBy, 0, len(distinct)+len(order))
	used := make([]bool, len(order))
	for _, d := range distinct {
		term := ir.OrderBy{Expr: ir.OrderColumn{Name: d}}
		for i, o := range order {
			if c, ok := o.Expr.(ir.OrderColumn); ok && c.Name == d && !used[i] {
				// The column itself, as DISTINCT ON names it.
				term = ir.OrderBy{Expr: ir.OrderColumn{Name: d}, Desc: o.Desc, NullsFirst: o.NullsFirst}
				used[i] = true
				break
			}
		}
		out = append(out, term)
	}
	for i, o := range order {
		if !used[i] {
			out = append(out, o)
		}
	}
	return out
}

// limitOffset writes LIMIT and OFFSET. Integer literals are written inline
// (they are part of the query text, and the planner plans better with them);
// other values are parameters.
func (g *gen) limitOffset(b *strings.Builder, s rowSource) {
	switch {
	case s.limit != nil && s.permLimit != nil:
		b.WriteString(" LIMIT least(")
		g.intValue(b, s.limit)
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(*s.permLimit))
		b.WriteByte(')')
	case s.limit != nil:
		b.WriteString(" LIMIT ")
		g.intValue(b, s.limit)
	case s.permLimit != nil:
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(*s.permLimit))
	}
	if s.offset != nil {
		b.WriteString(" OFFSET ")
		g.intValue(b, s.offset)
	}
}

func (g *gen) intValue(b *strings.Builder, v ir.Value) {
	if l, ok := v.(ir.Literal); ok {
		if n, ok := literalInt(l.Val); ok {
			b.WriteString(strconv.FormatInt(n, 10))
			return
		}
	}
	g.param(b, v, "bigint")
}

func literalInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	}
	return 0, false
}

// aggOrder is the order of a list's elements: the user's order, or with
// distinct_on alone the distinct columns ascending (the order DISTINCT ON
// picks rows in, which joins may not preserve).
func aggOrder(order []ir.OrderBy, distinct []string) []ir.OrderBy {
	if len(order) == 0 && len(distinct) > 0 {
		return distinctOrder(distinct, nil)
	}
	return order
}
