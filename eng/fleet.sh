#!/usr/bin/env bash
# The local fleet: a gateway and N workers of each kind as processes on this machine, kept alive by a supervisor that
# starts again any process that exits (a worker that gives up on its broker link exits on purpose, for exactly this).
#
# usage: eng/fleet.sh start [--ingest N] [--train N] [--serve N] [--lake local|s3] [--port P]
#        eng/fleet.sh stop | status
# start installs what is missing, starts the services, builds, and returns once the gateway answers and every worker
# has sent a heartbeat; the fleet keeps running until `eng/fleet.sh stop`. Logs: .state/logs/<process>.log, and the
# supervisor's own (starts, exits, restarts) in .state/logs/supervisor.log.
#
# How many workers of a kind run is a desired count in .state/fleet/<kind>.replicas: `start` writes its --ingest/
# --train/--serve there, the gateway's cluster API (POST /api/v2/cluster/scale, Cluster:Mode=local) writes it later,
# and the supervisor reconciles every second: it starts worker-<kind>-1..N, and stops the ones above N with SIGTERM
# (a worker releases its running tasks to their queue on SIGTERM, so none is lost). A missing file leaves a kind alone.
# AIP_FLEET_RUN, AIP_FLEET_LOGS, AIP_FLEET_REPLICAS and AIP_FLEET_CONFIGURATION move the supervisor's folders and
# build; the tests' fleet (tests/Fleet/LocalFleet.cs) runs `supervise` this way, so one reconcile rule serves both.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
run=${AIP_FLEET_RUN:-$repo/.state/run}
logs=${AIP_FLEET_LOGS:-$repo/.state/logs}
replicas=${AIP_FLEET_REPLICAS:-$repo/.state/fleet}
configuration=${AIP_FLEET_CONFIGURATION:-Release}
worker_kinds="ingest train serve"
mkdir -p "$run" "$logs" "$replicas"
# Beside the services' settings, which may be another checkout's (a linked .state/services.env).
broker_accounts="$(dirname "$(readlink -f "$repo/.state/services.env")")/broker-accounts.env"

log() { echo "$(date -u +%FT%TZ) $*" >>"$logs/supervisor.log"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- the supervisor (runs in the background)
supervise() {
  # shellcheck disable=SC1091
  [ -f "$run/fleet.env" ] && . "$run/fleet.env"
  local -A pid_of name_of started_at quick_exits restart_at retiring
  local stopping=0 ticker
  trap 'stopping=1' TERM INT

  launch() { # name
    local name=$1 project role
    case "$name" in
      gateway) project=Gateway role=gateway ;;
      worker-ingest-*) project=Workers.Ingest role=ingest ;;
      worker-train-*) project=Workers.Train role=train ;;
      worker-serve-*) project=Workers.Serve role=serve ;;
    esac
    # Each process reaches the broker with its role's account, never the administrator's (eng/services.sh).
    RabbitMq__Username="aip-$role" RabbitMq__Password="$(grep "^$role=" "$broker_accounts" | cut -d= -f2)" \
      dotnet "$repo/src/$project/bin/$configuration/net10.0/AiPlatform.$project.dll" >>"$logs/$name.log" 2>&1 &
    local pid=$!
    pid_of[$name]=$pid; name_of[$pid]=$name; started_at[$name]=$SECONDS
    echo "$pid" >"$run/$name.pid"
    log "$name started (pid $pid)"
  }

  due() { # name: not running, and any restart delay over
    [ -z "${pid_of[$1]:-}" ] && [ "${restart_at[$1]:-0}" -le "$SECONDS" ]
  }

  desired() { # kind: its desired count, or nothing when no valid file says
    local count
    count=$(cat "$replicas/$1.replicas" 2>/dev/null) || return 0
    [[ "$count" =~ ^[0-9]+$ ]] && echo "$count"
  }

  # One rule for every process: a fixed process or a wanted worker that is not running is started (a restart after
  # its delay); a worker above its kind's count is asked to stop and is not started again.
  reconcile() {
    local name kind want i
    for name in ${FLEET_PROCESSES:-}; do due "$name" && launch "$name"; done
    for kind in $worker_kinds; do
      want=$(desired "$kind")
      [ -n "$want" ] || continue
      for ((i = 1; i <= want; i++)); do due "worker-$kind-$i" && launch "worker-$kind-$i"; done
      for name in "${!pid_of[@]}"; do
        [[ "$name" == worker-$kind-* ]] || continue
        if [ "${name##*-}" -gt "$want" ] && [ -z "${retiring[$name]:-}" ]; then
          retiring[$name]=1
          kill -TERM "${pid_of[$name]}" 2>/dev/null
          log "$name stopping: $kind wants $want"
        fi
      done
    done
  }

  # The loop wakes when a process exits or the ticker does, so a new desired count is seen within a second.
  reconcile
  sleep 1 & ticker=$!
  while [ "$stopping" = 0 ]; do
    local done_pid="" code name
    wait -n -p done_pid; code=$?
    [ "$stopping" = 1 ] && break
    if [ "$done_pid" = "$ticker" ]; then
      sleep 1 & ticker=$!
    elif [ -n "$done_pid" ] && [ -n "${name_of[$done_pid]:-}" ]; then
      name=${name_of[$done_pid]}
      unset "name_of[$done_pid]" "pid_of[$name]"
      if [ -n "${retiring[$name]:-}" ]; then
        unset "retiring[$name]" "restart_at[$name]"
        rm -f "$run/$name.pid"
        log "$name (pid $done_pid) stopped with code $code"
      else
        # A process that keeps dying at start (a bad build, a service away) is started again more slowly.
        if [ $((SECONDS - started_at[$name])) -lt 15 ]; then quick_exits[$name]=$((${quick_exits[$name]:-0} + 1)); else quick_exits[$name]=0; fi
        local delay=1; [ "${quick_exits[$name]}" -ge 3 ] && delay=15
        restart_at[$name]=$((SECONDS + delay))
        log "$name (pid $done_pid) exited with code $code; starting it again in ${delay} s"
      fi
    fi
    reconcile
  done

  log "stopping the fleet"
  kill "$ticker" 2>/dev/null
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
# Alertmanager sends alerts to this fleet's gateway with an operator key of its own, made once and kept in
# .state/alertmanager.key (a key that no longer signs in, say after the database was reset, is replaced).
alerts_to_gateway() { # gateway-url admin-key-file
  local key_file="$repo/.state/alertmanager.key" key
  if [ ! -s "$key_file" ] || ! curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$key_file")" "$1/api/v1/me"; then
    key=$(curl -sf -H "Authorization: Bearer $(cat "$2")" -H 'Content-Type: application/json' \
      -d "{\"name\":\"alertmanager-$(date +%s)\",\"role\":\"operator\"}" "$1/api/v1/keys" | grep -o '"key":"[^"]*"' | cut -d'"' -f4)
    [ -n "$key" ] || { echo "could not make Alertmanager's key; alerts will not reach the gateway" >&2; return 0; }
    (umask 077; printf '%s' "$key" >"$key_file.tmp" && mv "$key_file.tmp" "$key_file")
  fi
  ALERT_WEBHOOK_URL="$1/api/v1/alerts" ALERT_WEBHOOK_KEY_FILE="$key_file" bash "$repo/eng/monitoring.sh" start >/dev/null
}

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

  echo "$ingest" >"$replicas/ingest.replicas"
  echo "$train" >"$replicas/train.replicas"
  echo "$serve" >"$replicas/serve.replicas"
  # Values hold ';' (connection strings): read as data and written quoted, never sourced raw.
  {
    while IFS='=' read -r key value; do [ -n "$key" ] && printf 'export %s=%q\n' "$key" "$value"; done <"$repo/.state/services.env"
    local lake_root="$repo/.state/lake"
    [ "$lake" = s3 ] && lake_root="s3://$(grep '^S3__Bucket=' "$repo/.state/services.env" | cut -d= -f2)/lake"
    printf 'export %s=%q\n' Lake__Root "$lake_root" Scripts__Roots__0 "$repo/scripts" MASSTRANSIT_USAGE_TELEMETRY false \
      Worker__ScriptCacheDirectory "$repo/.state/script-cache" ASPNETCORE_URLS "http://127.0.0.1:$port" \
      Logging__LogLevel__Default Warning Logging__LogLevel__AiPlatform Information FLEET_PROCESSES gateway \
      FLEET_GATEWAY "http://127.0.0.1:$port" Auth__BootstrapKeyFile "$admin_key" Cluster__Mode local Cluster__ReplicasDirectory "$replicas" \
      Worker__TorchSharpRunner "$repo/src/ScriptRunner.TorchSharp/bin/$configuration/net10.0/linux-x64/AiPlatform.ScriptRunner.TorchSharp.dll"
    # Every process registers itself as a scrape target of the checkout's Prometheus (eng/monitoring.sh).
    bash "$repo/eng/monitoring.sh" env | while IFS='=' read -r key value; do printf 'export %s=%q\n' "$key" "$value"; done
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
  alerts_to_gateway "$gateway" "$admin_key"
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
