package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/pgtest"
)

// TestLoadScale loads a database of 1,000 tables, each with a foreign key
// to the previous one, and logs how long Load and a fingerprint take.
func TestLoadScale(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,000 tables")
	}
	const n = 1000
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, `
DO $$
BEGIN
  CREATE TABLE t0 (id int PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());
  FOR i IN 1..999 LOOP
    EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now(), prev_id int REFERENCES t%s(id), tags text[], UNIQUE (name))', i, i - 1);
  END LOOP;
END $$`)
	ctx := context.Background()
	start := time.Now()
	c, err := Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	loadTime := time.Since(start)
	if len(c.Tables) != n {
		t.Fatalf("loaded %d tables", len(c.Tables))
	}
	if fk := c.Table(pub("t999")).ForeignKeys; len(fk) != 1 || fk[0].RefTable != pub("t998") {
		t.Fatalf("t999 foreign keys %+v", fk)
	}
	start = time.Now()
	fp, err := TakeFingerprint(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	fpTime := time.Since(start)
	if len(fp.Relations) != n {
		t.Fatalf("fingerprint has %d relations", len(fp.Relations))
	}
	start = time.Now()
	if _, err := c.Refresh(ctx, pool, Changes{Relations: []QName{pub("t500")}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tables: Load %v, fingerprint %v, refresh of one table %v", n, loadTime, fpTime, time.Since(start))
	if loadTime > 10*time.Second {
		t.Errorf("Load took %v", loadTime)
	}
}
