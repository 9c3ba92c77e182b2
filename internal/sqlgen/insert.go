package sqlgen

import "github.com/postgate/postgate/internal/ir"

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
			for _, p := range oc.Presets {
				b.WriteString(", ")
				m.setColumn(b, ir.SetColumn{Column: p.Column, Type: p.Type, Op: ir.UpdSet, Value: p.Value})
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
