#!/usr/bin/env bash
# The Debian package and the PGXN META.json (issue 17.6).
# META.json is valid JSON with the PGXN 1.0.0 fields, and its version is the
# extension's default_version (and the Makefile's and debian/changelog's).
# scripts/package.sh builds postgresql-15-sales-supervisor from this tree with
# pg_buildext, the pg_regress suites passing at build time; apt installs it
# into the system; in a fresh throw-away cluster of its own (pg_virtualenv -t,
# beside the one these tests run in; pg_cron preloaded) CREATE EXTENSION finds
# the package's files, the extension is 0.3.0, C functions and the demo
# organisation work, and schedule_jobs() registers the calendar with pg_cron
# (the Recommends).  Then apt removes the package, and the tree's build is
# installed again (scripts/build.sh), so the tests after this one find the
# extension as before -- even when a step fails.
# Replaces the system's installed extension for a minute: run it only where
# scripts/test.sh or scripts/dev_check.sh would (the latter holds
# /tmp/ss_install.lock).  Prints TAP.
set -u
cd "$(dirname "$0")/../.."
. test/system/lib.sh
PKG=postgresql-15-sales-supervisor
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
# nothing here uses the surrounding cluster; its PGPORT would be taken by the
# nested pg_virtualenv clusters (the build's and the smoke test's) as theirs
unset PGPORT
EXTDIR=/usr/share/postgresql/15/extension
echo "1..17"

# ---- META.json
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" sales_supervisor.control)
meta=$(python3 - "$version" <<'PY' 2>&1
import json, re, sys
version = sys.argv[1]
m = json.load(open("META.json"))
problems = []
for key in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
    if not m.get(key):
        problems.append("missing " + key)
if m.get("meta-spec", {}).get("version") != "1.0.0":
    problems.append("meta-spec version is not 1.0.0")
if not re.fullmatch(r"\d+\.\d+\.\d+", m.get("version", "")):
    problems.append("version is not semver: %r" % m.get("version"))
if m.get("version") != version:
    problems.append("version %r, default_version %r" % (m.get("version"), version))
ext = m.get("provides", {}).get("sales_supervisor", {})
if ext.get("version") != version:
    problems.append("provides.sales_supervisor.version %r" % ext.get("version"))
for key in ("file", "docfile"):
    if ext.get(key) and not __import__("os").path.exists(ext[key]):
        problems.append("provides.sales_supervisor.%s %s does not exist" % (key, ext[key]))
runtime = m.get("prereqs", {}).get("runtime", {})
if "PostgreSQL" not in runtime.get("requires", {}):
    problems.append("no runtime PostgreSQL prereq")
if "pg_cron" not in runtime.get("recommends", {}):
    problems.append("pg_cron is not recommended")
print("; ".join(problems) or "ok")
PY
)
check "META.json: valid, PGXN 1.0.0 fields, version = default_version $version" "$meta" "ok"
check "Makefile EXTVERSION = default_version" "$(sed -n 's/^EXTVERSION *= *//p' Makefile)" "$version"
check "debian/changelog upstream version = default_version" "$(sed -n '1s/^[^(]*(\([^)]*\)-[^)-]*).*/\1/p' debian/changelog)" "$version"

# ---- debian/control is what pg_buildext generates from control.in
out=$(pg_buildext checkcontrol 2>&1)
if [ $? -eq 0 ]; then ok "debian/control is up to date with control.in and pgversions"
else nok "debian/control is up to date with control.in and pgversions" "$out"; fi

if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'install ok installed'; then
  for i in $(seq 5 17); do echo "ok $i # skip $PKG is installed on this machine: not replacing it"; done
  exit 0
fi

# ---- build
t0=$(date +%s)
out=$(scripts/package.sh 2>&1)
if [ $? -eq 0 ]; then ok "scripts/package.sh builds the package ($(( $(date +%s) - t0 )) s)"
else nok "scripts/package.sh builds the package" "$(printf '%s\n' "$out" | tail -30)"; fi
deb=$(ls build/deb/${PKG}_*.deb 2>/dev/null | head -1)
nregress=$(ls sql/*.sql | wc -l)
like "pg_regress at build time: all $nregress suites pass" "$(cat build/deb/build.log 2>/dev/null)" \
  "All $nregress tests passed" "$(grep -E '^test |tests|FAIL' build/deb/build.log 2>/dev/null)"
fields=$( [ -n "$deb" ] && dpkg-deb -f "$deb" Package Version Depends Recommends)
like "the .deb: $PKG $version-1" "$fields" "^Version: $version-1\$" "$fields"
like "the .deb depends on postgresql-15" "$fields" "^Depends: .*postgresql-15\(,\|\$\)" "$fields"
like "the .deb recommends postgresql-15-cron" "$fields" "^Recommends: .*postgresql-15-cron" "$fields"

# ---- install into the system; from here on, leave it as found when exiting
installed=0
restore() {
  if [ "$installed" = 1 ]; then
    $SUDO apt-get remove -y -qq -o DPkg::Lock::Timeout=300 "$PKG" >/dev/null 2>&1
  fi
  scripts/build.sh >/dev/null 2>&1
}
trap restore EXIT
installed=1
out=$($SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "./$deb" 2>&1)
check "apt-get install ./$deb (status $?)" "$(dpkg-query -W -f='${Status}' "$PKG" 2>&1)" "install ok installed"
check "the package owns the extension's control file" "$(dpkg -S $EXTDIR/sales_supervisor.control 2>&1)" \
  "$PKG: $EXTDIR/sales_supervisor.control"

# ---- smoke test in a fresh cluster of its own
SMOKE_SQL=$(mktemp)
cat >"$SMOKE_SQL" <<'SQL'
CREATE EXTENSION pg_cron;
CREATE EXTENSION sales_supervisor;
SET search_path = sales_supervisor, public;
SELECT 'version=' || extversion FROM pg_extension WHERE extname = 'sales_supervisor';
SELECT 'c=' || kpi_attainment(90, 100, false)
       || ',' || tiered_commission(250000, 'marginal[(0,0.02),(100000,0.03),(500000,0.05)] cap 50000')
       || ',' || array_to_string(allocate_quota(99.99, ARRAY[75, 25], 0.01), '/');
SELECT 'demo=' || (count(*) FILTER (WHERE row_count > 0) = 2) || ' ' || string_agg(table_name || ':' || row_count, ',' ORDER BY table_name)
FROM generate_demo_org(seed => 1, teams => 2, depth => 2, reps => 4, customers => 20, sales_lines => 200, surveys => 20)
WHERE table_name IN ('member', 'sale');
SELECT 'cron=' || (count(*) > 0) FROM schedule_jobs();
SELECT 'cron_jobs=' || (count(*) > 0) FROM cron.job WHERE jobname LIKE 'sales_supervisor:%';
SQL
chmod 644 "$SMOKE_SQL"
smoke=$(pg_virtualenv -t -v 15 -o shared_preload_libraries=pg_cron -o cron.database_name=smoke \
          bash -c 'createdb smoke && psql -X -q -At -v ON_ERROR_STOP=1 -d smoke -f "$1"' _ "$SMOKE_SQL" 2>&1)
rm -f "$SMOKE_SQL"
val() { printf '%s\n' "$smoke" | sed -n "s/^$1=//p"; }
check "fresh cluster: CREATE EXTENSION sales_supervisor is $version" "$(val version)" "$version"
check "C code: kpi_attainment, tiered_commission, allocate_quota" "$(val c)" "1.10000000000000000000,6500.00,74.99/25.00"
like "the demo organisation (2 teams, 4 reps, 200 sales lines): members and sales" "$(val demo)" "^true " "$smoke"
check "with pg_cron (recommended): schedule_jobs() registers the calendar" "$(val cron),$(val cron_jobs)" "true,true"

# ---- remove, and the tree's build back
$SUDO apt-get remove -y -qq -o DPkg::Lock::Timeout=300 "$PKG" >/dev/null 2>&1
installed=0
check "apt-get remove: the package and its files are gone" \
  "$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -c 'install ok installed'),$(ls $EXTDIR/sales_supervisor.control 2>/dev/null | wc -l)" "0,0"
scripts/build.sh >/dev/null 2>&1
check "the tree's build is installed again" "$(ls $EXTDIR/sales_supervisor--$version.sql 2>/dev/null | wc -l)" "1"
trap - EXIT
finish
