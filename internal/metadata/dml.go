package metadata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/pg"
	"github.com/postgate/postgate/internal/sqlgen"
)

// The v1 data operations run as admin: they build IR from the legacy
// arguments and let sqlgen write the SQL.

// dml runs a v1 data operation on a tracked table of s.
func (o *opCtx) dml(kind string, s *Source, raw json.RawMessage) (any, error) {
	switch kind {
	case "insert":
		return o.dmlInsert(s, raw)
	case "select":
		return o.dmlSelect(s, raw)
	case "count":
		return o.dmlCount(s, raw)
	case "update":
		return o.dmlUpdate(s, raw)
	case "delete":
		return o.dmlDelete(s, raw)
	}
	return nil, apierr.Newf(apierr.NotSupported, "the %q query type is not supported yet", kind)
}

// decodeValue decodes JSON keeping numbers exact.
func decodeValue(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

func irTable(n TableName) ir.Table { return ir.Table{Schema: n.Schema, Name: n.Name} }

func (o *opCtx) dmlInsert(s *Source, raw json.RawMessage) (any, error) {
	var a struct {
		Table      TableName         `json:"table"`
		Objects    []json.RawMessage `json:"objects"`
		Returning  []string          `json:"returning"`
		OnConflict *struct {
			ConstraintOn []string `json:"constraint_on"`
			Constraint   string   `json:"constraint"`
			Action       string   `json:"action"`
		} `json:"on_conflict"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	ct := o.cat.Tables[a.Table.qname()]
	if ct == nil {
		return nil, apierr.Newf(apierr.NotExists, "table %s does not exist", a.Table.quoted()).WithPath("$.table")
	}
	rows := make([]map[string]any, len(a.Objects))
	colSet := map[string]bool{}
	for i, ob := range a.Objects {
		if err := decodeValue(ob, &rows[i]); err != nil || rows[i] == nil {
			return nil, apierr.New(apierr.ParseFailed, "expected an object").WithPath(fmt.Sprintf("$.objects[%d]", i))
		}
		for col := range rows[i] {
			if ct.Column(col) == nil {
				return nil, apierr.Newf(apierr.NotExists, "column %s does not exist", q(col)).WithPath(fmt.Sprintf("$.objects[%d]", i))
			}
			colSet[col] = true
		}
	}
	cols := make([]string, 0, len(colSet))
	for c := range colSet {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	ins := &ir.Insert{Table: irTable(a.Table)}
	for _, c := range cols {
		ins.Columns = append(ins.Columns, ir.InsertColumn{Name: c, Type: ct.Column(c).Type.Name})
	}
	for _, r := range rows {
		vals := make([]ir.Value, len(cols))
		for i, c := range cols {
			if v, ok := r[c]; ok {
				vals[i] = ir.Literal{Val: v, Type: ct.Column(c).Type.Name}
			}
		}
		ins.Rows = append(ins.Rows, vals)
	}
	if oc := a.OnConflict; oc != nil {
		name := oc.Constraint
		if name == "" {
			name = constraintOn(ct, oc.ConstraintOn)
			if name == "" {
				return nil, apierr.New(apierr.ConstraintError, "no unique or primary key constraint on the given columns").WithPath("$.on_conflict")
			}
		}
		c := &ir.OnConflict{Constraint: name}
		switch oc.Action {
		case "ignore", "":
		case "update":
			c.UpdateColumns = cols
		default:
			return nil, apierr.Newf(apierr.ParseFailed, "unexpected action %q", oc.Action).WithPath("$.on_conflict.action")
		}
		ins.OnConflict = c
	}
	var err error
	if ins.Output, err = output(ct, a.Returning); err != nil {
		return nil, err
	}
	return o.runMutation(&ir.MutationRoot{Alias: "insert", Insert: ins})
}

// constraintOn names the primary key or unique constraint over exactly cols.
func constraintOn(ct *catalog.Table, cols []string) string {
	if ct.PrimaryKey != nil && sameSet(ct.PrimaryKey.Columns, cols) {
		return ct.PrimaryKey.Name
	}
	for _, u := range ct.Uniques {
		if sameSet(u.Columns, cols) {
			return u.Name
		}
	}
	return ""
}

// columnFields outputs the named columns of ct.
func columnFields(ct *catalog.Table, names []string, path string) ([]ir.Field, error) {
	var out []ir.Field
	for _, n := range names {
		if n == "*" {
			for _, c := range ct.Columns {
				out = append(out, ir.Field{Alias: c.Name, Value: ir.ColumnField{Name: c.Name, Type: c.Type.Name}})
			}
			continue
		}
		c := ct.Column(n)
		if c == nil {
			return nil, apierr.Newf(apierr.NotExists, "column %s does not exist", q(n)).WithPath(path)
		}
		out = append(out, ir.Field{Alias: n, Value: ir.ColumnField{Name: n, Type: c.Type.Name}})
	}
	return out, nil
}

// runQuery generates and runs a v1 query; its alias names it in errors.
func (o *opCtx) runQuery(r *ir.Root) (any, error) {
	st, err := sqlgen.Query(r)
	if err != nil {
		return nil, apierr.Internalf("v1 %s: %v", r.Alias, err)
	}
	return o.runStatement(st, 1)
}

// runMutation generates and runs a v1 mutation; its alias names it in
// errors.
func (o *opCtx) runMutation(m *ir.MutationRoot) (any, error) {
	st, err := sqlgen.Mutation(m)
	if err != nil {
		return nil, apierr.Internalf("v1 %s: %v", m.Alias, err)
	}
	return o.runStatement(st, 2)
}

// runStatement runs a generated statement with admin rights on the data
// database and returns its first column.
func (o *opCtx) runStatement(st sqlgen.Statement, ncols int) (any, error) {
	args, err := sqlgen.Args(st.Params, nil, nil)
	if err != nil {
		return nil, err
	}
	o.enumCache = nil
	var out []byte
	dest := []any{&out}
	var ok bool
	if ncols == 2 {
		dest = append(dest, &ok)
	}
	err = o.querier().QueryRow(o.ctx, st.SQL, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return json.RawMessage("[]"), nil
	}
	if err != nil {
		return nil, pg.MapErrorFor(err, pg.Statement{SQL: st.SQL})
	}
	return json.RawMessage(out), nil
}

// selectArgs are v1 select's arguments.
type selectArgs struct {
	Table   TableName         `json:"table"`
	Columns []json.RawMessage `json:"columns"`
	Where   json.RawMessage   `json:"where"`
	OrderBy json.RawMessage   `json:"order_by"`
	Limit   *int              `json:"limit"`
	Offset  *int              `json:"offset"`
}

func (o *opCtx) dmlSelect(s *Source, raw json.RawMessage) (any, error) {
	var a selectArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	sel, err := o.buildSelect(s, a, "$")
	if err != nil {
		return nil, err
	}
	return o.runQuery(&ir.Root{Alias: "select", Select: sel})
}

// buildSelect turns v1 select arguments into IR.
func (o *opCtx) buildSelect(s *Source, a selectArgs, path string) (*ir.Select, error) {
	t, ct, err := o.dmlTable(s, a.Table, path)
	if err != nil {
		return nil, err
	}
	sel := &ir.Select{From: ir.From{Table: irTable(a.Table)}}
	where, err := o.parseWhere(s, t, a.Where, path+".where")
	if err != nil {
		return nil, err
	}
	sel.Where = where
	if a.Limit != nil && *a.Limit < 0 {
		return nil, apierr.New(apierr.ValidationFailed, "unexpected negative value").WithPath(path + ".limit")
	}
	if a.Offset != nil && *a.Offset < 0 {
		return nil, apierr.New(apierr.ValidationFailed, "unexpected negative value").WithPath(path + ".offset")
	}
	if a.Limit != nil {
		sel.Limit = ir.Literal{Val: json.Number(fmt.Sprint(*a.Limit)), Type: "integer"}
	}
	if a.Offset != nil {
		sel.Offset = ir.Literal{Val: json.Number(fmt.Sprint(*a.Offset)), Type: "integer"}
	}
	if sel.OrderBy, err = parseOrderBy(a.OrderBy, func(c string) bool { return ct.Column(c) != nil }, path+".order_by"); err != nil {
		return nil, err
	}
	// Without order_by rows come in primary key order, which is what
	// callers of the legacy API observe in practice.
	if sel.OrderBy == nil && ct.PrimaryKey != nil {
		for _, c := range ct.PrimaryKey.Columns {
			sel.OrderBy = append(sel.OrderBy, ir.OrderBy{Expr: ir.OrderColumn{Name: c}})
		}
	}
	for i, raw := range a.Columns {
		cpath := fmt.Sprintf("%s.columns[%d]", path, i)
		var name string
		if json.Unmarshal(raw, &name) == nil {
			fs, err := columnFields(ct, []string{name}, cpath)
			if err != nil {
				return nil, err
			}
			sel.Fields = append(sel.Fields, fs...)
			continue
		}
		var nested struct {
			Name string `json:"name"`
			selectArgs
		}
		if err := decodeStrict(raw, &nested, cpath); err != nil {
			return nil, err
		}
		rel, target, object := o.resolveRel(s, t, ct, nested.Name)
		if target == nil {
			return nil, apierr.Newf(apierr.NotExists, "relationship %s does not exist", q(nested.Name)).WithPath(cpath)
		}
		nested.Table = target.Table
		sub, err := o.buildSelect(s, nested.selectArgs, cpath)
		if err != nil {
			return nil, err
		}
		if object {
			sub.Single = true
			sub.OrderBy = nil
			sel.Fields = append(sel.Fields, ir.Field{Alias: nested.Name, Value: ir.ObjectRelField{Rel: rel, Select: sub}})
		} else {
			sel.Fields = append(sel.Fields, ir.Field{Alias: nested.Name, Value: ir.ArrayRelField{Rel: rel, Select: sub}})
		}
	}
	return sel, nil
}

// resolveRel returns the IR of relationship name on t, its target table and
// whether it is an object relationship.
func (o *opCtx) resolveRel(s *Source, t *Table, ct *catalog.Table, name string) (ir.Relationship, *Table, bool) {
	manual := func(m *ManualRelationship) (ir.Relationship, *Table) {
		rel := ir.Relationship{Target: irTable(m.RemoteTable)}
		for _, k := range sortedKeys(m.ColumnMapping) {
			rel.Mapping = append(rel.Mapping, ir.ColumnPair{Outer: k, Inner: m.ColumnMapping[k]})
		}
		return rel, s.FindTable(m.RemoteTable)
	}
	remote := func(fk FKOn) (ir.Relationship, *Table) {
		rt := s.FindTable(*fk.Table)
		rct := o.cat.Tables[fk.Table.qname()]
		if rt == nil || rct == nil {
			return ir.Relationship{}, nil
		}
		ref := t.Table.qname()
		f := findFK(rct.ForeignKeys, fk.Columns, &ref)
		if f == nil {
			return ir.Relationship{}, nil
		}
		rel := ir.Relationship{Target: irTable(*fk.Table)}
		for i, c := range f.Columns {
			rel.Mapping = append(rel.Mapping, ir.ColumnPair{Outer: f.RefColumns[i], Inner: c})
		}
		return rel, rt
	}
	for _, r := range t.ObjectRelationships {
		if r.Name != name {
			continue
		}
		if r.Using.ManualConfiguration != nil {
			rel, tt := manual(r.Using.ManualConfiguration)
			return rel, tt, true
		}
		fk, err := ParseFKOn(r.Using.ForeignKeyConstraintOn)
		if err != nil {
			return ir.Relationship{}, nil, true
		}
		if fk.Table != nil {
			rel, tt := remote(fk)
			return rel, tt, true
		}
		f := findFK(ct.ForeignKeys, fk.Columns, nil)
		if f == nil {
			return ir.Relationship{}, nil, true
		}
		rel := ir.Relationship{Target: ir.Table{Schema: f.RefTable.Schema, Name: f.RefTable.Name}}
		for i, c := range f.Columns {
			rel.Mapping = append(rel.Mapping, ir.ColumnPair{Outer: c, Inner: f.RefColumns[i]})
		}
		return rel, s.FindTable(fromQName(f.RefTable)), true
	}
	for _, r := range t.ArrayRelationships {
		if r.Name != name {
			continue
		}
		if r.Using.ManualConfiguration != nil {
			rel, tt := manual(r.Using.ManualConfiguration)
			return rel, tt, false
		}
		if r.Using.ForeignKeyConstraintOn != nil {
			fk, err := r.Using.ForeignKeyConstraintOn.parsed()
			if err != nil {
				return ir.Relationship{}, nil, false
			}
			rel, tt := remote(fk)
			return rel, tt, false
		}
	}
	return ir.Relationship{}, nil, false
}

func (o *opCtx) dmlCount(s *Source, raw json.RawMessage) (any, error) {
	var a struct {
		Table    TableName       `json:"table"`
		Where    json.RawMessage `json:"where"`
		Distinct []string        `json:"distinct"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	t, ct, err := o.dmlTable(s, a.Table, "$")
	if err != nil {
		return nil, err
	}
	where, err := o.parseWhere(s, t, a.Where, "$.where")
	if err != nil {
		return nil, err
	}
	for _, c := range a.Distinct {
		if ct.Column(c) == nil {
			return nil, apierr.Newf(apierr.NotExists, "column %s does not exist", q(c)).WithPath("$.distinct")
		}
	}
	agg := &ir.Aggregate{From: ir.From{Table: irTable(a.Table)}, Where: where,
		Fields: []ir.AggregateField{{Alias: "aggregate", Summary: []ir.SummaryField{{Alias: "count", Count: true, CountColumns: a.Distinct, CountDistinct: len(a.Distinct) > 0}}}}}
	res, err := o.runQuery(&ir.Root{Alias: "count", Aggregate: agg})
	if err != nil {
		return nil, err
	}
	var out struct {
		Aggregate struct {
			Count json.Number `json:"count"`
		} `json:"aggregate"`
	}
	if err := json.Unmarshal(res.(json.RawMessage), &out); err != nil {
		return nil, apierr.Internalf("v1 count: %v", err)
	}
	return map[string]json.Number{"count": out.Aggregate.Count}, nil
}

// dmlTable resolves the table of a v1 data operation whose arguments are
// at path: tracked in s and in the catalog.
func (o *opCtx) dmlTable(s *Source, n TableName, path string) (*Table, *catalog.Table, error) {
	t := s.FindTable(n)
	ct := o.cat.Tables[n.qname()]
	if t == nil || ct == nil {
		return nil, nil, apierr.Newf(apierr.NotExists, "table %s does not exist", n.quoted()).WithPath(path + ".table")
	}
	return t, ct, nil
}

// output is {affected_rows} plus returning when asked.
func output(ct *catalog.Table, returning []string) (ir.MutationOutput, error) {
	out := ir.MutationOutput{Response: []ir.MutationField{{Alias: "affected_rows", AffectedRows: true}}}
	if returning != nil {
		fields, err := columnFields(ct, returning, "$.returning")
		if err != nil {
			return out, err
		}
		out.Response = append(out.Response, ir.MutationField{Alias: "returning", Returning: fields})
	}
	return out, nil
}

func (o *opCtx) dmlUpdate(s *Source, raw json.RawMessage) (any, error) {
	var a struct {
		Table     TableName                  `json:"table"`
		Where     json.RawMessage            `json:"where"`
		Set       map[string]json.RawMessage `json:"$set"`
		Inc       map[string]json.RawMessage `json:"$inc"`
		Mul       map[string]json.RawMessage `json:"$mul"`
		Default   []string                   `json:"$default"`
		Returning []string                   `json:"returning"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.Where == nil {
		return nil, required("where")
	}
	t, ct, err := o.dmlTable(s, a.Table, "$")
	if err != nil {
		return nil, err
	}
	where, err := o.parseWhere(s, t, a.Where, "$.where")
	if err != nil {
		return nil, err
	}
	if len(a.Mul) > 0 {
		return nil, apierr.New(apierr.NotSupported, "$mul is not supported by this server yet").WithPath("$.$mul")
	}
	up := &ir.Update{Table: irTable(a.Table), Where: where}
	add := func(m map[string]json.RawMessage, op ir.UpdateOp, key string) error {
		for _, c := range sortedKeys(m) {
			col := ct.Column(c)
			if col == nil {
				return apierr.Newf(apierr.NotExists, "column %s does not exist", q(c)).WithPath("$." + key)
			}
			var v any
			if err := decodeValue(m[c], &v); err != nil {
				return apierr.New(apierr.ParseFailed, "invalid value").WithPath("$." + key + "." + c)
			}
			up.Set = append(up.Set, ir.SetColumn{Column: c, Type: col.Type.Name, Op: op, Value: ir.Literal{Val: v, Type: col.Type.Name}})
		}
		return nil
	}
	if err := add(a.Set, ir.UpdSet, "$set"); err != nil {
		return nil, err
	}
	if err := add(a.Inc, ir.UpdInc, "$inc"); err != nil {
		return nil, err
	}
	for _, c := range a.Default {
		col := ct.Column(c)
		if col == nil {
			return nil, apierr.Newf(apierr.NotExists, "column %s does not exist", q(c)).WithPath("$.$default")
		}
		up.Set = append(up.Set, ir.SetColumn{Column: c, Type: col.Type.Name, Op: ir.UpdSet})
	}
	if len(up.Set) == 0 {
		return nil, apierr.New(apierr.BadRequest, "atleast one of $set, $inc, $mul, $default has to be present")
	}
	if up.Output, err = output(ct, a.Returning); err != nil {
		return nil, err
	}
	return o.runMutation(&ir.MutationRoot{Alias: "update", Update: up})
}

func (o *opCtx) dmlDelete(s *Source, raw json.RawMessage) (any, error) {
	var a struct {
		Table     TableName       `json:"table"`
		Where     json.RawMessage `json:"where"`
		Returning []string        `json:"returning"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.Where == nil {
		return nil, required("where")
	}
	t, ct, err := o.dmlTable(s, a.Table, "$")
	if err != nil {
		return nil, err
	}
	where, err := o.parseWhere(s, t, a.Where, "$.where")
	if err != nil {
		return nil, err
	}
	del := &ir.Delete{Table: irTable(a.Table), Where: where}
	if del.Output, err = output(ct, a.Returning); err != nil {
		return nil, err
	}
	return o.runMutation(&ir.MutationRoot{Alias: "delete", Delete: del})
}
