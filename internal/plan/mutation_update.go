package plan

import (
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
)

// updateOps are the update operators in the order Hasura applies and
// names them.
var updateOps = []ir.UpdateOp{ir.UpdSet, ir.UpdInc, ir.UpdAppend, ir.UpdPrepend, ir.UpdDeleteKey, ir.UpdDeleteElem, ir.UpdDeleteAtPath}

// update plans update_<t> (where) or update_<t>_by_pk (pk_columns) from
// the arguments args, with the role's update permission: its filter, its
// check on the new rows and its presets. f gives the output selection.
func (m *mutPlanner) update(t *schema.Table, f *field, args perm.Object, path, argPath string, byPK bool) (*ir.Update, error) {
	up := t.Perm.Update
	if up == nil {
		return nil, apierr.New(apierr.PermissionDenied, fmt.Sprintf("no update permission on table %q", t.Name.String())).WithPath(path)
	}
	filter, err := m.rule(t, up.Filter)
	if err != nil {
		return nil, err
	}
	u := &ir.Update{Table: t.IR()}
	if u.Check, err = m.rule(t, up.Check); err != nil {
		return nil, err
	}
	var where ir.BoolExp
	if byPK {
		pk, _ := args.Get("pk_columns")
		obj, err := m.object(pk, argPath+".pk_columns")
		if err != nil {
			return nil, err
		}
		if where, err = m.pkWhere(t, obj, argPath+".pk_columns"); err != nil {
			return nil, err
		}
	} else if w, ok := args.Get("where"); ok {
		if w, err = m.concrete(w); err != nil {
			return nil, err
		}
		b, err := m.env.BoolExp(t, w, argPath+".where")
		if err != nil {
			return nil, err
		}
		where = perm.Simplify(b)
	}
	u.Where = perm.AndAll(filter, where)

	type use struct {
		col string
		ops []string
	}
	var uses []*use
	byCol := map[string]*use{}
	given := false
	for _, op := range updateOps {
		v, ok := args.Get(string(op))
		if !ok {
			continue
		}
		given = true
		obj, err := m.object(v, argPath+"."+string(op))
		if err != nil {
			return nil, err
		}
		for _, mem := range obj {
			if m.absent(mem.Value) {
				continue
			}
			fp := argPath + "." + string(op) + "." + mem.Name
			c := columnByGQL(t, mem.Name)
			if c == nil {
				return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s%s_input'", mem.Name, t.GQLName, op)).WithPath(fp)
			}
			us := byCol[c.Name]
			if us == nil {
				us = &use{col: c.Name}
				byCol[c.Name] = us
				uses = append(uses, us)
			}
			us.ops = append(us.ops, string(op))
			if op == ir.UpdSet {
				if err := m.checkGeo(mem.Value, c, fp, ""); err != nil {
					return nil, err
				}
			}
			val, err := m.opValue(mem.Value, c, op, fp)
			if err != nil {
				return nil, err
			}
			u.Set = append(u.Set, ir.SetColumn{Column: c.Name, Type: c.Type.Name, Op: op, Value: val})
		}
	}
	presets, err := perm.Presets(t, up.Set)
	if err != nil {
		return nil, err
	}
	if !given && len(presets) == 0 {
		return nil, apierr.New(apierr.ValidationFailed, "at least any one of "+strings.Join(m.opNames(f), ", ")+" is expected").WithPath(argPath)
	}
	var dups []string
	for _, us := range uses {
		if len(us.ops) > 1 {
			dups = append(dups, fmt.Sprintf("%q in %s", gqlColumn(t, us.col), strings.Join(us.ops, ", ")))
		}
	}
	if len(dups) > 0 {
		return nil, apierr.New(apierr.ValidationFailed, "column found in multiple operators; "+strings.Join(dups, ". ")).WithPath("$")
	}
	// Presets apply whenever the update runs, even with no column given.
	for _, pr := range presets {
		u.Set = append(u.Set, ir.SetColumn{Column: pr.Column, Type: pr.Type, Op: ir.UpdSet, Value: pr.Value})
	}
	if u.Output, err = m.output(t, f, path, byPK); err != nil {
		return nil, err
	}
	return u, nil
}

// opNames lists the update operators f accepts, for messages.
func (m *mutPlanner) opNames(f *field) []string {
	var out []string
	if d := f.first().Definition; d != nil {
		for _, op := range updateOps {
			if d.Arguments.ForName(string(op)) != nil {
				out = append(out, string(op))
			}
		}
		if len(out) == 0 && d.Arguments.ForName("updates") != nil {
			for _, op := range updateOps {
				out = append(out, string(op))
			}
		}
	}
	if len(out) == 0 {
		out = []string{string(ir.UpdSet)}
	}
	return out
}

// opValue is the value of an update operator for column c: the column's
// type for _set, _inc, _append and _prepend, text for _delete_key, an
// integer for _delete_elem and text[] for _delete_at_path.
func (m *mutPlanner) opValue(v any, c *catalog.Column, op ir.UpdateOp, path string) (ir.Value, error) {
	typ := ""
	switch op {
	case ir.UpdDeleteKey:
		typ = "text"
	case ir.UpdDeleteElem:
		typ = "integer"
	case ir.UpdDeleteAtPath:
		typ = "text[]"
	default:
		return m.value(v, c, path)
	}
	if x, ok := v.(perm.Var); ok {
		return m.leaf(x, typ, path, NotNull, false), nil
	}
	pv, err := perm.Plain(v, m.resolve)
	if err != nil {
		return nil, apierr.New(apierr.ValidationFailed, err.Error()).WithPath(path)
	}
	return ir.Literal{Val: pv, Type: typ}, nil
}

// pkWhere compares the primary key columns of t with the values in obj
// (GraphQL column names).
func (m *mutPlanner) pkWhere(t *schema.Table, obj perm.Object, path string) (ir.BoolExp, error) {
	if t.Catalog == nil || t.Catalog.PrimaryKey == nil {
		return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("table %q has no primary key", t.Name.String())).WithPath(path)
	}
	var and ir.And
	for _, name := range t.Catalog.PrimaryKey.Columns {
		c := t.Catalog.Column(name)
		if c == nil {
			continue
		}
		g := gqlColumn(t, name)
		v, ok := obj.Get(g)
		if !ok {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("missing required field '%s'", g)).WithPath(path)
		}
		var val ir.Value
		if x, isVar := v.(perm.Var); isVar {
			val = m.leaf(x, c.Type.Name, path+"."+g, NotNull, true)
		} else {
			pv, err := perm.Plain(v, m.resolve)
			if err != nil {
				return nil, apierr.New(apierr.ValidationFailed, err.Error()).WithPath(path + "." + g)
			}
			val = ir.Literal{Val: pv, Type: c.Type.Name}
		}
		and = append(and, ir.Compare{Left: ir.ColumnOp{Name: c.Name, Type: c.Type.Name}, Op: ir.OpEq, Right: val})
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

// updateMany plans update_<t>_many: one update per element of updates,
// run in order.
func (m *mutPlanner) updateMany(t *schema.Table, f *field, path string) (*ir.MutationRoot, error) {
	v, _ := m.arg(f, "updates")
	list, err := m.list(v)
	if err != nil {
		return nil, err
	}
	r := &ir.MutationRoot{Updates: []*ir.Update{}}
	for i, e := range list {
		ep := fmt.Sprintf("%s.args.updates[%d]", path, i)
		obj, err := m.object(e, ep)
		if err != nil {
			return nil, err
		}
		u, err := m.update(t, f, obj, path, ep, false)
		if err != nil {
			return nil, err
		}
		r.Updates = append(r.Updates, u)
	}
	return r, nil
}

// delete plans delete_<t> (where) and delete_<t>_by_pk (the key columns
// as arguments) with the role's delete filter.
func (m *mutPlanner) delete(t *schema.Table, f *field, path string, byPK bool) (*ir.Delete, error) {
	dp := t.Perm.Delete
	if dp == nil {
		return nil, apierr.New(apierr.PermissionDenied, fmt.Sprintf("no delete permission on table %q", t.Name.String())).WithPath(path)
	}
	filter, err := m.rule(t, dp.Filter)
	if err != nil {
		return nil, err
	}
	args := argsOf(m.planner, f)
	var where ir.BoolExp
	if byPK {
		if where, err = m.pkWhere(t, args, path+".args"); err != nil {
			return nil, err
		}
	} else if w, ok := args.Get("where"); ok {
		if w, err = m.concrete(w); err != nil {
			return nil, err
		}
		b, err := m.env.BoolExp(t, w, path+".args.where")
		if err != nil {
			return nil, err
		}
		where = perm.Simplify(b)
	}
	d := &ir.Delete{Table: t.IR(), Where: perm.AndAll(filter, where)}
	if d.Output, err = m.output(t, f, path, byPK); err != nil {
		return nil, err
	}
	return d, nil
}
