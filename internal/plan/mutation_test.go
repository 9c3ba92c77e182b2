package plan

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// mutationSchema builds role user's schema for two tables with insert and
// update permissions.
func mutationSchema(t *testing.T) *schema.Schema {
	t.Helper()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `
	  create table author (id serial primary key, name text unique, owner text);
	  create table article (id serial primary key, title text, author_id int references author(id));`)
	cat, err := catalog.Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var src metadata.Source
	if err := json.Unmarshal([]byte(`{"name":"default","kind":"postgres","tables":[
	  {"table":"author","array_relationships":[{"name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}],
	   "select_permissions":[{"role":"user","permission":{"columns":["id","name"],"filter":{}}}],
	   "insert_permissions":[{"role":"user","permission":{"columns":["id","name"],"check":{"name":{"_neq":"x"}},"set":{"owner":"X-Hasura-User-Id"}}}],
	   "update_permissions":[{"role":"user","permission":{"columns":["name"],"filter":{"owner":{"_eq":"X-Hasura-User-Id"}},"check":{"name":{"_neq":"y"}}}}]},
	  {"table":"article",
	   "select_permissions":[{"role":"user","permission":{"columns":["id","title"],"filter":{}}}],
	   "insert_permissions":[{"role":"user","permission":{"columns":["title","author_id"],"check":{}}}]}]}`), &src); err != nil {
		t.Fatal(err)
	}
	sc, err := schema.Build(cat, &src, nil, "user", schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// rules marks each permission rule with a constant naming its table and
// text, so tests can see where rules are applied.
func rules(t *schema.Table, raw metadata.BoolExp) (ir.BoolExp, error) {
	return ir.Compare{Left: ir.ColumnOp{Name: "rule_" + t.Name.Name}, Op: ir.OpEq, Right: ir.Literal{Val: string(raw), Type: "text"}}, nil
}

func rule(table, raw string) ir.BoolExp {
	return ir.Compare{Left: ir.ColumnOp{Name: "rule_" + table}, Op: ir.OpEq, Right: ir.Literal{Val: raw, Type: "text"}}
}

func planMutation(t *testing.T, sc *schema.Schema, query, vars string) (*MutationPlan, error) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(sc.AST, doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	var raw map[string]json.RawMessage
	if vars != "" {
		if err := json.Unmarshal([]byte(vars), &raw); err != nil {
			t.Fatal(err)
		}
	}
	return Mutation(&MutationInput{Input: Input{Schema: sc, Op: doc.Operations[0], Vars: raw}, Rule: rules})
}

func TestMutationPlanInsert(t *testing.T) {
	sc := mutationSchema(t)
	p, err := planMutation(t, sc, `mutation($name: String) {
	  insert_author(objects: [{name: $name, articles: {data: [{title: "t"}]}}, {id: 7}],
	    on_conflict: {constraint: author_name_key, update_columns: [name], where: {id: {_gt: 1}}}) { affected_rows }
	}`, `{"name": "n"}`)
	if err != nil {
		t.Fatal(err)
	}
	f := p.Fields[0]
	if f.Kind != MutInsert || f.ErrorPath != "$.selectionSet.insert_author.args.objects" {
		t.Fatalf("kind %v, error path %q", f.Kind, f.ErrorPath)
	}
	ins := f.Root.Insert
	wantCols := []ir.InsertColumn{{Name: "name", Type: "text"}, {Name: "owner", Type: "text"}, {Name: "id", Type: "integer"}}
	if !reflect.DeepEqual(ins.Columns, wantCols) {
		t.Fatalf("columns %+v", ins.Columns)
	}
	owner := ir.SessionVar{Name: "x-hasura-user-id", Type: "text"}
	wantRows := [][]ir.Value{
		{ir.Variable{Name: "name", Type: "text"}, owner, nil},
		{nil, owner, ir.Literal{Val: json.Number("7"), Type: "integer"}},
	}
	if !reflect.DeepEqual(ins.Rows, wantRows) {
		t.Fatalf("rows %#v", ins.Rows)
	}
	if !reflect.DeepEqual(ins.Check, rule("author", `{"name":{"_neq":"x"}}`)) {
		t.Fatalf("check %#v", ins.Check)
	}
	oc := ins.OnConflict
	gt := ir.Compare{Left: ir.ColumnOp{Name: "id", Type: "integer"}, Op: ir.OpGt, Right: ir.Literal{Val: json.Number("1"), Type: "integer"}}
	if oc.Constraint != "author_name_key" || !reflect.DeepEqual(oc.UpdateColumns, []string{"name"}) ||
		!reflect.DeepEqual(oc.Check, rule("author", `{"name":{"_neq":"y"}}`)) {
		t.Fatalf("on_conflict %#v", oc)
	}
	if and, ok := oc.Where.(ir.And); !ok || len(and) != 2 || !reflect.DeepEqual(and[0], rule("author", `{"owner":{"_eq":"X-Hasura-User-Id"}}`)) || !reflect.DeepEqual(and[1], gt) {
		t.Fatalf("on_conflict where %#v", oc.Where)
	}
	if len(ins.Nested) != 1 || ins.Nested[0].RowIndex != 0 || ins.Nested[0].Object {
		t.Fatalf("nested %#v", ins.Nested)
	}
	child := ins.Nested[0].Insert
	if !reflect.DeepEqual(child.Columns, []ir.InsertColumn{{Name: "title", Type: "text"}}) || child.Check != rule("article", "{}") {
		t.Fatalf("child %#v", child)
	}
}

func TestMutationPlanUpdate(t *testing.T) {
	sc := mutationSchema(t)
	p, err := planMutation(t, sc, `mutation { update_author_by_pk(pk_columns: {id: 3}, _set: {name: "z"}) { id } __typename }`, "")
	if err != nil {
		t.Fatal(err)
	}
	u := p.Fields[0].Root.Update
	if p.Fields[0].Kind != MutUpdate || p.Fields[0].ErrorPath != "$" || p.Fields[1].Typename != "mutation_root" {
		t.Fatalf("fields %#v", p.Fields)
	}
	pk := ir.Compare{Left: ir.ColumnOp{Name: "id", Type: "integer"}, Op: ir.OpEq, Right: ir.Literal{Val: json.Number("3"), Type: "integer"}}
	if and, ok := u.Where.(ir.And); !ok || len(and) != 2 || !reflect.DeepEqual(and[1], pk) {
		t.Fatalf("where %#v", u.Where)
	}
	if !reflect.DeepEqual(u.Set, []ir.SetColumn{{Column: "name", Type: "text", Op: ir.UpdSet, Value: ir.Literal{Val: "z", Type: "text"}}}) {
		t.Fatalf("set %#v", u.Set)
	}
	if !u.Output.Single || len(u.Output.Row) != 1 {
		t.Fatalf("output %#v", u.Output)
	}
}
