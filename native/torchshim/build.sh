#!/usr/bin/env bash
# Builds the libtorch shim into native/torchshim/build/libaiplatform_torch.so, only when a source is newer than it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build/libaiplatform_torch.so"
if [ -f "$out" ] && [ -z "$(find "$here" -maxdepth 1 \( -name '*.cpp' -o -name '*.h' -o -name CMakeLists.txt \) -newer "$out")" ]; then
  exit 0
fi
[ -d /usr/include/torch ] || { echo "libtorch-dev is not installed: run eng/install-deps.sh" >&2; exit 1; }
cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$here/build" -j 2
