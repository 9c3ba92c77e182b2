package plan

import (
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
)

// direction reads an order_by enum value; ok is false for null (no ordering).
func direction(v any, path string) (desc, nullsFirst, ok bool, err error) {
	switch v {
	case nil:
		return false, false, false, nil
	case "asc", "asc_nulls_last":
		return false, false, true, nil
	case "asc_nulls_first":
		return false, true, true, nil
	case "desc", "desc_nulls_first":
		return true, true, true, nil
	case "desc_nulls_last":
		return true, false, true, nil
	}
	return false, false, false, apierr.New(apierr.ValidationFailed, fmt.Sprintf("unexpected value %v for enum: 'order_by'", v)).WithPath(path)
}

// orderBy reads an order_by argument: a list of <t>_order_by objects (or
// one), each ordering by its keys in written order; null values are skipped.
func (p *planner) orderBy(t *schema.Table, v any, path string) ([]ir.OrderBy, error) {
	v, err := p.concrete(v)
	if err != nil {
		return nil, err
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	var out []ir.OrderBy
	for i, item := range list {
		ip := path
		if isList {
			ip = fmt.Sprintf("%s[%d]", path, i)
		}
		terms, err := p.orderTerms(t, item, ip)
		if err != nil {
			return nil, err
		}
		out = append(out, terms...)
	}
	return out, nil
}

func (p *planner) orderTerms(t *schema.Table, v any, path string) ([]ir.OrderBy, error) {
	v, err := p.concrete(v)
	if err != nil || v == nil {
		return nil, err
	}
	obj, ok := v.(perm.Object)
	if !ok {
		return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("expecting an object for type '%s_order_by'", t.GQLName)).WithPath(path)
	}
	var out []ir.OrderBy
	for _, m := range obj {
		mp := path + "." + m.Name
		val, err := p.concrete(m.Value)
		if err != nil {
			return nil, err
		}
		f := t.Fields[m.Name]
		if f == nil {
			if c := computedSet(t, m.Name); c != nil {
				terms, err := p.orderComputedAggregate(c, val, mp)
				if err != nil {
					return nil, err
				}
				out = append(out, terms...)
				continue
			}
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s_order_by'", m.Name, t.GQLName)).WithPath(mp)
		}
		switch f.Kind {
		case schema.FieldColumn, schema.FieldComputedScalar:
			desc, nf, ok, err := direction(val, mp)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			var e ir.OrderExpr
			if f.Kind == schema.FieldColumn {
				vis, err := p.visible(t, f.Column.Name, false)
				if err != nil {
					return nil, err
				}
				e = ir.OrderColumn{Name: f.Column.Name, Visible: vis}
			} else {
				op := perm.ComputedOp(f.Computed, nil)
				if op.Visible, err = p.visible(t, f.Computed.Name, true); err != nil {
					return nil, err
				}
				e = ir.OrderComputed{Op: op}
			}
			out = append(out, ir.OrderBy{Expr: e, Desc: desc, NullsFirst: nf})
		case schema.FieldObjectRel:
			target := f.Rel.Target
			if target == nil {
				return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s_order_by'", m.Name, t.GQLName)).WithPath(mp)
			}
			inner, err := p.orderTerms(target, val, mp)
			if err != nil {
				return nil, err
			}
			pf, err := p.filter(target)
			if err != nil {
				return nil, err
			}
			for _, o := range inner {
				o.Expr = ir.OrderObjectRel{Rel: f.Rel.IR(), Where: pf, Expr: o.Expr}
				out = append(out, o)
			}
		case schema.FieldArrayAggregate:
			terms, err := p.orderAggregate(f.Rel, val, mp)
			if err != nil {
				return nil, err
			}
			out = append(out, terms...)
		default:
			return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("cannot order by field %q", m.Name)).WithPath(mp)
		}
	}
	return out, nil
}

// orderAggregate reads {count: dir} and {max: {col: dir}, ...} over an
// array relationship.
func (p *planner) orderAggregate(r *schema.Relationship, v any, path string) ([]ir.OrderBy, error) {
	return p.orderRowsAggregate(r.Target, ir.OrderArrayAggregate{Rel: r.IR()}, v, path)
}

// orderComputedAggregate reads the ordering by an aggregate of the rows a
// set-returning computed field returns (<computed field>_aggregate).
func (p *planner) orderComputedAggregate(c *schema.Computed, v any, path string) ([]ir.OrderBy, error) {
	op := perm.ComputedOp(c, nil)
	src := &ir.FunctionCall{Name: op.Function, Args: op.Args}
	return p.orderRowsAggregate(c.Returns, ir.OrderArrayAggregate{Source: src}, v, path)
}

// orderRowsAggregate reads {count: dir} and {max: {col: dir}, ...} over the
// rows of target that base (a relationship or a function) reaches.
func (p *planner) orderRowsAggregate(target *schema.Table, base ir.OrderArrayAggregate, v any, path string) ([]ir.OrderBy, error) {
	if target == nil || v == nil {
		return nil, nil
	}
	obj, ok := v.(perm.Object)
	if !ok {
		return nil, apierr.New(apierr.ValidationFailed, "expecting an object for an aggregate ordering").WithPath(path)
	}
	pf, err := p.filter(target)
	if err != nil {
		return nil, err
	}
	var out []ir.OrderBy
	for _, m := range obj {
		mp := path + "." + m.Name
		val, err := p.concrete(m.Value)
		if err != nil {
			return nil, err
		}
		if m.Name == "count" {
			desc, nf, ok, err := direction(val, mp)
			if err != nil {
				return nil, err
			}
			if ok {
				e := base
				e.Where, e.Function = pf, "count"
				out = append(out, ir.OrderBy{Expr: e, Desc: desc, NullsFirst: nf})
			}
			continue
		}
		if !aggregateOps[m.Name] {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s_aggregate_order_by'", m.Name, target.GQLName)).WithPath(mp)
		}
		if val == nil {
			continue
		}
		cols, ok := val.(perm.Object)
		if !ok {
			return nil, apierr.New(apierr.ValidationFailed, "expecting an object of columns").WithPath(mp)
		}
		for _, c := range cols {
			cp := mp + "." + c.Name
			dv, err := p.concrete(c.Value)
			if err != nil {
				return nil, err
			}
			desc, nf, ok, err := direction(dv, cp)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			col := p.column(target, c.Name)
			if col == nil {
				return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s_%s_order_by'", c.Name, target.GQLName, m.Name)).WithPath(cp)
			}
			vis, err := p.visible(target, col.Name, false)
			if err != nil {
				return nil, err
			}
			e := base
			e.Where, e.Function, e.Column, e.Visible = pf, m.Name, col.Name, vis
			out = append(out, ir.OrderBy{Expr: e, Desc: desc, NullsFirst: nf})
		}
	}
	return out, nil
}

// computedSet returns the set-returning computed field behind an order_by
// field <computed field>_aggregate of t, or nil.
func computedSet(t *schema.Table, name string) *schema.Computed {
	base, ok := strings.CutSuffix(name, "_aggregate")
	if !ok {
		return nil
	}
	f := t.Fields[base]
	if f == nil || f.Kind != schema.FieldComputedSet || f.Computed == nil || f.Computed.Returns == nil {
		return nil
	}
	return f.Computed
}
