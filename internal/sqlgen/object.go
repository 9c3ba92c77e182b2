package sqlgen

import (
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// maxPairs is how many key/value pairs one json_build_object call takes
// (PostgreSQL functions take at most 100 arguments).
const maxPairs = 50

// maxRowKey is the longest column name PostgreSQL keeps: names are
// truncated to NAMEDATALEN-1 bytes.
const maxRowKey = 63

// maxRowColumns is how many entries a select list may hold.
const maxRowColumns = 1664

// rowKeys reports whether the n keys key(i) can be the column names of a
// composite row whose JSON (row_to_json, json_agg) is the object: each is
// non-empty and at most maxRowKey bytes (as written by writeIdent, which
// drops NUL bytes), and no two are equal. Otherwise the object is built
// with json_build_object.
func rowKeys(n int, key func(i int) string) bool {
	if n == 0 || n > maxRowColumns {
		return false
	}
	var seen map[string]struct{}
	if n > 16 {
		seen = make(map[string]struct{}, n)
	}
	for i := 0; i < n; i++ {
		k := rowKey(key(i))
		if k == "" || len(k) > maxRowKey {
			return false
		}
		if seen != nil {
			if _, dup := seen[k]; dup {
				return false
			}
			seen[k] = struct{}{}
			continue
		}
		for j := 0; j < i; j++ {
			if rowKey(key(j)) == k {
				return false
			}
		}
	}
	return true
}

// rowKey is key as writeIdent writes it: without NUL bytes.
func rowKey(k string) string {
	if strings.IndexByte(k, 0) >= 0 {
		return strings.ReplaceAll(k, "\x00", "")
	}
	return k
}

// object writes the JSON object of fields for the row under alias a.
// Relationships add LEFT JOIN LATERAL items to joins; their value is the
// joined item's j column.
//
// The object is a composite row whose column names are the response keys
// (see rowObject), turned to JSON by row_to_json; row_to_json renders each
// value as json_build_object would (the same datum-to-JSON rules), without
// spaces around the colon.
func (g *gen) object(b, joins *strings.Builder, fields []ir.Field, a string) {
	g.rowObject(b, joins, len(fields), func(i int) string { return fields[i].Alias }, func(b *strings.Builder, i int) {
		g.fieldValue(b, joins, fields[i].Value, a)
	}, true)
}

// rowObject writes the object of n pairs, key(i) and the value val(b, i)
// writes. When the keys can be column names (see rowKeys) the object is a
// composite row: a CROSS JOIN LATERAL (SELECT value AS "key", ...) item
// appended to joins after the items the values add to it (relationships,
// nested objects), which the planner pulls up into the query so that the
// row is built in place. rowObject then writes the row's alias, or with
// asJSON row_to_json of it; a row nested in another row is rendered as an
// object by row_to_json and json_agg. Otherwise it writes a json_build_object.
func (g *gen) rowObject(b, joins *strings.Builder, n int, key func(i int) string, val func(b *strings.Builder, i int), asJSON bool) {
	if buildObject(b, n, key, val) {
		return
	}
	e := g.alias()
	var row strings.Builder
	row.WriteString(" CROSS JOIN LATERAL (SELECT ")
	for i := 0; i < n; i++ {
		if i > 0 {
			row.WriteString(", ")
		}
		val(&row, i)
		row.WriteString(" AS ")
		writeIdent(&row, key(i))
	}
	row.WriteString(") AS ")
	row.WriteString(e)
	joins.WriteString(row.String())
	if asJSON {
		b.WriteString("row_to_json(")
		b.WriteString(e)
		b.WriteByte(')')
	} else {
		b.WriteString(e)
	}
}

// buildObject writes the object of n pairs as a json_build_object and
// returns true when its keys cannot be the column names of a row (see
// rowKeys); otherwise it writes nothing and returns false.
func buildObject(b *strings.Builder, n int, key func(i int) string, val func(b *strings.Builder, i int)) bool {
	if rowKeys(n, key) {
		return false
	}
	jsonObject(b, n, func(i int) {
		writeLiteral(b, key(i))
		b.WriteString(", ")
		val(b, i)
	})
	return true
}

// jsonRow writes the JSON object of n pairs whose values read no row of the
// enclosing query (no aggregate, no column): a scalar subquery turning the
// composite row (SELECT value AS "key", ...) into JSON, or json_build_object
// when the keys cannot be column names (see rowKeys). val(b, i) writes the
// i-th value into b.
func (g *gen) jsonRow(b *strings.Builder, n int, key func(i int) string, val func(b *strings.Builder, i int)) {
	if buildObject(b, n, key, val) {
		return
	}
	e := g.alias()
	b.WriteString("(SELECT row_to_json(")
	b.WriteString(e)
	b.WriteString(") FROM (SELECT ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		val(b, i)
		b.WriteString(" AS ")
		writeIdent(b, key(i))
	}
	b.WriteString(") AS ")
	b.WriteString(e)
	b.WriteByte(')')
}

// jsonObject writes a json object of n pairs; pair(i) writes the i-th key
// and value ('key', value). Objects of more than maxPairs pairs are the text
// concatenation of several json_build_object chunks, cast back to json.
func jsonObject(b *strings.Builder, n int, pair func(i int)) {
	chunk := func(from, to int) {
		b.WriteString("json_build_object(")
		for i := from; i < to; i++ {
			if i > from {
				b.WriteString(", ")
			}
			pair(i)
		}
		b.WriteByte(')')
	}
	if n <= maxPairs {
		chunk(0, n)
		return
	}
	b.WriteString("('{' || ")
	for i := 0; i < n; i += maxPairs {
		if i > 0 {
			b.WriteString(" || ', ' || ")
		}
		b.WriteString("left(substr(")
		chunk(i, min(i+maxPairs, n))
		b.WriteString("::text, 2), -1)")
	}
	b.WriteString(" || '}')::json")
}

// fieldValue writes the expression for one output field of the row a.
func (g *gen) fieldValue(b, joins *strings.Builder, v ir.FieldValue, a string) {
	switch x := v.(type) {
	case ir.ColumnField:
		g.columnValue(b, x, a)
	case *ir.ColumnField:
		g.columnValue(b, *x, a)
	case ir.ConstField:
		writeLiteral(b, x.Value)
		b.WriteString("::text")
	case *ir.ConstField:
		writeLiteral(b, x.Value)
		b.WriteString("::text")
	case ir.ObjectRelField:
		g.lateralRows(b, joins, x.Select, parentRow{alias: a, rel: &x.Rel}, true)
	case *ir.ObjectRelField:
		g.lateralRows(b, joins, x.Select, parentRow{alias: a, rel: &x.Rel}, true)
	case ir.ArrayRelField:
		g.lateralRows(b, joins, x.Select, parentRow{alias: a, rel: &x.Rel}, false)
	case *ir.ArrayRelField:
		g.lateralRows(b, joins, x.Select, parentRow{alias: a, rel: &x.Rel}, false)
	case ir.ComputedSetField:
		g.lateralRows(b, joins, x.Select, parentRow{alias: a}, x.Select != nil && x.Select.Single)
	case *ir.ComputedSetField:
		g.lateralRows(b, joins, x.Select, parentRow{alias: a}, x.Select != nil && x.Select.Single)
	case ir.ArrayAggregateField:
		g.lateralAggregate(b, joins, x.Aggregate, parentRow{alias: a, rel: &x.Rel})
	case *ir.ArrayAggregateField:
		g.lateralAggregate(b, joins, x.Aggregate, parentRow{alias: a, rel: &x.Rel})
	case ir.ComputedScalarField:
		g.encoded(b, x.Encoding, func() {
			g.visible(b, x.Visible, a, func() { g.call(b, x.Op.Function, x.Op.Args, a, true) })
		})
	case *ir.ComputedScalarField:
		g.fieldValue(b, joins, *x, a)
	default:
		g.fail(errorf("unknown field kind %T", v))
		b.WriteString("NULL")
	}
}

func (g *gen) columnValue(b *strings.Builder, c ir.ColumnField, a string) {
	if c.JSONPath != "" {
		path, err := parseJSONPath(c.JSONPath)
		if err != nil {
			g.fail(err)
			return
		}
		g.visible(b, c.Visible, a, func() {
			b.WriteByte('(')
			col(b, a, c.Name)
			b.WriteString(" #> ")
			g.param(b, ir.Literal{Val: path, Type: "text[]"}, "")
			b.WriteByte(')')
		})
		return
	}
	g.encoded(b, c.Encoding, func() { g.visible(b, c.Visible, a, func() { col(b, a, c.Name) }) })
}

// visible writes expr, or when cond is set, expr on the rows of a matching
// cond and NULL on the others.
func (g *gen) visible(b *strings.Builder, cond ir.BoolExp, a string, expr func()) {
	if cond == nil {
		expr()
		return
	}
	b.WriteString("CASE WHEN ")
	g.boolExp(b, cond, scope{cur: a, root: a})
	b.WriteString(" THEN ")
	expr()
	b.WriteString(" ELSE NULL END")
}

// encoded writes the expression expr under encoding e.
func (g *gen) encoded(b *strings.Builder, e ir.Encoding, expr func()) {
	switch e {
	case ir.EncodeText:
		b.WriteByte('(')
		expr()
		b.WriteString(")::text")
	case ir.EncodeGeoJSON:
		b.WriteString("ST_AsGeoJSON(")
		expr()
		b.WriteString(", 15, 4)::json")
	default:
		expr()
	}
}

// lateralRows joins a nested selection laterally to the row and writes its
// value (the joined item's j column).
func (g *gen) lateralRows(b, joins *strings.Builder, sel *ir.Select, p parentRow, single bool) {
	if sel == nil {
		g.fail(errorf("relationship field without a selection"))
		b.WriteString("NULL")
		return
	}
	j := g.alias()
	s := *sel
	s.Single = single
	joins.WriteString(" LEFT JOIN LATERAL (")
	g.rows(joins, &s, p)
	joins.WriteString(") AS ")
	joins.WriteString(j)
	joins.WriteString(" ON true")
	b.WriteString(j)
	b.WriteString(".j")
}

func (g *gen) lateralAggregate(b, joins *strings.Builder, agg *ir.Aggregate, p parentRow) {
	if agg == nil {
		g.fail(errorf("aggregate field without a selection"))
		b.WriteString("NULL")
		return
	}
	j := g.alias()
	joins.WriteString(" LEFT JOIN LATERAL (")
	g.aggregate(joins, agg, p)
	joins.WriteString(") AS ")
	joins.WriteString(j)
	joins.WriteString(" ON true")
	b.WriteString(j)
	b.WriteString(".j")
}

// parseJSONPath turns Hasura's JSON path argument ("$.a.b[0]", "a.b", or
// "$['a']") into the text[] path of the #> operator.
func parseJSONPath(p string) ([]any, error) {
	s := strings.TrimPrefix(p, "$")
	var out []any
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
			if strings.HasPrefix(s, "[") {
				continue // ".[0]" and ".['k']" select like "[0]" and "['k']"
			}
			i := strings.IndexAny(s, ".[")
			if i < 0 {
				i = len(s)
			}
			if i == 0 {
				return nil, errorf("invalid JSON path %q", p)
			}
			out = append(out, s[:i])
			s = s[i:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, errorf("invalid JSON path %q", p)
			}
			key := s[1:end]
			if len(key) >= 2 && (key[0] == '\'' || key[0] == '"') && key[len(key)-1] == key[0] {
				key = key[1 : len(key)-1]
			}
			out = append(out, key)
			s = s[end+1:]
		default:
			i := strings.IndexAny(s, ".[")
			if i < 0 {
				i = len(s)
			}
			out = append(out, s[:i])
			s = s[i:]
		}
	}
	return out, nil
}
