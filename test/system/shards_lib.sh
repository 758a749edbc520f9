# Shared by the shard system tests (shards*.t): two or three throw-away shard
# clusters, "a", "b" (and "c"), beside the test's own coordinator cluster,
# reached over TCP with scram password authentication, and removed when the
# test exits.
#
#   . "$(dirname "$0")/shards_lib.sh"
#   shards_setup NAME PORT_A PORT_B [PORT_C]
#
# sets BIN, TMP (the clusters' directory), AS (run as postgres when root),
# DB and REP_ROLE (the coordinator's database and a rep login, named after
# NAME and the test's pid), and defines port_of, sq, start_shard and the exit
# cleanup.  Each test loads its own shard data.

# shards_setup NAME PORT_A PORT_B [PORT_C]: the variables above, and the cleanup on exit
shards_setup() {
  BIN=/usr/lib/postgresql/15/bin
  [ -x "$BIN/initdb" ] || BIN=$(pg_config --bindir)
  TMP=$(mktemp -d "/tmp/ss_$1_XXXXXX")
  chmod 755 "$TMP"
  AS=(); [ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
  REP_ROLE=ss_$1_rep_$$
  DB=ss_$1_$$
  SHARD_PORT_A=$2
  SHARD_PORT_B=$3
  SHARD_PORT_C=${4-}
  trap shards_cleanup EXIT
}

# shards_cleanup: stops the shards, drops the coordinator's database and
# rep login, removes the clusters' directory (and any file the test wrote
# under /tmp named after its database)
shards_cleanup() {
  for s in a b c; do
    [ -f "$TMP/$s/data/postmaster.pid" ] && "${AS[@]}" "$BIN/pg_ctl" -D "$TMP/$s/data" -m immediate -w stop >/dev/null 2>&1
  done
  dropdb --if-exists "$DB" >/dev/null 2>&1
  psql -X -q -c "DROP ROLE IF EXISTS $REP_ROLE" >/dev/null 2>&1
  rm -f /tmp/"$DB".*
  rm -rf "$TMP"
}

# port_of SHARD: the shard's TCP port
port_of() { case $1 in a) echo "$SHARD_PORT_A";; b) echo "$SHARD_PORT_B";; *) echo "$SHARD_PORT_C";; esac; }

# sq SHARD SQL: on the shard's database, as its superuser (unix socket)
sq() { "${AS[@]}" psql -X -q -At -v ON_ERROR_STOP=1 -h "$TMP/$1" -p "$(port_of "$1")" -d postgres \
         -c "SET search_path = sales_supervisor, public" -c "$2"; }

# start_shard SHARD: creates the cluster the first time, then starts it
# (again, after a test stopped it)
start_shard() {
  mkdir -p "$TMP/$1"; chown postgres "$TMP/$1" 2>/dev/null
  [ -d "$TMP/$1/data" ] || "${AS[@]}" "$BIN/initdb" -N -A trust --auth-host=scram-sha-256 -D "$TMP/$1/data" >/dev/null || return 1
  grep -q "^port = $(port_of "$1")" "$TMP/$1/data/postgresql.conf" ||
    printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nfsync = off\nmax_connections = 20\n" \
      "$(port_of "$1")" "$TMP/$1" >> "$TMP/$1/data/postgresql.conf"
  "${AS[@]}" "$BIN/pg_ctl" -D "$TMP/$1/data" -l "$TMP/$1/log" -w start >/dev/null
}
