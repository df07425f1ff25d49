#!/usr/bin/env bash
# Local services for development and tests, without Docker, all on 127.0.0.1 with generated credentials:
#   RabbitMQ (AMQP 5673, management 15673), PostgreSQL (5433), S3 = Ceph radosgw on a one-node cluster (7480).
# usage: eng/services.sh start|stop|status|env|restart-rabbitmq|stop-rabbitmq|start-rabbitmq|restart-postgres|crash-postgres|start-postgres|restart-s3
# start is idempotent: what already runs is left alone, so a second start takes a moment.
# Connection settings are written to .state/services.env (KEY=VALUE, .NET configuration names).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state="$repo/.state"
logs="$state/logs"
mkdir -p "$state" "$logs"

# Ports: defaults below, overridden by environment variables of the same name (AIP_RABBIT_PORT=...) or by
# .state/ports.env. Whatever a start used is written to .state/ports.env, so later commands of this checkout (stop,
# status, restart-rabbitmq) find the same services without the variables.
ports_file="$state/ports.env"
declare -A port_defaults=([RABBIT_PORT]=5673 [RABBIT_MGMT_PORT]=15673 [RABBIT_DIST_PORT]=25673 [EPMD_PORT]=4373
  [PG_PORT]=5433 [S3_PORT]=7480 [CEPH_MON_PORT]=6790 [PROMETHEUS_PORT]=9391 [ALERTMANAGER_PORT]=9393)
# shellcheck disable=SC1090
[ -f "$ports_file" ] && . "$ports_file"
for name in "${!port_defaults[@]}"; do
  override="AIP_$name"
  value=${!override:-${!name:-${port_defaults[$name]}}}
  [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] && [ "$value" -le 65535 ] || { echo "$override=$value is not a port" >&2; exit 2; }
  printf -v "$name" '%s' "$value"
done
# Prometheus and Alertmanager are started by eng/monitoring.sh, which reads these two.
export PROMETHEUS_PORT ALERTMANAGER_PORT
write_ports() {
  local name
  for name in "${!port_defaults[@]}"; do echo "$name=${!name}"; done | sort > "$ports_file"
}

# shellcheck source=eng/ports.sh
. "$repo/eng/ports.sh"

# ---------------------------------------------------------------- credentials, generated once and kept
secrets="$state/secrets.env"
gen() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }
if [ ! -f "$secrets" ]; then
  umask 077
  cat > "$secrets" <<SECRETS
RABBIT_PASSWORD=$(gen 24)
PG_PASSWORD=$(gen 24)
S3_ACCESS_KEY=AIP$(gen 17 | tr 'a-z' 'A-Z')
S3_SECRET_KEY=$(gen 40)
SECRETS
fi
# shellcheck disable=SC1090
. "$secrets"
# The broker accounts of the fleet's processes, one per role; added to a state made before they existed.
broker_accounts="$state/broker-accounts.env"
if [ ! -f "$broker_accounts" ]; then
  (
    umask 077
    for role in gateway ingest train serve; do echo "$role=$(gen 24)"; done > "$broker_accounts.tmp" \
      && mv "$broker_accounts.tmp" "$broker_accounts"
  )
fi

wait_for() { # seconds command...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.25
  done
}

# ---------------------------------------------------------------- RabbitMQ
rabbit_dir="$state/rabbitmq"
rabbit_env() {
  export RABBITMQ_NODENAME=aiplatform@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$RABBIT_PORT
  export RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT
  # Erlang distribution listens on every interface unless told otherwise.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_MNESIA_BASE="$rabbit_dir/mnesia" RABBITMQ_LOG_BASE="$logs/rabbitmq"
  export RABBITMQ_CONFIG_FILE="$rabbit_dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$rabbit_dir/enabled_plugins"
  export RABBITMQ_PID_FILE="$rabbit_dir/rabbit.pid" HOME="$rabbit_dir"
  # Erlang writes its crash dumps to the working directory otherwise, i.e. into the checkout.
  export ERL_CRASH_DUMP="$logs/rabbitmq/erl_crash.dump"
}
rabbitmqctl() { /usr/lib/rabbitmq/bin/rabbitmqctl -n aiplatform@localhost "$@"; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Ours, not merely a node answering on our ports: its pid file is in this checkout.
rabbit_running() { rabbit_env; pid_alive "$RABBITMQ_PID_FILE" && rabbitmqctl status >/dev/null 2>&1; }

start_rabbit() {
  rabbit_env
  if rabbit_running; then rabbit_accounts && echo "rabbitmq: running"; return; fi
  require_free_ports rabbitmq RABBIT_PORT RABBIT_MGMT_PORT RABBIT_DIST_PORT || return 1
  mkdir -p "$rabbit_dir" "$logs/rabbitmq"
  cat > "$rabbit_dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
# Training tasks hold their command for their whole run; the 30-minute default would redeliver long ones.
consumer_timeout = 604800000
CONF
  echo "[rabbitmq_management]." > "$rabbit_dir/enabled_plugins"
  /usr/lib/rabbitmq/bin/rabbitmq-server -detached >>"$logs/rabbitmq-start.log" 2>&1
  wait_for 90 rabbitmqctl await_startup
  # Read whole before matching: grep -q stopping at the first line would fail the listing (pipefail) on a SIGPIPE.
  local users; users=$(rabbitmqctl list_users -q | cut -f1)
  if ! grep -qx aip <<<"$users"; then
    rabbitmqctl add_user aip "$RABBIT_PASSWORD" >/dev/null
    rabbitmqctl set_user_tags aip administrator >/dev/null
    rabbitmqctl set_permissions -p / aip '.*' '.*' '.*' >/dev/null
  fi
  if grep -qx guest <<<"$users"; then rabbitmqctl delete_user guest >/dev/null; fi
  wait_for 60 curl -sf -u "aip:$RABBIT_PASSWORD" "http://127.0.0.1:$RABBIT_MGMT_PORT/api/overview"
  rabbit_accounts
  echo "rabbitmq: started"
}

# The management API as the administrator; credentials and bodies go through files, never the command line.
rabbit_api() { # method path [body-file]
  curl -sf -K <(printf 'user = "aip:%s"\n' "$RABBIT_PASSWORD") -X "$1" -H 'content-type: application/json' \
    ${3:+--data-binary "@$3"} "http://127.0.0.1:$RABBIT_MGMT_PORT/api/$2" >/dev/null
}

# No process of the fleet runs as the administrator (aip, for operators and tests): the gateway's account manages the
# task flow in its virtual host, and each worker kind's reaches its own queues only. The definitions are the ones
# compose and Kubernetes load (deploy/rabbitmq/definitions.sh), imported through the management API.
rabbit_accounts() {
  local definitions="$state/rabbitmq-definitions.json" role password
  local -A passwords
  while IFS='=' read -r role password; do passwords[$role]=$password; done < "$broker_accounts"
  RABBITMQ_USER=aip RABBITMQ_PASSWORD=$RABBIT_PASSWORD RABBITMQ_GATEWAY_PASSWORD=${passwords[gateway]} \
    RABBITMQ_INGEST_PASSWORD=${passwords[ingest]} RABBITMQ_TRAIN_PASSWORD=${passwords[train]} \
    RABBITMQ_SERVE_PASSWORD=${passwords[serve]} sh "$repo/deploy/rabbitmq/definitions.sh" "$definitions" || return 1
  local status=0
  rabbit_api POST definitions "$definitions" || status=$?
  rm -f "$definitions"
  return $status
}

stop_rabbit() {
  rabbit_env
  rabbit_running && rabbitmqctl stop >/dev/null 2>&1 || true
  # epmd was started for our port only; nothing else uses it.
  epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- PostgreSQL
# PostgreSQL runs as the postgres user, who may not be able to enter the checkout (a private temp folder, say):
# its cluster lives in a folder of its own, one per checkout.
pg_dir=${AIP_PG_DIR:-/var/tmp/aiplatform-postgres-$(printf '%s' "$repo" | md5sum | cut -c1-12)}
pg_bin=/usr/lib/postgresql/15/bin
as_postgres() { su postgres -s /bin/sh -c "$*"; }
pg_running() { [ -f "$pg_dir/data/postmaster.pid" ] && as_postgres "$pg_bin/pg_ctl -D '$pg_dir/data' status" >/dev/null 2>&1; }

# An immediate stop, as a crash would leave it: no checkpoint, clients cut off mid-transaction.
crash_pg() { if pg_running; then as_postgres "$pg_bin/pg_ctl -D '$pg_dir/data' -m immediate -w stop" >/dev/null; fi; }

init_pg_cluster() {
  rm -rf "$pg_dir"; mkdir -p "$pg_dir/data" "$pg_dir/socket"
  cp "$state/pg-cluster-id" "$pg_dir/owner"
  chown -R postgres:postgres "$pg_dir"; chmod 700 "$pg_dir"
  as_postgres "$pg_bin/initdb -D '$pg_dir/data' -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8" \
    >"$logs/postgres-initdb.log" 2>&1
  cat >> "$pg_dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$pg_dir/socket'
max_connections = 200
fsync = on
CONF
}

start_pg() {
  # The cluster lives outside the checkout, so a new clone at the same path finds the cluster of an earlier one, with
  # another password and that clone's data. Each checkout marks its cluster; a cluster marked by another is replaced.
  local owner="$state/pg-cluster-id" was=running
  [ -f "$owner" ] || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$owner"
  if [ "$(cat "$pg_dir/owner" 2>/dev/null)" != "$(cat "$owner")" ]; then
    if pg_running; then as_postgres "$pg_bin/pg_ctl -D '$pg_dir/data' -m immediate -w stop" >/dev/null; fi
    rm -rf "$pg_dir"
  fi
  if ! pg_running; then
    was=started
    require_free_ports postgres PG_PORT || return 1
    [ -f "$pg_dir/data/PG_VERSION" ] || init_pg_cluster
    chown -R postgres:postgres "$pg_dir"
    as_postgres "$pg_bin/pg_ctl -D '$pg_dir/data' -l '$pg_dir/postgres.log' -w -t 60 start" >/dev/null
  fi
  local psql="$pg_bin/psql -h '$pg_dir/socket' -p $PG_PORT -U postgres -v ON_ERROR_STOP=1 -qtA"
  if [ "$(as_postgres "$psql -c \"SELECT 1 FROM pg_roles WHERE rolname = 'aip'\"")" != 1 ]; then
    as_postgres "$psql -c \"CREATE ROLE aip LOGIN CREATEDB\""
  fi
  # Set on every start: the password in .state/secrets.env is the one that counts.
  as_postgres "$psql -c \"ALTER ROLE aip PASSWORD '$PG_PASSWORD'\""
  if [ "$(as_postgres "$psql -c \"SELECT 1 FROM pg_database WHERE datname = 'aiplatform'\"")" != 1 ]; then
    as_postgres "$psql -c 'CREATE DATABASE aiplatform OWNER aip'"
  fi
  echo "postgres: $was"
}

stop_pg() {
  pg_running && as_postgres "$pg_bin/pg_ctl -D '$pg_dir/data' -m fast -w stop" >/dev/null || true
}

# ---------------------------------------------------------------- S3: Ceph radosgw, one node, objects in RAM
ceph_dir="$state/ceph"
ceph_conf="$ceph_dir/ceph.conf"
ceph() { command ceph -c "$ceph_conf" "$@"; }
s3_running() { pid_alive "$ceph_dir/run/ceph-client.rgw.a.pid" && curl -sf -o /dev/null "http://127.0.0.1:$S3_PORT/"; }

write_ceph_conf() {
  cat > "$ceph_conf" <<CONF
[global]
fsid = $1
mon_host = v1:127.0.0.1:$CEPH_MON_PORT
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr2 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
keyring = /dev/null
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 1
mon_data_avail_crit = 0
osd_mon_shutdown_timeout = 1
run_dir = $ceph_dir/run
admin_socket = $ceph_dir/run/\$cluster-\$name.asok
pid_file = $ceph_dir/run/\$cluster-\$name.pid
log_file = $logs/ceph-\$name.log
[mon]
mon_data = $ceph_dir/mon.\$id
mon_cluster_log_file = $logs/ceph-cluster.log
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
[osd]
osd_data = $ceph_dir/osd.\$id
# The OSD must not send monitor commands while it starts (it races the monmap fetch).
osd_crush_update_on_start = false
osd_class_update_on_start = false
osd_objectstore = memstore
memstore_device_bytes = 6442450944
osd_max_object_name_len = 460
osd_max_object_namespace_len = 64
[client]
rgw_data = $ceph_dir/rgw
# Without tcp_nodelay a small answer on a kept-alive connection waits for the client's delayed ACK: 40 ms per GET,
# HEAD or LIST of a small object (manifests, listings), against 1-3 ms with it.
rgw_frontends = beast endpoint=127.0.0.1:$S3_PORT tcp_nodelay=1
rgw_dns_name =
rgw_enable_usage_log = false
rgw_enable_ops_log = false
# Deleted objects' data is freed by radosgw's garbage collection, two hours after the delete by default: long enough for
# benchmarks that write and delete datasets to fill the in-memory store. A minute keeps it to what is live.
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
CONF
}

register_osd() { # uuid
  printf 'osd new %s 0\nosd crush add osd.0 1 root=default host=localhost\n' "$1" | ceph >>"$logs/ceph-setup.log" 2>&1
  ceph osd ls 2>/dev/null | grep -qx 0
}

start_s3() {
  if s3_running; then echo "s3: running"; return; fi
  stop_s3 # a half-started cluster from an earlier run (memstore keeps nothing worth saving)
  require_free_ports s3 S3_PORT CEPH_MON_PORT || return 1
  mkdir -p "$ceph_dir/mon.a" "$ceph_dir/osd.0" "$ceph_dir/run" "$ceph_dir/rgw"
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  write_ceph_conf "$fsid"
  monmaptool --create --addv a "[v1:127.0.0.1:$CEPH_MON_PORT]" --fsid "$fsid" "$ceph_dir/monmap" >/dev/null
  ceph-mon -c "$ceph_conf" --mkfs -i a --monmap "$ceph_dir/monmap"
  ceph-mon -c "$ceph_conf" -i a
  wait_for 30 timeout 5 ceph -c "$ceph_conf" mon stat
  local uuid; uuid=$(cat /proc/sys/kernel/random/uuid)
  # Retried: a monitor that just answered `mon stat` can still refuse commands for a moment (EPERM), and an OSD that
  # was never registered waits for its map forever. Both commands are idempotent.
  wait_for 30 register_osd "$uuid"
  ceph-osd -c "$ceph_conf" -i 0 --mkfs --osd-uuid "$uuid" 2>>"$logs/ceph-osd.stderr"
  ceph-osd -c "$ceph_conf" -i 0 2>>"$logs/ceph-osd.stderr"
  wait_for 60 sh -c "timeout 5 ceph -c '$ceph_conf' osd stat | grep -q '1 up'"
  # Pools made up front, so the first bucket and object are not slowed by pool creation.
  for p in .rgw.root default.rgw.control default.rgw.meta default.rgw.log \
           default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    printf 'osd pool create %s 8 8\nosd pool application enable %s rgw\n' "$p" "$p"
  done | ceph >>"$logs/ceph-setup.log" 2>&1 || true  # an existing pool is fine; radosgw creates any that is missing
  radosgw -c "$ceph_conf" -n client.rgw.a || { echo "radosgw did not start; see $logs/ceph-client.rgw.a.log"; return 1; }
  wait_for 120 s3_running
  radosgw-admin -c "$ceph_conf" user create --uid=aiplatform --display-name=aiplatform \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
  # radosgw wants the payload hash header, which curl's SigV4 does not add by itself.
  wait_for 30 curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "http://127.0.0.1:$S3_PORT/aiplatform"
  echo "s3: started"
}

stop_s3() {
  local pids=() f
  for f in "$ceph_dir"/run/ceph-*.pid; do [ -f "$f" ] && pids+=("$(cat "$f")"); done
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 40); do
      local alive=0 p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break; sleep 0.25
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$ceph_dir"
}

# ---------------------------------------------------------------- settings for apps and tests
write_env() {
  cat > "$state/services.env" <<ENV
RabbitMq__Host=127.0.0.1
RabbitMq__Port=$RABBIT_PORT
RabbitMq__Username=aip
RabbitMq__Password=$RABBIT_PASSWORD
RabbitMq__ManagementUrl=http://127.0.0.1:$RABBIT_MGMT_PORT
ConnectionStrings__Platform=Host=127.0.0.1;Port=$PG_PORT;Database=aiplatform;Username=aip;Password=$PG_PASSWORD
S3__ServiceUrl=http://127.0.0.1:$S3_PORT
S3__AccessKey=$S3_ACCESS_KEY
S3__SecretKey=$S3_SECRET_KEY
S3__Bucket=aiplatform
S3__Region=us-east-1
Worker__SandboxHiddenPaths__0=$state
Worker__SandboxHiddenPaths__1=$pg_dir
ENV
  bash "$repo/eng/monitoring.sh" env >> "$state/services.env"
}

status() {
  local ok=0
  if rabbit_running; then echo "rabbitmq: up (amqp 127.0.0.1:$RABBIT_PORT, management http://127.0.0.1:$RABBIT_MGMT_PORT)"; else echo "rabbitmq: down"; ok=1; fi
  if pg_running; then echo "postgres: up (127.0.0.1:$PG_PORT)"; else echo "postgres: down"; ok=1; fi
  if s3_running; then echo "s3: up (http://127.0.0.1:$S3_PORT)"; else echo "s3: down"; ok=1; fi
  return $ok
}

case "${1:-}" in
  start)
    # The three start independently; run them side by side.
    write_ports
    start_rabbit >"$logs/start-rabbit.out" 2>&1 & r=$!
    start_pg >"$logs/start-pg.out" 2>&1 & p=$!
    start_s3 >"$logs/start-s3.out" 2>&1 & s=$!
    failed=0
    wait $r || { echo "rabbitmq failed to start:"; tail -5 "$logs/start-rabbit.out"; failed=1; }
    wait $p || { echo "postgres failed to start:"; tail -5 "$logs/start-pg.out"; failed=1; }
    wait $s || { echo "s3 failed to start:"; tail -5 "$logs/start-s3.out"; failed=1; }
    cat "$logs"/start-{rabbit,pg,s3}.out | grep -E '^(rabbitmq|postgres|s3):' || true
    # Prometheus and Alertmanager watch the fleet; nothing depends on them to run, so they never fail a start.
    bash "$repo/eng/monitoring.sh" start >"$logs/start-monitoring.out" 2>&1 \
      || { echo "monitoring (Prometheus, Alertmanager) did not start: see $logs/start-monitoring.out"; }
    grep -E '^(prometheus|alertmanager):' "$logs/start-monitoring.out" || true
    write_env
    exit $failed ;;
  stop) bash "$repo/eng/monitoring.sh" stop >/dev/null 2>&1 || true; stop_rabbit; stop_pg; stop_s3; echo "stopped" ;;
  # Restarts for fault tests. The broker's durable queues and persistent messages must come back with it; PostgreSQL
  # is stopped the hard way (as a crash would); only the S3 server process restarts, since the objects live in the
  # OSD's memory.
  restart-rabbitmq) stop_rabbit; start_rabbit ;;
  # An outage of a chosen length: work submitted in between must wait for the broker, not be lost.
  stop-rabbitmq) stop_rabbit ;;
  start-rabbitmq) start_rabbit ;;
  restart-postgres) crash_pg; start_pg ;;
  # A database outage of a chosen length: events that arrive meanwhile must wait in their queues, not be dropped.
  crash-postgres) crash_pg ;;
  start-postgres) start_pg ;;
  restart-s3)
    rgw_pid="$ceph_dir/run/ceph-client.rgw.a.pid"
    if pid_alive "$rgw_pid"; then
      # The old process holds its pid file's lock until it has exited, not merely stopped answering.
      old=$(cat "$rgw_pid"); kill "$old"
      for _ in $(seq 1 120); do kill -0 "$old" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$old" 2>/dev/null || true
    fi
    radosgw -c "$ceph_conf" -n client.rgw.a
    wait_for 60 s3_running
    echo "s3: restarted" ;;
  status) status ;;
  env) write_env; cat "$state/services.env" ;;
  *) echo "usage: $0 start|stop|status|env|restart-rabbitmq|stop-rabbitmq|start-rabbitmq|restart-postgres|crash-postgres|start-postgres|restart-s3" >&2; exit 2 ;;
esac
