#!/usr/bin/env bash
# Builds and installs the extension into the local PostgreSQL 15.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s -j2
$SUDO make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
