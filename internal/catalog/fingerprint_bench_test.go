package catalog

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/pgtest"
)

// scaleSchema creates n tables as bench/scale.sh builds them: t0001..tN of
// 4 columns each, with a foreign key to the previous table.
func scaleSchema(tb testing.TB, n int) *pgxpool.Pool {
	tb.Helper()
	pool := pgtest.Pool(tb)
	var ddl strings.Builder
	for i := 1; i <= n; i++ {
		ref := ""
		if i > 1 {
			ref = fmt.Sprintf(" REFERENCES t%04d(id)", i-1)
		}
		fmt.Fprintf(&ddl, "CREATE TABLE t%04d (id integer PRIMARY KEY, name text NOT NULL, owner_id integer NOT NULL, parent_id integer%s);\n", i, ref)
	}
	pgtest.Exec(tb, pool, ddl.String())
	return pool
}

// BenchmarkFingerprint times TakeFingerprint alone when nothing changed
// since the last one (the case of every metadata change made through
// Postgate) at 100 and 1,000 tables. cpu-ms/op is this process's CPU, not
// Postgres's.
//
//	go test ./internal/catalog/ -run '^$' -bench Fingerprint -benchmem
func BenchmarkFingerprint(b *testing.B) {
	for _, n := range []int{100, 1000} {
		pool := scaleSchema(b, n)
		ctx := context.Background()
		prev, err := TakeFingerprint(ctx, pool)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("tables=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				fp, err := TakeFingerprint(ctx, pool)
				if err != nil {
					b.Fatal(err)
				}
				if !Diff(prev, fp).Empty() {
					b.Fatal("fingerprint changed")
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
