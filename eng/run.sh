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

fleet_args=(--lake "$lake")
[ -n "${AIP_GATEWAY_PORT:-}" ] && fleet_args+=(--port "$AIP_GATEWAY_PORT")
# A fleet left running by an earlier --keep is replaced, so the run uses this build and these settings.
bash eng/fleet.sh stop >/dev/null 2>&1 || true
bash eng/fleet.sh start "${fleet_args[@]}"
gateway="http://127.0.0.1:${AIP_GATEWAY_PORT:-5080}"

admin_key="$repo/.state/admin.key"   # made by fleet.sh start; sign in to the monitoring page with it too
status=0
dotnet samples/MnistPipeline/bin/Release/net10.0/AiPlatform.MnistPipeline.dll --gateway "$gateway" --key-file "$admin_key" --epochs "$epochs" || status=$?
if [ "$keep" = 1 ]; then
  echo "fleet left running; stop it with: bash eng/fleet.sh stop"
else
  bash eng/fleet.sh stop
fi
exit $status
