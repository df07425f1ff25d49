#!/usr/bin/env bash
# Installs the Debian packages the platform, its services and its tests need. Idempotent: when everything is
# present it only checks, without touching apt.
set -euo pipefail

packages=(
  rabbitmq-server                      # the bus
  postgresql                           # the task store
  radosgw ceph-mon ceph-osd            # S3 on a one-node Ceph cluster
  libtorch-dev libopenblas0-openmp     # the tensor engine (libtorch, with a multithreaded BLAS)
  python3-torch                        # PyTorch reference for interop tests and benchmarks
  dataset-fashion-mnist                # the worked example's data (IDX files)
  fortunes                             # the text example's corpus (fortune cookie files)
  bubblewrap                           # the sandbox script runners run in
  acl                                  # setfacl: a root worker gives its runners' user the local lake (Worker:RunnerUser)
  docker-compose                       # validates docker-compose.yml
  prometheus prometheus-alertmanager   # metrics, alert rules (promtool tests them) and alert routing
  chromium chromium-driver             # browser tests of the monitoring page
  cmake g++ curl nodejs                # nodejs ships npm (Debian's or NodeSource's)
  patchelf                             # makes TorchSharp-cpu's native glue load on Debian 12 (eng/patch-libtorchsharp.sh)
)

# The user a root worker's script runners run as (Worker:RunnerUser): a system account that owns nothing and logs in nowhere.
if [ "$(id -u)" = 0 ] && ! id -u aiplatform-runner >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin aiplatform-runner
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A concurrent apt (another shell, unattended upgrades) holds the lock: wait for it instead of failing.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}"
