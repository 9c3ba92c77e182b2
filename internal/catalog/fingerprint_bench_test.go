package catalog

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
// Postgate) at 100 and 1,000 tables, on one connection. cpu-ms/op is this
// process's CPU; pg-cpu-ms/op is the connection's backend's, when
// Postgres runs on this machine and its /proc entry is readable.
//
//	go test ./internal/catalog/ -run '^$' -bench Fingerprint -benchmem
func BenchmarkFingerprint(b *testing.B) {
	for _, n := range []int{100, 1000} {
		pool := scaleSchema(b, n)
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pool.Config().ConnConfig.ConnString())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		var pid int
		if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			b.Fatal(err)
		}
		prev, err := TakeFingerprint(ctx, conn)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("tables=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu0, pg0 := processCPU(), backendCPU(pid)
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				fp, err := TakeFingerprint(ctx, conn)
				if err != nil {
					b.Fatal(err)
				}
				if !Diff(prev, fp).Empty() {
					b.Fatal("fingerprint changed")
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			if pg0 >= 0 {
				b.ReportMetric(float64((backendCPU(pid)-pg0).Microseconds())/1000/float64(b.N), "pg-cpu-ms/op")
			}
		})
		// After DDL on one table (as run_sql does), from the fingerprint
		// before it. The DDL is not timed.
		mid := fmt.Sprintf("t%04d", n/2)
		b.Run(fmt.Sprintf("changed/tables=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var cpu, pg time.Duration
			for k := 0; k < b.N; k++ {
				b.StopTimer()
				if _, err := conn.Exec(ctx, fmt.Sprintf("COMMENT ON TABLE %s IS 'c%d'", mid, k)); err != nil {
					b.Fatal(err)
				}
				cpu0, pg0 := processCPU(), backendCPU(pid)
				b.StartTimer()
				fp, err := TakeFingerprint(ctx, conn)
				if err != nil {
					b.Fatal(err)
				}
				if ch := Diff(prev, fp); len(ch.Relations) != 1 {
					b.Fatalf("changes %+v", ch)
				}
				b.StopTimer()
				cpu += processCPU() - cpu0
				pg += backendCPU(pid) - pg0
				prev = fp
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			if backendCPU(pid) >= 0 {
				b.ReportMetric(float64(pg.Microseconds())/1000/float64(b.N), "pg-cpu-ms/op")
			}
		})
	}
}

// backendCPU is the user and system CPU time of process pid (a Postgres
// backend on this machine) from /proc, or -1 when it cannot be read.
func backendCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return -1
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return -1
	}
	// utime and stime, fields 14 and 15 of stat, in clock ticks (100 a
	// second on Linux).
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+st) * 10 * time.Millisecond
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
