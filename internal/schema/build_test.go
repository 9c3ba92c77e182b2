package schema

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the generated schema (run with -update and review the diff)", path)
	}
}

// build builds the fixture schema for role.
func build(t testing.TB, role string) *Schema {
	t.Helper()
	cat, src, opts := fixture(t)
	s, err := Build(cat, src, nil, role, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate checks a query against a schema and returns the error messages.
func validate(t *testing.T, s *Schema, query string) []string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	var msgs []string
	for _, e := range validator.Validate(s.AST, doc) {
		msgs = append(msgs, e.Message)
	}
	return msgs
}

func TestBuildAdminGolden(t *testing.T) {
	golden(t, "admin.graphql", build(t, AdminRole).SDL())
}

func TestBuildUserGolden(t *testing.T) {
	golden(t, "user.graphql", build(t, "user").SDL())
}

func TestSchemaLoadsAsSDL(t *testing.T) {
	// The printed SDL must be a valid schema on its own: every referenced
	// type is declared and every input/enum is well formed.
	for _, role := range []string{AdminRole, "user", "editor", "nobody"} {
		sdl := build(t, role).SDL()
		if _, err := validator.LoadSchema(validator.Prelude, &ast.Source{Name: role, Input: sdl}); err != nil {
			t.Errorf("role %s: %v", role, err)
		}
	}
}

func TestAdminQueriesValidate(t *testing.T) {
	s := build(t, AdminRole)
	ok := []string{
		`{ author(where: {name: {_ilike: "%a%"}, articles: {title: {_eq: "x"}}}, order_by: [{name: desc_nulls_last}], limit: 1, offset: 2, distinct_on: [name]) { id name info(path: "$.a") full_name articles(limit: 1) { id author { name } } articles_aggregate { aggregate { count(columns: [id], distinct: true) sum { id } avg { id } max { title published_at } } nodes { id } } } }`,
		`{ author_by_pk(id: 1) { id } author_aggregate(where: {articles_aggregate: {count: {predicate: {_gt: 1}, arguments: [id], filter: {status: {_eq: draft}}}}}) { aggregate { count stddev { age } } } }`,
		`{ article(where: {status: {_in: [draft, published]}, tags: {_eq: "{a}"}, author: {info: {_contains: {a: 1}, _has_key: "a", _cast: {String: {_like: "%"}}}}}, order_by: {author: {name: asc}}) { status tags published_at } }`,
		`{ content_tag(where: {id: {_eq: "00000000-0000-0000-0000-000000000000"}}) { id label } content_tag_by_pk(id: "00000000-0000-0000-0000-000000000000") { label } }`,
		`{ search_articles(args: {search: "x"}, where: {id: {_gt: 1}}) { id } search_articles_aggregate(args: {search: "x"}) { aggregate { count } } }`,
		`{ author(order_by: {articles_aggregate: {count: asc, max: {title: desc}}, full_name: asc}, where: {full_name: {_eq: "x"}, is_active: {_eq: true}}) { id } }`,
		`{ author { articles_since(args: {since: "2020-01-01"}, where: {title: {_like: "a%"}}, limit: 2) { id } } }`,
		`subscription { author_stream(batch_size: 10, cursor: {initial_value: {id: 1}, ordering: ASC}) { id } }`,
		`{ __schema { queryType { name } } __type(name: "author") { name } }`,
		`query @cached(ttl: 5) { author { id } }`,
	}
	for _, q := range ok {
		if errs := validate(t, s, q); len(errs) > 0 {
			t.Errorf("%s: %v", q, errs)
		}
	}
}

func TestRoleVisibility(t *testing.T) {
	user := build(t, "user")
	cases := []struct {
		query string
		want  string // substring of the first error; "" means valid
	}{
		{`{ author { id name } article { id title author_id author { name } } }`, ""},
		{`{ author { email } }`, `Cannot query field "email" on type "author".`},
		{`{ author_aggregate { aggregate { count } } }`, `Cannot query field "author_aggregate" on type "query_root".`},
		{`{ author { articles(where: {title: {_eq: "a"}}) { id } } }`, ""},
		{`{ author { articles_aggregate { aggregate { count } } } }`, `Cannot query field "articles_aggregate" on type "author".`},
		// Hasura v2 orders by array relationship aggregates without allow_aggregations.
		{`{ author(order_by: {articles_aggregate: {count: desc, max: {id: asc}}}) { id } }`, ""},
		{`{ author(where: {articles_aggregate: {count: {predicate: {_eq: 1}}}}) { id } }`, `Field "articles_aggregate" is not defined by type "author_bool_exp".`},
		{`{ author { full_name } }`, `Cannot query field "full_name" on type "author".`},
		// Set-returning computed fields need no grant: user reads article.
		{`{ author { articles_since(args: {since: "2020-01-01"}) { id } } }`, ""},
		{`{ article { published_at } }`, `Cannot query field "published_at" on type "article".`},
		{`{ article_status { value } }`, `Cannot query field "article_status" on type "query_root".`},
		{`{ content_tag { id } }`, `Cannot query field "content_tag" on type "query_root".`},
		{`{ author_by_pk(id: 1) { id } article_by_pk(id: 1) { id } }`, ""},
		{`{ search_articles(args: {search: "a"}) { id } }`, ""},
		{`{ search_articles_aggregate(args: {search: "a"}) { aggregate { count } } }`, `Cannot query field "search_articles_aggregate" on type "query_root".`},
	}
	for _, c := range cases {
		errs := validate(t, user, c.query)
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%s: unexpected %v", c.query, errs)
		case c.want != "" && (len(errs) == 0 || !strings.Contains(errs[0], c.want)):
			t.Errorf("%s: got %v, want %q", c.query, errs, c.want)
		}
	}
	// article.author is defined by a foreign key on a non-null column, so
	// Hasura types it non-null whatever the role's filter on author.
	if got := user.AST.Types["article"].Fields.ForName("author").Type.String(); got != "author!" {
		t.Errorf("user article.author: %s", got)
	}
	if user.Query["author_by_pk"] == nil || user.Query["author_by_pk"].Kind != RootSelectByPK {
		t.Errorf("user author_by_pk root missing")
	}
	at := user.Objects["article"]
	if at == nil || at.Perm.Select == nil || !sameJSON(at.Perm.Select.Filter, `{"published_at": {"_is_null": false}}`) || *at.Perm.Select.Limit != 10 {
		t.Errorf("article perm: %+v", at)
	}
	if f := at.Fields["author"]; f == nil || f.Kind != FieldObjectRel || f.Rel.Mapping[0].Outer != "author_id" || f.Rel.Mapping[0].Inner != "id" {
		t.Errorf("article.author field: %+v", f)
	}
}

func TestResolutionOfUnselectableColumnsAndRelationships(t *testing.T) {
	s := build(t, "editor")
	author := s.Objects["author"]
	// editor reads every author column; article is not selectable for
	// editor, yet the relationship resolves (with no Target).
	if c := author.Columns["email"]; c == nil || c.Name != "email" {
		t.Errorf("Columns[email]: %+v", c)
	}
	r := author.Relationships["articles"]
	if r == nil || r.Target != nil || r.TargetName.Name != "article" || r.Mapping[0] != (ir.ColumnPair{Outer: "id", Inner: "author_id"}) {
		t.Errorf("articles relationship: %+v", r)
	}
	user := build(t, "user")
	// user may insert status but not select it.
	if c := user.Tables[catalog.QName{Schema: "public", Name: "article"}].Columns["status"]; c == nil {
		t.Errorf("article.status missing from Columns")
	}
}

func TestRoleWithoutPermissions(t *testing.T) {
	s := build(t, "nobody")
	q := s.AST.Query
	if q.Name != "query_root" || len(q.Fields) != 3 || q.Fields.ForName("no_queries_available") == nil ||
		q.Fields.ForName("no_queries_available").Type.String() != "String!" {
		t.Errorf("query_root fields: %v", q.Fields)
	}
	if s.AST.Subscription != nil || s.AST.Mutation != nil {
		t.Errorf("unexpected subscription or mutation root")
	}
}

func TestEditorNullableObjectRelAndComputed(t *testing.T) {
	s := build(t, "editor")
	// editor cannot select article at all: no articles relationship.
	if s.AST.Types["author"].Fields.ForName("articles") != nil {
		t.Errorf("editor sees articles")
	}
	if s.AST.Types["author"].Fields.ForName("full_name") == nil {
		t.Errorf("editor lacks full_name")
	}
	if s.Query["author_aggregate"] == nil {
		t.Errorf("editor lacks author_aggregate")
	}
	if s.Query["author_by_pk"] == nil {
		t.Errorf("editor lacks author_by_pk")
	}
}

func TestInheritedRoleCombinesParents(t *testing.T) {
	cat, src, opts := fixture(t)
	s, err := Build(cat, src, []*metadata.InheritedRole{{RoleName: "both", RoleSet: []string{"user", "editor"}}}, "both", opts)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Objects["author"]
	sp := a.Perm.Select
	if !sp.Columns["email"] || !sp.Columns["name"] || len(sp.Filters) != 2 || len(sp.Parents) != 2 || !sp.AllowAggregations {
		t.Errorf("combined author perm: %+v", sp)
	}
	// name comes from both parents and keeps its nullability; email only
	// from editor, so it becomes nullable.
	if got := s.AST.Types["author"].Fields.ForName("name").Type.String(); got != "String!" {
		t.Errorf("author.name: %s", got)
	}
	if got := s.AST.Types["author"].Fields.ForName("id").Type.String(); got != "Int!" {
		t.Errorf("author.id: %s", got)
	}
	for _, f := range []string{"email", "full_name", "articles"} {
		if s.AST.Types["author"].Fields.ForName(f) == nil {
			t.Errorf("inherited role lacks author.%s", f)
		}
	}
	if s.Query["author_aggregate"] == nil {
		t.Errorf("inherited role lacks author_aggregate")
	}
	// article comes from user alone: its permission is user's.
	if ap := s.Objects["article"].Perm.Select; len(ap.Filters) != 1 || ap.Parents != nil {
		t.Errorf("article perm: %+v", ap)
	}
}

func TestMutationsAdmin(t *testing.T) {
	s := build(t, AdminRole)
	ok := []string{
		`mutation { insert_author(objects: [{id: 1, name: "a", articles: {data: [{id: 1, title: "t", status: draft}], on_conflict: {constraint: article_pkey, update_columns: [title]}}}], on_conflict: {constraint: author_pkey, update_columns: name, where: {id: {_gt: 0}}}) { affected_rows returning { id } } }`,
		`mutation { insert_author_one(object: {name: "a"}, on_conflict: {constraint: author_email_key}) { id } }`,
		`mutation { insert_article_one(object: {title: "t", author: {data: {name: "x"}}}) { id } }`,
		`mutation { update_author(where: {id: {_eq: 1}}, _set: {name: "b"}, _inc: {age: 1}, _append: {info: {a: 1}}, _prepend: {info: [1]}, _delete_key: {info: "a"}, _delete_elem: {info: 1}, _delete_at_path: {info: ["a", "b"]}) { affected_rows } }`,
		`mutation { update_author_by_pk(pk_columns: {id: 1}, _set: {name: "c"}) { id } }`,
		`mutation { update_author_many(updates: [{where: {id: {_eq: 1}}, _set: {name: "d"}}]) { affected_rows } }`,
		`mutation { delete_author(where: {}) { affected_rows } delete_author_by_pk(id: 1) { id } }`,
	}
	for _, q := range ok {
		if errs := validate(t, s, q); len(errs) > 0 {
			t.Errorf("%s: %v", q, errs)
		}
	}
	if rf := s.Mutation["update_author_many"]; rf == nil || rf.Kind != RootUpdateMany || rf.Table.GQLName != "author" {
		t.Errorf("update_author_many: %+v", rf)
	}
	if got := s.AST.Types["author_update_column"].EnumValues.ForName("name"); got == nil {
		t.Errorf("author_update_column lacks name")
	}
	// Column descriptions follow the column into aggregates and inputs.
	for _, ty := range []string{"author", "author_avg_fields", "author_max_fields", "author_sum_fields", "author_insert_input", "author_set_input", "author_inc_input"} {
		if d := s.AST.Types[ty].Fields.ForName("age").Description; d != "age in years" {
			t.Errorf("%s.age description %q", ty, d)
		}
	}
	if d := s.AST.Types["author"].Description; d != "Writers of articles" {
		t.Errorf("author description %q", d)
	}
	if s.AST.Mutation.Description != "mutation root" {
		t.Errorf("mutation root description %q", s.AST.Mutation.Description)
	}
}

func TestMutationsPerRole(t *testing.T) {
	user := build(t, "user")
	cases := []struct {
		query string
		want  string
	}{
		{`mutation { insert_article(objects: [{id: 1, title: "t", status: draft}]) { affected_rows returning { id title } } }`, ""},
		// author_id is preset by the permission: not an input field.
		{`mutation { insert_article_one(object: {author_id: 1}) { id } }`, `Field "author_id" is not defined by type "article_insert_input".`},
		{`mutation { update_article(where: {}, _set: {title: "x"}) { affected_rows } }`, ""},
		{`mutation { update_article(where: {}, _set: {status: draft}) { affected_rows } }`, `Field "status" is not defined by type "article_set_input".`},
		{`mutation { update_article(where: {}, _inc: {id: 1}) { affected_rows } }`, `Unknown argument "_inc" on field "mutation_root.update_article".`},
		{`mutation { insert_article(objects: [], on_conflict: {constraint: article_pkey, update_columns: [title]}) { affected_rows } }`, ""},
		// delete is backend_only: hidden without the backend-only header.
		{`mutation { delete_article(where: {}) { affected_rows } }`, `Cannot query field "delete_article" on type "mutation_root".`},
		{`mutation { insert_author(objects: []) { affected_rows } }`, `Cannot query field "insert_author" on type "mutation_root".`},
	}
	for _, c := range cases {
		errs := validate(t, user, c.query)
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%s: unexpected %v", c.query, errs)
		case c.want != "" && (len(errs) == 0 || !strings.Contains(errs[0], c.want)):
			t.Errorf("%s: got %v, want %q", c.query, errs, c.want)
		}
	}
	cat, src, opts := fixture(t)
	opts.BackendOnly = true
	backend, err := Build(cat, src, nil, "user", opts)
	if err != nil {
		t.Fatal(err)
	}
	if errs := validate(t, backend, `mutation { delete_article(where: {}) { affected_rows } delete_article_by_pk(id: 1) { id } }`); len(errs) > 0 {
		t.Errorf("backend-only delete: %v", errs)
	}
}

func TestInheritedRoleRedactsColumnsOfSomeParents(t *testing.T) {
	cat, src, opts := fixture(t)
	// user now reads only author.id; name (NOT NULL) comes from editor alone.
	src.Tables[0].SelectPermissions[0].Permission.Columns = metadata.Columns{Names: []string{"id"}}
	s, err := Build(cat, src, []*metadata.InheritedRole{{RoleName: "both", RoleSet: []string{"user", "editor"}}}, "both", opts)
	if err != nil {
		t.Fatal(err)
	}
	author := s.AST.Types["author"]
	if got := author.Fields.ForName("name").Type.String(); got != "String" {
		t.Errorf("author.name: %s, want nullable", got)
	}
	if got := author.Fields.ForName("id").Type.String(); got != "Int!" {
		t.Errorf("author.id: %s", got)
	}
}

func TestComputedFieldArguments(t *testing.T) {
	s := build(t, AdminRole)
	f := s.AST.Types["author"].Fields.ForName("articles_since")
	a := f.Arguments.ForName("args")
	if a == nil || a.Type.String() != "articles_since_author_args!" ||
		a.Description != `input parameters for computed field "articles_since" defined on table "author"` {
		t.Fatalf("articles_since args: %+v", a)
	}
	in := s.AST.Types["articles_since_author_args"]
	if in == nil || len(in.Fields) != 1 || in.Fields[0].Name != "since" || in.Fields[0].Type.String() != "timestamptz" {
		t.Errorf("args input: %+v", in)
	}
	af := s.Objects["author"].Fields["articles_since"]
	if af == nil || af.Kind != FieldComputedSet || af.Computed.TableArgIndex != 0 || af.Computed.Returns.GQLName != "article" {
		t.Errorf("resolution: %+v", af)
	}
	if f.Type.String() != "[article!]!" {
		t.Errorf("type %s", f.Type)
	}
	// Computed fields with arguments of their own are not in bool_exp.
	if s.AST.Types["author_bool_exp"].Fields.ForName("articles_since") != nil {
		t.Errorf("articles_since in author_bool_exp")
	}
}

// sameJSON reports whether raw and want hold equal JSON values.
func sameJSON(raw []byte, want string) bool {
	var a, b any
	if json.Unmarshal(raw, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

func TestInheritedRoleMutations(t *testing.T) {
	roles := []*metadata.InheritedRole{
		{RoleName: "both", RoleSet: []string{"user", "editor"}},
		{RoleName: "outer", RoleSet: []string{"both", "reader"}},
	}
	mutations := func(t *testing.T, src *metadata.Source, role string) []string {
		t.Helper()
		cat, _, opts := fixture(t)
		s, err := Build(cat, src, roles, role, opts)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range s.Mutation {
			if strings.HasSuffix(n, "article") || strings.HasSuffix(n, "article_one") {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		return names
	}
	insertPerm := func(check string) *metadata.InsertPermissionDef {
		return &metadata.InsertPermissionDef{Role: "editor", Permission: metadata.InsertPermission{
			Columns: metadata.Columns{Names: []string{"status", "author_id", "title", "id"}},
			Set:     map[string]any{"author_id": "X-Hasura-User-Id"},
			Check:   metadata.BoolExp(check),
		}}
	}
	// Only user may insert and update: its permissions are inherited.
	_, src, _ := fixture(t)
	if got := mutations(t, src, "both"); strings.Join(got, " ") != "insert_article insert_article_one update_article" {
		t.Errorf("one parent: %v", got)
	}
	// editor's insert permission is the same as user's (column order and
	// spacing aside): still inherited.
	src.Tables[1].InsertPermissions = append(src.Tables[1].InsertPermissions, insertPerm(` { } `))
	if got := mutations(t, src, "both"); strings.Join(got, " ") != "insert_article insert_article_one update_article" {
		t.Errorf("equal parents: %v", got)
	}
	// Different checks: the inherited role cannot insert, here or through
	// a role inheriting from it.
	src.Tables[1].InsertPermissions[1] = insertPerm(`{"id": {"_gt": 0}}`)
	if got := mutations(t, src, "both"); strings.Join(got, " ") != "update_article" {
		t.Errorf("conflicting parents: %v", got)
	}
	if got := mutations(t, src, "outer"); strings.Join(got, " ") != "update_article" {
		t.Errorf("conflict through a nested inherited role: %v", got)
	}
	// A permission of the inherited role's own wins.
	own := insertPerm(`{}`)
	own.Role = "both"
	src.Tables[1].InsertPermissions = append(src.Tables[1].InsertPermissions, own)
	if got := mutations(t, src, "both"); strings.Join(got, " ") != "insert_article insert_article_one update_article" {
		t.Errorf("own permission: %v", got)
	}
}

func TestNestedInheritedRoleRedactsColumns(t *testing.T) {
	cat, src, opts := fixture(t)
	// user reads only author.id; editor reads every column. "inner"
	// combines user and editor, "outer" inner and editor: name still comes
	// from editor alone on some rows.
	src.Tables[0].SelectPermissions[0].Permission.Columns = metadata.Columns{Names: []string{"id"}}
	roles := []*metadata.InheritedRole{
		{RoleName: "inner", RoleSet: []string{"user", "editor"}},
		{RoleName: "outer", RoleSet: []string{"inner", "editor"}},
	}
	s, err := Build(cat, src, roles, "outer", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.AST.Types["author"].Fields.ForName("name").Type.String(); got != "String" {
		t.Errorf("author.name: %s, want nullable", got)
	}
	if got := s.AST.Types["author"].Fields.ForName("id").Type.String(); got != "Int!" {
		t.Errorf("author.id: %s", got)
	}
}
