#!/usr/bin/env bash
# The local fleet: a gateway and N workers of each kind as processes on this machine, kept alive by a supervisor that
# starts again any process that exits (a worker that gives up on its broker link exits on purpose, for exactly this).
#
# usage: eng/fleet.sh start [--ingest N] [--train N] [--serve N] [--lake local|s3] [--port P]
#        eng/fleet.sh stop | status
# start installs what is missing, starts the services, builds, and returns once the gateway answers and every worker
# has sent a heartbeat; the fleet keeps running until `eng/fleet.sh stop`. Logs: .state/logs/<process>.log, and the
# supervisor's own (starts, exits, restarts) in .state/logs/supervisor.log.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
run="$repo/.state/run"
logs="$repo/.state/logs"
mkdir -p "$run" "$logs"

log() { echo "$(date -u +%FT%TZ) $*" >>"$logs/supervisor.log"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- the supervisor (runs in the background)
supervise() {
  # shellcheck disable=SC1091
  . "$run/fleet.env"
  local -A pid_of name_of started_at quick_exits
  local stopping=0
  trap 'stopping=1' TERM INT

  launch() { # name
    local name=$1 project
    case "$name" in
      gateway) project=Gateway ;;
      worker-ingest-*) project=Workers.Ingest ;;
      worker-train-*) project=Workers.Train ;;
      worker-serve-*) project=Workers.Serve ;;
    esac
    dotnet "$repo/src/$project/bin/Release/net10.0/AiPlatform.$project.dll" >>"$logs/$name.log" 2>&1 &
    local pid=$!
    pid_of[$name]=$pid; name_of[$pid]=$name; started_at[$name]=$SECONDS
    echo "$pid" >"$run/$name.pid"
    log "$name started (pid $pid)"
  }

  local name
  for name in $FLEET_PROCESSES; do launch "$name"; done
  while [ "$stopping" = 0 ]; do
    local done_pid="" code
    wait -n -p done_pid; code=$?
    [ "$stopping" = 1 ] && break
    [ -n "$done_pid" ] || continue
    name=${name_of[$done_pid]:-}
    [ -n "$name" ] || continue
    unset "name_of[$done_pid]"
    # A process that keeps dying at start (a bad build, a service away) is started again more slowly.
    if [ $((SECONDS - started_at[$name])) -lt 15 ]; then quick_exits[$name]=$((${quick_exits[$name]:-0} + 1)); else quick_exits[$name]=0; fi
    local delay=1; [ "${quick_exits[$name]}" -ge 3 ] && delay=15
    log "$name (pid $done_pid) exited with code $code; starting it again in ${delay} s"
    sleep "$delay" & wait $! 2>/dev/null
    [ "$stopping" = 1 ] && break
    launch "$name"
  done

  log "stopping the fleet"
  local pids=("${!name_of[@]}")
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null
  # Workers release their running tasks on SIGTERM; give them the time to say so.
  local deadline=$((SECONDS + 40)) p any
  while [ $SECONDS -lt $deadline ]; do
    any=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && any=1; done
    [ "$any" = 0 ] && break; sleep 0.25
  done
  [ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
  rm -f "$run"/*.pid
  log "fleet stopped"
}

# ---------------------------------------------------------------- commands
start() {
  local ingest=1 train=1 serve=1 lake=local port=${AIP_GATEWAY_PORT:-5080}
  while [ $# -gt 0 ]; do
    case "$1" in
      --ingest) ingest=$2; shift 2 ;;
      --train) train=$2; shift 2 ;;
      --serve) serve=$2; shift 2 ;;
      --lake) lake=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
  if alive "$run/supervisor.pid"; then echo "the fleet is already running (eng/fleet.sh status; eng/fleet.sh stop)"; return 0; fi

  bash "$repo/eng/install-deps.sh" || exit 1
  bash "$repo/eng/services.sh" start || exit 1
  dotnet build "$repo/AiPlatform.sln" -c Release -nologo -v quiet || exit 1

  # The admin key of this checkout: made once, readable by its owner only; the gateway stores it at start-up
  # (Auth:BootstrapKeyFile). Clients and the monitoring page sign in with it.
  local admin_key="$repo/.state/admin.key"
  if [ ! -s "$admin_key" ]; then
    (umask 077; dotnet "$repo/src/Gateway/bin/Release/net10.0/AiPlatform.Gateway.dll" --new-key >"$admin_key.tmp" && mv "$admin_key.tmp" "$admin_key") \
      || { echo "could not make an admin key"; exit 1; }
  fi

  local processes="gateway" i
  for i in $(seq 1 "$ingest"); do processes+=" worker-ingest-$i"; done
  for i in $(seq 1 "$train"); do processes+=" worker-train-$i"; done
  for i in $(seq 1 "$serve"); do processes+=" worker-serve-$i"; done
  # Values hold ';' (connection strings): read as data and written quoted, never sourced raw.
  {
    while IFS='=' read -r key value; do [ -n "$key" ] && printf 'export %s=%q\n' "$key" "$value"; done <"$repo/.state/services.env"
    local lake_root="$repo/.state/lake"
    [ "$lake" = s3 ] && lake_root="s3://$(grep '^S3__Bucket=' "$repo/.state/services.env" | cut -d= -f2)/lake"
    printf 'export %s=%q\n' Lake__Root "$lake_root" Scripts__Roots__0 "$repo/scripts" MASSTRANSIT_USAGE_TELEMETRY false \
      Worker__ScriptCacheDirectory "$repo/.state/script-cache" ASPNETCORE_URLS "http://127.0.0.1:$port" \
      Logging__LogLevel__Default Warning Logging__LogLevel__AiPlatform Information FLEET_PROCESSES "$processes" \
      FLEET_GATEWAY "http://127.0.0.1:$port" Auth__BootstrapKeyFile "$admin_key"
  } >"$run/fleet.env"
  chmod 600 "$run/fleet.env"

  setsid nohup bash "$0" supervise >>"$logs/supervisor.log" 2>&1 </dev/null &
  echo $! >"$run/supervisor.pid"

  local gateway="http://127.0.0.1:$port" workers=$((ingest + train + serve))
  for _ in $(seq 1 240); do curl -sf "$gateway/healthz" >/dev/null && break; sleep 0.5; done
  curl -sf "$gateway/healthz" >/dev/null || { echo "gateway did not start; see .state/logs/gateway.log"; exit 1; }
  for _ in $(seq 1 240); do
    [ "$(curl -sf -H "Authorization: Bearer $(cat "$admin_key")" "$gateway/api/v1/workers" | grep -o '"worker_id"' | wc -l)" -ge "$workers" ] && break
    sleep 0.5
  done
  echo "fleet up: gateway $gateway (monitoring page $gateway/, sign in with the key in .state/admin.key), $ingest ingest, $train train, $serve serve worker(s), lake $lake"
  echo "logs in .state/logs; stop with: bash eng/fleet.sh stop"
}

stop() {
  if alive "$run/supervisor.pid"; then
    local pid; pid=$(cat "$run/supervisor.pid")
    kill -TERM "$pid"
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null
  fi
  # Anything left by a supervisor that was killed outright.
  local pidfile
  for pidfile in "$run"/*.pid; do
    [ -f "$pidfile" ] || continue
    alive "$pidfile" && kill -KILL "$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
  done
  echo "fleet stopped"
}

status() {
  alive "$run/supervisor.pid" || { echo "fleet: not running"; return 1; }
  echo "fleet: running (supervisor pid $(cat "$run/supervisor.pid"))"
  local pidfile
  for pidfile in "$run"/*.pid; do
    local name; name=$(basename "$pidfile" .pid)
    [ "$name" = supervisor ] && continue
    if alive "$pidfile"; then echo "  $name: up (pid $(cat "$pidfile"))"; else echo "  $name: down (being restarted)"; fi
  done
  local restarts; restarts=$(grep -c 'exited with code' "$logs/supervisor.log" 2>/dev/null)
  echo "  restarts so far: ${restarts:-0} (see .state/logs/supervisor.log)"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  supervise) supervise ;;
  *) echo "usage: $0 start [--ingest N] [--train N] [--serve N] [--lake local|s3] [--port P] | stop | status" >&2; exit 2 ;;
esac
