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
	g := m.gen
	g.jsonRow(b, len(out.Response), func(i int) string { return out.Response[i].Alias }, func(b *strings.Builder, i int) {
		f := out.Response[i]
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
	})
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
