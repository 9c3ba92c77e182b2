package sqlgen

import (
	"strconv"
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// Mutation compiles one root mutation field into one statement returning one
// row: the field's JSON value and a boolean saying whether every permission
// check held (see the package documentation). update_<t>_many fields
// (MutationRoot.Updates) with more than one update need MutationSteps.
func Mutation(r *ir.MutationRoot) (Statement, error) {
	if r == nil {
		return Statement{}, errorf("nil mutation")
	}
	m := &mutation{gen: &gen{}}
	switch {
	case r.Insert != nil:
		m.insertRoot(r.Insert)
	case r.Update != nil:
		m.update(r.Update)
	case r.Delete != nil:
		m.delete(r.Delete)
	case len(r.Updates) == 1:
		m.update(r.Updates[0])
	case r.Updates != nil:
		return Statement{}, errorf("update_many with %d updates needs MutationSteps", len(r.Updates))
	default:
		return Statement{}, errorf("mutation %q does nothing", r.Alias)
	}
	if m.err != nil {
		return Statement{}, m.err
	}
	return Statement{SQL: m.finish(), Params: m.params}, nil
}

// MutationSteps compiles a root mutation field into the statements the engine
// runs in order, in one transaction. It is one statement, except for
// update_<t>_many, whose updates must each see the previous ones' effects:
// one statement per update, and the field's value is the JSON array of their
// results, in order. Every statement has Mutation's two output columns.
func MutationSteps(r *ir.MutationRoot) ([]Statement, error) {
	if r == nil || r.Updates == nil {
		st, err := Mutation(r)
		if err != nil {
			return nil, err
		}
		return []Statement{st}, nil
	}
	out := make([]Statement, 0, len(r.Updates))
	for _, u := range r.Updates {
		st, err := Mutation(&ir.MutationRoot{Alias: r.Alias, Update: u})
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// mutation is the state of one mutation statement: its CTEs, the CTEs whose
// rows are the field's rows, the checks to evaluate and the output.
type mutation struct {
	*gen
	ctes   strings.Builder
	ncte   int
	all    []string // every data-modifying CTE (affected_rows counts them all)
	root   []string // the CTEs holding the root field's rows, in order
	checks []pendingCheck
	output ir.MutationOutput
	// required are CTEs of upserts (on_conflict) that nested inserts depend
	// on: each must have written a row.
	required []string
}

// pendingCheck is a permission check on the rows of one CTE, compiled after
// every CTE is known so that it sees rows inserted in the same statement.
type pendingCheck struct {
	cte    string
	check  ir.BoolExp
	upsert ir.BoolExp // update check for rows an upsert updated
	hasIns bool       // the CTE has the "ins" column (xmax = 0)
}

func (m *mutation) cteName(kind byte) string {
	n := string([]byte{'_', kind}) + strconv.Itoa(m.ncte)
	m.ncte++
	return n
}

func (m *mutation) startCTE(name string) {
	if m.ctes.Len() == 0 {
		m.ctes.WriteString("WITH ")
	} else {
		m.ctes.WriteString(", ")
	}
	m.ctes.WriteString(name)
	m.ctes.WriteString(" AS (")
}

// finish writes the statement: the CTEs, then the output and the check.
func (m *mutation) finish() string {
	var b strings.Builder
	b.Grow(m.ctes.Len() + 512)
	b.WriteString(m.ctes.String())
	b.WriteString(" SELECT ")
	m.writeOutput(&b)
	b.WriteString(" AS result, ")
	if len(m.required) > 0 {
		// NULL when an upsert that nested rows depend on wrote no row
		b.WriteString("CASE WHEN ")
		for i, c := range m.required {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString("EXISTS (SELECT 1 FROM ")
			b.WriteString(c)
			b.WriteByte(')')
		}
		b.WriteString(" THEN ")
		m.writeChecks(&b)
		b.WriteString(" END")
	} else {
		m.writeChecks(&b)
	}
	b.WriteString(" AS check_ok")
	return b.String()
}

// rootRows is the FROM item text of the root field's rows.
func (m *mutation) rootRows() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range m.root {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT (r).* FROM ")
		b.WriteString(c)
	}
	b.WriteByte(')')
	return b.String()
}

func (m *mutation) writeOutput(b *strings.Builder) {
	out := m.output
	if out.Single {
		b.WriteString("coalesce((")
		m.rowsFrom(b, &ir.Select{Fields: out.Row, Single: true}, parentRow{}, m.rootRows())
		b.WriteString("), 'null'::json)")
		return
	}
	b.WriteString("json_build_object(")
	for i, f := range out.Response {
		if i > 0 {
			b.WriteString(", ")
		}
		writeLiteral(b, f.Alias)
		b.WriteString(", ")
		switch {
		case f.AffectedRows:
			m.affectedRows(b)
		case f.Const != nil:
			writeLiteral(b, *f.Const)
			b.WriteString("::text")
		default:
			b.WriteByte('(')
			m.rowsFrom(b, &ir.Select{Fields: f.Returning}, parentRow{}, m.rootRows())
			b.WriteByte(')')
		}
	}
	b.WriteByte(')')
}

// affectedRows counts the rows of every data-modifying CTE.
func (m *mutation) affectedRows(b *strings.Builder) {
	if len(m.all) == 0 {
		b.WriteByte('0')
		return
	}
	for i, c := range m.all {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString("(SELECT count(*) FROM ")
		b.WriteString(c)
		b.WriteByte(')')
	}
}

// writeChecks writes the conjunction of every permission check over the
// rows it applies to (true when there is none).
func (m *mutation) writeChecks(b *strings.Builder) {
	n := 0
	for _, pc := range m.checks {
		if pc.check == nil && pc.upsert == nil {
			continue
		}
		if n > 0 {
			b.WriteString(" AND ")
		}
		n++
		x, c := m.alias(), m.alias()
		b.WriteString("(SELECT coalesce(bool_and(")
		s := scope{cur: c, root: c}
		if pc.hasIns {
			b.WriteString("CASE WHEN ")
			b.WriteString(x)
			b.WriteString(".ins THEN ")
			m.boolExp(b, pc.check, s)
			b.WriteString(" ELSE ")
			m.boolExp(b, pc.upsert, s)
			b.WriteString(" END")
		} else {
			m.boolExp(b, pc.check, s)
		}
		b.WriteString("), true) FROM ")
		b.WriteString(pc.cte)
		b.WriteString(" AS ")
		b.WriteString(x)
		b.WriteString(" CROSS JOIN LATERAL (SELECT (")
		b.WriteString(x)
		b.WriteString(".r).*) AS ")
		b.WriteString(c)
		b.WriteByte(')')
	}
	if n == 0 {
		b.WriteString("true")
	}
}

// ---------------------------------------------------------------------------
// Insert

func (m *mutation) insertRoot(ins *ir.Insert) {
	m.output = ins.Output
	m.root = m.insert(ins, nil)
}

// overrides gives, per row index, SQL text for columns whose values come
// from rows inserted by another CTE of the statement (nested inserts).
type overrides map[int]map[string]string

func (o overrides) set(row int, column, expr string) {
	if o[row] == nil {
		o[row] = map[string]string{}
	}
	o[row][column] = expr
}

// insert writes the CTEs for ins (and its nested inserts) and returns the
// CTEs holding its own rows, in row order. Object relationships are inserted
// before the row that points to them, array relationships after the row they
// point to; a row with array relationships gets its own CTE so that its
// children can refer to it.
func (m *mutation) insert(ins *ir.Insert, over overrides) []string {
	if over == nil {
		over = overrides{}
	}
	for _, n := range ins.Nested {
		if !n.Object || n.Insert == nil {
			continue
		}
		child := m.insert(n.Insert, nil)
		if len(child) == 0 {
			continue
		}
		for _, mp := range n.Rel.Mapping {
			over.set(n.RowIndex, mp.Outer, "(SELECT (r)."+QuoteIdent(mp.Inner)+" FROM "+child[0]+" LIMIT 1)")
		}
		if n.Insert.OnConflict != nil {
			m.required = append(m.required, child[0])
		}
	}
	// a row of defaults only has no column to write DEFAULT into, so
	// each such row gets its own DEFAULT VALUES insert
	perRow := len(insertColumns(ins, over)) == 0 && len(ins.Rows) > 1
	for _, n := range ins.Nested {
		if !n.Object {
			perRow = true
		}
	}
	columns := insertColumns(ins, over)
	var names []string
	if perRow {
		for i := range ins.Rows {
			names = append(names, m.insertCTE(ins, columns, over, i, i+1))
		}
	} else {
		names = []string{m.insertCTE(ins, columns, over, 0, len(ins.Rows))}
	}
	for _, n := range ins.Nested {
		if n.Object || n.Insert == nil {
			continue
		}
		if n.RowIndex < 0 || n.RowIndex >= len(names) {
			m.fail(errorf("nested insert for row %d of %d", n.RowIndex, len(names)))
			continue
		}
		parent := names[n.RowIndex]
		if ins.OnConflict != nil {
			m.required = append(m.required, parent)
		}
		childOver := overrides{}
		for r := range n.Insert.Rows {
			for _, mp := range n.Rel.Mapping {
				childOver.set(r, mp.Inner, "(SELECT (r)."+QuoteIdent(mp.Outer)+" FROM "+parent+")")
			}
		}
		m.insert(n.Insert, childOver)
	}
	return names
}

// insertColumns is the inserted columns plus those only nested inserts set.
func insertColumns(ins *ir.Insert, over overrides) []ir.InsertColumn {
	columns := ins.Columns
	for _, row := range over {
		for c := range row {
			found := false
			for _, ic := range columns {
				if ic.Name == c {
					found = true
					break
				}
			}
			if !found {
				if len(columns) == len(ins.Columns) {
					columns = append([]ir.InsertColumn(nil), ins.Columns...)
				}
				columns = append(columns, ir.InsertColumn{Name: c})
			}
		}
	}
	if len(columns) > len(ins.Columns) {
		// keep the added columns in a stable order
		extra := columns[len(ins.Columns):]
		sortColumns(extra)
	}
	return columns
}

func sortColumns(c []ir.InsertColumn) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].Name < c[j-1].Name; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// insertCTE writes one INSERT CTE for rows [from, to) of ins.
func (m *mutation) insertCTE(ins *ir.Insert, columns []ir.InsertColumn, over overrides, from, to int) string {
	name := m.cteName('i')
	m.startCTE(name)
	b := &m.ctes
	if from >= to {
		// no rows: an empty set of the table's rows
		b.WriteString("SELECT _t AS r FROM ")
		writeTable(b, ins.Table)
		b.WriteString(" AS _t WHERE false)")
		m.all = append(m.all, name)
		return name
	}
	b.WriteString("INSERT INTO ")
	writeTable(b, ins.Table)
	b.WriteString(" AS _t")
	if len(columns) > 0 {
		b.WriteString(" (")
		for i, c := range columns {
			if i > 0 {
				b.WriteString(", ")
			}
			writeIdent(b, c.Name)
		}
		b.WriteString(") VALUES ")
		for r := from; r < to; r++ {
			if r > from {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			row := ins.Rows[r]
			for i, c := range columns {
				if i > 0 {
					b.WriteString(", ")
				}
				if expr, ok := over[r][c.Name]; ok {
					b.WriteString(expr)
					continue
				}
				if i >= len(row) || row[i] == nil || i >= len(ins.Columns) {
					b.WriteString("DEFAULT")
					continue
				}
				m.param(b, columnTyped(row[i], c.Type), "")
			}
			b.WriteByte(')')
		}
	} else {
		b.WriteString(" DEFAULT VALUES")
	}
	hasIns := false
	if oc := ins.OnConflict; oc != nil {
		b.WriteString(" ON CONFLICT ON CONSTRAINT ")
		writeIdent(b, oc.Constraint)
		if len(oc.UpdateColumns) == 0 {
			b.WriteString(" DO NOTHING")
		} else {
			b.WriteString(" DO UPDATE SET ")
			for i, c := range oc.UpdateColumns {
				if i > 0 {
					b.WriteString(", ")
				}
				writeIdent(b, c)
				b.WriteString(" = EXCLUDED.")
				writeIdent(b, c)
			}
			if oc.Where != nil {
				b.WriteString(" WHERE ")
				m.boolExp(b, oc.Where, scope{cur: "_t", root: "_t"})
			}
			hasIns = oc.Check != nil || ins.Check != nil
		}
	}
	b.WriteString(" RETURNING _t AS r")
	if hasIns {
		b.WriteString(", (_t.xmax = 0) AS ins")
	}
	b.WriteByte(')')
	m.all = append(m.all, name)
	if m.written == nil {
		m.written = map[ir.Table][]string{}
	}
	m.written[ins.Table] = append(m.written[ins.Table], name)
	pc := pendingCheck{cte: name, check: ins.Check, hasIns: hasIns}
	if hasIns {
		pc.upsert = ins.OnConflict.Check
		if pc.check == nil {
			pc.check = ir.Const(true)
		}
		if pc.upsert == nil {
			pc.upsert = ir.Const(true)
		}
	}
	m.checks = append(m.checks, pc)
	return name
}

// ---------------------------------------------------------------------------
// Update and delete

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
