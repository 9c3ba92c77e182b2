package plan

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
)

// insertRoot plans insert_<t> (objects) and insert_<t>_one (object).
func (m *mutPlanner) insertRoot(t *schema.Table, f *field, path string, one bool, mf *MutationField) (*ir.MutationRoot, error) {
	argName := "objects"
	if one {
		argName = "object"
	}
	argPath := path + ".args." + argName
	mf.ErrorPath = argPath
	v, _ := m.arg(f, argName)
	origin := varOrigin(v, "")
	var objs []any
	if one {
		objs = []any{v}
	} else {
		l, err := m.list(v)
		if err != nil {
			return nil, err
		}
		objs = l
	}
	oc, _ := m.arg(f, "on_conflict")
	ins, err := m.insert(t, objs, oc, argPath, origin, one, nil)
	if err != nil {
		return nil, err
	}
	if ins.Output, err = m.output(t, f, path, one); err != nil {
		return nil, err
	}
	return &ir.MutationRoot{Insert: ins}, nil
}

// insert plans the insertion of objs into t with the role's insert
// permission (check and presets), the upsert clause oc and the nested
// inserts of each object. origin is the path of objs inside the request's
// variables when they come from one (for input errors Hasura reports
// there), or "". fixed names the columns a parent insert determines (array
// relationships), which the objects may not give.
func (m *mutPlanner) insert(t *schema.Table, objs []any, oc any, path, origin string, one bool, fixed map[string]bool) (*ir.Insert, error) {
	ip := t.Perm.Insert
	if ip == nil {
		return nil, apierr.New(apierr.PermissionDenied, fmt.Sprintf("no insert permission on table %q", t.Name.String())).WithPath(path)
	}
	check, err := m.rule(t, ip.Check)
	if err != nil {
		return nil, err
	}
	presets, err := perm.Presets(t, ip.Set)
	if err != nil {
		return nil, err
	}
	ins := &ir.Insert{Table: t.IR(), Check: check}
	if ins.OnConflict, err = m.onConflict(t, oc, path); err != nil {
		return nil, err
	}
	index := map[string]int{}
	col := func(name, typ string) int {
		if i, ok := index[name]; ok {
			return i
		}
		index[name] = len(ins.Columns)
		ins.Columns = append(ins.Columns, ir.InsertColumn{Name: name, Type: typ})
		return index[name]
	}
	rows := make([]map[int]ir.Value, 0, len(objs))
	for i, o := range objs {
		rp, ro := path, origin
		if !one {
			rp = fmt.Sprintf("%s[%d]", path, i)
			ro = elem(origin, i)
		}
		ro = varOrigin(o, ro)
		obj, err := m.object(o, rp)
		if err != nil {
			return nil, err
		}
		row := map[int]ir.Value{}
		var objectRels []*schema.Relationship
		var determined []string
		for _, mem := range obj {
			if c := columnByGQL(t, mem.Name); c != nil && fixed[c.Name] {
				determined = append(determined, c.Name)
			}
		}
		if len(determined) > 0 {
			return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("cannot insert %s columns as their values are already being determined by parent insert", quoteList(determined))).WithPath(rp)
		}
		for _, mem := range obj {
			fp := rp + "." + mem.Name
			if m.absent(mem.Value) {
				continue
			}
			if c := columnByGQL(t, mem.Name); c != nil {
				if err := m.checkGeo(mem.Value, c, fp, member(ro, mem.Name)); err != nil {
					return nil, err
				}
				val, err := m.value(mem.Value, c, fp)
				if err != nil {
					return nil, err
				}
				row[col(c.Name, c.Type.Name)] = val
				continue
			}
			rel := m.relationship(t, mem.Name)
			if rel == nil {
				return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: '%s_insert_input'", mem.Name, t.GQLName)).WithPath(fp)
			}
			n, err := m.nested(rel, mem.Value, i, fp, member(ro, mem.Name))
			if err != nil {
				return nil, err
			}
			if n != nil {
				ins.Nested = append(ins.Nested, *n)
				if n.Object {
					objectRels = append(objectRels, rel)
				}
			}
		}
		for _, r := range objectRels {
			var given []string
			for _, mp := range r.Mapping {
				if i, ok := index[mp.Outer]; (ok && row[i] != nil) || fixed[mp.Outer] {
					given = append(given, mp.Outer)
				}
			}
			if len(given) > 0 {
				// Hasura's wording, "relation ship" included.
				return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("cannot insert object relation ship %q as %s column values are already determined", r.Name, quoteList(given))).WithPath(rp + "." + r.Name)
			}
		}
		for _, pr := range presets {
			row[col(pr.Column, pr.Type)] = pr.Value
		}
		rows = append(rows, row)
	}
	ins.Rows = make([][]ir.Value, len(rows))
	for i, row := range rows {
		vals := make([]ir.Value, len(ins.Columns))
		for j, v := range row {
			vals[j] = v
		}
		ins.Rows[i] = vals
	}
	return ins, nil
}

// relationship returns the relationship behind insert input field name of
// t, or nil.
func (m *mutPlanner) relationship(t *schema.Table, name string) *schema.Relationship {
	if r := t.Relationships[name]; r != nil {
		return r
	}
	if f := t.Fields[name]; f != nil && f.Rel != nil && (f.Kind == schema.FieldObjectRel || f.Kind == schema.FieldArrayRel) {
		return f.Rel
	}
	if m.in.Lookup == nil {
		return nil
	}
	if admin := m.in.Lookup(t.Name); admin != nil {
		if f := admin.Fields[name]; f != nil && f.Rel != nil && (f.Kind == schema.FieldObjectRel || f.Kind == schema.FieldArrayRel) {
			return f.Rel
		}
	}
	return nil
}

// nested plans an insert through relationship rel ({data, on_conflict})
// for row index row of the parent; nil when the value is null.
func (m *mutPlanner) nested(rel *schema.Relationship, v any, row int, path, origin string) (*ir.NestedInsert, error) {
	origin = varOrigin(v, origin)
	obj, err := m.object(v, path)
	if err != nil || obj == nil {
		return nil, err
	}
	do := member(origin, "data")
	target := m.in.Schema.Tables[rel.TargetName]
	if target == nil || target.Perm.Insert == nil {
		return nil, apierr.New(apierr.PermissionDenied, fmt.Sprintf("no insert permission on table %q", rel.TargetName.String())).WithPath(path)
	}
	data, _ := obj.Get("data")
	oc, _ := obj.Get("on_conflict")
	dp := path + ".data"
	// An object relationship on this table's foreign key inserts its row
	// first; a reverse one (the related row refers to this one) after, as
	// array relationships do.
	if rel.Object && rel.InsertionOrder != "after_parent" {
		child, err := m.insert(target, []any{data}, oc, dp, do, true, nil)
		if err != nil {
			return nil, err
		}
		return &ir.NestedInsert{RowIndex: row, Rel: rel.IR(), Object: true, Insert: child}, nil
	}
	fixed := map[string]bool{}
	for _, mp := range rel.Mapping {
		fixed[mp.Inner] = true
	}
	var list []any
	if rel.Object {
		list = []any{data}
	} else {
		do = varOrigin(data, do)
		if list, err = m.list(data); err != nil {
			return nil, err
		}
	}
	child, err := m.insert(target, list, oc, dp, do, rel.Object, fixed)
	if err != nil {
		return nil, err
	}
	if len(child.Rows) == 0 {
		return nil, nil
	}
	return &ir.NestedInsert{RowIndex: row, Rel: rel.IR(), Insert: child}, nil
}

// onConflict plans an upsert clause: the constraint, the columns to
// update (none: do nothing) and the condition, with the role's update
// permission filter and check, as Hasura does.
func (m *mutPlanner) onConflict(t *schema.Table, v any, path string) (*ir.OnConflict, error) {
	// path is the objects' path: args.objects, args.object or a nested
	// relationship's data; on_conflict is their sibling.
	ocPath := path
	for _, suffix := range []string{".objects", ".object", ".data"} {
		if strings.HasSuffix(path, suffix) {
			ocPath = strings.TrimSuffix(path, suffix)
			break
		}
	}
	ocPath += ".on_conflict"
	obj, err := m.object(v, ocPath)
	if err != nil || obj == nil {
		return nil, err
	}
	up := t.Perm.Update
	if up == nil {
		return nil, apierr.New(apierr.PermissionDenied, fmt.Sprintf("upsert on table %q needs an update permission", t.Name.String())).WithPath(ocPath)
	}
	cv, _ := obj.Get("constraint")
	cv, err = m.concrete(cv)
	if err != nil {
		return nil, err
	}
	name, _ := cv.(string)
	if name == "" {
		return nil, apierr.New(apierr.ValidationFailed, "missing required field 'constraint'").WithPath(ocPath)
	}
	oc := &ir.OnConflict{Constraint: name}
	if uv, ok := obj.Get("update_columns"); ok {
		list, err := m.list(uv)
		if err != nil {
			return nil, err
		}
		for _, e := range list {
			e, err := m.concrete(e)
			if err != nil {
				return nil, err
			}
			s, _ := e.(string)
			c := columnByGQL(t, s)
			if c == nil {
				return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("unexpected value %q for enum: '%s_update_column'", s, t.GQLName)).WithPath(ocPath + ".update_columns")
			}
			oc.UpdateColumns = append(oc.UpdateColumns, c.Name)
		}
	}
	filter, err := m.rule(t, up.Filter)
	if err != nil {
		return nil, err
	}
	var where ir.BoolExp
	if wv, ok := obj.Get("where"); ok {
		if wv, err = m.concrete(wv); err != nil {
			return nil, err
		}
		if wv != nil {
			w, err := m.env.BoolExp(t, wv, ocPath+".where")
			if err != nil {
				return nil, err
			}
			where = perm.Simplify(w)
		}
	}
	oc.Where = perm.AndAll(filter, where)
	if oc.Check, err = m.rule(t, up.Check); err != nil {
		return nil, err
	}
	if len(oc.UpdateColumns) > 0 {
		presets, err := perm.Presets(t, up.Set)
		if err != nil {
			return nil, err
		}
		for _, pr := range presets {
			oc.Presets = append(oc.Presets, ir.SetColumn{Column: pr.Column, Type: pr.Type, Op: ir.UpdSet, Value: pr.Value})
		}
	}
	return oc, nil
}

// quoteList writes names as Hasura lists columns in messages: "a", "b".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// checkInt refuses integer literals that do not fit a GraphQL Int column,
// with Hasura's message.
func checkInt(v any, c *catalog.Column, path string) error {
	n, ok := v.(json.Number)
	if !ok {
		return nil
	}
	switch c.Type.Name {
	case "integer", "smallint":
	default:
		return nil
	}
	if i, err := strconv.ParseInt(string(n), 10, 32); err == nil && i == int64(int32(i)) {
		return nil
	}
	return apierr.New(apierr.ParseFailed, fmt.Sprintf("The value %s lies outside the bounds or is not an integer.  Maybe it is a float, or is there integer overflow?", scientific(string(n)))).WithPath(path)
}

// scientific writes a number the way Hasura prints it in messages
// (2.147483648e9).
func scientific(s string) string {
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil {
		return s
	}
	neg := f.Sign() < 0
	if neg {
		f.Neg(f)
	}
	txt := f.Text('e', -1) // d.ddde+xx
	mant, exp, _ := strings.Cut(txt, "e")
	e, _ := strconv.Atoi(exp)
	intPart, frac, _ := strings.Cut(mant, ".")
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		frac = "0"
	}
	out := intPart + "." + frac + "e" + strconv.Itoa(e)
	if neg {
		out = "-" + out
	}
	return out
}
