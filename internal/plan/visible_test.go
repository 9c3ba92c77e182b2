package plan

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/postgate/postgate/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestInheritedColumnsVisibility checks that a column only some parents of
// an inherited role grant carries the visibility condition the Input
// gives, and is always null without one (never shown where it should not).
func TestInheritedColumnsVisibility(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `create table author (id serial primary key, name text, rating numeric);`)
	cat, err := catalog.Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var src metadata.Source
	if err := json.Unmarshal([]byte(`{"name":"default","kind":"postgres","tables":[{"table":"author","select_permissions":[
	  {"role":"user","permission":{"columns":["id","name"],"filter":{}}},
	  {"role":"editor","permission":{"columns":["id","name","rating"],"filter":{"id":{"_eq":"X-Hasura-User-Id"}}}}]}]}`), &src); err != nil {
		t.Fatal(err)
	}
	sc, err := schema.Build(cat, &src, []*metadata.InheritedRole{{RoleName: "both", RoleSet: []string{"user", "editor"}}}, "both", schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: `{ author(where: {rating: {_gt: 1}}) { id rating } }`})
	if err != nil {
		t.Fatal(err)
	}
	marker := ir.Compare{Left: ir.ColumnOp{Name: "granted"}, Op: ir.OpEq, Right: ir.Literal{Val: true, Type: "boolean"}}
	for _, tc := range []struct {
		name    string
		visible func(*schema.Table, string, bool) (ir.BoolExp, error)
		want    ir.BoolExp
	}{
		{"without Visible", nil, ir.Const(false)},
		{"with Visible", func(*schema.Table, string, bool) (ir.BoolExp, error) { return marker, nil }, marker},
	} {
		p, err := Build(&Input{Schema: sc, Op: doc.Operations[0], Filter: filters, Visible: tc.visible})
		if err != nil {
			t.Fatal(err)
		}
		sel := p.Fields[0].Root.Select
		id, rating := sel.Fields[0].Value.(ir.ColumnField), sel.Fields[1].Value.(ir.ColumnField)
		if id.Visible != nil || rating.Visible != tc.want {
			t.Errorf("%s: id %v, rating %v", tc.name, id.Visible, rating.Visible)
		}
		var where ir.BoolExp = sel.Where
		if and, ok := where.(ir.And); ok {
			where = and[len(and)-1]
		}
		if c, ok := where.(ir.Compare); !ok || c.Left.(ir.ColumnOp).Visible != tc.want {
			t.Errorf("%s: where %#v", tc.name, sel.Where)
		}
	}
}
