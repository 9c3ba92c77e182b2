package sqlgen

import (
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// scope names the rows a boolean expression refers to: the current row and
// the root row of the filter (Hasura's "$" in column comparisons).
type scope struct {
	cur  string
	root string
}

// boolExp writes e evaluated on the rows in s.
func (g *gen) boolExp(b *strings.Builder, e ir.BoolExp, s scope) {
	switch x := e.(type) {
	case nil:
		b.WriteString("true")
	case ir.And:
		g.junction(b, x, " AND ", "true", s)
	case ir.Or:
		g.junction(b, x, " OR ", "false", s)
	case ir.Not:
		b.WriteString("(NOT ")
		g.boolExp(b, x.Exp, s)
		b.WriteByte(')')
	case *ir.Not:
		g.boolExp(b, *x, s)
	case ir.Const:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case ir.Compare:
		g.compare(b, x, s)
	case *ir.Compare:
		g.compare(b, *x, s)
	case ir.IsNull:
		b.WriteByte('(')
		g.operand(b, x.Left, s.cur)
		if x.IsNull {
			b.WriteString(" IS NULL)")
		} else {
			b.WriteString(" IS NOT NULL)")
		}
	case *ir.IsNull:
		g.boolExp(b, *x, s)
	case ir.RelExists:
		a := g.alias()
		b.WriteString("EXISTS (SELECT 1 FROM ")
		g.relation(b, x.Rel.Target)
		b.WriteString(" AS ")
		b.WriteString(a)
		b.WriteString(" WHERE ")
		g.correlate(b, x.Rel, s.cur, a)
		if x.Where != nil {
			b.WriteString(" AND ")
			g.boolExp(b, x.Where, scope{cur: a, root: s.root})
		}
		b.WriteByte(')')
	case *ir.RelExists:
		g.boolExp(b, *x, s)
	case ir.Exists:
		a := g.alias()
		b.WriteString("EXISTS (SELECT 1 FROM ")
		g.relation(b, x.Table)
		b.WriteString(" AS ")
		b.WriteString(a)
		b.WriteString(" WHERE ")
		g.boolExp(b, x.Where, scope{cur: a, root: s.root})
		b.WriteByte(')')
	case *ir.Exists:
		g.boolExp(b, *x, s)
	case ir.ComputedExists:
		a := g.alias()
		b.WriteString("EXISTS (SELECT 1 FROM ")
		g.call(b, x.Function, x.Args, s.cur, true)
		b.WriteString(" AS ")
		b.WriteString(a)
		if x.Where != nil {
			b.WriteString(" WHERE ")
			g.boolExp(b, x.Where, scope{cur: a, root: s.root})
		}
		b.WriteByte(')')
	case *ir.ComputedExists:
		g.boolExp(b, *x, s)
	case ir.AggregatePredicate:
		g.aggregatePredicate(b, x, s)
	case *ir.AggregatePredicate:
		g.aggregatePredicate(b, *x, s)
	default:
		g.fail(errorf("unknown boolean expression %T", e))
		b.WriteString("false")
	}
}

func (g *gen) junction(b *strings.Builder, l []ir.BoolExp, op, empty string, s scope) {
	switch len(l) {
	case 0:
		b.WriteString(empty)
		return
	case 1:
		g.boolExp(b, l[0], s)
		return
	}
	b.WriteByte('(')
	for i, e := range l {
		if i > 0 {
			b.WriteString(op)
		}
		g.boolExp(b, e, s)
	}
	b.WriteByte(')')
}

// correlate writes the join condition of rel between the outer row and the
// target row.
func (g *gen) correlate(b *strings.Builder, rel ir.Relationship, outer, inner string) {
	if len(rel.Mapping) == 0 {
		b.WriteString("true")
		return
	}
	for i, m := range rel.Mapping {
		if i > 0 {
			b.WriteString(" AND ")
		}
		col(b, inner, m.Inner)
		b.WriteString(" = ")
		col(b, outer, m.Outer)
	}
}

// operand writes the left side of a comparison and returns its type.
func (g *gen) operand(b *strings.Builder, o ir.Operand, cur string) string {
	switch x := o.(type) {
	case ir.ColumnOp:
		if x.Cast != "" {
			if !validType(x.Cast) {
				g.fail(errorf("invalid type name %q", x.Cast))
				return ""
			}
			b.WriteByte('(')
			g.visible(b, x.Visible, cur, func() { col(b, cur, x.Name) })
			b.WriteString(")::")
			b.WriteString(x.Cast)
			return x.Cast
		}
		g.visible(b, x.Visible, cur, func() { col(b, cur, x.Name) })
		return x.Type
	case *ir.ColumnOp:
		return g.operand(b, *x, cur)
	case ir.ComputedOp:
		g.visible(b, x.Visible, cur, func() { g.call(b, x.Function, x.Args, cur, true) })
		return x.Type
	case *ir.ComputedOp:
		return g.operand(b, *x, cur)
	}
	g.fail(errorf("unknown operand %T", o))
	b.WriteString("NULL")
	return ""
}

// call writes fn(args): a RowArg argument is the row alias; with rowFirst,
// the row is passed first when no argument is marked RowArg.
func (g *gen) call(b *strings.Builder, fn ir.Table, args []ir.Arg, row string, rowFirst bool) {
	writeTable(b, fn)
	b.WriteByte('(')
	n := 0
	if rowFirst {
		marked := false
		for _, a := range args {
			if a.RowArg {
				marked = true
				break
			}
		}
		if !marked {
			b.WriteString(row)
			n++
		}
	}
	for _, a := range args {
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		if a.Name != "" {
			writeIdent(b, a.Name)
			b.WriteString(" => ")
		}
		if a.RowArg {
			b.WriteString(row)
			continue
		}
		if a.Value == nil {
			b.WriteString("NULL")
			continue
		}
		g.param(b, a.Value, "")
	}
	b.WriteByte(')')
}

var binaryOps = map[ir.CompareOp]string{
	ir.OpEq: " = ", ir.OpNeq: " <> ", ir.OpGt: " > ", ir.OpLt: " < ", ir.OpGte: " >= ", ir.OpLte: " <= ",
	ir.OpCeq: " = ", ir.OpCneq: " <> ", ir.OpCgt: " > ", ir.OpClt: " < ", ir.OpCgte: " >= ", ir.OpClte: " <= ",
	ir.OpLike: " LIKE ", ir.OpNlike: " NOT LIKE ", ir.OpIlike: " ILIKE ", ir.OpNilike: " NOT ILIKE ",
	ir.OpSimilar: " SIMILAR TO ", ir.OpNsimilar: " NOT SIMILAR TO ",
	ir.OpRegex: " ~ ", ir.OpNregex: " !~ ", ir.OpIregex: " ~* ", ir.OpNiregex: " !~* ",
	ir.OpContains: " @> ", ir.OpContainedIn: " <@ ",
	ir.OpHasKey: " ? ", ir.OpHasKeysAny: " ?| ", ir.OpHasKeysAll: " ?& ",
}

var stFuncs = map[ir.CompareOp]string{
	ir.OpSTContains: "ST_Contains", ir.OpSTCrosses: "ST_Crosses", ir.OpSTEquals: "ST_Equals",
	ir.OpSTIntersects: "ST_Intersects", ir.OpSTOverlaps: "ST_Overlaps", ir.OpSTTouches: "ST_Touches",
	ir.OpSTWithin: "ST_Within", ir.OpSTIntersectsRast: "ST_Intersects",
}

// rightType is the type a comparison's value is cast to when the value
// carries none.
func rightType(op ir.CompareOp, left string) string {
	switch op {
	case ir.OpLike, ir.OpNlike, ir.OpIlike, ir.OpNilike, ir.OpSimilar, ir.OpNsimilar,
		ir.OpRegex, ir.OpNregex, ir.OpIregex, ir.OpNiregex, ir.OpHasKey:
		return "text"
	case ir.OpHasKeysAny, ir.OpHasKeysAll:
		return "text[]"
	case ir.OpIn, ir.OpNin:
		if left != "" && !strings.HasSuffix(left, "[]") {
			return left + "[]"
		}
	}
	return left
}

func (g *gen) compare(b *strings.Builder, c ir.Compare, s scope) {
	if fn, ok := stFuncs[c.Op]; ok {
		b.WriteString(fn)
		b.WriteByte('(')
		lt := g.operand(b, c.Left, s.cur)
		b.WriteString(", ")
		g.right(b, c.Right, lt, s)
		b.WriteByte(')')
		return
	}
	if c.Op == ir.OpSTDWithin {
		d, ok := c.Right.(ir.DWithin)
		if p, isPtr := c.Right.(*ir.DWithin); isPtr {
			d, ok = *p, true
		}
		if !ok {
			g.fail(errorf("_st_d_within needs a DWithin, got %T", c.Right))
			b.WriteString("false")
			return
		}
		b.WriteString("ST_DWithin(")
		lt := g.operand(b, c.Left, s.cur)
		b.WriteString(", ")
		g.param(b, d.From, lt)
		b.WriteString(", ")
		g.param(b, d.Distance, "double precision")
		if d.UseSpheroid != nil {
			b.WriteString(", ")
			g.param(b, d.UseSpheroid, "boolean")
		}
		b.WriteByte(')')
		return
	}
	b.WriteByte('(')
	lt := g.operand(b, c.Left, s.cur)
	c.Right = operatorTyped(c.Op, c.Right)
	switch c.Op {
	case ir.OpIn:
		b.WriteString(" = ANY(")
		g.right(b, c.Right, rightType(c.Op, lt), s)
		b.WriteString("))")
		return
	case ir.OpNin:
		b.WriteString(" <> ALL(")
		g.right(b, c.Right, rightType(c.Op, lt), s)
		b.WriteString("))")
		return
	}
	op, ok := binaryOps[c.Op]
	if !ok {
		g.fail(errorf("unknown comparison operator %q", c.Op))
		op = " = "
	}
	b.WriteString(op)
	g.right(b, c.Right, rightType(c.Op, lt), s)
	b.WriteByte(')')
}

// right writes the right side of a comparison: a value, a column of the
// current row or a column of the root row.
func (g *gen) right(b *strings.Builder, r any, typ string, s scope) {
	switch x := r.(type) {
	case ir.ColumnOp:
		g.operand(b, x, s.cur)
	case *ir.ColumnOp:
		g.operand(b, *x, s.cur)
	case ir.RootColumnOp:
		col(b, s.root, x.Name)
	case *ir.RootColumnOp:
		col(b, s.root, x.Name)
	case ir.Value:
		g.param(b, x, typ)
	case nil:
		b.WriteString("NULL")
	default:
		g.fail(errorf("unknown comparison value %T", r))
		b.WriteString("NULL")
	}
}

func (g *gen) aggregatePredicate(b *strings.Builder, p ir.AggregatePredicate, s scope) {
	a := g.alias()
	b.WriteString("((SELECT ")
	switch p.Function {
	case "count":
		b.WriteString("count(")
		if len(p.Columns) == 0 {
			b.WriteByte('*')
		} else {
			if p.Distinct {
				b.WriteString("DISTINCT ")
			}
			g.countColumns(b, a, p.Columns, p.Visible)
		}
		b.WriteByte(')')
	case "bool_and", "bool_or":
		b.WriteString(p.Function)
		b.WriteByte('(')
		if len(p.Columns) != 1 {
			g.fail(errorf("%s needs one column", p.Function))
		} else {
			g.countColumns(b, a, p.Columns, p.Visible)
		}
		b.WriteByte(')')
	default:
		g.fail(errorf("unknown aggregate predicate function %q", p.Function))
		b.WriteString("NULL")
	}
	b.WriteString(" FROM ")
	g.relation(b, p.Rel.Target)
	b.WriteString(" AS ")
	b.WriteString(a)
	b.WriteString(" WHERE ")
	g.correlate(b, p.Rel, s.cur, a)
	if p.Filter != nil {
		b.WriteString(" AND ")
		g.boolExp(b, p.Filter, scope{cur: a, root: s.root})
	}
	b.WriteByte(')')
	op, ok := binaryOps[p.Op]
	if !ok {
		g.fail(errorf("unknown aggregate comparison %q", p.Op))
		op = " = "
	}
	b.WriteString(op)
	vt := p.ValueType
	if vt == "" {
		if p.Function == "count" {
			vt = "bigint"
		} else {
			vt = "boolean"
		}
	}
	g.param(b, p.Value, vt)
	b.WriteByte(')')
}

// columnList writes one column, or a row of several: (a."x", a."y").
func (g *gen) columnList(b *strings.Builder, alias string, cols []string) {
	if len(cols) == 1 {
		col(b, alias, cols[0])
		return
	}
	b.WriteByte('(')
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		col(b, alias, c)
	}
	b.WriteByte(')')
}

// operatorTyped fixes the type of values whose operator decides it: _in and
// _nin take an array of the value's type, _has_key text and _has_keys_any
// and _has_keys_all text[].
func operatorTyped(op ir.CompareOp, r any) any {
	v, ok := r.(ir.Value)
	if !ok {
		return r
	}
	t := valueType(v)
	switch op {
	case ir.OpIn, ir.OpNin:
		if t != "" && !strings.HasSuffix(t, "[]") {
			return forceType(v, t+"[]")
		}
	case ir.OpHasKey:
		if t != "" && t != "text" {
			return forceType(v, "text")
		}
	case ir.OpHasKeysAny, ir.OpHasKeysAll:
		if t != "" && t != "text[]" {
			return forceType(v, "text[]")
		}
	}
	return r
}
