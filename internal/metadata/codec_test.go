package metadata

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

// fullSchema creates every database object testdata/hasura_metadata.json refers to.
const fullSchema = `
CREATE SCHEMA library;
CREATE TABLE author (id serial PRIMARY KEY, name text, remarks text);
CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id), is_published boolean);
CREATE TABLE profile (id serial PRIMARY KEY, author_id int UNIQUE REFERENCES author(id), bio text);
CREATE TABLE mood (value text PRIMARY KEY, comment text);
INSERT INTO mood VALUES ('happy', 'Happy'), ('sad', NULL);
CREATE TABLE library.book (id serial PRIMARY KEY, author_id int);
CREATE FUNCTION author_full_title(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT a.name $$;
CREATE FUNCTION search_articles(q text, hasura_session json) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE title ILIKE q $$;
CREATE FUNCTION archive_article(article_id int) RETURNS SETOF article LANGUAGE sql VOLATILE AS $$ SELECT * FROM article WHERE id = article_id $$;
`

func TestParseLegacyDocument(t *testing.T) {
	md, err := Parse([]byte(`{"version":2,"tables":[{"table":{"schema":"public","name":"author"}},{"table":"article"}],"functions":["search",{"function":{"schema":"s","name":"f"},"configuration":{}}],"remote_schemas":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if md.Version != 3 || len(md.Sources) != 1 || md.Sources[0].Name != "default" {
		t.Fatalf("got %s", rawJSON(md))
	}
	src := md.Sources[0]
	if len(src.Tables) != 2 || src.Tables[1].Table != (TableName{"public", "article"}) {
		t.Errorf("tables = %s", rawJSON(src.Tables))
	}
	if len(src.Functions) != 2 || src.Functions[0].Function != (TableName{"public", "search"}) || src.Functions[1].Function != (TableName{"s", "f"}) {
		t.Errorf("functions = %s", rawJSON(src.Functions))
	}
	if string(md.Extra["remote_schemas"]) != "[]" {
		t.Errorf("extra = %v", md.Extra)
	}
	if _, err := Parse([]byte(`{"version":7}`)); err == nil {
		t.Errorf("version 7: want an error")
	}
}

func TestCodecKeepsUnknownSections(t *testing.T) {
	doc, err := os.ReadFile("testdata/hasura_metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	md, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"remote_schemas", "actions", "custom_types", "cron_triggers", "query_collections", "allowlist", "rest_endpoints", "api_limits", "network", "backend_configs", "opentelemetry", "graphql_schema_introspection"} {
		if md.Extra[k] == nil {
			t.Errorf("top-level %s not kept", k)
		}
	}
	author := md.Sources[0].FindTable(TableName{"public", "author"})
	for _, k := range []string{"event_triggers", "remote_relationships", "apollo_federation_config"} {
		if author.Extra[k] == nil {
			t.Errorf("table section %s not kept", k)
		}
	}
	if md.Sources[0].Extra["query_tags"] == nil {
		t.Errorf("source section query_tags not kept")
	}
	jsonEqual(t, rawJSON(md), string(doc))
}

// TestReplaceExportRoundTrip stores a realistic Hasura document and exports
// it: the JSON values are equal, and the objects the engine cannot serve yet
// are reported while the rest is served.
func TestReplaceExportRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.sql(fullSchema)
	doc, err := os.ReadFile("testdata/hasura_metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	res := e.meta(`{"type":"replace_metadata","version":2,"args":{"allow_inconsistent_metadata":false,"metadata":` + string(doc) + `}}`)
	var rep struct {
		IsConsistent bool `json:"is_consistent"`
	}
	if err := json.Unmarshal(res, &rep); err != nil || !rep.IsConsistent {
		t.Fatalf("replace_metadata: %s", res)
	}
	jsonEqual(t, e.meta(`{"type":"export_metadata","args":{}}`), string(doc))

	// v1 form: the document itself as args.
	e.meta(`{"type":"clear_metadata","args":{}}`)
	jsonEqual(t, e.meta(`{"type":"replace_metadata","args":`+string(doc)+`}`), `{"message":"success"}`)
	jsonEqual(t, e.meta(`{"type":"export_metadata","args":{}}`), string(doc))

	// After a restart too.
	svc := e.reopen()
	got, err := svc.Metadata(context.Background(), []byte(`{"type":"export_metadata","args":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, string(doc))
	served := svc.Current().Metadata.Source("default")
	if len(served.Tables) != 5 || len(served.Functions) != 2 {
		t.Errorf("served %d tables, %d functions; want 5 and 2", len(served.Tables), len(served.Functions))
	}
	if n := len(svc.Current().Inconsistent); n != 0 {
		t.Errorf("inconsistent: %s", rawJSON(svc.Current().Inconsistent))
	}
	// Sections not served yet are listed by get_inconsistent_metadata.
	var ic struct {
		IsConsistent bool `json:"is_consistent"`
		Objects      []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"inconsistent_objects"`
	}
	_ = json.Unmarshal(e.meta(`{"type":"get_inconsistent_metadata","args":{}}`), &ic)
	want := map[string]bool{"action login": true, "remote_schema billing": true, "cron_trigger nightly": true, "endpoint writers": true,
		"event_trigger author_created in table author in source default": true, "remote_relationship payments in table author in source default": true}
	for _, o := range ic.Objects {
		delete(want, o.Name)
	}
	if !ic.IsConsistent || len(want) != 0 {
		t.Errorf("get_inconsistent_metadata: consistent=%v, missing %v", ic.IsConsistent, want)
	}
}

func TestCloneIsDeep(t *testing.T) {
	doc, err := os.ReadFile("testdata/hasura_metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	md, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := md.Clone()
	jsonEqual(t, rawJSON(c), string(doc))
	// Every in-place edit the operations make leaves the original alone.
	ct := c.Sources[0].Tables[0]
	ct.Configuration.ColumnConfig["x"] = ColumnConfig{CustomName: "x"}
	ct.ArrayRelationships[1].Using.ManualConfiguration.ColumnMapping["x"] = "y"
	ct.ArrayRelationships[0].Using.ForeignKeyConstraintOn.Column = "x"
	ct.SelectPermissions[0].Permission.Columns.Names[0] = "x"
	ct.InsertPermissions[0].Permission.Set["x"] = 1
	c.Sources[0].Functions[0].Permissions[0].Role = "x"
	c.InheritedRoles[0].RoleSet[0] = "x"
	c.Sources[0].Tables = nil
	jsonEqual(t, rawJSON(md), string(doc))
}
