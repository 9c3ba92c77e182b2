package catalog

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/postgate/postgate/internal/pgtest"
)

const fixtureSQL = `
CREATE SCHEMA hge_tests;
CREATE SCHEMA hdb_catalog;
CREATE TABLE hdb_catalog.hidden (id int);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);
CREATE TABLE "user" (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "Name" varchar(64) NOT NULL,
  email text,
  tags text[] DEFAULT '{}',
  moods mood[],
  feeling mood,
  age posint,
  data jsonb,
  name_len int GENERATED ALWAYS AS (length("Name")) STORED,
  created timestamptz NOT NULL DEFAULT now(),
  code char(3),
  flags bit(4),
  CONSTRAINT user_email_key UNIQUE (email)
);
CREATE UNIQUE INDEX user_name_idx ON "user" ("Name");
CREATE UNIQUE INDEX user_partial_idx ON "user" (age) WHERE age > 10;
CREATE UNIQUE INDEX user_expr_idx ON "user" (lower(email));
COMMENT ON TABLE "user" IS 'People';
COMMENT ON COLUMN "user"."Name" IS 'Display name';
CREATE TABLE "Order" (
  shop int,
  "select" int,
  owner_id int REFERENCES "user"(id),
  parent_shop int,
  parent_select int,
  PRIMARY KEY (shop, "select"),
  CONSTRAINT order_parent_fkey FOREIGN KEY (parent_select, parent_shop) REFERENCES "Order"("select", shop)
);
CREATE TABLE hge_tests.item (id serial PRIMARY KEY, label text);
CREATE VIEW user_names AS SELECT id, "Name" FROM "user";
CREATE VIEW user_counts AS SELECT count(*) AS n FROM "user";
CREATE VIEW trig_view AS SELECT count(*) AS n FROM "user";
CREATE FUNCTION trig_view_ins() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER trig_view_ins INSTEAD OF INSERT ON trig_view FOR EACH ROW EXECUTE FUNCTION trig_view_ins();
CREATE MATERIALIZED VIEW user_mat AS SELECT id FROM "user";
CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE FUNCTION search_users(search text, lim int DEFAULT 10) RETURNS SETOF "user"
  LANGUAGE sql STABLE AS $$ SELECT * FROM "user" WHERE "Name" ILIKE search LIMIT lim $$;
COMMENT ON FUNCTION search_users(text, int) IS 'Find users';
CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE FUNCTION add(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT a || b $$;
CREATE FUNCTION total(VARIADIC xs int[]) RETURNS int LANGUAGE sql AS $$ SELECT sum(x)::int FROM unnest(xs) x $$;
CREATE FUNCTION split_pair(p pair, OUT x int, INOUT y text) LANGUAGE sql AS $$ SELECT (p).a, y $$;
CREATE AGGREGATE my_sum(int) (SFUNC = int4pl, STYPE = int);
`

func loadFixture(t *testing.T) *Catalog {
	t.Helper()
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, fixtureSQL)
	c, err := Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pub(name string) QName { return QName{Schema: "public", Name: name} }

func TestLoadTables(t *testing.T) {
	c := loadFixture(t)
	var names []string
	for _, tb := range c.SortedTables() {
		names = append(names, tb.Name.String()+":"+string(tb.Kind))
	}
	want := []string{
		"hge_tests.item:table",
		"public.Order:table",
		"public.events:partitioned_table",
		"public.events_2024:table",
		"public.trig_view:view",
		"public.user:table",
		"public.user_counts:view",
		"public.user_mat:materialized_view",
		"public.user_names:view",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("tables:\n got %v\nwant %v", names, want)
	}
	if !c.Table(pub("events_2024")).IsPartition || c.Table(pub("events")).IsPartition {
		t.Error("partition flags wrong")
	}
}

func TestLoadColumns(t *testing.T) {
	c := loadFixture(t)
	u := c.Table(pub("user"))
	if u.Description != "People" {
		t.Errorf("table comment %q", u.Description)
	}
	type colWant struct {
		name, typ, udt, schema string
		cat                    byte
		nullable, def, ident   bool
		gen                    bool
	}
	want := []colWant{
		{"id", "integer", "int4", "pg_catalog", 'N', false, true, true, false},
		{"Name", "character varying", "varchar", "pg_catalog", 'S', false, false, false, false},
		{"email", "text", "text", "pg_catalog", 'S', true, false, false, false},
		{"tags", "text[]", "_text", "pg_catalog", 'A', true, true, false, false},
		{"moods", "public.mood[]", "_mood", "public", 'A', true, false, false, false},
		{"feeling", "public.mood", "mood", "public", 'E', true, false, false, false},
		{"age", "public.posint", "posint", "public", 'N', true, false, false, false},
		{"data", "jsonb", "jsonb", "pg_catalog", 'U', true, false, false, false},
		{"name_len", "integer", "int4", "pg_catalog", 'N', true, true, false, true},
		{"created", "timestamp with time zone", "timestamptz", "pg_catalog", 'D', false, true, false, false},
		{"code", "bpchar", "bpchar", "pg_catalog", 'S', true, false, false, false},
		{"flags", `"bit"`, "bit", "pg_catalog", 'V', true, false, false, false},
	}
	if len(u.Columns) != len(want) {
		t.Fatalf("got %d columns", len(u.Columns))
	}
	for i, w := range want {
		col := u.Columns[i]
		got := colWant{col.Name, col.Type.Name, col.Type.UDT, col.Type.Schema, col.Type.Category,
			col.Nullable, col.HasDefault, col.IsIdentity, col.IsGenerated}
		if got != w {
			t.Errorf("column %d:\n got %+v\nwant %+v", i, got, w)
		}
		if col.Ordinal != i+1 {
			t.Errorf("column %s ordinal %d", col.Name, col.Ordinal)
		}
	}
	if !u.Column("id").IdentityAlways {
		t.Error("id should be GENERATED ALWAYS")
	}
	for col, want := range map[string]string{"Name": "character varying(64)", "code": "character(3)", "flags": "bit(4)"} {
		if ft := u.Column(col).FullType; ft != want {
			t.Errorf("%s full type %q", col, ft)
		}
	}
	if d := u.Column("created").Default; d != "now()" {
		t.Errorf("default %q", d)
	}
	if d := u.Column("Name").Description; d != "Display name" {
		t.Errorf("column comment %q", d)
	}
	if e := u.Column("tags").Type.Elem; e == nil || e.Name != "text" || e.UDT != "text" {
		t.Errorf("tags elem %+v", e)
	}
	moods := u.Column("moods").Type
	if moods.Elem == nil || !reflect.DeepEqual(moods.Elem.EnumValues, []string{"sad", "ok", "happy"}) {
		t.Errorf("moods elem %+v", moods.Elem)
	}
	if v := u.Column("feeling").Type.EnumValues; !reflect.DeepEqual(v, []string{"sad", "ok", "happy"}) {
		t.Errorf("enum labels %v", v)
	}
	if b := u.Column("age").Type.Base; b == nil || b.Name != "integer" || u.Column("age").Type.Kind != 'd' {
		t.Errorf("domain base %+v", b)
	}
	if u.Column("email").Type.IsArray() || !u.Column("tags").Type.IsArray() {
		t.Error("IsArray wrong")
	}
	if c.Table(QName{Schema: "hdb_catalog", Name: "hidden"}) != nil {
		t.Error("hdb_catalog must be skipped")
	}
}

func TestLoadKeys(t *testing.T) {
	c := loadFixture(t)
	u := c.Table(pub("user"))
	if u.PrimaryKey == nil || u.PrimaryKey.Name != "user_pkey" || !reflect.DeepEqual(u.PrimaryKey.Columns, []string{"id"}) {
		t.Errorf("pk %+v", u.PrimaryKey)
	}
	var uniques []Constraint
	for _, k := range u.Uniques {
		uniques = append(uniques, *k)
	}
	wantU := []Constraint{{"user_email_key", []string{"email"}}, {"user_name_idx", []string{"Name"}}}
	if !reflect.DeepEqual(uniques, wantU) {
		t.Errorf("uniques %+v", uniques)
	}
	if n := len(u.UniqueKeys()); n != 3 {
		t.Errorf("UniqueKeys: %d", n)
	}
	o := c.Table(pub("Order"))
	if !reflect.DeepEqual(o.PrimaryKey.Columns, []string{"shop", "select"}) {
		t.Errorf("composite pk %+v", o.PrimaryKey)
	}
	self := o.ForeignKey("order_parent_fkey")
	if self == nil || self.RefTable != pub("Order") ||
		!reflect.DeepEqual(self.Columns, []string{"parent_select", "parent_shop"}) ||
		!reflect.DeepEqual(self.RefColumns, []string{"select", "shop"}) {
		t.Errorf("self fk %+v", self)
	}
	owner := o.ForeignKey("Order_owner_id_fkey")
	if owner == nil || owner.RefTable != pub("user") || owner.Table != pub("Order") {
		t.Errorf("owner fk %+v", owner)
	}
	refs := c.ReferencingKeys(pub("user"))
	if len(refs) != 1 || refs[0] != owner {
		t.Errorf("referencing keys %+v", refs)
	}
}

func TestLoadViews(t *testing.T) {
	c := loadFixture(t)
	for _, tc := range []struct {
		name                string
		ins, upd, del, view bool
	}{
		{"user", true, true, true, false},
		{"user_names", true, true, true, true},
		{"user_counts", false, false, false, true},
		{"trig_view", true, false, false, true},
		{"user_mat", false, false, false, false},
	} {
		tb := c.Table(pub(tc.name))
		if tb.Insertable != tc.ins || tb.Updatable != tc.upd || tb.Deletable != tc.del {
			t.Errorf("%s: insertable=%v updatable=%v deletable=%v", tc.name, tb.Insertable, tb.Updatable, tb.Deletable)
		}
	}
	if n := len(c.Table(pub("user_mat")).Columns); n != 1 {
		t.Errorf("materialized view columns: %d", n)
	}
}

func TestLoadFunctions(t *testing.T) {
	c := loadFixture(t)
	s := c.FunctionsByName(pub("search_users"))
	if len(s) != 1 {
		t.Fatalf("search_users: %d", len(s))
	}
	f := s[0]
	if !f.ReturnsSet || !f.ReturnsTable || f.ReturnType != pub("user") || f.Volatility != Stable || f.Description != "Find users" {
		t.Errorf("search_users %+v", f)
	}
	if len(f.Args) != 2 || f.Args[0].Name != "search" || f.Args[0].HasDefault || f.Args[0].Type.Name != "text" ||
		f.Args[1].Name != "lim" || !f.Args[1].HasDefault || f.Args[1].Type.Name != "integer" {
		t.Errorf("search_users args %+v", f.Args)
	}
	add := c.FunctionsByName(pub("add"))
	if len(add) != 2 || add[0].ReturnsSet || add[0].ReturnsTable || add[0].Volatility != Immutable {
		t.Errorf("add overloads %+v", add)
	}
	if add[0].Return.Name != "integer" || add[1].Return.Name != "text" {
		t.Errorf("add return types %q %q", add[0].Return.Name, add[1].Return.Name)
	}
	tot := c.FunctionsByName(pub("total"))[0]
	if !tot.HasVariadic || tot.Volatility != Volatile || tot.Args[0].Type.Name != "integer[]" {
		t.Errorf("total %+v", tot)
	}
	sp := c.FunctionsByName(pub("split_pair"))[0]
	if !sp.HasOutArgs || len(sp.Args) != 2 || sp.Args[0].Name != "p" || sp.Args[0].Type.Name != "public.pair" ||
		sp.Args[1].Name != "y" || sp.Args[1].Type.Name != "text" {
		t.Errorf("split_pair %+v", sp)
	}
	if c.FunctionsByName(pub("my_sum")) != nil {
		t.Error("aggregates must be skipped")
	}
	if c.FunctionsByName(pub("trig_view_ins")) == nil {
		t.Error("trigger function missing")
	}
}

func TestLoadTypes(t *testing.T) {
	c := loadFixture(t)
	if v := c.EnumValues(pub("mood")); !reflect.DeepEqual(v, []string{"sad", "ok", "happy"}) {
		t.Errorf("mood %v", v)
	}
	d := c.Type(pub("posint"))
	if d == nil || d.Kind != 'd' || d.Base == nil || d.Base.UDT != "int4" || d.Category != 'N' {
		t.Errorf("posint %+v", d)
	}
	p := c.Type(pub("pair"))
	if p == nil || p.Kind != 'c' || len(p.Fields) != 2 || p.Fields[1].Name != "b" || p.Fields[1].Type.Name != "text" {
		t.Errorf("pair %+v", p)
	}
	for n := range c.Types {
		if n.Name == "user" || n.Name == "_mood" {
			t.Errorf("unexpected type %v", n)
		}
	}
	if c.ServerVersion < 100000 || c.Extensions["plpgsql"] == "" || c.PostGIS {
		t.Errorf("server %d %v postgis=%v", c.ServerVersion, c.Extensions, c.PostGIS)
	}
}

func TestLoadExtensionTypes(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE EXTENSION citext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("citext unavailable: %v", err)
	}
	pgtest.Exec(t, pool, `CREATE TABLE t (id int PRIMARY KEY, email citext, emails citext[])`)
	c, err := Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Table(pub("t")).Column("email").Type
	if e.Name != "public.citext" || e.UDT != "citext" || e.Schema != "public" {
		t.Errorf("citext %+v", e)
	}
	if es := c.Table(pub("t")).Column("emails").Type; es.Name != "public.citext[]" || es.Elem.UDT != "citext" {
		t.Errorf("citext[] %+v", es)
	}
	if c.Extensions["citext"] == "" {
		t.Error("citext extension not listed")
	}
}

func TestExcludeSchemas(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `CREATE SCHEMA a; CREATE TABLE a.x (id int); CREATE TABLE public.y (id int); CREATE SCHEMA hdb_catalog; CREATE TABLE hdb_catalog.z (id int)`)
	c, err := Load(context.Background(), pool, ExcludeSchemas("a"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range c.SortedTables() {
		got = append(got, tb.Name.String())
	}
	if !reflect.DeepEqual(got, []string{"hdb_catalog.z", "public.y"}) {
		t.Errorf("got %v", got)
	}
}

// TestCatalogJSON keeps the catalog serialisable (the metadata API shows
// parts of it).
func TestCatalogJSON(t *testing.T) {
	c := loadFixture(t)
	if _, err := json.Marshal(c.SortedTables()); err != nil {
		t.Fatal(err)
	}
}

// TestQuotedTypeNames checks that type names are usable as cast targets
// when schema or type need quoting.
func TestQuotedTypeNames(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `
CREATE SCHEMA "My Schema";
CREATE TYPE "My Schema"."Mood" AS ENUM ('up', 'down');
CREATE TABLE "My Schema"."Entry" ("Feeling" "My Schema"."Mood", "Feelings" "My Schema"."Mood"[]);`)
	ctx := context.Background()
	c, err := Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	tb := c.Table(QName{Schema: "My Schema", Name: "Entry"})
	if tb == nil {
		t.Fatalf("tables %v", c.Tables)
	}
	one, many := tb.Column("Feeling").Type, tb.Column("Feelings").Type
	if one.Name != `"My Schema"."Mood"` || many.Name != `"My Schema"."Mood"[]` || one.UDT != "Mood" || one.Schema != "My Schema" {
		t.Fatalf("names %q %q", one.Name, many.Name)
	}
	var got string
	if err := pool.QueryRow(ctx, "SELECT $1::text::"+one.Name+"::text || ($2::text::"+many.Name+")::text", "up", "{down}").Scan(&got); err != nil || got != "up{down}" {
		t.Errorf("casts: %q %v", got, err)
	}
	if v := c.EnumValues(QName{Schema: "My Schema", Name: "Mood"}); len(v) != 2 {
		t.Errorf("labels %v", v)
	}
}
