#!/usr/bin/env bash
# The compose deployment in containers on this machine, without Docker or a public registry: podman (with runc),
# podman-compose, a Debian base image made with debootstrap, and docker-compose.yml + deploy/compose.local.yml.
# usage: eng/containers.sh install      podman, runc, podman-compose, debootstrap and podman's settings (idempotent)
#        eng/containers.sh build        base image (only when missing), apps published on the host, every image
#        eng/containers.sh up           build what is missing, start everything, wait until every container is healthy
#        eng/containers.sh status       each container and its health
#        eng/containers.sh pipeline [--epochs N]   Fashion-MNIST through the containerised gateway, lake and raw data in S3
#        eng/containers.sh scale worker-train=3 [worker-serve=2 ...]   containers per worker kind
#        eng/containers.sh down         stop and remove the containers, their volumes and their network
# The gateway is published on 127.0.0.1:${AIP_CONTAINERS_GATEWAY_PORT:-5180}; nothing else of the deployment is reachable
# from the host but the RabbitMQ management UI (+1) and the S3 console slot (+2), both on 127.0.0.1.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

project=aiplatform-local
state="$repo/.state/containers"
base_image=localhost/debian:bookworm
services=(rabbitmq postgres minio minio-init gateway worker-ingest worker-train worker-serve)
app_projects=(Gateway Workers.Ingest Workers.Train Workers.Serve ScriptRunner.TorchSharp)
gateway_port=${AIP_CONTAINERS_GATEWAY_PORT:-5180}

log() { echo "containers: $*"; }

# ------------------------------------------------------------------------------------------------------- install
install() {
  local packages=(podman runc podman-compose debootstrap netavark aardvark-dns iptables) missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
    sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
  fi
  # crun (podman's default) refuses this kind of host's hybrid cgroups; there is no systemd to manage cgroups or
  # journald to log events; containers may not raise their limits above the host's, so they get explicit ones.
  local conf=/etc/containers/containers.conf.d/50-aiplatform.conf wanted
  wanted=$(cat <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
CONF
)
  if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
    sudo mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$wanted" | sudo tee "$conf" >/dev/null
    log "wrote $conf"
  fi
}

# ------------------------------------------------------------------------------------------------------- build
base_image() {
  if podman image exists "$base_image"; then return; fi
  local root; root=$(mktemp -d /var/tmp/aiplatform-debootstrap.XXXXXX)
  log "making $base_image with debootstrap (about a minute)"
  sudo debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$state/debootstrap.log" 2>&1 \
    || { tail -5 "$state/debootstrap.log"; exit 1; }
  # The same suites as the host, so images get Debian's updates and security fixes.
  sudo tee "$root/etc/apt/sources.list" >/dev/null <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
  sudo rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  sudo tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$base_image" >/dev/null
  sudo rm -rf "$root"
}

# Self-contained apps, published once per change of the sources (the SDK stage of deploy/Dockerfile, done on the host).
publish_apps() {
  local stamp="$repo/artifacts/containers/.published" newest p
  newest=$(find src scripts native/torchshim Directory.Packages.props Directory.Build.props -newer "$stamp" \
    -type f ! -path '*/bin/*' ! -path '*/obj/*' ! -path '*/build/*' 2>/dev/null | head -1 || true)
  if [ -f "$stamp" ] && [ -z "$newest" ]; then return; fi
  for p in "${app_projects[@]}"; do
    log "publishing $p"
    dotnet publish "src/$p/$p.csproj" -c Release -r linux-x64 --self-contained true \
      -o "artifacts/containers/$p" -nologo -v q >"$state/publish-$p.log" 2>&1 \
      || { tail -20 "$state/publish-$p.log"; exit 1; }
  done
  touch "$stamp"
}

# Docker's image format: the OCI format has no place for HEALTHCHECK, so podman would drop the images' health checks.
compose() {
  BUILDAH_FORMAT=docker DEBIAN_IMAGE=$base_image podman-compose -p "$project" -f docker-compose.yml -f deploy/compose.local.yml "$@"
}

# Secrets of this deployment: made once, kept in .state/containers (owner-only), exported for compose.
load_secrets() {
  local env_file="$state/compose.env"
  secret() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; }
  if [ ! -s "$env_file" ]; then
    (umask 077
     printf 'RABBITMQ_PASSWORD=%s\nPOSTGRES_PASSWORD=%s\nMINIO_ROOT_PASSWORD=%s\nAIP_ADMIN_KEY=aip_%s%s\n' \
       "$(secret)" "$(secret)" "$(secret)" "$(secret)" "$(secret)" > "$env_file")
  fi
  # The roles' broker accounts, added to a file made before they existed.
  local role variable
  for role in GATEWAY INGEST TRAIN SERVE; do
    variable=RABBITMQ_${role}_PASSWORD
    grep -q "^$variable=" "$env_file" || (umask 077; printf '%s=%s\n' "$variable" "$(secret)" >> "$env_file")
  done
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
  export GATEWAY_PORT=$gateway_port RABBITMQ_UI_PORT=$((gateway_port + 1)) MINIO_CONSOLE_PORT=$((gateway_port + 2))
  (umask 077; printf '%s\n' "$AIP_ADMIN_KEY" > "$state/admin.key")
}

build() {
  install
  base_image
  publish_apps
  load_secrets
  local started=$SECONDS
  compose build >"$state/build.log" 2>&1 || { tail -30 "$state/build.log"; exit 1; }
  log "images built in $((SECONDS - started)) s"
}

# ------------------------------------------------------------------------------------------------------- run
containers_of() { # [service]: names of this deployment's containers (of one service)
  local filter=(--filter "label=io.podman.compose.project=$project")
  [ -n "${1:-}" ] && filter+=(--filter "label=com.docker.compose.service=$1")
  podman ps -a "${filter[@]}" --format '{{.Names}}' | sort
}

# Podman runs health checks from systemd timers, which this host has not: run each one until all pass.
wait_healthy() {
  local deadline=$((SECONDS + ${1:-600})) name unhealthy
  while :; do
    unhealthy=()
    for name in $(containers_of); do
      case "$(podman inspect -f '{{.State.Status}} {{if .Config.Healthcheck}}check{{end}}' "$name")" in
        "exited "*) [[ "$name" == *_minio-init_* ]] || unhealthy+=("$name(exited)") ;;
        "running check") podman healthcheck run "$name" >/dev/null 2>&1 || unhealthy+=("$name") ;;
        "running "*) ;;
        *) unhealthy+=("$name") ;;
      esac
    done
    [ ${#unhealthy[@]} -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then log "not healthy: ${unhealthy[*]}"; return 1; fi
    sleep 3
  done
}

up() {
  local started=$SECONDS
  install
  load_secrets
  local missing=0 service
  for service in rabbitmq postgres s3 gateway worker-ingest worker-train worker-serve; do
    podman image exists "localhost/aiplatform-$service:local" || missing=1
  done
  if [ $missing = 1 ]; then build; fi
  compose up -d "${services[@]}" >"$state/up.log" 2>&1 || { tail -30 "$state/up.log"; exit 1; }
  wait_healthy 300 || { status; exit 1; }
  log "healthy in $((SECONDS - started)) s: gateway http://127.0.0.1:$gateway_port (admin key in .state/containers/admin.key)"
}

status() {
  local name
  for name in $(containers_of); do
    local health="-"
    if [ "$(podman inspect -f '{{.State.Status}}' "$name")" = running ] && \
       [ -n "$(podman inspect -f '{{if .Config.Healthcheck}}x{{end}}' "$name")" ]; then
      podman healthcheck run "$name" >/dev/null 2>&1 && health=healthy || health=unhealthy
    fi
    printf '%-40s %-10s %-9s %s\n' "$name" "$(podman inspect -f '{{.State.Status}}' "$name")" "$health" \
      "$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$name")"
  done
}

# replicas: worker-train=3 worker-serve=2 ...; extra containers of a kind are stopped (their tasks are released) and removed.
scale() {
  load_secrets
  local spec service count names=()
  for spec in "$@"; do
    service=${spec%%=*} count=${spec#*=}
    case "$service" in
      worker-train) export TRAIN_REPLICAS=$count ;;
      worker-serve) export SERVE_REPLICAS=$count ;;
      *) echo "scale: only worker-train and worker-serve scale here (got $service)" >&2; exit 2 ;;
    esac
    names+=("$service")
  done
  compose up -d "${names[@]}" >"$state/scale.log" 2>&1 || { tail -30 "$state/scale.log"; exit 1; }
  for spec in "$@"; do
    service=${spec%%=*} count=${spec#*=}
    local name
    for name in $(containers_of "$service"); do
      [ "${name##*_}" -gt "$count" ] && podman rm -f -t 30 "$name" >/dev/null
    done
  done
  wait_healthy 300
  for spec in "$@"; do log "${spec%%=*}: $(containers_of "${spec%%=*}" | wc -l) container(s)"; done
}

# Fashion-MNIST's IDX files go to s3://aiplatform/raw/fashion-mnist through the S3 container (the workers read raw
# input from S3 only), then the worked example's REST client drives ingest -> train -> serve -> predict.
pipeline() {
  load_secrets
  local s3; s3=$(containers_of minio | head -1)
  local source=/usr/share/datasets/fashion-mnist file
  podman exec "$s3" mkdir -p /tmp/raw
  for file in "$source"/*-ubyte.gz; do
    podman cp "$file" "$s3:/tmp/raw/"
    podman exec "$s3" bash -c 'curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "/tmp/raw/$1" "http://127.0.0.1:$S3_PORT/$S3_BUCKET/raw/fashion-mnist/$1"' \
      _ "$(basename "$file")"
  done
  podman exec "$s3" rm -rf /tmp/raw
  dotnet build samples/MnistPipeline -c Release -nologo -v q >"$state/pipeline-build.log" 2>&1 \
    || { tail -20 "$state/pipeline-build.log"; exit 1; }
  AIP_API_KEY=$AIP_ADMIN_KEY dotnet samples/MnistPipeline/bin/Release/net10.0/AiPlatform.MnistPipeline.dll \
    --gateway "http://127.0.0.1:$gateway_port" --input s3://aiplatform/raw/fashion-mnist --test-images "$source" "$@"
}

down() {
  load_secrets
  compose down -v >"$state/down.log" 2>&1 || true
  # Whatever a scale-up added beyond the compose file's own replicas, and the project's network.
  local name
  for name in $(containers_of); do podman rm -f -t 10 "$name" >/dev/null; done
  podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null
  podman network exists "${project}_default" && podman network rm -f "${project}_default" >/dev/null
  log "down"
}

mkdir -p "$state"
command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  install) install ;;
  build) build ;;
  up) up ;;
  status) status ;;
  pipeline) pipeline "$@" ;;
  scale) [ $# -gt 0 ] || { echo "usage: $0 scale worker-train=N [worker-serve=N]" >&2; exit 2; }; scale "$@" ;;
  down) down ;;
  *) echo "usage: $0 install|build|up|status|pipeline [--epochs N]|scale SERVICE=N...|down" >&2; exit 2 ;;
esac
