#!/bin/sh
# Makes sure PostgreSQL 15's server binaries (initdb, pg_ctl, postgres) exist for the Postgres
# inbox tests and bench. The tests create their own cluster in a temporary folder on a free
# loopback port: they never use a system cluster, so one started by the package is stopped here.
set -eu

# BLUUM_PG_BINDIR points the tests (test/helpers/postgres-server.ts) at another PostgreSQL's
# server binaries (macOS with Homebrew, another distribution): then nothing is installed, and a
# folder without them is an error rather than a reason to install Debian's.
if [ -n "${BLUUM_PG_BINDIR:-}" ]; then
  if [ -x "$BLUUM_PG_BINDIR/initdb" ] && [ -x "$BLUUM_PG_BINDIR/pg_ctl" ]; then
    exit 0
  fi
  echo "ensure-postgres: BLUUM_PG_BINDIR is $BLUUM_PG_BINDIR, which has no executable initdb and pg_ctl." >&2
  echo "Set it to the folder of PostgreSQL's server binaries (pg_config --bindir prints it), or unset it." >&2
  exit 1
fi

bindir=/usr/lib/postgresql/15/bin
if [ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ]; then
  exit 0
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: $bindir/initdb is missing and cannot be installed automatically (needs root and apt-get)." >&2
  echo "Install PostgreSQL 15's server, then run the tests again:" >&2
  echo "  Debian/Ubuntu: sudo apt-get install postgresql-15" >&2
  echo "  other:         set BLUUM_PG_BINDIR to a folder with initdb and pg_ctl" >&2
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    echo "  found here:    BLUUM_PG_BINDIR=$(pg_config --bindir)" >&2
  fi
  exit 1
fi

echo "ensure-postgres: installing postgresql-15 with apt-get" >&2
sh "$(dirname "$0")/apt-install-quietly.sh" postgresql-15 postgresql

[ -x "$bindir/initdb" ] || {
  echo "ensure-postgres: apt-get finished but $bindir/initdb is still missing" >&2
  exit 1
}
echo "ensure-postgres: $("$bindir/postgres" --version)" >&2
