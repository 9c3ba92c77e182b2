package catalog

import (
	"context"
	_ "embed"
	"fmt"
	"reflect"
	"testing"

	"github.com/postgate/postgate/internal/pgtest"
)

// fingerprintBefore is the fingerprint query as it was before it sent a
// sum first: one row per object, each hash an md5 of the xmins of its
// catalog rows. The fingerprint must detect every change it detects.
//
//go:embed testdata/fingerprint_before.sql
var fingerprintBefore string

// takeFingerprintBefore runs fingerprintBefore.
func takeFingerprintBefore(t *testing.T, q Querier) Fingerprint {
	t.Helper()
	fp := Fingerprint{Relations: map[QName]string{}, Functions: map[QName]string{}, Types: map[QName]string{},
		RelationOIDs: map[QName]uint32{}, FunctionOIDs: map[QName]uint32{}, TypeOIDs: map[QName]uint32{}}
	rows, err := q.Query(context.Background(), fingerprintBefore, DefaultExcludedSchemas())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, hash string
		var n QName
		var oid uint32
		if err := rows.Scan(&kind, &n.Schema, &n.Name, &oid, &hash); err != nil {
			t.Fatal(err)
		}
		switch kind {
		case "r":
			fp.Relations[n], fp.RelationOIDs[n] = hash, oid
		case "f":
			fp.Functions[n], fp.FunctionOIDs[n] = hash, oid
		case "t":
			fp.Types[n], fp.TypeOIDs[n] = hash, oid
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return fp
}

// takeCounted takes a fingerprint with cache c and returns it with the
// number of per-object rows the database sent.
func takeCounted(t *testing.T, q Querier, c *fingerprintCache) (Fingerprint, int) {
	t.Helper()
	var fp Fingerprint
	var n int
	err := inSnapshot(context.Background(), q, func(q Querier) error {
		var err error
		fp, n, err = fingerprint(context.Background(), q, newOptions(nil), c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fp, n
}

// changesString prints ch by names, for comparisons.
func changesString(ch Changes) string {
	renamed := map[string]string{}
	for from, to := range ch.Renamed {
		renamed[from.String()] = to.String()
	}
	return fmt.Sprintf("relations %v functions %v types %v renamed %v", ch.Relations, ch.Functions, ch.Types, renamed)
}

// TestFingerprintQuickCheck applies the refresh DDL cases one by one and
// checks that the fingerprint of an unchanged schema is one row (the sum),
// that every case changing the schema changes the sum, and that Diff finds the same changes as with the
// fingerprint query before the sum (fingerprintBefore).
func TestFingerprintQuickCheck(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, refreshSchema)
	cache := &fingerprintCache{}

	prev, n := takeCounted(t, pool, cache)
	if n == 0 || prev.sum == "" || len(prev.Relations) != 3 || len(prev.Functions) != 2 || len(prev.Types) != 1 {
		t.Fatalf("first fingerprint: %d rows, sum %q, %d relations, %d functions, %d types",
			n, prev.sum, len(prev.Relations), len(prev.Functions), len(prev.Types))
	}
	again, n := takeCounted(t, pool, cache)
	if n != 0 || again.sum != prev.sum || !Diff(prev, again).Empty() || !reflect.DeepEqual(again.Relations, prev.Relations) {
		t.Fatalf("unchanged schema: %d rows, sum %q (was %q), diff %s", n, again.sum, prev.sum, changesString(Diff(prev, again)))
	}
	prevBefore := takeFingerprintBefore(t, pool)

	for _, tc := range refreshCases() {
		t.Run(tc.name, func(t *testing.T) {
			pgtest.Exec(t, pool, tc.ddl)
			fp, n := takeCounted(t, pool, cache)
			changed := len(tc.rels)+len(tc.funcs)+len(tc.types) > 0
			switch {
			case changed && fp.sum == prev.sum:
				// (n may be 0: dropping the table just created returns
				// to a state whose fingerprint is cached.)
				t.Errorf("change not seen: %d rows, sum %q (was %q)", n, fp.sum, prev.sum)
			case !changed && (n != 0 || fp.sum != prev.sum):
				t.Errorf("no change, but %d rows sent, sum %q (was %q)", n, fp.sum, prev.sum)
			}
			ch := Diff(prev, fp)
			if got := changedNames(ch.Relations); !reflect.DeepEqual(got, tc.rels) {
				t.Errorf("relations changed: %v, want %v", got, tc.rels)
			}
			if got := changedNames(ch.Functions); !reflect.DeepEqual(got, tc.funcs) {
				t.Errorf("functions changed: %v, want %v", got, tc.funcs)
			}
			if got := changedNames(ch.Types); !reflect.DeepEqual(got, tc.types) {
				t.Errorf("types changed: %v, want %v", got, tc.types)
			}
			before := takeFingerprintBefore(t, pool)
			if got, want := changesString(ch), changesString(Diff(prevBefore, before)); got != want {
				t.Errorf("changes %s, the query before the sum finds %s", got, want)
			}
			// The same objects, by the same oids.
			if !reflect.DeepEqual(fp.RelationOIDs, before.RelationOIDs) || !reflect.DeepEqual(fp.FunctionOIDs, before.FunctionOIDs) ||
				!reflect.DeepEqual(fp.TypeOIDs, before.TypeOIDs) {
				t.Errorf("objects %v %v %v, the query before the sum finds %v %v %v", fp.RelationOIDs, fp.FunctionOIDs, fp.TypeOIDs,
					before.RelationOIDs, before.FunctionOIDs, before.TypeOIDs)
			}
			// Read from the buckets that changed, it equals one read whole.
			assertFullEqual(t, pool, fp)
			// Taken again, unchanged: the sum alone.
			again, n := takeCounted(t, pool, cache)
			if n != 0 || again.sum != fp.sum || !Diff(fp, again).Empty() {
				t.Errorf("unchanged schema: %d rows, sum %q (was %q)", n, again.sum, fp.sum)
			}
			prev, prevBefore = fp, before
		})
	}
}

// assertFullEqual checks that fp has the entries of a fingerprint read
// whole (without cache), and the same sum and bucket sums.
func assertFullEqual(t *testing.T, q Querier, fp Fingerprint) {
	t.Helper()
	var full Fingerprint
	err := inSnapshot(context.Background(), q, func(q Querier) error {
		var err error
		full, _, err = fingerprintQuery(context.Background(), q, newOptions(nil), nil, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if full.sum != fp.sum || !reflect.DeepEqual(full.Relations, fp.Relations) || !reflect.DeepEqual(full.Functions, fp.Functions) ||
		!reflect.DeepEqual(full.Types, fp.Types) || !reflect.DeepEqual(full.RelationOIDs, fp.RelationOIDs) ||
		!reflect.DeepEqual(full.FunctionOIDs, fp.FunctionOIDs) || !reflect.DeepEqual(full.TypeOIDs, fp.TypeOIDs) {
		t.Errorf("fingerprint differs from one read whole:\n%+v\n%+v", fp, full)
	}
	if full.buckets == nil || fp.buckets == nil || full.buckets.sums != fp.buckets.sums {
		t.Errorf("bucket sums differ from those read whole")
		return
	}
	for i := range full.buckets.keys {
		a, b := map[fpKey]bool{}, map[fpKey]bool{}
		for _, k := range full.buckets.keys[i] {
			a[k] = true
		}
		for _, k := range fp.buckets.keys[i] {
			b[k] = true
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("bucket %d: %v, read whole %v", i, fp.buckets.keys[i], full.buckets.keys[i])
		}
	}
}

// TestFingerprintChangedBuckets checks that after DDL on one of 300
// tables the fingerprint reads only the objects of the changed buckets,
// and equals one read whole.
func TestFingerprintChangedBuckets(t *testing.T) {
	pool := scaleSchema(t, 300)
	cache := &fingerprintCache{}
	base, n := takeCounted(t, pool, cache)
	if n != 300 {
		t.Fatalf("first fingerprint: %d rows", n)
	}
	for _, ddl := range []string{
		"ALTER TABLE t0150 ADD COLUMN x int",
		"COMMENT ON TABLE t0007 IS 'c'",
		"CREATE TABLE created (id int); DROP TABLE t0300",
		"ALTER TABLE t0010 RENAME TO renamed",
	} {
		pgtest.Exec(t, pool, ddl)
		fp, n := takeCounted(t, pool, cache)
		// 300 objects in 64 buckets: about 5 a bucket.
		if n == 0 || n > 40 {
			t.Errorf("%s: %d rows read", ddl, n)
		}
		assertFullEqual(t, pool, fp)
		t.Logf("%s: %d rows, %s", ddl, n, changesString(Diff(base, fp)))
		base = fp
	}
}

// TestFingerprintStates checks that the cache serves a schema state seen
// before (DDL rolled back in run_sql), that a fingerprint made by hand
// (no sum) is compared entry by entry, and that TakeFingerprint returns
// the cached fingerprint when nothing changed.
func TestFingerprintStates(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	pgtest.Exec(t, pool, refreshSchema)
	cache := &fingerprintCache{}
	base, _ := takeCounted(t, pool, cache)

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "ALTER TABLE other ADD COLUMN x int"); err != nil {
		t.Fatal(err)
	}
	inTx, n := takeCounted(t, tx, cache)
	if n == 0 || inTx.sum == base.sum || changesString(Diff(base, inTx)) != "relations [public.other] functions [] types [] renamed map[]" {
		t.Fatalf("in the transaction: %d rows, %s", n, changesString(Diff(base, inTx)))
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	after, n := takeCounted(t, pool, cache)
	if n != 0 || after.sum != base.sum || !Diff(base, after).Empty() {
		t.Fatalf("after rollback: %d rows, %s", n, changesString(Diff(base, after)))
	}

	// A fingerprint without a sum (made by hand) differs from any.
	if ch := Diff(Fingerprint{}, base); len(ch.Relations) != 3 || len(ch.Functions) != 2 || len(ch.Types) != 1 {
		t.Errorf("from an empty fingerprint: %s", changesString(ch))
	}
	hand := Fingerprint{Relations: base.Relations, Functions: base.Functions, Types: base.Types}
	if ch := Diff(hand, base); !ch.Empty() {
		t.Errorf("from a copy without sum: %s", changesString(ch))
	}

	// The public entry point: an unchanged schema's fingerprint is the
	// one taken before, maps included.
	fp1, err := TakeFingerprint(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	fp2, err := TakeFingerprint(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if fp1.sum == "" || fp2.sum != fp1.sum || reflect.ValueOf(fp1.Relations).Pointer() != reflect.ValueOf(fp2.Relations).Pointer() {
		t.Errorf("TakeFingerprint twice: sums %q %q", fp1.sum, fp2.sum)
	}
}

// TestFingerprintCache checks the cache's order and size.
func TestFingerprintCache(t *testing.T) {
	var c fingerprintCache
	for i := range recentFingerprintsSize + 2 {
		c.put(Fingerprint{sum: fmt.Sprint(i)})
	}
	if got, want := c.sums(), []string{"5", "4", "3", "2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sums %v, want %v", got, want)
	}
	if _, ok := c.get("1"); ok {
		t.Error("evicted sum found")
	}
	if fp, ok := c.get("3"); !ok || fp.sum != "3" {
		t.Error("sum 3 not found")
	}
	c.put(Fingerprint{sum: "4"})
	if got, want := c.sums(), []string{"4", "3", "5", "2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sums %v, want %v", got, want)
	}
}
