#!/usr/bin/env bash
# Makes TorchSharp-cpu's native glue load on Debian 12, in a build output folder (never in the NuGet cache).
# libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13) for one symbol, std::ios_base_library_init(); Debian 12's
# libstdc++ stops at 3.4.30. So: a one-function library defines that symbol, the glue's reference to it loses its
# version, the version requirement becomes weak (a missing weak version is not fatal to the loader), the glue needs the
# new library, and finds it (and libtorch) beside itself. Idempotent: an already patched folder is left as it is.
set -euo pipefail
out="${1:?usage: patch-libtorchsharp.sh <folder holding libLibTorchSharp.so>}"
glue="$out/libLibTorchSharp.so"
shim_name=libaiplatform_iosinit.so
[[ -f "$glue" ]] || { echo "patch-libtorchsharp: no $glue" >&2; exit 1; }
command -v patchelf >/dev/null || { echo "patch-libtorchsharp: patchelf is missing (bash eng/install-deps.sh installs it)" >&2; exit 1; }
if patchelf --print-needed "$glue" | grep -qx "$shim_name"; then exit 0; fi

printf '#include <ios>\nnamespace std { void ios_base_library_init() { static ios_base::Init initialised; } }\n' \
  | g++ -x c++ -shared -fPIC -O2 -o "$out/$shim_name" -
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$glue"
/usr/bin/python3 "$(dirname "$0")/elf-weak-version.py" "$glue" GLIBCXX_3.4.32
patchelf --add-needed "$shim_name" "$glue"
patchelf --set-rpath '$ORIGIN' "$glue"
echo "patch-libtorchsharp: $glue loads on this libstdc++ now"
