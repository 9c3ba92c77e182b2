package plan

import (
	"fmt"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/schema"
)

// aggregateOps are the column operators of <t>_aggregate_fields.
var aggregateOps = map[string]bool{
	"sum": true, "avg": true, "max": true, "min": true, "stddev": true, "stddev_pop": true,
	"stddev_samp": true, "variance": true, "var_pop": true, "var_samp": true,
}

// aggregate plans a <t>_aggregate selection.
func (p *planner) aggregate(t *schema.Table, f *field, path string, from ir.From) (*ir.Aggregate, error) {
	if t.Perm.Select == nil || !(t.Perm.Select.Admin || t.Perm.Select.AllowAggregations) {
		return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: 'query_root'", f.name())).WithPath(path)
	}
	r, err := p.readRows(t, f, path, true)
	if err != nil {
		return nil, err
	}
	a := &ir.Aggregate{
		From: from, Where: r.where, OrderBy: r.orderBy, DistinctOn: r.distinctOn,
		Limit: r.limit, Offset: r.offset, PermLimit: r.permLimit,
	}
	typeName := t.GQLName + "_aggregate"
	if d := f.first().Definition; d != nil && d.Type != nil {
		typeName = d.Type.Name()
	}
	subs, err := p.collect(f.selections(), typeName)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		sp := path + ".selectionSet." + s.alias
		af := ir.AggregateField{Alias: s.alias}
		switch s.name() {
		case "__typename":
			name := typeName
			af.Const = &name
		case "nodes":
			nodes, err := p.fields(t, s, sp)
			if err != nil {
				return nil, err
			}
			af.Nodes = nodes
			if af.Nodes == nil {
				af.Nodes = []ir.Field{}
			}
		case "aggregate":
			sum, err := p.summary(t, s, sp)
			if err != nil {
				return nil, err
			}
			af.Summary = sum
		default:
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", s.name(), typeName)).WithPath(sp)
		}
		a.Fields = append(a.Fields, af)
	}
	return a, nil
}

// summary plans the fields of <t>_aggregate_fields.
func (p *planner) summary(t *schema.Table, f *field, path string) ([]ir.SummaryField, error) {
	typeName := t.GQLName + "_aggregate_fields"
	if d := f.first().Definition; d != nil && d.Type != nil {
		typeName = d.Type.Name()
	}
	subs, err := p.collect(f.selections(), typeName)
	if err != nil {
		return nil, err
	}
	out := []ir.SummaryField{}
	for _, s := range subs {
		sp := path + ".selectionSet." + s.alias
		sf := ir.SummaryField{Alias: s.alias}
		switch name := s.name(); {
		case name == "__typename":
			n := typeName
			sf.Const = &n
		case name == "count":
			sf.Count = true
			if v, ok := p.arg(s, "columns"); ok {
				cols, err := p.distinctOn(t, v, sp+".args.columns")
				if err != nil {
					return nil, err
				}
				sf.CountColumns = cols
				for i, c := range cols {
					vis, err := p.visible(t, c, false)
					if err != nil {
						return nil, err
					}
					if vis != nil && sf.CountVisible == nil {
						sf.CountVisible = make([]ir.BoolExp, len(cols))
					}
					if vis != nil {
						sf.CountVisible[i] = vis
					}
				}
			}
			if v, ok := p.arg(s, "distinct"); ok {
				v, err := p.concrete(v)
				if err != nil {
					return nil, err
				}
				sf.CountDistinct, _ = v.(bool)
			}
		case aggregateOps[name]:
			sf.Op = name
			opType := typeName
			if d := s.first().Definition; d != nil && d.Type != nil {
				opType = d.Type.Name()
			}
			cols, err := p.collect(s.selections(), opType)
			if err != nil {
				return nil, err
			}
			sf.Columns = []ir.OpColumn{}
			for _, c := range cols {
				oc := ir.OpColumn{Alias: c.alias}
				if c.name() == "__typename" {
					n := opType
					oc.Const = &n
				} else {
					col := p.column(t, c.name())
					if col == nil {
						return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", c.name(), opType)).WithPath(sp + ".selectionSet." + c.alias)
					}
					oc.Name, oc.Type = col.Name, col.Type.Name
					if oc.Visible, err = p.visible(t, col.Name, false); err != nil {
						return nil, err
					}
					if name == "sum" || name == "max" || name == "min" {
						oc.Encoding = p.encoding(col.Type)
					}
				}
				sf.Columns = append(sf.Columns, oc)
			}
		default:
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s'", name, typeName)).WithPath(sp)
		}
		out = append(out, sf)
	}
	return out, nil
}
