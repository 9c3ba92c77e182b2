package metadata

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
)

// whereExp turns a v1 "where" boolean expression on table t into IR. It
// runs with admin rights: session variables are not substituted.
func (o *opCtx) whereExp(s *Source, t *Table, v any, path string, depth int) (ir.BoolExp, error) {
	if depth > 64 {
		return nil, apierr.New(apierr.ValidationFailed, "boolean expression is nested too deeply").WithPath(path)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, apierr.Newf(apierr.ParseFailed, "expected Object, but encountered %s", jsonKind(v)).WithPath(path)
	}
	ct := o.cat.Tables[t.Table.qname()]
	var and ir.And
	for _, k := range sortedKeys(obj) {
		val := obj[k]
		kp := path + "." + k
		switch strings.Replace(k, "$", "_", 1) {
		case "_and", "_or":
			list, ok := val.([]any)
			if !ok {
				return nil, apierr.Newf(apierr.ParseFailed, "expected Array, but encountered %s", jsonKind(val)).WithPath(kp)
			}
			var parts []ir.BoolExp
			for i, e := range list {
				b, err := o.whereExp(s, t, e, fmt.Sprintf("%s[%d]", kp, i), depth+1)
				if err != nil {
					return nil, err
				}
				parts = append(parts, b)
			}
			if strings.HasSuffix(k, "and") {
				and = append(and, ir.And(parts))
			} else {
				and = append(and, ir.Or(parts))
			}
			continue
		case "_not":
			b, err := o.whereExp(s, t, val, kp, depth+1)
			if err != nil {
				return nil, err
			}
			and = append(and, ir.Not{Exp: b})
			continue
		}
		if col := ct.Column(k); col != nil {
			b, err := compareExp(col.Name, col.Type.Name, val, kp)
			if err != nil {
				return nil, err
			}
			and = append(and, b)
			continue
		}
		rel, target, _ := o.resolveRel(s, t, ct, k)
		if target == nil {
			return nil, apierr.Newf(apierr.NotExists, "%s does not exist", q(k)).WithPath(kp)
		}
		b, err := o.whereExp(s, target, val, kp, depth+1)
		if err != nil {
			return nil, err
		}
		and = append(and, ir.RelExists{Rel: rel, Where: b})
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

// compareExp is the comparisons applied to one column; a bare value means _eq.
func compareExp(col, typ string, v any, path string) (ir.BoolExp, error) {
	left := ir.ColumnOp{Name: col, Type: typ}
	ops, ok := v.(map[string]any)
	if !ok {
		return ir.Compare{Left: left, Op: ir.OpEq, Right: ir.Literal{Val: v, Type: typ}}, nil
	}
	var and ir.And
	for _, op := range sortedKeys(ops) {
		val := ops[op]
		name := strings.Replace(op, "$", "_", 1)
		switch name {
		case "_is_null":
			b, ok := val.(bool)
			if !ok {
				return nil, apierr.New(apierr.ParseFailed, "expected Boolean").WithPath(path + "." + op)
			}
			and = append(and, ir.IsNull{Left: left, IsNull: b})
		case "_in", "_nin":
			if _, ok := val.([]any); !ok {
				return nil, apierr.New(apierr.ParseFailed, "expected Array").WithPath(path + "." + op)
			}
			and = append(and, ir.Compare{Left: left, Op: ir.CompareOp(name), Right: ir.Literal{Val: val, Type: typ + "[]"}})
		case "_ne":
			and = append(and, ir.Compare{Left: left, Op: ir.OpNeq, Right: ir.Literal{Val: val, Type: typ}})
		case "_eq", "_neq", "_gt", "_lt", "_gte", "_lte", "_like", "_nlike", "_ilike", "_nilike", "_similar", "_nsimilar",
			"_regex", "_nregex", "_iregex", "_niregex", "_contains", "_contained_in":
			and = append(and, ir.Compare{Left: left, Op: ir.CompareOp(name), Right: ir.Literal{Val: val, Type: typ}})
		case "_has_key":
			and = append(and, ir.Compare{Left: left, Op: ir.OpHasKey, Right: ir.Literal{Val: val, Type: "text"}})
		case "_has_keys_any", "_has_keys_all":
			and = append(and, ir.Compare{Left: left, Op: ir.CompareOp(name), Right: ir.Literal{Val: val, Type: "text[]"}})
		default:
			return nil, apierr.Newf(apierr.ParseFailed, "unknown operator %q", op).WithPath(path)
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

// parseWhere decodes and translates an optional where argument.
func (o *opCtx) parseWhere(s *Source, t *Table, raw json.RawMessage, path string) (ir.BoolExp, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var v any
	if err := decodeValue(raw, &v); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "invalid boolean expression").WithPath(path)
	}
	return o.whereExp(s, t, v, path, 0)
}

// parseOrderBy decodes v1 order_by: "+col", "-col", "col", or
// {"column", "type": "asc"|"desc", "nulls": "first"|"last"}, alone or in a list.
func parseOrderBy(raw json.RawMessage, cols func(string) bool, path string) ([]ir.OrderBy, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		items = []json.RawMessage{raw}
	}
	var out []ir.OrderBy
	for i, it := range items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		var ob ir.OrderBy
		var col string
		var str string
		if json.Unmarshal(it, &str) == nil {
			switch {
			case strings.HasPrefix(str, "+"):
				col = str[1:]
			case strings.HasPrefix(str, "-"):
				col, ob.Desc = str[1:], true
			default:
				col = str
			}
		} else {
			var o struct {
				Column string `json:"column"`
				Type   string `json:"type"`
				Nulls  string `json:"nulls"`
			}
			if err := decodeStrict(it, &o, ip); err != nil {
				return nil, err
			}
			col, ob.Desc = o.Column, o.Type == "desc"
			switch o.Nulls {
			case "first":
				ob.NullsFirst = true
			case "last", "":
			default:
				return nil, apierr.Newf(apierr.ParseFailed, "unexpected nulls %q", o.Nulls).WithPath(ip)
			}
			if o.Nulls == "" && ob.Desc {
				ob.NullsFirst = true
			}
			ob.Expr = ir.OrderColumn{Name: col}
			if !cols(col) {
				return nil, apierr.Newf(apierr.NotExists, "column %s does not exist", q(col)).WithPath(ip)
			}
			out = append(out, ob)
			continue
		}
		if !cols(col) {
			return nil, apierr.Newf(apierr.NotExists, "column %s does not exist", q(col)).WithPath(ip)
		}
		ob.NullsFirst = ob.Desc
		ob.Expr = ir.OrderColumn{Name: col}
		out = append(out, ob)
	}
	return out, nil
}
