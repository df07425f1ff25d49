#!/usr/bin/env bash
# Port checks shared by the services scripts (sourced, not run).

# Refuses to start a service over a port something else holds (another checkout's services, say): a half-started
# set of services is worse than a clear no.
port_holder() { # port -> "pid command" of the listener, empty when free
  local pid
  pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
  [ -n "$pid" ] || { ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && echo "unknown process"; return 0; }
  local where; where=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -o '/[^ "]*/\.state' | head -n1)
  echo "pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null))${where:+ of the checkout ${where%/.state}}"
}
require_free_ports() { # service port-variable...
  local service=$1 name holder; shift
  for name in "$@"; do
    holder=$(port_holder "${!name}")
    if [ -n "$holder" ]; then
      echo "$service cannot start: port ${!name} ($name) is held by $holder; stop that, or give this checkout other ports (AIP_$name=...)" >&2
      return 1
    fi
  done
}
