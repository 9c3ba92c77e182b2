package plan

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
)

// rows holds the row-source arguments shared by selections and aggregates.
type rows struct {
	where      ir.BoolExp
	orderBy    []ir.OrderBy
	distinctOn []string
	limit      ir.Value
	offset     ir.Value
	permLimit  *int
}

// readRows reads where, order_by, distinct_on, limit and offset of f on t,
// and ANDs the role's filter. args says whether f takes them at all.
func (p *planner) readRows(t *schema.Table, f *field, path string, args bool) (rows, error) {
	var r rows
	pf, err := p.filter(t)
	if err != nil {
		return r, err
	}
	r.where = pf
	if t.Perm.Select != nil && !t.Perm.Select.Admin {
		r.permLimit = t.Perm.Select.Limit
	}
	if !args {
		return r, nil
	}
	if v, ok := p.arg(f, "where"); ok {
		w, err := p.env.BoolExp(t, v, path+".args.where")
		if err != nil {
			return r, err
		}
		r.where = perm.AndAll(r.where, perm.Simplify(w))
	}
	if v, ok := p.arg(f, "order_by"); ok {
		if r.orderBy, err = p.orderBy(t, v, path+".args.order_by"); err != nil {
			return r, err
		}
	}
	if v, ok := p.arg(f, "distinct_on"); ok {
		if r.distinctOn, err = p.distinctOn(t, v, path+".args.distinct_on"); err != nil {
			return r, err
		}
	}
	if len(r.distinctOn) > 0 && len(r.orderBy) > 0 && !distinctMatchesOrder(r.distinctOn, r.orderBy) {
		return r, apierr.New(apierr.ValidationFailed, `"distinct_on" columns must match initial "order_by" columns`).WithPath(path + ".args")
	}
	if v, ok := p.arg(f, "limit"); ok {
		if r.limit, err = p.count(v, path+".args.limit"); err != nil {
			return r, err
		}
	}
	if v, ok := p.arg(f, "offset"); ok {
		if r.offset, err = p.count(v, path+".args.offset"); err != nil {
			return r, err
		}
	}
	return r, nil
}

// count reads a limit or offset: a non-negative integer, null for none.
func (p *planner) count(v any, path string) (ir.Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case perm.Var:
		return p.leaf(x, "integer", path, NonNegative, true), nil
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return nil, apierr.New(apierr.ValidationFailed, "expected an integer").WithPath(path)
		}
		if n < 0 {
			return nil, apierr.New(apierr.NotSupported, "unexpected negative value").WithPath(path)
		}
		return ir.Literal{Val: x, Type: "integer"}, nil
	case string:
		// Only offset gets here (validation rejects a String limit): Hasura
		// takes a 64-bit integer written as a string of decimal digits.
		if _, err := strconv.ParseInt(x, 10, 64); err != nil || !decimalDigits(x) {
			return nil, apierr.New(apierr.ValidationFailed, `expected a 32-bit integer, or a 64-bit integer represented as a string for type "Int", but found a string`).WithPath(path)
		}
		return ir.Literal{Val: json.Number(x), Type: "integer"}, nil
	}
	return nil, apierr.New(apierr.ValidationFailed, "expected an integer").WithPath(path)
}

// decimalDigits reports whether s is a non-empty run of ASCII digits.
func decimalDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *planner) distinctOn(t *schema.Table, v any, path string) ([]string, error) {
	v, err := p.concrete(v)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		list = []any{v}
	}
	var out []string
	for _, e := range list {
		e, err := p.concrete(e)
		if err != nil {
			return nil, err
		}
		name, _ := e.(string)
		c := p.column(t, name)
		if c == nil {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("unexpected value %q for enum: '%s_select_column'", name, t.GQLName)).WithPath(path)
		}
		out = append(out, c.Name)
	}
	return out, nil
}

// column returns the column behind GraphQL field name of t, or nil.
func (p *planner) column(t *schema.Table, name string) *catalog.Column {
	f := t.Fields[name]
	if f == nil || f.Kind != schema.FieldColumn {
		return nil
	}
	return f.Column
}

// selectRows plans a list of rows of t (root list fields, array
// relationships, set-returning functions and computed fields).
func (p *planner) selectRows(t *schema.Table, f *field, path string, from ir.From, args bool) (*ir.Select, error) {
	r, err := p.readRows(t, f, path, args)
	if err != nil {
		return nil, err
	}
	fields, err := p.fields(t, f, path)
	if err != nil {
		return nil, err
	}
	return &ir.Select{
		From: from, Where: r.where, OrderBy: r.orderBy, DistinctOn: r.distinctOn,
		Limit: r.limit, Offset: r.offset, PermLimit: r.permLimit, Fields: fields,
	}, nil
}

// selectByPK plans <t>_by_pk: the row whose primary key equals the
// arguments, if the role may see it.
func (p *planner) selectByPK(t *schema.Table, f *field, path string) (*ir.Select, error) {
	r, err := p.readRows(t, f, path, false)
	if err != nil {
		return nil, err
	}
	if t.Catalog == nil || t.Catalog.PrimaryKey == nil {
		return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("table %q has no primary key", t.Name.String())).WithPath(path)
	}
	where := r.where
	for _, colName := range t.Catalog.PrimaryKey.Columns {
		c := t.Catalog.Column(colName)
		gql := t.ColumnField[colName]
		if gql == "" {
			gql = colName
		}
		ap := path + ".args." + gql
		v, ok := p.arg(f, gql)
		if !ok {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("missing required field '%s'", gql)).WithPath(path + ".args")
		}
		var val ir.Value
		if x, isVar := v.(perm.Var); isVar {
			val = p.leaf(x, c.Type.Name, ap, NotNull, true)
		} else {
			pv, err := perm.Plain(v, p.resolve)
			if err != nil {
				return nil, apierr.New(apierr.ValidationFailed, err.Error()).WithPath(ap)
			}
			val = ir.Literal{Val: pv, Type: c.Type.Name}
		}
		where = perm.AndAll(where, ir.Compare{Left: ir.ColumnOp{Name: c.Name, Type: c.Type.Name}, Op: ir.OpEq, Right: val})
	}
	fields, err := p.fields(t, f, path)
	if err != nil {
		return nil, err
	}
	return &ir.Select{From: ir.From{Table: t.IR()}, Where: where, Fields: fields, Single: true}, nil
}

// fields plans the selection set of an object of table t.
func (p *planner) fields(t *schema.Table, f *field, path string) ([]ir.Field, error) {
	typeName := t.GQLName
	if d := f.first().Definition; d != nil && d.Type != nil {
		typeName = d.Type.Name()
	}
	subs, err := p.collect(f.selections(), typeName)
	if err != nil {
		return nil, err
	}
	out := make([]ir.Field, 0, len(subs))
	for _, s := range subs {
		sp := path + ".selectionSet." + s.alias
		v, err := p.fieldValue(t, typeName, s, sp)
		if err != nil {
			return nil, err
		}
		out = append(out, ir.Field{Alias: s.alias, Value: v})
	}
	return out, nil
}

func (p *planner) fieldValue(t *schema.Table, typeName string, s *field, path string) (ir.FieldValue, error) {
	if s.name() == "__typename" {
		return ir.ConstField{Value: typeName}, nil
	}
	tf := t.Fields[s.name()]
	if tf == nil {
		return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", s.name(), typeName)).WithPath(path)
	}
	switch tf.Kind {
	case schema.FieldColumn:
		cf := ir.ColumnField{Name: tf.Column.Name, Type: tf.Column.Type.Name, Encoding: p.encoding(tf.Column.Type)}
		if v, ok := p.arg(s, "path"); ok {
			v, err := p.concrete(v)
			if err != nil {
				return nil, err
			}
			cf.JSONPath, _ = v.(string)
		}
		vis, err := p.visible(t, tf.Column.Name, false)
		if err != nil {
			return nil, err
		}
		cf.Visible = vis
		return cf, nil
	case schema.FieldObjectRel, schema.FieldArrayRel, schema.FieldArrayAggregate:
		target := tf.Rel.Target
		if target == nil {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", s.name(), typeName)).WithPath(path)
		}
		from := ir.From{Table: target.IR()}
		switch tf.Kind {
		case schema.FieldObjectRel:
			sel, err := p.selectRows(target, s, path, from, false)
			if err != nil {
				return nil, err
			}
			sel.Single, sel.PermLimit = true, nil
			return ir.ObjectRelField{Rel: tf.Rel.IR(), Select: sel}, nil
		case schema.FieldArrayRel:
			sel, err := p.selectRows(target, s, path, from, true)
			if err != nil {
				return nil, err
			}
			return ir.ArrayRelField{Rel: tf.Rel.IR(), Select: sel}, nil
		default:
			a, err := p.aggregate(target, s, path, from)
			if err != nil {
				return nil, err
			}
			return ir.ArrayAggregateField{Rel: tf.Rel.IR(), Aggregate: a}, nil
		}
	case schema.FieldComputedScalar:
		c := tf.Computed
		args, err := p.functionArgs(c.Function, c.SessionArgIndex, c.TableArgIndex, s, path)
		if err != nil {
			return nil, err
		}
		vis, err := p.visible(t, c.Name, true)
		if err != nil {
			return nil, err
		}
		return ir.ComputedScalarField{Op: perm.ComputedOp(c, args), Encoding: p.encoding(c.ReturnType), Visible: vis}, nil
	case schema.FieldComputedSet:
		c := tf.Computed
		if c.Returns == nil {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", s.name(), typeName)).WithPath(path)
		}
		call, err := p.functionCall(c.Function, c.Function.Name, c.SessionArgIndex, c.TableArgIndex, s, path, c)
		if err != nil {
			return nil, err
		}
		sel, err := p.selectRows(c.Returns, s, path, ir.From{Table: c.Returns.IR(), Function: call}, true)
		if err != nil {
			return nil, err
		}
		return ir.ComputedSetField{Select: sel}, nil
	}
	return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("field %q is not supported yet", s.name())).WithPath(path)
}

// encoding says how a value of type t is written into the response.
func (p *planner) encoding(t catalog.ColumnType) ir.Encoding {
	switch t.UDT {
	case "geometry", "geography":
		return ir.EncodeGeoJSON
	case "int8", "numeric", "float8":
		if p.in.StringifyNumeric {
			return ir.EncodeText
		}
	}
	return ir.EncodeDefault
}

// distinctMatchesOrder reports whether the first len(distinct) ordering
// terms are columns, and the distinct_on columns among them (Postgres
// requires DISTINCT ON expressions to lead ORDER BY).
func distinctMatchesOrder(distinct []string, order []ir.OrderBy) bool {
	if len(order) < len(distinct) {
		return false
	}
	initial := map[string]bool{}
	for _, o := range order[:len(distinct)] {
		c, ok := o.Expr.(ir.OrderColumn)
		if !ok {
			return false
		}
		initial[c.Name] = true
	}
	for _, d := range distinct {
		if !initial[d] {
			return false
		}
	}
	return true
}
