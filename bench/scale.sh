#!/usr/bin/env bash
# Scale benchmark: Postgate with 1,000 tracked tables (relationships both ways
# on each foreign key, select permissions for 3 roles). Measures start-up time
# to the first served query, idle RSS, RSS under Q1-like load, and the time of
# one pg_track_table and one pg_create_select_permission, both at a small
# schema (SMALL tables) and at the large one (N tables), so that the results
# show whether a change costs in proportion to the change or to the schema,
# and, at both sizes, the time from one change's response until a query as
# each of roles user, editor and viewer is served (their GraphQL schemas are
# rebuilt after a change).
# Writes bench/results/scale.md.
#
# Environment: N (default 1000), SMALL (default 100), REPEAT (changes timed
# per size, default 3), DURATION (seconds of load, default 10), CONNS (16).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-common.sh
. bench/common.sh
export PATH="$PATH:/usr/local/go/bin"

N=${N:-1000}
SMALL=${SMALL:-100}
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
command -v wrk >/dev/null || pg_apt_install wrk
pg_ensure_server
BIN=$(pg_find_bindir)

TMP=$(mktemp -d /tmp/postgate-scale.XXXXXX)
AS=()
PG8=""
if [ "$(id -u)" = 0 ]; then chown postgres "$TMP"; AS=(runuser -u postgres --); fi
cleanup() {
	[ -n "$PG8" ] && kill "$PG8" 2>/dev/null || true
	wait 2>/dev/null || true
	"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
PGPORT=$(free_port)
PORT=$(free_port)
"${AS[@]}" "$BIN/initdb" -D "$TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -l "$TMP/pg.log" -w -o "-p $PGPORT -k $TMP -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
DB="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
EXTRA=$((2 * REPEAT))
python3 bench/scale.py sql "$N" "$EXTRA" >"$TMP/schema.sql"
"$BIN/psql" -X -q "$DB" -v ON_ERROR_STOP=1 -f "$TMP/schema.sql" >/dev/null
build_postgate "$TMP"
# The server runs as bench/profile: the same code as `postgate serve`, plus
# signal-driven runtime/pprof, so that the heap under load can be shown.
src=.
[ -d "$TMP/src" ] && src=$TMP/src
(cd "$src" && go build -o "$TMP/profile" ./bench/profile)

SECRET=scale-secret
URL=http://127.0.0.1:$PORT
start_postgate() {
	HASURA_GRAPHQL_DATABASE_URL="$DB" HASURA_GRAPHQL_ADMIN_SECRET=$SECRET HASURA_GRAPHQL_SERVER_PORT=$PORT \
		HASURA_GRAPHQL_SERVER_HOST=127.0.0.1 HASURA_GRAPHQL_ENABLED_LOG_TYPES=startup \
		"$TMP/profile" -cpu "$TMP/$1-%d.pprof" >>"$TMP/postgate.log" 2>&1 &
	PG8=$!
}
now_ms() { date +%s%3N; }
# api PATH BODY: prints "<http code> <seconds>", body to $TMP/out.
api() {
	curl -sS -o "$TMP/out" -w '%{http_code} %{time_total}' -H "x-hasura-admin-secret: $SECRET" \
		-H 'Content-Type: application/json' --data-binary "$2" "$URL$1"
}
meta() {
	local r
	r=$(api /v1/metadata "$1")
	[ "${r%% *}" = 200 ] || { echo "error: metadata request failed: $(head -c 500 "$TMP/out")" >&2; exit 1; }
	echo "${r#* }"
}
rss_mb() { awk '/^VmRSS/ {printf "%d", $2/1024}' "/proc/$PG8/status"; }
Q1='{"query":"query Q1 { t0001(limit: 10, order_by: {id: asc}) { id name } }"}'
wait_first_query() {
	local i r
	for i in $(seq 1 6000); do
		r=$(curl -s -o /dev/null -w '%{http_code}' -H "x-hasura-admin-secret: $SECRET" -H 'Content-Type: application/json' --data-binary "$Q1" "$URL/v1/graphql" || true)
		[ "$r" = 200 ] && grep -q '"t0001"' <(curl -s -H "x-hasura-admin-secret: $SECRET" --data-binary "$Q1" "$URL/v1/graphql") && return 0
		sleep 0.01
	done
	echo "error: Postgate did not serve the first query" >&2
	exit 1
}

start_postgate first
for _ in $(seq 1 300); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.1; done
api /v1/metadata '{"type":"export_metadata","args":{}}' >/dev/null
cp "$TMP/out" "$TMP/exported.json"

# changes SIZE FIRST: times REPEAT track + permission changes on x tables.
declare -A TRACK PERM
changes() {
	local size=$1 first=$2 i x tr pe
	tr=()
	pe=()
	for i in $(seq "$first" $((first + REPEAT - 1))); do
		x=$(printf 'x%04d' "$i")
		tr+=("$(meta "{\"type\":\"pg_track_table\",\"args\":{\"table\":\"$x\"}}")")
		pe+=("$(meta "{\"type\":\"pg_create_select_permission\",\"args\":{\"table\":\"$x\",\"role\":\"user\",\"permission\":{\"columns\":\"*\",\"filter\":{\"owner_id\":{\"_eq\":\"X-Hasura-User-Id\"}}}}}")")
	done
	TRACK[$size]=$(printf '%s\n' "${tr[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]*1000}')
	PERM[$size]=$(printf '%s\n' "${pe[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]*1000}')
	echo "$size tables: pg_track_table ${TRACK[$size]} ms, pg_create_select_permission ${PERM[$size]} ms (median of $REPEAT)" >&2
}

# role_query ROLE: runs RQ as ROLE; prints ok, or the start of the reply.
RQ='{"query":"query R { t0001(limit: 1, order_by: {id: asc}) { id name } }"}'
role_query() {
	local out
	out=$(curl -s -H "x-hasura-admin-secret: $SECRET" -H "x-hasura-role: $1" -H 'x-hasura-user-id: 1' \
		-H 'Content-Type: application/json' --data-binary "$RQ" "$URL/v1/graphql" || true)
	case $out in *'"data"'*'"t0001"'*) echo ok ;; *) echo "${out:0:200}" ;; esac
}
# roles_after_change SIZE X: with the schemas of roles user, editor and
# viewer built (a query as each served), makes one change (a select
# permission for editor on table X) and times, from its response, until a
# query as each of the three roles (sent at once, in parallel) is served:
# the lazy rebuild of each role's GraphQL schema after a change.
declare -A ROLE_MS
ROLES=(user editor viewer)
roles_after_change() {
	local size=$1 x=$2 r t0 pids=() res
	for r in "${ROLES[@]}"; do
		res=$(role_query "$r")
		[ "$res" = ok ] || { echo "error: query as $r failed: $res" >&2; exit 1; }
	done
	meta "{\"type\":\"pg_create_select_permission\",\"args\":{\"table\":\"$x\",\"role\":\"editor\",\"permission\":{\"columns\":\"*\",\"filter\":{}}}}" >/dev/null
	t0=$(now_ms)
	for r in "${ROLES[@]}"; do
		(
			res=$(role_query "$r")
			if [ "$res" = ok ]; then echo $(($(now_ms) - t0)) >"$TMP/role-$r"; else echo "error: $res" >"$TMP/role-$r"; fi
		) &
		pids+=($!)
	done
	for r in "${pids[@]}"; do wait "$r"; done
	for r in "${ROLES[@]}"; do
		ROLE_MS[$size,$r]=$(cat "$TMP/role-$r")
		case ${ROLE_MS[$size,$r]} in error*) echo "${ROLE_MS[$size,$r]}" >&2; exit 1 ;; esac
	done
	echo "$size tables: first query after one change as user ${ROLE_MS[$size,user]} ms, editor ${ROLE_MS[$size,editor]} ms, viewer ${ROLE_MS[$size,viewer]} ms" >&2
}
role_cell() { # SIZE
	local r m=0 out=()
	for r in "${ROLES[@]}"; do
		out+=("${ROLE_MS[$1,$r]}")
		[ "${ROLE_MS[$1,$r]}" -gt "$m" ] && m=${ROLE_MS[$1,$r]}
	done
	echo "$(IFS=/; echo "${out[*]}") ms (slowest $m ms)"
}

python3 bench/scale.py metadata "$SMALL" "$TMP/exported.json" >"$TMP/small.json"
REPLACE_SMALL=$(meta "@$TMP/small.json")
changes "$SMALL" 1
roles_after_change "$SMALL" x0001
python3 bench/scale.py metadata "$N" "$TMP/exported.json" >"$TMP/large.json"
REPLACE_LARGE=$(meta "@$TMP/large.json")
kill -USR1 "$PG8"
changes "$N" $((REPEAT + 1))
kill -USR2 "$PG8"
sleep 1
roles_after_change "$N" "$(printf 'x%04d' $((REPEAT + 1)))"
go tool pprof -top -cum -nodecount=45 "$TMP/first-1.pprof" >bench/results/scale-change-cpu.txt 2>/dev/null || true
RSS_BEFORE_RESTART=$(rss_mb)

# Restart with the large metadata in hdb_catalog: time to the first served query.
kill "$PG8"
wait "$PG8" 2>/dev/null || true
t0=$(now_ms)
start_postgate second
wait_first_query
STARTUP=$(($(now_ms) - t0))
sleep 5
IDLE=$(rss_mb)
# Schema for each role built (as the console or codegen would do).
for r in user editor viewer admin; do
	curl -s -o /dev/null -H "x-hasura-admin-secret: $SECRET" -H "x-hasura-role: $r" -H 'x-hasura-user-id: 1' \
		--data-binary '{"query":"{ __schema { types { name fields { name } } } }"}' "$URL/v1/graphql"
done
sleep 1
ROLES_RSS=$(rss_mb)
printf '%s' '{"query":"query Q1 { t0500(limit: 10, order_by: {id: asc}) { id name parent { id name } } }"}' >"$TMP/q1.json"
BODY_FILE=$TMP/q1.json AUTH="" ADMIN_SECRET=$SECRET wrk -t2 -c"$CONNS" -d"${DURATION}s" -s bench/post.lua "$URL/v1/graphql" >"$TMP/wrk.out" 2>&1 &
WRK=$!
kill -USR1 "$PG8"
PEAK=0
while kill -0 "$WRK" 2>/dev/null; do
	r=$(rss_mb)
	[ "$r" -gt "$PEAK" ] && PEAK=$r
	sleep 0.5
done
wait "$WRK" || true
kill -USR2 "$PG8"
sleep 2
go tool pprof -sample_index=inuse_space -top -nodecount=25 "$TMP/second-1.heap.pprof" >bench/results/scale-heap.txt 2>/dev/null || true
go tool pprof -top -nodecount=25 "$TMP/second-1.pprof" >bench/results/scale-cpu.txt 2>/dev/null || true
RPS=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")

verdict() { # value limit
	if [ "$1" -le "$2" ]; then echo met; else echo "missed by $(($1 * 100 / $2 - 100))%"; fi
}
OUT=bench/results/scale.md
mkdir -p bench/results
{
	echo "# Scale run $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$BIN/postgres" --version)."
	echo "Postgate built from: $(cat "$TMP/built-from")."
	echo "Schema: $N tables (4 columns, 10 rows, a foreign key to the previous table tracked as object + array relationship), select permissions for roles user, editor, viewer on every table."
	echo
	echo "| measure | value | target | verdict |"
	echo "|---|---|---|---|"
	echo "| replace_metadata with $SMALL tables | $(python3 -c "print(round($REPLACE_SMALL*1000))") ms | | |"
	echo "| replace_metadata with $N tables | $(python3 -c "print(round($REPLACE_LARGE*1000))") ms | | |"
	echo "| start-up to first served query ($N tables) | $STARTUP ms | ≤ 2000 ms | $(verdict "$STARTUP" 2000) |"
	echo "| idle RSS after start-up and one query | $IDLE MB | ≤ 150 MB | $(verdict "$IDLE" 150) |"
	echo "| RSS after introspecting as user, editor, viewer, admin | $ROLES_RSS MB | | |"
	echo "| peak RSS under Q1-like load ($CONNS conns, ${DURATION}s, ${RPS:-?} req/s) | $PEAK MB | | |"
	echo "| RSS before the restart (after all metadata changes) | $RSS_BEFORE_RESTART MB | | |"
	echo "| pg_track_table with $SMALL tables tracked (median of $REPEAT) | ${TRACK[$SMALL]} ms | | |"
	echo "| pg_track_table with $N tables tracked (median of $REPEAT) | ${TRACK[$N]} ms | ≤ 200 ms | $(verdict "${TRACK[$N]}" 200) |"
	echo "| pg_create_select_permission with $SMALL tables tracked | ${PERM[$SMALL]} ms | | |"
	echo "| pg_create_select_permission with $N tables tracked | ${PERM[$N]} ms | ≤ 200 ms | $(verdict "${PERM[$N]}" 200) |"
	echo "| first query as user/editor/viewer after one change, $SMALL tables tracked (ms from the change's response) | $(role_cell "$SMALL") | | |"
	echo "| first query as user/editor/viewer after one change, $N tables tracked (ms from the change's response) | $(role_cell "$N") | | |"
	echo
	echo "Heap in use after the load (bench/results/scale-heap.txt): $(awk '/^Showing nodes/ {print $(NF-1)}' bench/results/scale-heap.txt 2>/dev/null) total; the server ran as bench/profile (postgate serve plus signal-driven pprof)."
	echo
	echo "Growth of one change from $SMALL to $N tables: pg_track_table ×$(python3 -c "print(round(${TRACK[$N]}/max(${TRACK[$SMALL]},1),1))"), pg_create_select_permission ×$(python3 -c "print(round(${PERM[$N]}/max(${PERM[$SMALL]},1),1))") (×1 means the cost follows the change; ×$((N / SMALL)) means it follows the schema)."
} >"$OUT"
cat "$OUT"
