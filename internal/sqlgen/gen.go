package sqlgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// Statement is one SQL statement and its parameters: Params[i] is what $i+1
// binds (see Args).
type Statement struct {
	SQL    string
	Params []ir.Value
}

// Error is a compile failure: the IR asks for something sqlgen cannot write
// (an unknown node, an unsafe type name). It is a planner bug, never a
// client error.
type Error struct{ Msg string }

// Error returns the message with the package prefix.
func (e *Error) Error() string { return "sqlgen: " + e.Msg }

func errorf(format string, args ...any) *Error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// gen holds the state of one compilation: parameters and table aliases.
type gen struct {
	params []ir.Value
	dedup  map[string]int
	nalias int
	err    error
	// written maps a table to the CTEs holding rows this statement inserts
	// into it, so that reads in the same statement see them.
	written map[ir.Table][]string
	// cohort makes parameters read from the subscriber's argument list
	// (see Cohort) instead of $n.
	cohort bool
}

// relation writes a table to read rows from: the table itself or, when the
// statement inserts into it, the table's rows and the inserted ones.
func (g *gen) relation(b *strings.Builder, t ir.Table) {
	ctes := g.written[t]
	if len(ctes) == 0 {
		writeTable(b, t)
		return
	}
	b.WriteString("(SELECT * FROM ")
	writeTable(b, t)
	for _, c := range ctes {
		b.WriteString(" UNION ALL SELECT (r).* FROM ")
		b.WriteString(c)
	}
	b.WriteByte(')')
}

func (g *gen) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

// alias returns a fresh table alias (_0, _1, ...).
func (g *gen) alias() string {
	a := "_" + strconv.Itoa(g.nalias)
	g.nalias++
	return a
}

// param writes a placeholder for v cast to its type (or to fallback when v
// has none): $n::text::type. Session variables and variables used with the
// same type share one placeholder.
func (g *gen) param(b *strings.Builder, v ir.Value, fallback string) {
	switch x := v.(type) {
	case *ir.Literal:
		v = *x
	case *ir.Variable:
		v = *x
	case *ir.SessionVar:
		v = *x
	}
	typ := valueType(v)
	if typ == "" {
		typ = fallback
		v = withType(v, typ)
	}
	if typ == "" {
		typ = "text"
	}
	if !validType(typ) {
		g.fail(errorf("invalid type name %q", typ))
		typ = "text"
	}
	var key string
	switch x := v.(type) {
	case ir.SessionVar:
		key = "s\x00" + x.Name + "\x00" + typ
	case ir.Variable:
		if len(x.Path) == 0 && x.Default == nil {
			key = "v\x00" + x.Name + "\x00" + typ
		}
	case ir.SessionJSON, *ir.SessionJSON:
		v = ir.SessionJSON{}
		key = "o\x00" + typ
	}
	n := 0
	if key != "" {
		if i, ok := g.dedup[key]; ok {
			n = i
		} else {
			if g.dedup == nil {
				g.dedup = map[string]int{}
			}
			g.params = append(g.params, v)
			n = len(g.params)
			g.dedup[key] = n
		}
	} else {
		g.params = append(g.params, v)
		n = len(g.params)
	}
	if g.cohort {
		b.WriteString("(_subs.a ->> ")
		b.WriteString(strconv.Itoa(n - 1))
		b.WriteByte(')')
	} else {
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
		b.WriteString("::text")
	}
	if typ != "text" {
		if schema, ok := geographyType(typ); ok {
			// through geometry, whose input also reads GeoJSON (with
			// its crs): geography's own input reads only WKT and WKB
			b.WriteString("::")
			b.WriteString(schema)
			b.WriteString("geometry")
		}
		b.WriteString("::")
		b.WriteString(typ)
	}
}

// geographyType reports whether typ is PostGIS's geography (possibly
// schema-qualified, possibly with a type modifier) and returns its schema
// prefix ("public." or "").
func geographyType(typ string) (string, bool) {
	name, schema := typ, ""
	if i := strings.IndexByte(typ, '('); i >= 0 {
		name = typ[:i]
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		schema, name = typ[:i+1], name[i+1:]
	}
	return schema, name == "geography"
}

func valueType(v ir.Value) string {
	switch x := v.(type) {
	case ir.Literal:
		return x.Type
	case ir.Variable:
		return x.Type
	case ir.SessionVar:
		return x.Type
	case *ir.Literal:
		return x.Type
	case *ir.Variable:
		return x.Type
	case *ir.SessionVar:
		return x.Type
	case ir.SessionJSON, *ir.SessionJSON:
		return "json"
	}
	return ""
}

// withType returns v with its type set to typ (values are stored by value
// in Statement.Params, so Args sees the type the SQL casts to).
func withType(v ir.Value, typ string) ir.Value {
	switch x := v.(type) {
	case ir.Literal:
		x.Type = typ
		return x
	case ir.Variable:
		x.Type = typ
		return x
	case ir.SessionVar:
		x.Type = typ
		return x
	case *ir.Literal:
		c := *x
		c.Type = typ
		return c
	case *ir.Variable:
		c := *x
		c.Type = typ
		return c
	case *ir.SessionVar:
		c := *x
		c.Type = typ
		return c
	}
	return v
}

// col writes alias."name".
func col(b *strings.Builder, alias, name string) {
	b.WriteString(alias)
	b.WriteByte('.')
	writeIdent(b, name)
}
