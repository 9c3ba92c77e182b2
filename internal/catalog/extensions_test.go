package catalog

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/pgtest"
)

// createExtension installs ext in the test database, skipping the test when
// the server lacks it (failing under CI, where the server must have it).
func createExtension(t *testing.T, pool *pgxpool.Pool, ext string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), "CREATE EXTENSION "+ext); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("%s unavailable: %v", ext, err)
	}
}

func TestLoadForeignTable(t *testing.T) {
	pool := pgtest.Pool(t)
	createExtension(t, pool, "postgres_fdw")
	pgtest.Exec(t, pool, `
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', dbname 'nowhere');
CREATE FOREIGN TABLE remote_items (id int NOT NULL, label text) SERVER remote;`)
	c, err := Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	ft := c.Table(pub("remote_items"))
	if ft == nil || ft.Kind != KindForeignTable || len(ft.Columns) != 2 || ft.Columns[0].Nullable {
		t.Fatalf("foreign table %+v", ft)
	}
	// postgres_fdw tables accept writes.
	if !ft.Insertable || !ft.Updatable || !ft.Deletable {
		t.Errorf("postgres_fdw table mutability %v %v %v", ft.Insertable, ft.Updatable, ft.Deletable)
	}
}

func TestLoadPostGIS(t *testing.T) {
	if testing.Short() {
		t.Skip("installs PostGIS")
	}
	pool := pgtest.Pool(t)
	createExtension(t, pool, "postgis")
	pgtest.Exec(t, pool, `CREATE TABLE place (id int PRIMARY KEY, geom geometry(Point, 4326), area geography)`)
	start := time.Now()
	c, err := Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Load with PostGIS installed (%d functions): %v", len(c.SortedFunctions()), time.Since(start))
	if !c.PostGIS {
		t.Error("PostGIS not detected")
	}
	g := c.Table(pub("place")).Column("geom")
	if g.Type.Name != "public.geometry" || g.Type.UDT != "geometry" || g.FullType != "geometry(Point,4326)" {
		t.Errorf("geometry column %+v / %q", g.Type, g.FullType)
	}
	if a := c.Table(pub("place")).Column("area").Type; a.UDT != "geography" {
		t.Errorf("geography column %+v", a)
	}
	if c.Type(pub("geometry")) == nil {
		t.Error("geometry type not listed")
	}
	// PostGIS's own table.
	if c.Table(pub("spatial_ref_sys")) == nil {
		t.Error("spatial_ref_sys missing")
	}
}
