package perm

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/schema"
)

var (
	intType   = catalog.ColumnType{Name: "integer", UDT: "int4"}
	textType  = catalog.ColumnType{Name: "text", UDT: "text"}
	jsonbType = catalog.ColumnType{Name: "jsonb", UDT: "jsonb"}
	geogType  = catalog.ColumnType{Name: "public.geography", UDT: "geography"}
)

// fixture builds the admin view of tables author and article.
func fixture() map[catalog.QName]*schema.Table {
	mk := func(name string, cols ...*catalog.Column) *schema.Table {
		t := &schema.Table{
			Name:        catalog.QName{Schema: "public", Name: name},
			Catalog:     &catalog.Table{Name: catalog.QName{Schema: "public", Name: name}, Columns: cols},
			GQLName:     name,
			Fields:      map[string]*schema.Field{},
			ColumnField: map[string]string{},
		}
		for _, c := range cols {
			t.Fields[c.Name] = &schema.Field{Name: c.Name, Kind: schema.FieldColumn, Column: c}
			t.ColumnField[c.Name] = c.Name
		}
		return t
	}
	author := mk("author", &catalog.Column{Name: "id", Type: intType}, &catalog.Column{Name: "name", Type: textType})
	article := mk("article",
		&catalog.Column{Name: "id", Type: intType}, &catalog.Column{Name: "author_id", Type: intType},
		&catalog.Column{Name: "tags", Type: jsonbType}, &catalog.Column{Name: "place", Type: geogType},
		&catalog.Column{Name: "published", Type: catalog.ColumnType{Name: "boolean", UDT: "bool"}})
	// Custom GraphQL name for a column: permission rules still use the database name.
	article.Fields["authorId"] = article.Fields["author_id"]
	delete(article.Fields, "author_id")
	article.ColumnField["author_id"] = "authorId"
	toAuthor := &schema.Relationship{Name: "author", Object: true, Target: author, TargetName: author.Name,
		Mapping: []ir.ColumnPair{{Outer: "author_id", Inner: "id"}}}
	toArticles := &schema.Relationship{Name: "articles", Target: article, TargetName: article.Name,
		Mapping: []ir.ColumnPair{{Outer: "id", Inner: "author_id"}}}
	article.Fields["author"] = &schema.Field{Name: "author", Kind: schema.FieldObjectRel, Rel: toAuthor}
	author.Fields["articles"] = &schema.Field{Name: "articles", Kind: schema.FieldArrayRel, Rel: toArticles}
	author.Fields["articles_aggregate"] = &schema.Field{Name: "articles_aggregate", Kind: schema.FieldArrayAggregate, Rel: toArticles}
	return map[catalog.QName]*schema.Table{author.Name: author, article.Name: article}
}

func TestFilter(t *testing.T) {
	tables := fixture()
	lookup := func(q catalog.QName) *schema.Table { return tables[q] }
	article := tables[catalog.QName{Schema: "public", Name: "article"}]
	author := tables[catalog.QName{Schema: "public", Name: "author"}]
	authorRel := ir.Relationship{Target: ir.Table{Schema: "public", Name: "author"}, Mapping: []ir.ColumnPair{{Outer: "author_id", Inner: "id"}}}
	articlesRel := ir.Relationship{Target: ir.Table{Schema: "public", Name: "article"}, Mapping: []ir.ColumnPair{{Outer: "id", Inner: "author_id"}}}
	authorID := ir.ColumnOp{Name: "author_id", Type: "integer"}
	cases := []struct {
		name  string
		table *schema.Table
		rule  string
		want  ir.BoolExp
	}{
		{"empty is true", article, `{}`, nil},
		{"session variable typed by its column", article, `{"author_id":{"_eq":"X-Hasura-User-Id"}}`,
			ir.Compare{Left: authorID, Op: ir.OpEq, Right: ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}}},
		{"array literal session variable for _in", article, `{"author_id":{"_in":"x-hasura-allowed-ids"}}`,
			ir.Compare{Left: authorID, Op: ir.OpIn, Right: ir.SessionVar{Name: "x-hasura-allowed-ids", Type: "integer[]"}}},
		{"list of session variables for _in", article, `{"author_id":{"_in":["X-Hasura-A","X-Hasura-B"]}}`,
			ir.Or{
				ir.Compare{Left: authorID, Op: ir.OpEq, Right: ir.SessionVar{Name: "x-hasura-a", Type: "integer"}},
				ir.Compare{Left: authorID, Op: ir.OpEq, Right: ir.SessionVar{Name: "x-hasura-b", Type: "integer"}},
			}},
		{"literal list for _nin", article, `{"id":{"_nin":[1,2]}}`,
			ir.Compare{Left: ir.ColumnOp{Name: "id", Type: "integer"}, Op: ir.OpNin, Right: ir.Literal{Val: []any{json.Number("1"), json.Number("2")}, Type: "integer[]"}}},
		{"bare value, $-operators, _is_null and boolean operators", article,
			`{"_and":[{"published":true},{"_not":{"id":{"$gt":5}}}],"_or":[{"tags":{"_is_null":true}}]}`,
			ir.And{
				ir.Compare{Left: ir.ColumnOp{Name: "published", Type: "boolean"}, Op: ir.OpEq, Right: ir.Literal{Val: true, Type: "boolean"}},
				ir.Not{Exp: ir.Compare{Left: ir.ColumnOp{Name: "id", Type: "integer"}, Op: ir.OpGt, Right: ir.Literal{Val: json.Number("5"), Type: "integer"}}},
				ir.Or{ir.IsNull{Left: ir.ColumnOp{Name: "tags", Type: "jsonb"}, IsNull: true}},
			}},
		{"object relationship", article, `{"author":{"name":{"_eq":"X-Hasura-Name"}}}`,
			ir.RelExists{Rel: authorRel, Where: ir.Compare{Left: ir.ColumnOp{Name: "name", Type: "text"}, Op: ir.OpEq, Right: ir.SessionVar{Name: "x-hasura-name", Type: "text"}}}},
		{"array relationship", author, `{"articles":{"published":{"_eq":true}}}`,
			ir.RelExists{Rel: articlesRel, Where: ir.Compare{Left: ir.ColumnOp{Name: "published", Type: "boolean"}, Op: ir.OpEq, Right: ir.Literal{Val: true, Type: "boolean"}}}},
		{"exists on another table", article, `{"_exists":{"_table":{"schema":"public","name":"author"},"_where":{"id":{"_eq":"X-Hasura-User-Id"}}}}`,
			ir.Exists{Table: ir.Table{Schema: "public", Name: "author"}, Where: ir.Compare{Left: ir.ColumnOp{Name: "id", Type: "integer"}, Op: ir.OpEq, Right: ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}}}},
		{"column comparison with the root row", author, `{"articles":{"author_id":{"_ceq":["$","id"]},"id":{"_cgt":"author_id"}}}`,
			ir.RelExists{Rel: articlesRel, Where: ir.And{
				ir.Compare{Left: authorID, Op: ir.OpCeq, Right: ir.RootColumnOp{Name: "id"}},
				ir.Compare{Left: ir.ColumnOp{Name: "id", Type: "integer"}, Op: ir.OpCgt, Right: ir.ColumnOp{Name: "author_id"}},
			}}},
		{"jsonb operators", article, `{"tags":{"_contains":{"a":[1]},"_has_keys_any":["a","b"]}}`,
			ir.And{
				ir.Compare{Left: ir.ColumnOp{Name: "tags", Type: "jsonb"}, Op: ir.OpContains, Right: ir.Literal{Val: map[string]any{"a": []any{json.Number("1")}}, Type: "jsonb"}},
				ir.Compare{Left: ir.ColumnOp{Name: "tags", Type: "jsonb"}, Op: ir.OpHasKeysAny, Right: ir.Literal{Val: []any{"a", "b"}, Type: "text[]"}},
			}},
		{"cast and st_d_within", article, `{"place":{"_cast":{"geometry":{"_st_d_within":{"from":"X-Hasura-Point","distance":10}}}}}`,
			ir.Compare{Left: ir.ColumnOp{Name: "place", Type: "public.geography", Cast: "geometry"}, Op: ir.OpSTDWithin,
				Right: ir.DWithin{From: ir.SessionVar{Name: "x-hasura-point", Type: "geometry"}, Distance: ir.Literal{Val: json.Number("10"), Type: "double precision"}}}},
		{"aggregate predicate", author, `{"articles_aggregate":{"count":{"predicate":{"_gt":1},"filter":{"published":{"_eq":true}},"arguments":["id"],"distinct":true}}}`,
			ir.AggregatePredicate{Rel: articlesRel, Function: "count", Columns: []string{"id"}, Distinct: true,
				Filter: ir.Compare{Left: ir.ColumnOp{Name: "published", Type: "boolean"}, Op: ir.OpEq, Right: ir.Literal{Val: true, Type: "boolean"}},
				Op:     ir.OpGt, Value: ir.Literal{Val: json.Number("1"), Type: "integer"}, ValueType: "integer"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Filter(c.table, json.RawMessage(c.rule), lookup)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	tables := fixture()
	lookup := func(q catalog.QName) *schema.Table { return tables[q] }
	article := tables[catalog.QName{Schema: "public", Name: "article"}]
	for rule, code := range map[string]string{
		`{"nope":{"_eq":1}}`:                   apierr.ValidationFailed,
		`{"id":{"_bogus":1}}`:                  apierr.ValidationFailed,
		`{"id":{"_eq":null}}`:                  apierr.ValidationFailed,
		`{"_exists":{"_table":"missing"}}`:     apierr.ValidationFailed,
		`{"id":{"_eq":1}`:                      apierr.ParseFailed,
		`{"author":{"name":{"_ceq":{"x":1}}}}`: apierr.ValidationFailed,
	} {
		_, err := Filter(article, json.RawMessage(rule), lookup)
		if ae := apierr.As(err); ae == nil || ae.Code != code {
			t.Errorf("%s: want %s, got %v", rule, code, err)
		}
	}
}

func TestPresetsAndSessionVars(t *testing.T) {
	tables := fixture()
	article := tables[catalog.QName{Schema: "public", Name: "article"}]
	ps, err := Presets(article, map[string]any{"author_id": "X-Hasura-User-Id", "published": false})
	if err != nil {
		t.Fatal(err)
	}
	want := []Preset{
		{Column: "author_id", Type: "integer", Value: ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}},
		{Column: "published", Type: "boolean", Value: ir.Literal{Val: false, Type: "boolean"}},
	}
	if !reflect.DeepEqual(ps, want) {
		t.Fatalf("got %#v", ps)
	}
	if _, err := Presets(article, map[string]any{"nope": 1}); err == nil {
		t.Fatal("a preset on a missing column must fail")
	}
	lookup := func(q catalog.QName) *schema.Table { return tables[q] }
	f, err := Filter(article, json.RawMessage(`{"_or":[{"author_id":{"_eq":"X-Hasura-User-Id"}},{"author":{"name":{"_eq":"X-Hasura-Name"}}},{"id":{"_eq":"x-hasura-user-id"}}]}`), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if got := SessionVars(f); !reflect.DeepEqual(got, []string{"x-hasura-user-id", "x-hasura-name"}) {
		t.Fatalf("session variables: %v", got)
	}
}
