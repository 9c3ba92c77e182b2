package catalog

import (
	"context"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/pgtest"
)

// applyDDL runs ddl between two fingerprints and refreshes c with the
// difference, returning the changes and the refreshed catalog.
func applyDDL(t *testing.T, pool *pgxpool.Pool, c *Catalog, ddl string) (Changes, *Catalog) {
	t.Helper()
	ctx := context.Background()
	before, err := TakeFingerprint(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, pool, ddl)
	after, err := TakeFingerprint(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	ch := Diff(before, after)
	n, err := c.Refresh(ctx, pool, ch)
	if err != nil {
		t.Fatal(err)
	}
	return ch, n
}

// refreshSchema is the schema the refreshCases start from.
const refreshSchema = `
CREATE TYPE color AS ENUM ('red');
CREATE TABLE author (id int PRIMARY KEY, name text);
CREATE TABLE article (id int PRIMARY KEY, author_id int REFERENCES author(id), c color);
CREATE TABLE other (id int);
CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
CREATE FUNCTION authors() RETURNS SETOF author LANGUAGE sql STABLE AS 'SELECT * FROM author';
`

// refreshCase is DDL applied after the previous cases, with the objects
// the fingerprints must see changed (by name) and a check of the refreshed
// catalog.
type refreshCase struct {
	name               string
	ddl                string
	rels, funcs, types []string
	renamed            map[string]string
	check              func(t *testing.T, c *Catalog)
}

// refreshCases are the DDL cases, in order, from refreshSchema.
func refreshCases() []refreshCase {
	return []refreshCase{
		{
			name: "no change",
			ddl:  "SELECT 1",
		},
		{
			name: "data changes are not DDL",
			ddl:  "INSERT INTO author VALUES (1, 'a'); ANALYZE author",
		},
		{
			name: "truncate is not DDL",
			ddl:  "TRUNCATE article, author",
		},
		{
			name: "vacuum is not DDL",
			ddl:  "VACUUM (FULL, ANALYZE) author",
		},
		{
			name: "add column",
			ddl:  "ALTER TABLE other ADD COLUMN note text NOT NULL DEFAULT ''",
			rels: []string{"other"},
			check: func(t *testing.T, c *Catalog) {
				if col := c.Table(pub("other")).Column("note"); col == nil || col.Nullable || !col.HasDefault {
					t.Errorf("note column %+v", col)
				}
			},
		},
		{
			name: "comment",
			ddl:  "COMMENT ON COLUMN other.note IS 'n'",
			rels: []string{"other"},
			check: func(t *testing.T, c *Catalog) {
				if d := c.Table(pub("other")).Column("note").Description; d != "n" {
					t.Errorf("comment %q", d)
				}
			},
		},
		{
			name: "unique index",
			ddl:  "CREATE UNIQUE INDEX other_note ON other (note)",
			rels: []string{"other"},
			check: func(t *testing.T, c *Catalog) {
				if u := c.Table(pub("other")).Uniques; len(u) != 1 || u[0].Name != "other_note" {
					t.Errorf("uniques %+v", u)
				}
			},
		},
		{
			name: "create table",
			ddl:  "CREATE TABLE created (id int PRIMARY KEY)",
			rels: []string{"created"},
			check: func(t *testing.T, c *Catalog) {
				if c.Table(pub("created")) == nil || c.Table(pub("author")) == nil {
					t.Error("created table missing or others lost")
				}
			},
		},
		{
			name: "drop table",
			ddl:  "DROP TABLE created",
			rels: []string{"created"},
			check: func(t *testing.T, c *Catalog) {
				if c.Table(pub("created")) != nil {
					t.Error("dropped table still present")
				}
			},
		},
		{
			name:    "rename referenced table",
			ddl:     "ALTER TABLE author RENAME TO writer",
			rels:    []string{"author", "writer"},
			renamed: map[string]string{"author": "writer"},
			check: func(t *testing.T, c *Catalog) {
				fk := c.Table(pub("article")).ForeignKeys[0]
				if fk.RefTable != pub("writer") {
					t.Errorf("fk not refreshed: %+v", fk)
				}
				if f := c.FunctionsByName(pub("authors"))[0]; f.ReturnType != pub("writer") {
					t.Errorf("function return type not refreshed: %v", f.ReturnType)
				}
			},
		},
		{
			name:  "enum value",
			ddl:   "ALTER TYPE color ADD VALUE 'blue'",
			types: []string{"color"},
			check: func(t *testing.T, c *Catalog) {
				want := []string{"red", "blue"}
				if v := c.EnumValues(pub("color")); !reflect.DeepEqual(v, want) {
					t.Errorf("type labels %v", v)
				}
				if v := c.Table(pub("article")).Column("c").Type.EnumValues; !reflect.DeepEqual(v, want) {
					t.Errorf("column labels %v", v)
				}
			},
		},
		{
			name:  "replace function",
			ddl:   "CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql STABLE AS 'SELECT x'; CREATE FUNCTION f(x text) RETURNS text LANGUAGE sql AS 'SELECT x'",
			funcs: []string{"f"},
			check: func(t *testing.T, c *Catalog) {
				fs := c.FunctionsByName(pub("f"))
				if len(fs) != 2 || fs[0].Volatility != Stable {
					t.Errorf("f %+v", fs)
				}
			},
		},
		{
			name:    "rename function and move type",
			ddl:     "CREATE SCHEMA s; ALTER FUNCTION authors() RENAME TO writers; ALTER TYPE color SET SCHEMA s",
			funcs:   []string{"authors", "writers"},
			types:   []string{"color", "color"},
			renamed: map[string]string{"authors": "writers", "color": "color"},
			check: func(t *testing.T, c *Catalog) {
				if c.Type(QName{Schema: "s", Name: "color"}) == nil || c.Type(pub("color")) != nil {
					t.Error("type not moved")
				}
				if ct := c.Table(pub("article")).Column("c").Type; ct.Name != "s.color" {
					t.Errorf("column type not refreshed: %q", ct.Name)
				}
			},
		},
		{
			name:  "drop function",
			ddl:   "DROP FUNCTION f(int); DROP FUNCTION f(text)",
			funcs: []string{"f"},
			check: func(t *testing.T, c *Catalog) {
				if c.FunctionsByName(pub("f")) != nil {
					t.Error("f still present")
				}
			},
		},
		{
			name: "alter column type and drop column",
			ddl:  "ALTER TABLE article ALTER COLUMN id TYPE bigint; ALTER TABLE article DROP COLUMN c",
			rels: []string{"article"},
			check: func(t *testing.T, c *Catalog) {
				a := c.Table(pub("article"))
				if a.Column("id").Type.Name != "bigint" || a.Column("c") != nil {
					t.Errorf("article columns %+v", a.Columns)
				}
			},
		},
		{
			name: "replace view",
			ddl:  "CREATE VIEW v AS SELECT 1 AS a",
			rels: []string{"v"},
		},
		{
			name: "replace view definition",
			ddl:  "CREATE OR REPLACE VIEW v AS SELECT 1 AS a, 2 AS b",
			rels: []string{"v"},
			check: func(t *testing.T, c *Catalog) {
				if n := len(c.Table(pub("v")).Columns); n != 2 {
					t.Errorf("view columns %d", n)
				}
			},
		},
	}
}

// changedNames returns the names in ns.
func changedNames(ns []QName) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

func TestRefreshAfterDDL(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	pgtest.Exec(t, pool, refreshSchema)
	c, err := Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	names := changedNames
	tests := refreshCases()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, next := applyDDL(t, pool, c, tc.ddl)
			if got := names(ch.Relations); !reflect.DeepEqual(got, tc.rels) {
				t.Errorf("relations changed: %v, want %v", got, tc.rels)
			}
			if got := names(ch.Functions); !reflect.DeepEqual(got, tc.funcs) {
				t.Errorf("functions changed: %v, want %v", got, tc.funcs)
			}
			if got := names(ch.Types); !reflect.DeepEqual(got, tc.types) {
				t.Errorf("types changed: %v, want %v", got, tc.types)
			}
			renamed := map[string]string{}
			for from, to := range ch.Renamed {
				renamed[from.Name] = to.Name
			}
			if len(renamed) != 0 || len(tc.renamed) != 0 {
				if !reflect.DeepEqual(renamed, tc.renamed) {
					t.Errorf("renamed %v, want %v", renamed, tc.renamed)
				}
			}
			if tc.check != nil {
				tc.check(t, next)
			}
			// The refreshed catalog equals a full reload.
			full, err := Load(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(next.Tables, full.Tables) || !reflect.DeepEqual(next.Functions, full.Functions) ||
				!reflect.DeepEqual(next.Types, full.Types) {
				t.Errorf("refreshed catalog differs from a full load")
			}
			c = next
		})
	}
}

func TestLoadTablesSubset(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE SCHEMA s; CREATE TABLE s.a (x text)`)
	c, err := LoadTables(context.Background(), pool, []QName{pub("a"), {Schema: "s", Name: "a"}, pub("missing")})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tables) != 2 || c.Table(pub("a")) == nil || c.Table(QName{Schema: "s", Name: "a"}).Columns[0].Type.Name != "text" {
		t.Errorf("tables %v", c.Tables)
	}
	if len(c.Functions) != 0 || len(c.Types) != 0 {
		t.Error("LoadTables must load only relations")
	}
}
