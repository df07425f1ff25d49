#!/usr/bin/env bash
# The main job: installs what is missing, starts the local services, builds, starts a gateway and one worker of
# each kind, and drives the Fashion-MNIST pipeline through the REST API (ingest, train, serve, predict).
# usage: eng/run.sh [--epochs N] [--lake local|s3] [--keep]     (--keep leaves the fleet running afterwards)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
epochs=5 lake=local keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs=$2; shift 2 ;;
    --lake) lake=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--epochs N] [--lake local|s3] [--keep]" >&2; exit 2 ;;
  esac
done

bash eng/install-deps.sh
bash eng/services.sh start
dotnet build AiPlatform.sln -c Release -nologo -v quiet

# Values hold ';' (connection strings): read them as data, never source them as shell.
while IFS='=' read -r key value; do [ -n "$key" ] && export "$key=$value"; done < .state/services.env
if [ "$lake" = s3 ]; then export Lake__Root="s3://$S3__Bucket/lake"; else export Lake__Root="$repo/.state/lake"; fi
export Scripts__Roots__0="$repo/scripts" MASSTRANSIT_USAGE_TELEMETRY=false Worker__ScriptCacheDirectory="$repo/.state/script-cache"
export Logging__LogLevel__Default=Warning Logging__LogLevel__AiPlatform=Information
# The admin key of this checkout: made once, readable by its owner only; the gateway stores it at start-up
# (Auth:BootstrapKeyFile) and the pipeline signs its requests with it. Sign in to the monitoring page with it too.
admin_key="$repo/.state/admin.key"
if [ ! -s "$admin_key" ]; then
  (umask 077; dotnet src/Gateway/bin/Release/net10.0/AiPlatform.Gateway.dll --new-key >"$admin_key.tmp" && mv "$admin_key.tmp" "$admin_key")
fi
export Auth__BootstrapKeyFile="$admin_key"
port=${AIP_GATEWAY_PORT:-5080}
gateway="http://127.0.0.1:$port"
run="$repo/.state/run"; mkdir -p "$run" "$repo/.state/logs"

bash eng/fleet.sh stop >/dev/null 2>&1 || true
start() { # name project
  ASPNETCORE_URLS="$gateway" nohup dotnet "src/$2/bin/Release/net10.0/AiPlatform.$2.dll" >"$repo/.state/logs/$1.log" 2>&1 &
  echo $! >"$run/$1.pid"
}
start gateway Gateway
for _ in $(seq 1 120); do curl -sf "$gateway/healthz" >/dev/null && break; sleep 0.5; done
curl -sf "$gateway/healthz" >/dev/null || { echo "gateway did not start; see .state/logs/gateway.log"; exit 1; }
start worker-ingest Workers.Ingest
start worker-train Workers.Train
start worker-serve Workers.Serve
echo "fleet up: gateway $gateway (monitoring page $gateway/, sign in with the key in .state/admin.key), lake $Lake__Root, logs in .state/logs"

status=0
dotnet samples/MnistPipeline/bin/Release/net10.0/AiPlatform.MnistPipeline.dll --gateway "$gateway" --key-file "$admin_key" --epochs "$epochs" || status=$?
if [ "$keep" = 1 ]; then
  echo "fleet left running; stop it with: bash eng/fleet.sh stop"
else
  bash eng/fleet.sh stop
fi
exit $status
