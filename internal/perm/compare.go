package perm

import (
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/schema"
)

// opNames maps every accepted operator spelling to its IR operator.
var opNames = map[string]ir.CompareOp{
	"_eq": ir.OpEq, "$eq": ir.OpEq,
	"_neq": ir.OpNeq, "$neq": ir.OpNeq, "_ne": ir.OpNeq, "$ne": ir.OpNeq,
	"_gt": ir.OpGt, "$gt": ir.OpGt, "_lt": ir.OpLt, "$lt": ir.OpLt,
	"_gte": ir.OpGte, "$gte": ir.OpGte, "_lte": ir.OpLte, "$lte": ir.OpLte,
	"_in": ir.OpIn, "$in": ir.OpIn, "_nin": ir.OpNin, "$nin": ir.OpNin,
	"_like": ir.OpLike, "$like": ir.OpLike, "_nlike": ir.OpNlike, "$nlike": ir.OpNlike,
	"_ilike": ir.OpIlike, "$ilike": ir.OpIlike, "_nilike": ir.OpNilike, "$nilike": ir.OpNilike,
	"_similar": ir.OpSimilar, "$similar": ir.OpSimilar, "_nsimilar": ir.OpNsimilar, "$nsimilar": ir.OpNsimilar,
	"_regex": ir.OpRegex, "$regex": ir.OpRegex, "_nregex": ir.OpNregex, "$nregex": ir.OpNregex,
	"_iregex": ir.OpIregex, "$iregex": ir.OpIregex, "_niregex": ir.OpNiregex, "$niregex": ir.OpNiregex,
	"_contains": ir.OpContains, "$contains": ir.OpContains,
	"_contained_in": ir.OpContainedIn, "$contained_in": ir.OpContainedIn,
	"_has_key": ir.OpHasKey, "$has_key": ir.OpHasKey,
	"_has_keys_any": ir.OpHasKeysAny, "$has_keys_any": ir.OpHasKeysAny,
	"_has_keys_all": ir.OpHasKeysAll, "$has_keys_all": ir.OpHasKeysAll,
	"_ceq": ir.OpCeq, "$ceq": ir.OpCeq, "_cneq": ir.OpCneq, "$cneq": ir.OpCneq,
	"_cgt": ir.OpCgt, "$cgt": ir.OpCgt, "_clt": ir.OpClt, "$clt": ir.OpClt,
	"_cgte": ir.OpCgte, "$cgte": ir.OpCgte, "_clte": ir.OpClte, "$clte": ir.OpClte,
	"_st_contains": ir.OpSTContains, "_st_crosses": ir.OpSTCrosses, "_st_equals": ir.OpSTEquals,
	"_st_intersects": ir.OpSTIntersects, "_st_overlaps": ir.OpSTOverlaps, "_st_touches": ir.OpSTTouches,
	"_st_within": ir.OpSTWithin, "_st_d_within": ir.OpSTDWithin, "_st_intersects_rast": ir.OpSTIntersectsRast,
	"$st_contains": ir.OpSTContains, "$st_crosses": ir.OpSTCrosses, "$st_equals": ir.OpSTEquals,
	"$st_intersects": ir.OpSTIntersects, "$st_overlaps": ir.OpSTOverlaps, "$st_touches": ir.OpSTTouches,
	"$st_within": ir.OpSTWithin, "$st_d_within": ir.OpSTDWithin, "$st_intersects_rast": ir.OpSTIntersectsRast,
}

func isColumnOp(op ir.CompareOp) bool {
	switch op {
	case ir.OpCeq, ir.OpCneq, ir.OpCgt, ir.OpClt, ir.OpCgte, ir.OpClte:
		return true
	}
	return false
}

// comparison parses a <type>_comparison_exp applied to left.
func (e *Env) comparison(left ir.Operand, typ catalog.ColumnType, v any, path string) (ir.BoolExp, error) {
	// A bare value means equality (permission rules written as {"col": value}).
	if _, isObj := v.(Object); !isObj {
		if _, isVar := v.(Var); !isVar || !e.GraphQL {
			return e.compare(left, typ, ir.OpEq, v, path)
		}
	}
	obj, err := e.object(v, path)
	if err != nil {
		return nil, err
	}
	var and ir.And
	for _, m := range obj {
		p := path + "." + m.Name
		var b ir.BoolExp
		switch m.Name {
		case "_is_null", "$is_null":
			r := m.Value
			if x, ok := r.(Var); ok {
				if r, err = e.resolve(x, p); err != nil {
					return nil, err
				}
			}
			isNull, ok := r.(bool)
			if !ok {
				return nil, validation(p, "expected a boolean for _is_null")
			}
			b = ir.IsNull{Left: left, IsNull: isNull}
		case "_cast", "$cast":
			cb, err := e.cast(left, m.Value, p)
			if err != nil {
				return nil, err
			}
			b = cb
		default:
			op, ok := opNames[m.Name]
			if !ok {
				return nil, validation(p, fmt.Sprintf("field %q not found in type: '%s_comparison_exp'", m.Name, ScalarName(typ)))
			}
			if b, err = e.compare(left, typ, op, m.Value, p); err != nil {
				return nil, err
			}
		}
		if b != nil {
			and = append(and, b)
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	if and == nil {
		return ir.And{}, nil
	}
	return and, nil
}

// cast parses _cast: {TargetType: comparison_exp}.
func (e *Env) cast(left ir.Operand, v any, path string) (ir.BoolExp, error) {
	col, ok := left.(ir.ColumnOp)
	if !ok {
		return nil, validation(path, "_cast applies to columns only")
	}
	obj, err := e.object(v, path)
	if err != nil {
		return nil, err
	}
	var and ir.And
	for _, m := range obj {
		to := castType(m.Name)
		c := col
		c.Cast = to
		b, err := e.comparison(c, catalog.ColumnType{Name: to, UDT: to}, m.Value, path+"."+m.Name)
		if err != nil {
			return nil, err
		}
		and = append(and, b)
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func castType(gql string) string {
	switch gql {
	case "String":
		return "text"
	case "Int":
		return "integer"
	case "Float":
		return "double precision"
	case "Boolean":
		return "boolean"
	}
	return gql
}

// ScalarName is the GraphQL scalar name Hasura uses for a column type
// (for messages).
func ScalarName(t catalog.ColumnType) string {
	switch t.UDT {
	case "int4", "int2", "integer":
		return "Int"
	case "text", "varchar", "bpchar", "character varying", "character":
		return "String"
	case "bool", "boolean":
		return "Boolean"
	case "float8", "float4", "double precision", "real":
		return "Float"
	}
	if t.UDT != "" {
		return t.UDT
	}
	return t.Name
}

func (e *Env) compare(left ir.Operand, typ catalog.ColumnType, op ir.CompareOp, v any, path string) (ir.BoolExp, error) {
	if isColumnOp(op) {
		return e.columnCompare(left, op, v, path)
	}
	switch op {
	case ir.OpIn, ir.OpNin:
		return e.compareIn(left, typ, op, v, path)
	case ir.OpSTDWithin:
		return e.dwithin(left, typ, v, path)
	}
	rt := typ.Name
	switch op {
	case ir.OpHasKey:
		rt = "text"
	case ir.OpHasKeysAny, ir.OpHasKeysAll:
		rt = "text[]"
	case ir.OpSTIntersectsRast:
		rt = "raster"
	}
	val, err := e.value(v, rt, typ, path)
	if err != nil || val == nil {
		// A nil value is an omitted input (an absent variable): no condition.
		return nil, err
	}
	return ir.Compare{Left: left, Op: op, Right: val}, nil
}

// compareIn handles _in/_nin. A list naming session variables becomes a
// disjunction (or conjunction) of single comparisons.
func (e *Env) compareIn(left ir.Operand, typ catalog.ColumnType, op ir.CompareOp, v any, path string) (ir.BoolExp, error) {
	arr := typ.Name + "[]"
	if x, ok := v.(Var); ok && x.Path != nil && x.Kind == 's' && e.Resolve != nil {
		// A single value inside a variable where a list is expected: it
		// is read now and wrapped below (GraphQL list coercion).
		r, err := e.Resolve(x)
		if err != nil {
			return nil, err
		}
		v = r
	}
	if list, ok := v.([]any); ok {
		hasSession := false
		for _, it := range list {
			if s, ok := it.(string); ok && e.isSessionVar(s) {
				hasSession = true
			}
		}
		if hasSession {
			single, combine := ir.OpEq, func(b []ir.BoolExp) ir.BoolExp { return ir.Or(b) }
			if op == ir.OpNin {
				single, combine = ir.OpNeq, func(b []ir.BoolExp) ir.BoolExp { return ir.And(b) }
			}
			var parts []ir.BoolExp
			for i, it := range list {
				b, err := e.compare(left, typ, single, it, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				parts = append(parts, b)
			}
			return combine(parts), nil
		}
	}
	val, err := e.value(v, arr, typ, path)
	if err != nil || val == nil {
		return nil, err
	}
	if lit, ok := val.(ir.Literal); ok {
		if _, isList := lit.Val.([]any); !isList && lit.Val != nil {
			if _, isStr := lit.Val.(string); !isStr || e.GraphQL {
				// GraphQL list coercion: a single value is a one-element list.
				lit.Val = []any{lit.Val}
				val = lit
			}
		}
	}
	return ir.Compare{Left: left, Op: op, Right: val}, nil
}

func (e *Env) columnCompare(left ir.Operand, op ir.CompareOp, v any, path string) (ir.BoolExp, error) {
	switch x := v.(type) {
	case string:
		return ir.Compare{Left: left, Op: op, Right: ir.ColumnOp{Name: x}}, nil
	case []any:
		if len(x) == 2 {
			if r, _ := x[0].(string); r == "$" {
				if n, ok := x[1].(string); ok {
					return ir.Compare{Left: left, Op: op, Right: ir.RootColumnOp{Name: n}}, nil
				}
			}
		}
		if len(x) == 1 {
			if n, ok := x[0].(string); ok {
				return ir.Compare{Left: left, Op: op, Right: ir.ColumnOp{Name: n}}, nil
			}
		}
	}
	return nil, validation(path, "expecting a column name or [\"$\", column]")
}

func (e *Env) dwithin(left ir.Operand, typ catalog.ColumnType, v any, path string) (ir.BoolExp, error) {
	obj, err := e.object(v, path)
	if err != nil {
		return nil, err
	}
	var d ir.DWithin
	for _, m := range obj {
		p := path + "." + m.Name
		var err error
		switch m.Name {
		case "from":
			d.From, err = e.value(m.Value, typ.Name, typ, p)
		case "distance":
			d.Distance, err = e.value(m.Value, "double precision", typ, p)
		case "use_spheroid":
			d.UseSpheroid, err = e.value(m.Value, "boolean", typ, p)
		default:
			err = validation(p, fmt.Sprintf("field %q not found in type: 'st_d_within_input'", m.Name))
		}
		if err != nil {
			return nil, err
		}
	}
	if d.From == nil || d.Distance == nil {
		return nil, validation(path, "st_d_within needs from and distance")
	}
	if typ.UDT == "geography" && d.UseSpheroid == nil {
		d.UseSpheroid = ir.Literal{Val: true, Type: "boolean"}
	}
	return ir.Compare{Left: left, Op: ir.OpSTDWithin, Right: d}, nil
}

// value turns an input value into an IR value of Postgres type rt.
func (e *Env) value(v any, rt string, col catalog.ColumnType, path string) (ir.Value, error) {
	switch x := v.(type) {
	case Var:
		if e.Leaf == nil {
			return nil, validation(path, "variables are not allowed here")
		}
		return e.Leaf(x, rt, path)
	case nil:
		return nil, validation(path, fmt.Sprintf("unexpected null value for type '%s'", ScalarName(col)))
	case string:
		if e.isSessionVar(x) {
			return ir.SessionVar{Name: strings.ToLower(x), Type: rt}, nil
		}
		return ir.Literal{Val: x, Type: rt}, nil
	}
	p, err := Plain(v, e.Resolve)
	if err != nil {
		return nil, validation(path, err.Error())
	}
	return ir.Literal{Val: p, Type: rt}, nil
}

// aggregatePredicate parses {count|bool_and|bool_or: {arguments, distinct,
// filter, predicate}} over array relationship r.
func (e *Env) aggregatePredicate(r *schema.Relationship, v any, path string) (ir.BoolExp, error) {
	target, err := e.target(r, path)
	if err != nil {
		return nil, err
	}
	obj, err := e.object(v, path)
	if err != nil {
		return nil, err
	}
	var and ir.And
	for _, m := range obj {
		p := path + "." + m.Name
		spec, err := e.object(m.Value, p)
		if err != nil {
			return nil, err
		}
		ap := ir.AggregatePredicate{Rel: r.IR(), Function: m.Name}
		valType := catalog.ColumnType{Name: "integer", UDT: "int4"}
		switch m.Name {
		case "count":
		case "bool_and", "bool_or":
			valType = catalog.ColumnType{Name: "boolean", UDT: "bool"}
		default:
			return nil, validation(p, fmt.Sprintf("unknown aggregate function %q", m.Name))
		}
		var pred any
		for _, s := range spec {
			sp := p + "." + s.Name
			switch s.Name {
			case "arguments":
				args, err := e.list(s.Value, sp)
				if err != nil {
					return nil, err
				}
				for _, a := range args {
					if x, ok := a.(Var); ok {
						if a, err = e.resolve(x, sp); err != nil {
							return nil, err
						}
					}
					name, _ := a.(string)
					f := e.field(target, name)
					if f == nil || f.Kind != schema.FieldColumn {
						return nil, validation(sp, fmt.Sprintf("column %q not found", name))
					}
					ap.Columns = append(ap.Columns, f.Column.Name)
					vis, err := e.visible(target, f.Column.Name, false)
					if err != nil {
						return nil, err
					}
					if vis != nil && ap.Visible == nil {
						ap.Visible = make([]ir.BoolExp, len(ap.Columns)-1, len(args))
					}
					if ap.Visible != nil {
						ap.Visible = append(ap.Visible, vis)
					}
				}
			case "distinct":
				d := s.Value
				if x, ok := d.(Var); ok {
					if d, err = e.resolve(x, sp); err != nil {
						return nil, err
					}
				}
				ap.Distinct, _ = d.(bool)
			case "filter":
				w, err := e.BoolExp(target, s.Value, sp)
				if err != nil {
					return nil, err
				}
				ap.Filter = w
			case "predicate":
				pred = s.Value
			default:
				return nil, validation(sp, fmt.Sprintf("unknown key %q", s.Name))
			}
		}
		if ap.Filter, err = e.withRelFilter(target, ap.Filter); err != nil {
			return nil, err
		}
		predObj, err := e.object(pred, p+".predicate")
		if err != nil {
			return nil, err
		}
		if len(predObj) == 0 {
			return nil, validation(p, `key "predicate" not found`)
		}
		for _, pm := range predObj {
			op, ok := opNames[pm.Name]
			if !ok || isColumnOp(op) {
				return nil, validation(p+".predicate."+pm.Name, fmt.Sprintf("unknown operator %q", pm.Name))
			}
			rt := valType.Name
			if op == ir.OpIn || op == ir.OpNin {
				rt += "[]"
			}
			val, err := e.value(pm.Value, rt, valType, p+".predicate."+pm.Name)
			if err != nil {
				return nil, err
			}
			one := ap
			one.Op, one.Value, one.ValueType = op, val, rt
			and = append(and, one)
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

// AndAll combines filters with AND, dropping nil (true) members.
func AndAll(bs ...ir.BoolExp) ir.BoolExp {
	var out ir.And
	for _, b := range bs {
		if b == nil {
			continue
		}
		if a, ok := b.(ir.And); ok {
			out = append(out, a...)
			continue
		}
		out = append(out, b)
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// Simplify flattens nested conjunctions and turns an empty conjunction into nil.
func Simplify(b ir.BoolExp) ir.BoolExp {
	switch x := b.(type) {
	case ir.And:
		parts := make([]ir.BoolExp, len(x))
		for i, p := range x {
			parts[i] = Simplify(p)
		}
		return AndAll(parts...)
	case ir.Or:
		out := make(ir.Or, len(x))
		for i, p := range x {
			out[i] = Simplify(p)
			if out[i] == nil {
				out[i] = ir.Const(true)
			}
		}
		return out
	case ir.Not:
		in := Simplify(x.Exp)
		if in == nil {
			in = ir.Const(true)
		}
		return ir.Not{Exp: in}
	}
	return b
}
