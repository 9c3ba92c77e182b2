#!/usr/bin/env bash
# Quick start: installs the PostgreSQL server package when its binaries are
# missing, then runs `postgate serve` on the embedded default database.
# Extra arguments are passed to `postgate serve`.
set -euo pipefail

cd "$(dirname "$0")/.."
. scripts/pg-common.sh
export PATH="$PATH:/usr/local/go/bin"

pg_ensure_server || { echo "error: PostgreSQL server binaries are missing and could not be installed" >&2; exit 1; }

# As root the embedded cluster runs as the postgres user, which must be able
# to reach the data directory; fall back to /var/lib/postgate when it cannot.
if [ -z "${HASURA_GRAPHQL_DATABASE_URL:-}" ] && [ -z "${POSTGATE_DATA_DIR:-}" ] && [ "$(id -u)" = 0 ]; then
	if ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
		export POSTGATE_DATA_DIR=/var/lib/postgate/data
		mkdir -p /var/lib/postgate
		chown postgres /var/lib/postgate
		echo "note: $PWD is not reachable by the postgres user; using $POSTGATE_DATA_DIR" >&2
	fi
fi

exec go run ./cmd/postgate serve "$@"
