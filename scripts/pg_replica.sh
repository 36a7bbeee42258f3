#!/usr/bin/env bash
# Start a streaming replica of the local PostgreSQL server (127.0.0.1:5432) on 127.0.0.1:5433,
# for the read-replica tests (tests/academy/test_replica.py). Test machines only: it trusts
# loopback connections. Does nothing when the replica already answers. Run as root.
set -euo pipefail
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}

if pg_isready -q -h 127.0.0.1 -p "$REPLICA_PORT" 2>/dev/null; then
  exit 0
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
bin=/usr/lib/postgresql/$version/bin
hba=/etc/postgresql/$version/main/pg_hba.conf
data=/var/lib/postgresql/$version/replica

# The primary must accept replication connections from loopback.
if ! grep -q '^host replication all 127.0.0.1/32 trust' "$hba"; then
  sed -i '1i host replication all 127.0.0.1/32 trust' "$hba"
  psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qAtc "SELECT pg_reload_conf()" postgres >/dev/null
fi

rm -rf "$data"
install -d -o postgres -g postgres -m 700 "$data"
# -R writes standby.signal and primary_conninfo: the copy starts as a streaming standby.
runuser -u postgres -- "$bin/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$data" -R -X stream -c fast
cat > "$data/postgresql.conf" <<CONF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
max_connections = 200
CONF
cat > "$data/pg_hba.conf" <<CONF
local all all trust
host all all 127.0.0.1/32 trust
CONF
chown postgres:postgres "$data/postgresql.conf" "$data/pg_hba.conf"
runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w start >/dev/null
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p "$REPLICA_PORT" && break; sleep 1; done
pg_isready -h 127.0.0.1 -p "$REPLICA_PORT"
