#!/usr/bin/env bash
# Runs the Postgate benchmark (make bench): a private PostgreSQL with the
# Chinook-like data set, Postgate, the minimal Go+pgx reference server and
# pgbench, all loaded by wrk on loopback in the same run. Writes the table to
# bench/results/latest.md; bench/RESULTS.md keeps the reviewed figures.
#
# Environment: DURATION (seconds measured, default 10), WARMUP (default 3),
# CONNS (default "2 16").
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-common.sh
export PATH="$PATH:/usr/local/go/bin"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-"2 16"}
command -v wrk >/dev/null || pg_apt_install wrk
pg_ensure_server
BIN=$(pg_find_bindir)

TMP=$(mktemp -d /tmp/postgate-bench.XXXXXX)
PIDS=()
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres "$TMP"; AS=(runuser -u postgres --); fi
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
PGPORT=$(free_port)
PG8PORT=$(free_port)
BASEPORT=$(free_port)
JWKSPORT=$(free_port)
"${AS[@]}" "$BIN/initdb" -D "$TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -l "$TMP/pg.log" -w -o "-p $PGPORT -k $TMP -c listen_addresses=127.0.0.1 -c timezone=UTC -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
DB="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
"$BIN/psql" -X -q "$DB" -v ON_ERROR_STOP=1 -f bench/schema.sql >/dev/null

go build -o "$TMP/postgate" ./cmd/postgate
go build -o "$TMP/baseline" ./bench/baseline
go build -o "$TMP/jwks" ./bench/jwks
"$TMP/jwks" -addr 127.0.0.1:$JWKSPORT -user 1 -token-file "$TMP/token" 2>"$TMP/jwks.log" &
PIDS+=($!)
DATABASE_URL="$DB" "$TMP/baseline" -addr 127.0.0.1:$BASEPORT -sql bench/sql 2>"$TMP/baseline.log" &
PIDS+=($!)
sleep 1
SECRET=bench-secret
HASURA_GRAPHQL_DATABASE_URL="$DB" HASURA_GRAPHQL_ADMIN_SECRET=$SECRET \
	HASURA_GRAPHQL_JWT_SECRET="{\"type\":\"RS256\",\"jwk_url\":\"http://127.0.0.1:$JWKSPORT/.well-known/jwks.json\"}" \
	HASURA_GRAPHQL_SERVER_PORT=$PG8PORT HASURA_GRAPHQL_SERVER_HOST=127.0.0.1 HASURA_GRAPHQL_ENABLED_LOG_TYPES=startup \
	"$TMP/postgate" serve >"$TMP/postgate.log" 2>&1 &
PG8=$!
PIDS+=($PG8)
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$PG8PORT/healthz >/dev/null && break; sleep 0.2; done

meta() {
	local out
	out=$(curl -sS -w '\n%{http_code}' -H "x-hasura-admin-secret: $SECRET" -H 'Content-Type: application/json' -d "$1" http://127.0.0.1:$PG8PORT/v1/metadata)
	[ "${out##*$'\n'}" = 200 ] || { echo "error: metadata request failed: ${out%$'\n'*}" >&2; exit 1; }
}
meta '{"type":"bulk","args":[
 {"type":"pg_track_table","args":{"table":"artist"}},
 {"type":"pg_track_table","args":{"table":"album"}},
 {"type":"pg_track_table","args":{"table":"track"}},
 {"type":"pg_track_table","args":{"table":"users"}},
 {"type":"pg_create_object_relationship","args":{"table":"album","name":"artist","using":{"foreign_key_constraint_on":"artist_id"}}},
 {"type":"pg_create_array_relationship","args":{"table":"album","name":"tracks","using":{"foreign_key_constraint_on":{"table":"track","column":"album_id"}}}},
 {"type":"pg_create_array_relationship","args":{"table":"artist","name":"albums","using":{"foreign_key_constraint_on":{"table":"album","column":"artist_id"}}}},
 {"type":"pg_create_select_permission","args":{"table":"album","role":"user","permission":{"columns":"*","filter":{"user_id":{"_eq":"X-Hasura-User-Id"}}}}},
 {"type":"pg_create_select_permission","args":{"table":"artist","role":"user","permission":{"columns":"*","filter":{}}}},
 {"type":"pg_create_select_permission","args":{"table":"track","role":"user","permission":{"columns":"*","filter":{}}}}
]}'

gql() { curl -fsS -H "x-hasura-admin-secret: $SECRET" -H 'Content-Type: application/json' --data-binary "@$1" http://127.0.0.1:$PG8PORT/v1/graphql; }
# Postgate must return exactly what the hand-written SQL returns.
for q in q1 q2; do
	a=$(gql bench/queries/$q.json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
	b=$(curl -fsS -X POST http://127.0.0.1:$BASEPORT/$q | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
	[ "$a" = "$b" ] || { echo "error: $q differs between Postgate and the reference" >&2; exit 1; }
done

cpu_of() { awk '{print $14+$15}' "/proc/$1/stat"; }
pg_cpu() { local s=0; for p in $(pgrep -f "postgres: .*127.0.0.1" || true) $(cat "$TMP/data/postmaster.pid" | head -1); do [ -r /proc/$p/stat ] && s=$((s + $(cpu_of "$p"))); done; echo $s; }

OUT=bench/results/latest.md
mkdir -p bench/results
{
	echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "Machine: $(nproc) cores, $(uname -m), $("$BIN/postgres" --version), $(go version | awk '{print $3}'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
	echo
	echo "| target | conns | req/s | p50 | p99 | engine CPU ms/req | postgres CPU ms/req |"
	echo "|---|---|---|---|---|---|---|"
} >"$OUT"

# run_wrk NAME CONNS URL BODY_FILE [AUTH] [PID]
run_wrk() {
	local name=$1 c=$2 url=$3 body=$4 auth=${5:-} pid=${6:-}
	BODY_FILE=$body AUTH=$auth ADMIN_SECRET=$([ -z "$auth" ] && echo "$SECRET") wrk -t2 -c"$c" -d"${WARMUP}s" -s bench/post.lua "$url" >/dev/null 2>&1 || true
	local e0=0 p0 e1=0 p1
	[ -n "$pid" ] && e0=$(cpu_of "$pid")
	p0=$(pg_cpu)
	BODY_FILE=$body AUTH=$auth ADMIN_SECRET=$([ -z "$auth" ] && echo "$SECRET") wrk -t2 -c"$c" -d"${DURATION}s" --latency -s bench/post.lua "$url" >"$TMP/wrk.out" 2>&1
	[ -n "$pid" ] && e1=$(cpu_of "$pid")
	p1=$(pg_cpu)
	local rps p50 p99 n tick
	rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")
	p50=$(awk '$1=="50%" {print $2}' "$TMP/wrk.out")
	p99=$(awk '$1=="99%" {print $2}' "$TMP/wrk.out")
	n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
	tick=$(getconf CLK_TCK)
	local ecpu pcpu
	ecpu=$(python3 -c "print(round(($e1-$e0)*1000/$tick/max($n,1),3))")
	pcpu=$(python3 -c "print(round(($p1-$p0)*1000/$tick/max($n,1),3))")
	echo "| $name | $c | $rps | $p50 | $p99 | $ecpu | $pcpu |" >>"$OUT"
	echo "$name c=$c: $rps req/s"
}

BASEPID=${PIDS[1]}
for c in $CONNS; do
	run_wrk "Q1 postgate" "$c" http://127.0.0.1:$PG8PORT/v1/graphql bench/queries/q1.json "" $PG8
	run_wrk "Q1 go+pgx" "$c" http://127.0.0.1:$BASEPORT/q1 bench/queries/q1.json "" $BASEPID
	run_wrk "Q2 postgate" "$c" http://127.0.0.1:$PG8PORT/v1/graphql bench/queries/q2.json "" $PG8
	run_wrk "Q2 go+pgx" "$c" http://127.0.0.1:$BASEPORT/q2 bench/queries/q2.json "" $BASEPID
	run_wrk "Q3 postgate (JWT, role user)" "$c" http://127.0.0.1:$PG8PORT/v1/graphql bench/queries/q2.json "Bearer $(cat "$TMP/token")" $PG8
	run_wrk "Q4 postgate" "$c" http://127.0.0.1:$PG8PORT/v1/graphql bench/queries/q4.json "" $PG8
	run_wrk "M1 postgate" "$c" http://127.0.0.1:$PG8PORT/v1/graphql bench/queries/m1.json "" $PG8
	for q in q1 q2; do
		r=$("$BIN/pgbench" -n -M prepared -T "$DURATION" -c "$c" -j 2 -f bench/sql/$q.sql "$DB" 2>/dev/null | awk '/^tps/ {print $3}')
		echo "| ${q^^} pgbench -M prepared | $c | $r | | | | |" >>"$OUT"
	done
done
echo
cat "$OUT"
