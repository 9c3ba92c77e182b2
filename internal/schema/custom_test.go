package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

func TestCustomisations(t *testing.T) {
	cat, _, opts := fixture(t)
	var src metadata.Source
	if err := json.Unmarshal([]byte(`{"name": "default", "kind": "postgres", "tables": [
	  {"table": "author", "configuration": {
	     "custom_name": "writer",
	     "custom_root_fields": {"select": "writers", "select_by_pk": {"name": "writer", "comment": "one writer"}, "insert_one": "addWriter"},
	     "column_config": {"name": {"custom_name": "fullName", "comment": "the name"}},
	     "custom_column_names": {"email": "mail"},
	     "comment": "People who write"}},
	  {"table": {"schema": "content", "name": "tag"}, "select_permissions": [
	     {"role": "user", "permission": {"columns": "*", "filter": {}, "allow_aggregations": true,
	      "query_root_fields": ["select_by_pk"], "subscription_root_fields": ["select", "select_stream"]}}]}
	]}`), &src); err != nil {
		t.Fatal(err)
	}
	s, err := Build(cat, &src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	w := s.AST.Types["writer"]
	if w == nil || w.Description != "People who write" || s.AST.Types["author"] != nil {
		t.Fatalf("writer type: %+v", w)
	}
	if f := w.Fields.ForName("fullName"); f == nil || f.Description != "the name" || f.Type.String() != "String!" {
		t.Errorf("fullName: %+v", f)
	}
	if w.Fields.ForName("mail") == nil || w.Fields.ForName("name") != nil {
		t.Errorf("custom column names not applied")
	}
	wt := s.Objects["writer"]
	if wt.ColumnField["name"] != "fullName" || wt.Fields["fullName"].Column.Name != "name" {
		t.Errorf("resolution of fullName: %v", wt.ColumnField)
	}
	for name, kind := range map[string]RootKind{"writers": RootSelect, "writer": RootSelectByPK, "writer_aggregate": RootSelectAggregate} {
		if rf := s.Query[name]; rf == nil || rf.Kind != kind || rf.Table != wt {
			t.Errorf("query root %s: %+v", name, rf)
		}
	}
	if d := s.AST.Query.Fields.ForName("writer").Description; d != "one writer" {
		t.Errorf("by_pk comment %q", d)
	}
	if s.Mutation["addWriter"] == nil || s.Mutation["insert_writer"] == nil || s.Mutation["update_writer_by_pk"] == nil {
		t.Errorf("mutation roots: %v", s.Mutation)
	}
	if s.AST.Types["writer_bool_exp"].Fields.ForName("fullName") == nil || s.AST.Types["writer_select_column"].EnumValues.ForName("fullName") == nil {
		t.Errorf("custom column name missing from inputs")
	}

	user, err := Build(cat, &src, nil, "user", opts)
	if err != nil {
		t.Fatal(err)
	}
	// query_root_fields keeps only select_by_pk in queries;
	// subscription_root_fields keeps select and select_stream.
	if len(user.Query) != 1 || user.Query["content_tag_by_pk"] == nil {
		t.Errorf("user query roots: %v", user.Query)
	}
	if len(user.Subscription) != 2 || user.Subscription["content_tag"] == nil || user.Subscription["content_tag_stream"] == nil {
		t.Errorf("user subscription roots: %v", user.Subscription)
	}
	if user.AST.Subscription.Fields.ForName("content_tag_aggregate") != nil {
		t.Errorf("aggregate in subscription_root")
	}
}

func TestFunctionPermissionsAndComment(t *testing.T) {
	cat, src, opts := fixture(t)
	comment := "Full-text search"
	src.Functions[0].Comment = &comment
	s, err := Build(cat, src, nil, "user", opts)
	if err != nil {
		t.Fatal(err)
	}
	if f := s.AST.Query.Fields.ForName("search_articles"); f == nil || f.Description != comment {
		t.Fatalf("search_articles: %+v", f)
	}
	// Without inferred function permissions, user needs a permission.
	opts.ExplicitFunctionPermissions = true
	s, err = Build(cat, src, nil, "user", opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Query["search_articles"] != nil {
		t.Errorf("search_articles visible without a function permission")
	}
	src.Functions[0].Permissions = []*metadata.FunctionPermission{{Role: "user"}}
	s, err = Build(cat, src, nil, "user", opts)
	if err != nil {
		t.Fatal(err)
	}
	if rf := s.Query["search_articles"]; rf == nil || rf.Kind != RootFunction || rf.Function.Name.Name != "search_articles" {
		t.Errorf("search_articles with permission: %+v", rf)
	}
}

func TestInvalidGraphQLNamesLeftOut(t *testing.T) {
	if !isGraphQLName("_a1") || isGraphQLName("1a") || isGraphQLName("a-b") || isGraphQLName("") || isEnumValueName("true") {
		t.Fatal("isGraphQLName")
	}
	cat, src, opts := fixture(t)
	author := cat.Tables[catalog.QName{Schema: "public", Name: "author"}]
	author.Columns = append(author.Columns, col("bad-name", tText, true))
	bad := &catalog.Table{Name: catalog.QName{Schema: "public", Name: "my table"}, Kind: catalog.KindTable, Columns: []*catalog.Column{col("id", tInt4, false)}}
	cat.Tables[bad.Name] = bad
	src.Tables = append(src.Tables, &metadata.Table{Table: metadata.TableName{Schema: "public", Name: "my table"}})
	opts.EnumValues[catalog.QName{Schema: "public", Name: "article_status"}] = append(opts.EnumValues[catalog.QName{Schema: "public", Name: "article_status"}], EnumValue{Value: "not valid"})
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.AST.Types["author"].Fields.ForName("bad-name") != nil || s.Tables[bad.Name] != nil {
		t.Errorf("invalid names in schema")
	}
	if e := s.AST.Types["article_status_enum"]; len(e.EnumValues) != 2 {
		t.Errorf("enum values: %v", e.EnumValues)
	}
	if _, err := validator.LoadSchema(validator.Prelude, &ast.Source{Input: s.SDL()}); err != nil {
		t.Errorf("schema with invalid names left out does not load: %v", err)
	}
}

func TestVolatileFunctionsNeedPermission(t *testing.T) {
	cat, src, opts := fixture(t)
	fn := cat.Functions[catalog.QName{Schema: "public", Name: "search_articles"}][0]
	fn.Volatility = catalog.Volatile
	admin, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rf := admin.Mutation["search_articles"]; rf == nil || rf.Kind != RootFunction || admin.Query["search_articles"] != nil {
		t.Fatalf("volatile function should be a mutation: %v", admin.Mutation)
	}
	user, err := Build(cat, src, nil, "user", opts)
	if err != nil {
		t.Fatal(err)
	}
	if user.Mutation["search_articles"] != nil {
		t.Errorf("volatile function exposed without a function permission")
	}
	src.Functions[0].Permissions = []*metadata.FunctionPermission{{Role: "user"}}
	user, err = Build(cat, src, nil, "user", opts)
	if err != nil {
		t.Fatal(err)
	}
	if user.Mutation["search_articles"] == nil {
		t.Errorf("volatile function with permission missing")
	}
}

func TestSourceCustomizationPrefixSuffix(t *testing.T) {
	cat, src, opts := fixture(t)
	src.Customization = json.RawMessage(`{"root_fields": {"prefix": "p_", "suffix": "_s"}, "type_names": {"prefix": "P_", "suffix": "_S"}}`)
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"p_author_s", "p_author_by_pk_s", "p_author_aggregate_s", "p_search_articles_s", "p_search_articles_aggregate_s"} {
		if s.Query[n] == nil {
			t.Errorf("query root %s missing", n)
		}
	}
	for _, n := range []string{"p_insert_author_one_s", "p_update_author_many_s", "p_delete_author_by_pk_s"} {
		if s.Mutation[n] == nil {
			t.Errorf("mutation root %s missing", n)
		}
	}
	// Types generated for the source are customised; scalars, their
	// comparison inputs and order_by are not.
	for _, n := range []string{"P_author_S", "P_author_bool_exp_S", "P_author_aggregate_fields_S", "P_author_insert_input_S",
		"P_article_status_enum_S", "P_article_status_enum_S_comparison_exp", "P_search_articles_args_S", "P_articles_since_author_args_S",
		"Int_comparison_exp", "order_by", "jsonb_cast_exp"} {
		if s.AST.Types[n] == nil {
			t.Errorf("type %s missing", n)
		}
	}
	if s.Objects["P_author_S"] == nil || s.Objects["P_author_aggregate_S"] == nil || s.AST.Types["author"] != nil {
		t.Errorf("objects: %v", s.Objects)
	}
	if got := s.Objects["P_author_S"].TypeName("_bool_exp"); got != "P_author_bool_exp_S" {
		t.Errorf("TypeName: %s", got)
	}
	if _, err := validator.LoadSchema(validator.Prelude, &ast.Source{Input: s.SDL()}); err != nil {
		t.Errorf("customised schema does not load: %v", err)
	}
	src.Customization = json.RawMessage(`{"root_fields": 3}`)
	if _, err := Build(cat, src, nil, AdminRole, opts); err == nil {
		t.Errorf("invalid customization accepted")
	} else if _, ok := err.(*CustomizationError); !ok {
		t.Errorf("error type %T", err)
	}
}

func TestNameClashesKeepTheColumn(t *testing.T) {
	cat, src, opts := fixture(t)
	// A relationship and a computed field named like columns of author.
	src.Tables[0].ArrayRelationships[0].Name = "name"
	src.Tables[0].ComputedFields[0].Name = "email"
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Objects["author"]
	if f := a.Fields["name"]; f == nil || f.Kind != FieldColumn {
		t.Errorf("author.name: %+v", f)
	}
	if f := a.Fields["email"]; f == nil || f.Kind != FieldColumn {
		t.Errorf("author.email: %+v", f)
	}
	if _, err := validator.LoadSchema(validator.Prelude, &ast.Source{Input: s.SDL()}); err != nil {
		t.Errorf("schema with clashing names does not load: %v", err)
	}
}

func TestTablesWithTheSameGraphQLName(t *testing.T) {
	cat, src, opts := fixture(t)
	// content.tag is renamed "author": the earlier public.author keeps the name.
	src.Tables[3].Configuration = &metadata.TableConfig{CustomName: "author"}
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Objects["author"]; a == nil || a.Name.Name != "author" || s.Tables[catalog.QName{Schema: "content", Name: "tag"}] != nil {
		t.Errorf("author type: %+v", a)
	}
}

func TestSourceCustomizationNamespace(t *testing.T) {
	cat, src, opts := fixture(t)
	src.Customization = json.RawMessage(`{"root_fields": {"namespace": "blog"}, "type_names": {"prefix": "B_"}}`)
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Namespace != "blog" {
		t.Fatalf("namespace %q", s.Namespace)
	}
	for root, typ := range map[*ast.Definition]string{s.AST.Query: "B_blog_query", s.AST.Mutation: "B_blog_mutation_frontend", s.AST.Subscription: "B_blog_subscription"} {
		f := root.Fields.ForName("blog")
		if f == nil || f.Type.String() != typ+"!" || s.AST.Types[typ] == nil {
			t.Errorf("%s.blog: %+v", root.Name, f)
		}
	}
	if s.Query["author"] == nil || s.AST.Types["B_blog_query"].Fields.ForName("author") == nil {
		t.Errorf("author not under the namespace")
	}
	if errs := validate(t, s, `{ blog { author(limit: 1) { id articles { title } } } }`); len(errs) > 0 {
		t.Errorf("namespaced query: %v", errs)
	}
	if errs := validate(t, s, `mutation { blog { delete_author(where: {}) { affected_rows } } }`); len(errs) > 0 {
		t.Errorf("namespaced mutation: %v", errs)
	}
}

func TestUnusedBuiltinScalarsAreNotInTheSchema(t *testing.T) {
	user := build(t, "user")
	for _, q := range []string{`query($x: ID) { author { id } }`, `query($x: Float) { author { id } }`} {
		if errs := validate(t, user, q); len(errs) == 0 || !strings.Contains(errs[0], "Unknown type") {
			t.Errorf("%s: %v", q, errs)
		}
	}
	// The admin schema has avg fields, so Float exists there.
	if errs := validate(t, build(t, AdminRole), `query($x: Float) { author { id } }`); len(errs) != 1 || !strings.Contains(errs[0], "never used") {
		t.Errorf("admin Float: %v", errs)
	}
}

func TestNestedInsertsThroughManualRelationships(t *testing.T) {
	cat, src, opts := fixture(t)
	var rels []*metadata.ObjectRelationship
	if err := json.Unmarshal([]byte(`[
	  {"name": "writer", "using": {"manual_configuration": {"remote_table": "author", "column_mapping": {"author_id": "id"}}}},
	  {"name": "writer_first", "using": {"manual_configuration": {"remote_table": "author", "column_mapping": {"author_id": "id"}, "insertion_order": "before_parent"}}}
	]`), &rels); err != nil {
		t.Fatal(err)
	}
	src.Tables[1].ObjectRelationships = append(src.Tables[1].ObjectRelationships, rels...)
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := s.AST.Types["article_insert_input"]
	if in.Fields.ForName("writer") != nil || in.Fields.ForName("writer_first") == nil || in.Fields.ForName("author") == nil {
		t.Errorf("article_insert_input relationship fields: %v", in.Fields)
	}
	a := s.Objects["article"]
	if a.Relationships["author"].InsertionOrder != "before_parent" || a.Relationships["writer_first"].InsertionOrder != "before_parent" ||
		s.Objects["author"].Relationships["articles"].InsertionOrder != "after_parent" {
		t.Errorf("insertion orders")
	}
	// Manual object relationships are always nullable.
	if got := s.AST.Types["article"].Fields.ForName("writer").Type.String(); got != "author" {
		t.Errorf("writer type %s", got)
	}
}

func TestCompositeFunctionArgumentsAreScalars(t *testing.T) {
	cat, src, opts := fixture(t)
	fn := cat.Functions[catalog.QName{Schema: "public", Name: "search_articles"}][0]
	fn.Args = append(fn.Args, catalog.FunctionArg{Name: "like", Type: catalog.ColumnType{Name: "article", UDT: "article", Schema: "public", Category: 'C', Kind: 'c'}, HasDefault: true})
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	f := s.AST.Types["search_articles_args"].Fields.ForName("like")
	if f == nil || f.Type.String() != "article_scalar" || s.AST.Types["article_scalar"] == nil || s.AST.Types["article"].Kind != ast.Object {
		t.Errorf("composite argument: %+v", f)
	}
}

func TestAggregatePredicatesOverFloat8Columns(t *testing.T) {
	cat, src, opts := fixture(t)
	article := cat.Tables[catalog.QName{Schema: "public", Name: "article"}]
	article.Columns = append(article.Columns, col("score", catalog.ColumnType{Name: "double precision", UDT: "float8", Category: 'N'}, true))
	s, err := Build(cat, src, nil, AdminRole, opts)
	if err != nil {
		t.Fatal(err)
	}
	d := s.AST.Types["article_aggregate_bool_exp"]
	for _, fn := range []string{"count", "avg", "corr", "covar_samp", "max", "min", "stddev_samp", "sum", "var_samp"} {
		if d.Fields.ForName(fn) == nil {
			t.Errorf("article_aggregate_bool_exp lacks %s", fn)
		}
	}
	if d.Fields.ForName("bool_and") != nil {
		t.Errorf("bool_and without boolean columns")
	}
	q := `{ author(where: {articles_aggregate: {
	  avg: {arguments: score, predicate: {_gt: 1.5}},
	  corr: {arguments: {X: score, Y: score}, filter: {title: {_like: "a%"}}, predicate: {_lt: 0.5}}
	}}) { id } }`
	if errs := validate(t, s, q); len(errs) > 0 {
		t.Errorf("%v", errs)
	}
	// No array relationship targets author, so no predicates are generated
	// for it.
	if s.AST.Types["author_aggregate_bool_exp"] != nil {
		t.Errorf("author_aggregate_bool_exp is not used by any relationship")
	}
}
