package schema

import (
	"encoding/json"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
)

// Column types used by the fixtures.
var (
	tInt4        = catalog.ColumnType{Name: "integer", UDT: "int4", Schema: "pg_catalog", Category: 'N'}
	tText        = catalog.ColumnType{Name: "text", UDT: "text", Schema: "pg_catalog", Category: 'S'}
	tBool        = catalog.ColumnType{Name: "boolean", UDT: "bool", Schema: "pg_catalog", Category: 'B'}
	tNumeric     = catalog.ColumnType{Name: "numeric", UDT: "numeric", Schema: "pg_catalog", Category: 'N'}
	tTimestamptz = catalog.ColumnType{Name: "timestamp with time zone", UDT: "timestamptz", Schema: "pg_catalog", Category: 'D'}
	tJSONB       = catalog.ColumnType{Name: "jsonb", UDT: "jsonb", Schema: "pg_catalog", Category: 'U'}
	tTextArray   = catalog.ColumnType{Name: "text[]", UDT: "_text", Schema: "pg_catalog", Category: 'A', Elem: &tText}
	tUUID        = catalog.ColumnType{Name: "uuid", UDT: "uuid", Schema: "pg_catalog", Category: 'U'}
)

// col builds a column.
func col(name string, t catalog.ColumnType, nullable bool) *catalog.Column {
	return &catalog.Column{Name: name, Type: t, Nullable: nullable}
}

// fixtureCatalog is a small blog database: author, article (FK to author
// and to the enum table article_status), tag in schema "content", a
// computed field and a tracked function.
func fixtureCatalog() *catalog.Catalog {
	q := func(s, n string) catalog.QName { return catalog.QName{Schema: s, Name: n} }
	age := col("age", tNumeric, true)
	age.Description = "age in years"
	author := &catalog.Table{Name: q("public", "author"), Kind: catalog.KindTable, Description: "Writers of articles",
		Columns: []*catalog.Column{
			col("id", tInt4, false), col("name", tText, false), age,
			col("email", tText, true), col("info", tJSONB, true), col("is_active", tBool, true),
		},
		PrimaryKey: &catalog.Constraint{Name: "author_pkey", Columns: []string{"id"}},
		Uniques:    []*catalog.Constraint{{Name: "author_email_key", Columns: []string{"email"}}},
	}
	article := &catalog.Table{Name: q("public", "article"), Kind: catalog.KindTable,
		Columns: []*catalog.Column{
			col("id", tInt4, false), col("title", tText, false), col("author_id", tInt4, false),
			col("published_at", tTimestamptz, true), col("tags", tTextArray, true), col("status", tText, false),
		},
		PrimaryKey: &catalog.Constraint{Name: "article_pkey", Columns: []string{"id"}},
		ForeignKeys: []*catalog.ForeignKey{
			{Name: "article_author_id_fkey", Table: q("public", "article"), RefTable: q("public", "author"), Columns: []string{"author_id"}, RefColumns: []string{"id"}},
			{Name: "article_status_fkey", Table: q("public", "article"), RefTable: q("public", "article_status"), Columns: []string{"status"}, RefColumns: []string{"value"}},
		},
	}
	status := &catalog.Table{Name: q("public", "article_status"), Kind: catalog.KindTable,
		Columns:    []*catalog.Column{col("value", tText, false), col("comment", tText, true)},
		PrimaryKey: &catalog.Constraint{Name: "article_status_pkey", Columns: []string{"value"}},
	}
	tag := &catalog.Table{Name: q("content", "tag"), Kind: catalog.KindTable,
		Columns:    []*catalog.Column{col("id", tUUID, false), col("label", tText, false)},
		PrimaryKey: &catalog.Constraint{Name: "tag_pkey", Columns: []string{"id"}},
	}
	fullName := &catalog.Function{Name: q("public", "author_full_name"),
		Args:       []catalog.FunctionArg{{Name: "author_row", Type: catalog.ColumnType{Name: "author", UDT: "author", Schema: "public", Category: 'C'}}},
		ReturnType: q("pg_catalog", "text"), Volatility: catalog.Stable}
	since := &catalog.Function{Name: q("public", "author_articles_since"),
		Args: []catalog.FunctionArg{
			{Name: "author_row", Type: catalog.ColumnType{Name: "author", UDT: "author", Schema: "public", Category: 'C'}},
			{Name: "since", Type: tTimestamptz},
		},
		ReturnType: q("public", "article"), ReturnsSet: true, ReturnsTable: true, Volatility: catalog.Stable}
	search := &catalog.Function{Name: q("public", "search_articles"),
		Args:       []catalog.FunctionArg{{Name: "search", Type: tText}},
		ReturnType: q("public", "article"), ReturnsSet: true, ReturnsTable: true, Volatility: catalog.Stable}
	return &catalog.Catalog{
		Tables: map[catalog.QName]*catalog.Table{
			author.Name: author, article.Name: article, status.Name: status, tag.Name: tag,
		},
		Functions: map[catalog.QName][]*catalog.Function{
			fullName.Name: {fullName}, search.Name: {search}, since.Name: {since},
		},
	}
}

// fixtureMetadata tracks the fixture tables with relationships and
// permissions for roles "user" and "editor".
const fixtureMetadata = `{
  "name": "default", "kind": "postgres",
  "tables": [
    {"table": {"schema": "public", "name": "author"},
     "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}],
     "computed_fields": [
       {"name": "full_name", "definition": {"function": "author_full_name"}},
       {"name": "articles_since", "definition": {"function": "author_articles_since", "table_argument": "author_row"}}
     ],
     "select_permissions": [
       {"role": "user", "permission": {"columns": ["id", "name"], "filter": {}}},
       {"role": "editor", "permission": {"columns": "*", "computed_fields": ["full_name"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}, "allow_aggregations": true}}
     ]},
    {"table": {"schema": "public", "name": "article"},
     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
     "select_permissions": [
       {"role": "user", "permission": {"columns": ["id", "title", "author_id"], "filter": {"published_at": {"_is_null": false}}, "limit": 10}}
     ],
     "insert_permissions": [
       {"role": "user", "permission": {"columns": ["id", "title", "author_id", "status"], "set": {"author_id": "X-Hasura-User-Id"}, "check": {}}}
     ],
     "update_permissions": [
       {"role": "user", "permission": {"columns": ["title"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}}
     ],
     "delete_permissions": [
       {"role": "user", "permission": {"filter": {}, "backend_only": true}}
     ]},
    {"table": {"schema": "public", "name": "article_status"}, "is_enum": true},
    {"table": {"schema": "content", "name": "tag"}}
  ],
  "functions": [{"function": "search_articles"}]
}`

// fixture returns the fixture catalog, metadata source and build options.
func fixture(t testing.TB) (*catalog.Catalog, *metadata.Source, Options) {
	t.Helper()
	var src metadata.Source
	if err := json.Unmarshal([]byte(fixtureMetadata), &src); err != nil {
		t.Fatal(err)
	}
	opts := Options{EnumValues: map[catalog.QName][]EnumValue{
		{Schema: "public", Name: "article_status"}: {{Value: "draft", Description: "not yet visible"}, {Value: "published"}},
	}}
	return fixtureCatalog(), &src, opts
}
