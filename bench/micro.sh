#!/usr/bin/env bash
# Go micro-benchmarks of the per-request path (bench/engine_bench_test.go on
# the benchmark's data set, plus the packages' own benchmarks), against a
# private PostgreSQL (or TEST_DATABASE_URL when set). Writes
# bench/results/micro.txt (raw go test output) and prints a summary.
#
# Environment: BENCHTIME (default 1s), PKGS (default: bench and every package
# with benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-common.sh
. bench/common.sh
export PATH="$PATH:/usr/local/go/bin"
BENCHTIME=${BENCHTIME:-1s}
PKGS=${PKGS:-"./bench ./internal/engine ./internal/schema ./internal/auth"}

TMP=$(mktemp -d /tmp/postgate-micro.XXXXXX)
AS=()
cleanup() {
	[ -e "$TMP/data/postmaster.pid" ] && "${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
if [ -z "${TEST_DATABASE_URL:-}" ]; then
	pg_ensure_server
	BIN=$(pg_find_bindir)
	if [ "$(id -u)" = 0 ]; then chown postgres "$TMP"; AS=(runuser -u postgres --); fi
	PGPORT=$(free_port)
	"${AS[@]}" "$BIN/initdb" -D "$TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -l "$TMP/pg.log" -w -o "-p $PGPORT -k $TMP -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
	export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
fi
mkdir -p bench/results
OUT=bench/results/micro.txt
{
	echo "# go test -tags bench -run '^\$' -bench . -benchmem -benchtime=$BENCHTIME $PKGS"
	echo "# $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT"
# Packages one by one so that one failing package does not hide the others.
for p in $PKGS; do
	go test -tags bench -run '^$' -bench . -benchmem -benchtime="$BENCHTIME" "$p" >>"$OUT" 2>&1 || echo "# $p: failed" >>"$OUT"
done
awk '/^Benchmark/ {printf "%-45s %14s ns/op %10s B/op %7s allocs/op\n", $1, $3, $(NF-3), $(NF-1)}' "$OUT"
