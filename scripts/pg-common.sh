#!/usr/bin/env bash
# Shared helpers for the scripts that need a PostgreSQL server: locating the
# server binaries and installing them from Debian's packages when missing.
# Sourced, not executed.

# pg_find_bindir prints the directory holding initdb/pg_ctl/postgres: the one
# on PATH first, then /usr/lib/postgresql/<version>/bin, newest version first.
pg_find_bindir() {
	local p
	if p=$(command -v pg_ctl 2>/dev/null) && [ -n "$p" ]; then
		p=$(dirname "$(readlink -f "$p")")
		if [ -x "$p/initdb" ] && [ -x "$p/postgres" ]; then
			echo "$p"
			return 0
		fi
	fi
	for p in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
		if [ -x "$p/initdb" ] && [ -x "$p/pg_ctl" ] && [ -x "$p/postgres" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# pg_apt_install installs Debian packages non-interactively (root only).
pg_apt_install() {
	if [ "$(id -u)" != 0 ]; then
		echo "need root to install $*; install them with: sudo apt-get install -y $*" >&2
		return 1
	fi
	if [ -z "${PG_APT_UPDATED:-}" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
		PG_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# pg_ensure_server makes sure server binaries exist, installing the
# distribution's postgresql package when they do not. Debian's package would
# create and start a "main" cluster; Postgate runs its own, so the automatic
# cluster is disabled before the install.
pg_ensure_server() {
	if pg_find_bindir >/dev/null; then
		return 0
	fi
	echo "PostgreSQL server binaries not found: installing the postgresql package" >&2
	if [ "$(id -u)" = 0 ] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
	fi
	pg_apt_install postgresql postgresql-contrib || return 1
	pg_find_bindir >/dev/null
}

# pg_version prints the major version of the server in bindir $1.
pg_version() {
	"$1/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/'
}

# pg_ensure_postgis installs PostGIS for the server in bindir $1 when it is
# missing. Failure is reported but not fatal: only some tests need it.
pg_ensure_postgis() {
	local v share
	v=$(pg_version "$1")
	share=$("$1/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$v")
	if [ -e "$share/extension/postgis.control" ]; then
		return 0
	fi
	echo "PostGIS not found: installing postgresql-$v-postgis-3 (optional)" >&2
	pg_apt_install "postgresql-$v-postgis-3" >/dev/null 2>&1 ||
		echo "warning: PostGIS could not be installed; tests that need it will report so" >&2
	return 0
}
