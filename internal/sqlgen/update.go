package sqlgen

import (
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

func (m *mutation) update(u *ir.Update) {
	m.output = u.Output
	name := m.cteName('u')
	m.startCTE(name)
	b := &m.ctes
	if len(u.Set) == 0 {
		// nothing to change: no row is affected, as in Hasura
		b.WriteString("SELECT _t AS r FROM ")
		writeTable(b, u.Table)
		b.WriteString(" AS _t WHERE false)")
	} else {
		b.WriteString("UPDATE ")
		writeTable(b, u.Table)
		b.WriteString(" AS _t SET ")
		for i, s := range u.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			m.setColumn(b, s)
		}
		b.WriteString(" WHERE ")
		m.boolExp(b, u.Where, scope{cur: "_t", root: "_t"})
		b.WriteString(" RETURNING _t AS r)")
	}
	m.all = append(m.all, name)
	m.root = []string{name}
	m.checks = append(m.checks, pendingCheck{cte: name, check: u.Check})
}

// setColumn writes one assignment of an update.
func (m *mutation) setColumn(b *strings.Builder, s ir.SetColumn) {
	writeIdent(b, s.Column)
	b.WriteString(" = ")
	cur := func() { col(b, "_t", s.Column) }
	switch s.Op {
	case ir.UpdSet, "":
		if s.Value == nil {
			b.WriteString("NULL")
			return
		}
		m.param(b, columnTyped(s.Value, s.Type), "")
	case ir.UpdInc:
		cur()
		b.WriteString(" + ")
		m.param(b, columnTyped(s.Value, s.Type), "")
	case ir.UpdAppend:
		cur()
		b.WriteString(" || ")
		m.param(b, columnTyped(s.Value, s.Type), "")
	case ir.UpdPrepend:
		m.param(b, columnTyped(s.Value, s.Type), "")
		b.WriteString(" || ")
		cur()
	case ir.UpdDeleteKey:
		cur()
		b.WriteString(" - ")
		m.param(b, forceType(s.Value, "text"), "")
	case ir.UpdDeleteElem:
		cur()
		b.WriteString(" - ")
		m.param(b, forceType(s.Value, "integer"), "")
	case ir.UpdDeleteAtPath:
		cur()
		b.WriteString(" #- ")
		m.param(b, forceType(s.Value, "text[]"), "")
	default:
		m.fail(errorf("unknown update operator %q", s.Op))
	}
}

func (m *mutation) delete(d *ir.Delete) {
	m.output = d.Output
	name := m.cteName('d')
	m.startCTE(name)
	b := &m.ctes
	b.WriteString("DELETE FROM ")
	writeTable(b, d.Table)
	b.WriteString(" AS _t WHERE ")
	m.boolExp(b, d.Where, scope{cur: "_t", root: "_t"})
	b.WriteString(" RETURNING _t AS r)")
	m.all = append(m.all, name)
	m.root = []string{name}
}

// forceType returns v cast to typ whatever type it carries: the operand of
// _delete_key is text, of _delete_elem an integer, of _delete_at_path text[].
func forceType(v ir.Value, typ string) ir.Value {
	switch x := v.(type) {
	case *ir.Literal:
		v = *x
	case *ir.Variable:
		v = *x
	case *ir.SessionVar:
		v = *x
	}
	return withType(v, typ)
}

// columnTyped is v cast to the column's type when it is known: a value
// written into a column is parsed as the column's type (an enum, a domain),
// whatever type the value was given.
func columnTyped(v ir.Value, columnType string) ir.Value {
	if columnType == "" {
		return v
	}
	return forceType(v, columnType)
}
