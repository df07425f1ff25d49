#!/usr/bin/env bash
# Prometheus and Alertmanager as private processes on 127.0.0.1, with the project's configuration (deploy/prometheus).
# usage: eng/monitoring.sh start|stop|status|env
#   start is idempotent: running processes are left alone, but get the current rules and configuration (SIGHUP).
# Prometheus scrapes every gateway and worker that writes a target file into the targets folder (set
# Monitoring__TargetsDirectory to it: `eng/monitoring.sh env` prints the line); processes remove their file on exit.
# Overridable for a second, isolated instance (tests): MONITORING_STATE (default .state/monitoring),
# PROMETHEUS_PORT (9391), ALERTMANAGER_PORT (9393), ALERT_WEBHOOK_URL (the gateway's http://127.0.0.1:5080/api/v1/alerts),
# ALERT_WEBHOOK_KEY_FILE (the operator key Alertmanager sends it; .state/alertmanager.key, made by eng/fleet.sh start).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state="${MONITORING_STATE:-$repo/.state/monitoring}"
# Ports given in the environment win over the checkout's .state/ports.env (written by eng/services.sh).
given_prometheus=${PROMETHEUS_PORT:-} given_alertmanager=${ALERTMANAGER_PORT:-}
# shellcheck disable=SC1091
[ -f "$repo/.state/ports.env" ] && . "$repo/.state/ports.env"
PROMETHEUS_PORT="${given_prometheus:-${PROMETHEUS_PORT:-9391}}"
ALERTMANAGER_PORT="${given_alertmanager:-${ALERTMANAGER_PORT:-9393}}"
ALERT_WEBHOOK_URL="${ALERT_WEBHOOK_URL:-http://127.0.0.1:5080/api/v1/alerts}"
ALERT_WEBHOOK_KEY_FILE="${ALERT_WEBHOOK_KEY_FILE:-$repo/.state/alertmanager.key}"
prom_dir="$state/prometheus" am_dir="$state/alertmanager" targets="$state/prometheus/targets" logs="$state/logs"

wait_for() { # seconds url
  local deadline=$((SECONDS + $1))
  until curl -fsS -o /dev/null "$2" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { echo "timed out waiting for $2" >&2; return 1; }
    sleep 0.25
  done
}
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# shellcheck source=eng/ports.sh
. "$repo/eng/ports.sh"

write_config() {
  mkdir -p "$prom_dir/data" "$targets" "$am_dir/data" "$logs"
  cp "$repo/deploy/prometheus/prometheus.yml" "$repo/deploy/prometheus/alert-rules.yml" "$prom_dir/"
  # Renamed into place, so Prometheus never reads half a file.
  printf '[{"targets":["127.0.0.1:%s"]}]\n' "$ALERTMANAGER_PORT" > "$targets/alertmanagers.json.tmp"
  mv "$targets/alertmanagers.json.tmp" "$targets/alertmanagers.json"
  sed -e "s#http://gateway:8080/api/v1/alerts#$ALERT_WEBHOOK_URL#" -e "s#/etc/alertmanager/gateway.key#$ALERT_WEBHOOK_KEY_FILE#" \
    "$repo/deploy/prometheus/alertmanager.yml" > "$am_dir/alertmanager.yml"
}

start_prometheus() {
  local pid="$prom_dir/prometheus.pid"
  if running "$pid"; then kill -HUP "$(cat "$pid")"; echo "prometheus: running (configuration reloaded)"; return; fi
  # Without this, a readiness check answered by another checkout's Prometheus would pass for ours.
  require_free_ports prometheus PROMETHEUS_PORT || return 1
  promtool check config "$prom_dir/prometheus.yml" >/dev/null
  nohup prometheus --config.file="$prom_dir/prometheus.yml" --storage.tsdb.path="$prom_dir/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    > "$logs/prometheus.log" 2>&1 < /dev/null &
  echo $! > "$pid"
  wait_for 30 "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" || { tail -20 "$logs/prometheus.log" >&2; exit 1; }
  echo "prometheus: started"
}

start_alertmanager() {
  local pid="$am_dir/alertmanager.pid"
  if running "$pid"; then kill -HUP "$(cat "$pid")"; echo "alertmanager: running (configuration reloaded)"; return; fi
  require_free_ports alertmanager ALERTMANAGER_PORT || return 1
  amtool check-config "$am_dir/alertmanager.yml" >/dev/null
  # An empty cluster address turns off gossip, which would otherwise listen on every interface.
  nohup prometheus-alertmanager --config.file="$am_dir/alertmanager.yml" --storage.path="$am_dir/data" \
    --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address= \
    > "$logs/alertmanager.log" 2>&1 < /dev/null &
  echo $! > "$pid"
  wait_for 30 "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" || { tail -20 "$logs/alertmanager.log" >&2; exit 1; }
  echo "alertmanager: started"
}

stop_one() { # name pidfile
  if ! running "$2"; then echo "$1: not running"; rm -f "$2"; return; fi
  local pid; pid=$(cat "$2")
  kill "$pid"
  for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$2"
  echo "$1: stopped"
}

status() {
  local down=0
  if running "$prom_dir/prometheus.pid" && curl -fsS -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; then
    echo "prometheus: up (http://127.0.0.1:$PROMETHEUS_PORT, targets $targets)"
  else echo "prometheus: down"; down=1; fi
  if running "$am_dir/alertmanager.pid" && curl -fsS -o /dev/null "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready"; then
    echo "alertmanager: up (http://127.0.0.1:$ALERTMANAGER_PORT, alerts to $ALERT_WEBHOOK_URL)"
  else echo "alertmanager: down"; down=1; fi
  return $down
}

case "${1:-}" in
  # Both are tried, so a refusal names every port in the way, not only the first.
  start) write_config; failed=0; start_alertmanager || failed=1; start_prometheus || failed=1; exit $failed ;;
  stop) stop_one prometheus "$prom_dir/prometheus.pid"; stop_one alertmanager "$am_dir/alertmanager.pid" ;;
  status) status ;;
  env) echo "Monitoring__TargetsDirectory=$targets"; echo "Prometheus__Url=http://127.0.0.1:$PROMETHEUS_PORT" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
