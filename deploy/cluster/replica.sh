#!/usr/bin/env bash
# A streaming read replica of the local PostgreSQL primary, for the cluster campaign
# (tests/scale) or an operator trying the topology on one machine.
#
#   deploy/cluster/replica.sh start   pg_basebackup (-R: standby.signal + primary_conninfo)
#                                     into REPLICA_DIR, then pg_ctl start on REPLICA_PORT
#   deploy/cluster/replica.sh stop    pg_ctl stop -m fast (the data stays: start resumes it)
#   deploy/cluster/replica.sh resume  start the stopped replica again; it catches up from WAL
#   deploy/cluster/replica.sh destroy stop it and delete REPLICA_DIR
#
#   deploy/cluster/replica.sh allow     only the primary's pg_hba.conf line (below)
#   deploy/cluster/replica.sh disallow  remove that line again (and reload)
#
# The primary must accept a replication connection from 127.0.0.1: `start` adds
# `host replication postgres 127.0.0.1/32 trust` (under a marker comment) to its
# pg_hba.conf and reloads it, once, only when no `host replication` rule for 127.0.0.1
# is there; running it again changes nothing. Use `disallow` to take it out.
# PostgreSQL refuses to run as root, so the replica runs as the postgres OS user.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/tmp/giftshop-cluster-replica}
PG_USER=${PG_OS_USER:-postgres}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
DATA="$REPLICA_DIR/data"

as_pg() {
  if [ "$(id -un)" = "$PG_USER" ]; then "$@"; else runuser -u "$PG_USER" -- "$@"; fi
}

primary_sql() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -Atqc "$1"; }

HBA_MARK="# giftshop cluster replica (deploy/cluster/replica.sh)"
HBA_LINE="host replication postgres 127.0.0.1/32 trust"

# Idempotent: the primary's pg_hba.conf is shared (other clusters, other checkouts), so
# the line is added once, under a lock, only when no `host replication` rule for
# 127.0.0.1 exists yet (any user: an operator's own rule is left to decide, and the first
# matching line wins anyway); `disallow` removes exactly what `allow` added.
allow_replication() {
  local hba
  hba=$(primary_sql "SHOW hba_file")
  (
    flock 9
    if grep -Eq '^\s*host\s+replication\s+\S+\s+127\.0\.0\.1/32' "$hba"; then
      echo "replica: $hba already allows replication from 127.0.0.1"
    else
      echo "replica: allowing replication connections from 127.0.0.1 in $hba"
      printf '%s\n%s\n' "$HBA_MARK" "$HBA_LINE" >>"$hba"
      primary_sql "SELECT pg_reload_conf()" >/dev/null
    fi
  ) 9>>"$hba"
}

disallow_replication() {
  local hba
  hba=$(primary_sql "SHOW hba_file")
  (
    flock 9
    if grep -qxF "$HBA_MARK" "$hba"; then
      sed -i "\|^$HBA_MARK\$|{N;\|\n$HBA_LINE\$|d}" "$hba"
      primary_sql "SELECT pg_reload_conf()" >/dev/null
      echo "replica: removed its replication line from $hba"
    fi
  ) 9>>"$hba"
}

# A standby needs these at least as high as its primary's.
primary_settings() {
  local name
  for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    echo "$name = $(primary_sql "SHOW $name")"
  done
}

running() { as_pg "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$REPLICA_DIR/replica.log" -w -t 60 \
    -o "-p $REPLICA_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$REPLICA_DIR -c hot_standby=on -c hot_standby_feedback=on" \
    start >/dev/null
  echo "replica: running on port $REPLICA_PORT ($DATA)"
}

case "${1:-}" in
  start)
    if [ -d "$DATA" ] && running; then echo "replica: already running ($DATA)"; exit 0; fi
    rm -rf "$REPLICA_DIR"
    mkdir -p "$REPLICA_DIR"
    chown "$PG_USER" "$REPLICA_DIR"
    allow_replication
    as_pg "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
      -D "$DATA" -X stream -R -c fast
    # Debian keeps a cluster's configuration in /etc, so the copy has none of its own.
    [ -f "$DATA/postgresql.conf" ] || as_pg tee "$DATA/postgresql.conf" >/dev/null <<CONF
# The campaign's replica (deploy/cluster/replica.sh); primary_conninfo is in postgresql.auto.conf.
shared_buffers = 64MB
$(primary_settings)
CONF
    [ -f "$DATA/pg_hba.conf" ] || as_pg tee "$DATA/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
    as_pg touch "$DATA/pg_ident.conf"
    pg_start
    ;;
  resume) pg_start ;;
  allow) allow_replication ;;
  disallow) disallow_replication ;;
  stop)
    if [ -d "$DATA" ] && running; then as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
    echo "replica: stopped"
    ;;
  destroy)
    if [ -d "$DATA" ] && running; then as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null; fi
    rm -rf "$REPLICA_DIR"
    echo "replica: removed $REPLICA_DIR"
    ;;
  *) echo "usage: $0 start|stop|resume|destroy|allow|disallow" >&2; exit 2 ;;
esac
