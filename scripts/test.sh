#!/usr/bin/env bash
# Runs the whole test suite against a private, throwaway PostgreSQL cluster:
# finds (or installs) the server binaries, initdb's a cluster in a temp dir,
# starts it on a free loopback port, exports TEST_DATABASE_URL, runs
# `go test`, and always stops the cluster and removes the temp dir.
#
# Environment: CI (passed through; with CI=true tests never skip for lack of
# PostgreSQL), GO_TEST_FLAGS (extra flags for go test), RACE_PKGS (packages
# also tested with -race), POSTGATE_SKIP_POSTGIS=1 (do not try to install it).
set -euo pipefail

cd "$(dirname "$0")/.."
. scripts/pg-common.sh

export PATH="$PATH:/usr/local/go/bin"
export CI="${CI:-}"

pg_ensure_server || { echo "error: no PostgreSQL server binaries and the install failed" >&2; exit 1; }
BIN=$(pg_find_bindir)
if [ -z "${POSTGATE_SKIP_POSTGIS:-}" ]; then
	pg_ensure_postgis "$BIN"
fi
echo "using PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') from $BIN"

TMP=$(mktemp -d /tmp/postgate-test.XXXXXX)
DATA="$TMP/data"
AS=()
if [ "$(id -u)" = 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
	fi
	chown postgres "$TMP"
	AS=(runuser -u postgres --)
fi

cleanup() {
	local rc=$?
	if [ -f "$DATA/postmaster.pid" ]; then
		"${AS[@]}" "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${AS[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
	{ cat "$TMP/initdb.log" >&2; exit 1; }

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

started=""
for _ in 1 2 3 4 5; do
	PORT=$(free_port)
	if "${AS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$TMP/postgres.log" -w -t 60 \
		-o "-p $PORT -k $TMP -c listen_addresses=127.0.0.1 -c timezone=UTC -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
		start >/dev/null; then
		started=1
		break
	fi
done
if [ -z "$started" ]; then
	cat "$TMP/postgres.log" >&2 || true
	echo "error: could not start PostgreSQL" >&2
	exit 1
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
echo "PostgreSQL listening on 127.0.0.1:$PORT"

for ext in citext postgis postgis_topology postgis_raster; do
	"$BIN/psql" -X -q "$TEST_DATABASE_URL" -v ON_ERROR_STOP=1 \
		-c "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = '$ext') THEN CREATE EXTENSION IF NOT EXISTS $ext CASCADE; END IF; END \$\$" \
		>/dev/null 2>&1 || echo "note: extension $ext not created" >&2
done

rc=0
RACE_PKGS="${RACE_PKGS-./internal/server/... ./internal/app/...}"
# shellcheck disable=SC2086
go test -count=1 ${GO_TEST_FLAGS:-} ./... || rc=$?
if [ -n "${RACE_PKGS:-}" ]; then
	# shellcheck disable=SC2086
	go test -count=1 -race $RACE_PKGS || rc=$?
fi
exit "$rc"
