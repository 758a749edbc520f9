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
  locales                                  # a non-English lc_messages for test/system/pg_cron.t
)
# The locale test/system/pg_cron.t runs a failing job under (PostgreSQL's
# German messages come with postgresql-15; the OS locale must be generated).
TEST_LOCALE=de_DE.UTF-8

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! locale -a 2>/dev/null | grep -qix "${TEST_LOCALE/UTF-8/utf8}"; then
  echo "deps: generating locale $TEST_LOCALE"
  $SUDO sed -i "s/^# *\($TEST_LOCALE UTF-8\)/\1/" /etc/locale.gen
  grep -q "^$TEST_LOCALE UTF-8" /etc/locale.gen || echo "$TEST_LOCALE UTF-8" | $SUDO tee -a /etc/locale.gen >/dev/null
  $SUDO locale-gen >/dev/null
fi
