#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, and only those missing.
# Run as root (or with sudo available).  Used by scripts/demo.sh, scripts/test.sh
# and bench/run.
set -euo pipefail

PACKAGES=(
  make gcc                                 # build
  postgresql-15 postgresql-server-dev-15   # the server and PGXS (pulls clang-14 for bitcode)
  postgresql-15-cron                       # the scheduler our calendar jobs use
  postgresql-15-pgtap                      # pgTAP, for test/pgtap
  libtap-parser-sourcehandler-pgtap-perl   # pg_prove
  clang-14 libclang-rt-14-dev              # libFuzzer targets in test/fuzz
  python3 python3-psycopg2                 # system tests that act as a real client
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
