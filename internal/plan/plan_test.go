package plan

import (
	"context"
	"encoding/json"
	"fmt"
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

// roleSchema builds role's schema for two tables on a fresh database.
func roleSchema(t *testing.T, role string) *schema.Schema {
	t.Helper()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `
	  create table author (id serial primary key, name text, rating numeric);
	  create table article (id serial primary key, title text, author_id int references author(id), views bigint);`)
	cat, err := catalog.Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var src metadata.Source
	if err := json.Unmarshal([]byte(`{"name":"default","kind":"postgres","tables":[
	  {"table":"author","array_relationships":[{"name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}],
	   "select_permissions":[{"role":"user","permission":{"columns":["id","name"],"filter":{"id":{"_eq":"X-Hasura-User-Id"}},"limit":5}}]},
	  {"table":"article","object_relationships":[{"name":"author","using":{"foreign_key_constraint_on":"author_id"}}],
	   "select_permissions":[{"role":"user","permission":{"columns":["id","title","views"],"filter":{"title":{"_like":"%x%"}},"allow_aggregations":true}}]}]}`), &src); err != nil {
		t.Fatal(err)
	}
	sc, err := schema.Build(cat, &src, nil, role, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// filters returns a filter function that marks each table's filter with a
// constant naming it, so tests can see where filters are applied.
func filters(t *schema.Table) (ir.BoolExp, error) {
	return ir.Compare{Left: ir.ColumnOp{Name: "perm_" + t.Name.Name}, Op: ir.OpEq, Right: ir.Literal{Val: true, Type: "boolean"}}, nil
}

func build(t *testing.T, sc *schema.Schema, query string, vars string, o Options) *Plan {
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
	p, err := Build(&Input{Schema: sc, Op: doc.Operations[0], Vars: raw, Filter: filters, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func permOf(table string) ir.BoolExp {
	return ir.Compare{Left: ir.ColumnOp{Name: "perm_" + table}, Op: ir.OpEq, Right: ir.Literal{Val: true, Type: "boolean"}}
}

func TestPermissionsApplyOnEveryPath(t *testing.T) {
	sc := roleSchema(t, "user")
	p := build(t, sc, `{ article(where: {id: {_eq: 1}}) { author { name } }
	  author_by_pk(id: 2) { articles_aggregate { aggregate { count } } } }`, "", Options{})
	art := p.Fields[0].Root.Select
	want := ir.And{permOf("article"), ir.Compare{Left: ir.ColumnOp{Name: "id", Type: "integer"}, Op: ir.OpEq, Right: ir.Literal{Val: json.Number("1"), Type: "integer"}}}
	if !reflect.DeepEqual(art.Where, want) {
		t.Fatalf("article where: %#v", art.Where)
	}
	rel := art.Fields[0].Value.(ir.ObjectRelField)
	if !reflect.DeepEqual(rel.Select.Where, permOf("author")) || !rel.Select.Single {
		t.Fatalf("object relationship: %#v", rel.Select)
	}
	byPK := p.Fields[1].Root.Select
	if a, ok := byPK.Where.(ir.And); !ok || !reflect.DeepEqual(a[0], permOf("author")) || !byPK.Single {
		t.Fatalf("by_pk where: %#v", byPK.Where)
	}
	agg := byPK.Fields[0].Value.(ir.ArrayAggregateField)
	if !reflect.DeepEqual(agg.Aggregate.Where, permOf("article")) {
		t.Fatalf("aggregate where: %#v", agg.Aggregate.Where)
	}
	if l := p.Fields[0].Root.Select.PermLimit; l != nil {
		t.Fatalf("article has no permission limit, got %d", *l)
	}
	p = build(t, sc, `{ author { id } }`, "", Options{})
	if l := p.Fields[0].Root.Select.PermLimit; l == nil || *l != 5 {
		t.Fatalf("author permission limit: %v", l)
	}
}

func TestVariablesLeafAndShape(t *testing.T) {
	sc := roleSchema(t, "admin")
	q := `query($id: Int, $w: article_bool_exp!, $n: Int, $inc: Boolean!) {
	  article(where: {_and: [{id: {_gt: $id}}, $w]}, limit: $n) { id title @include(if: $inc) } }`
	p := build(t, sc, q, `{"id": 3, "w": {"title": {"_eq": "t"}}, "inc": true}`, Options{})
	sel := p.Fields[0].Root.Select
	where := sel.Where.(ir.And)
	if cmp := where[0].(ir.Compare); !reflect.DeepEqual(cmp.Right, ir.Variable{Name: "id", Type: "integer"}) {
		t.Fatalf("leaf variable: %#v", cmp.Right)
	}
	if cmp := where[1].(ir.Compare); !reflect.DeepEqual(cmp.Right, ir.Variable{Name: "w", Path: []any{"title", "_eq"}, Type: "text"}) {
		t.Fatalf("scalar inside a shape variable: %#v", cmp.Right)
	}
	if !reflect.DeepEqual(sel.Limit, ir.Variable{Name: "n", Type: "integer"}) || len(sel.Fields) != 2 {
		t.Fatalf("limit %#v, fields %d", sel.Limit, len(sel.Fields))
	}
	var names []string
	for _, s := range p.Shape {
		names = append(names, fmt.Sprint(s.Name, s.Path))
	}
	if !reflect.DeepEqual(names, []string{"w[]", "w[title]", "inc[]"}) || !reflect.DeepEqual(p.Present, []string{"id"}) {
		t.Fatalf("shape %v present %v", names, p.Present)
	}
	raw := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(s), &m)
		return m
	}
	for _, same := range []string{
		`{"id": 9, "w": {"title":{"_eq":"t"}}, "inc": true, "n": 2}`,
		`{"id": 9, "w": {"title":{"_eq":"other"}}, "inc": true}`,
	} {
		if !p.Matches(raw(same)) {
			t.Fatalf("a request differing only in scalar values must reuse the plan: %s", same)
		}
	}
	for _, other := range []string{
		`{"id": 9, "w": {"title":{"_neq":"t"}}, "inc": true}`,
		`{"id": 9, "w": {"title":{"_eq":"t"}, "id":{"_eq":1}}, "inc": true}`,
		`{"id": 9, "w": {"title":{"_eq":"t"}}, "inc": false}`,
		`{"w": {"title":{"_eq":"t"}}, "inc": true}`,
		`{"id": 9, "inc": true}`,
	} {
		if p.Matches(raw(other)) {
			t.Fatalf("plan must not serve %s", other)
		}
	}
}

func TestEncodings(t *testing.T) {
	sc := roleSchema(t, "admin")
	q := `{ author { rating } article_aggregate { aggregate { sum { views } avg { views } } } }`
	enc := func(o Options) (ir.Encoding, ir.Encoding, ir.Encoding) {
		p := build(t, sc, q, "", o)
		col := p.Fields[0].Root.Select.Fields[0].Value.(ir.ColumnField)
		sum := p.Fields[1].Root.Aggregate.Fields[0].Summary
		return col.Encoding, sum[0].Columns[0].Encoding, sum[1].Columns[0].Encoding
	}
	if a, b, c := enc(Options{}); a != ir.EncodeDefault || b != ir.EncodeDefault || c != ir.EncodeDefault {
		t.Fatalf("default encodings: %v %v %v", a, b, c)
	}
	if a, b, c := enc(Options{StringifyNumeric: true}); a != ir.EncodeText || b != ir.EncodeText || c != ir.EncodeDefault {
		t.Fatalf("stringified encodings: %v %v %v", a, b, c)
	}
}

func TestSubscriptionPlansAsQuery(t *testing.T) {
	sc := roleSchema(t, "user")
	p := build(t, sc, `subscription { article(limit: 2) { id __typename } }`, "", Options{})
	sel := p.Fields[0].Root.Select
	if !reflect.DeepEqual(sel.Where, permOf("article")) || len(sel.Fields) != 2 {
		t.Fatalf("subscription root: %#v", sel)
	}
	if c := sel.Fields[1].Value.(ir.ConstField); c.Value != "article" {
		t.Fatalf("__typename: %v", c)
	}
}
