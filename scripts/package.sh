#!/usr/bin/env bash
# Builds the Debian package postgresql-15-sales-supervisor from this tree with
# debian/ (pg_buildext, the way Debian packages PostgreSQL extensions), and
# puts it in build/deb/.  The pg_regress suites run at build time against the
# package's files, in a throw-away cluster (dh_pgxs_test: pg_buildext
# installcheck); DEB_BUILD_OPTIONS=nocheck skips them.
#   scripts/package.sh                 build/deb/postgresql-15-sales-supervisor_<v>_<arch>.deb
#   apt install ./build/deb/postgresql-15-sales-supervisor_*_amd64.deb
# Installs the missing build dependencies (only those; as root or with sudo).
# The build runs in a copy of the tree (build/deb/src/, files git tracks or
# would track), so the tree's own build outputs are left alone.  Prints the
# path of the .deb on its last line.  test/system/package.t installs it into
# the system and smoke-tests it.  Its test cluster is a pg_virtualenv: on a
# shared machine, run it under flock /tmp/ss_install.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/build/deb
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo

# ---- build dependencies (debian/control's Build-Depends and build-essential)
BUILD_DEPS=(build-essential debhelper postgresql-server-dev-all postgresql-15 python3)
missing=()
for p in "${BUILD_DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # postgresql-server-dev-all requires postgresql-common of its own version:
  # take the one of the installed postgresql-common, so installing the build
  # tools never upgrades the server's packages under running clusters.
  common=$(dpkg-query -W -f='${Version}' postgresql-common 2>/dev/null || true)
  for i in "${!missing[@]}"; do
    if [ "${missing[$i]}" = postgresql-server-dev-all ] && [ -n "$common" ]; then
      missing[$i]="postgresql-server-dev-all=$common"
    fi
  done
  echo "package: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- a clean copy of the tree: what git tracks or would track
version=$(dpkg-parsechangelog -S Version)
src=$out/src/sales-supervisor-${version%-*}
rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$src"
else
  tar --exclude=./build --exclude-vcs -cf - . | tar -xf - -C "$src"
fi

# ---- build: binary packages only, unsigned; the log in build/deb/build.log
# The build's test cluster picks a free port: a PGPORT of a surrounding
# cluster (pg_virtualenv exports one) would be taken as the port to use.
unset PGPORT
echo "package: building $version in $src (log: build/deb/build.log)"
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$out/build.log" 2>&1; then
  tail -60 "$out/build.log"
  echo "package: dpkg-buildpackage failed (build/deb/build.log)" >&2
  exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out"/
rm -rf "$out/src"
grep -E '^(### .*installcheck|test .*\.\.\.| All [0-9]+ tests| [0-9]+ of [0-9]+ tests)' "$out/build.log" || true
echo "package: built in $(( $(date +%s) - start )) s"
ls "$out"/postgresql-15-sales-supervisor_*.deb
