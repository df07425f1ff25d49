#!/usr/bin/env bash
# Stops the gateway and workers that eng/run.sh started (their pids are in .state/run).
set -uo pipefail
run="$(cd "$(dirname "$0")/.." && pwd)/.state/run"
case "${1:-}" in
  stop)
    for pidfile in "$run"/*.pid; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null && for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null
      rm -f "$pidfile"
    done
    echo "fleet stopped" ;;
  *) echo "usage: $0 stop" >&2; exit 2 ;;
esac
