#!/usr/bin/env bash
# The test command: installs what is missing, starts the local services, builds, runs every test project against
# the real services, and ends with one line "N passed, N failed, N skipped" counted from the test results.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
results="$repo/artifacts/test-results"

bash eng/install-deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
started_services=0
bash eng/services.sh status >/dev/null 2>&1 || started_services=1
bash eng/services.sh start || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
stop_services() { [ "$started_services" = 1 ] && bash eng/services.sh stop >/dev/null 2>&1; true; }
trap stop_services EXIT

# The container suite builds the images (about 5 minutes from nothing on two cores, seconds when built) and runs the
# compose deployment through podman (about 8 minutes). It runs when asked for (AIP_CONTAINER_TESTS=1; where podman
# cannot run, its tests are skipped with the reason), and always through `dotnet test tests/Containers.Tests -c Release`.
container_tests=${AIP_CONTAINER_TESTS:-0}
wanted() { [ "$container_tests" = 1 ] || [[ "$1" != tests/Containers.Tests/* ]]; }

for setup in tests/*/setup.sh; do
  wanted "$setup" || continue
  [ -f "$setup" ] && { bash "$setup" || { echo "setup failed: $setup"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }; }
done

if ! dotnet build AiPlatform.sln -c Release -nologo -v minimal; then
  echo "0 passed, 1 failed, 0 skipped"; exit 1
fi

rm -rf "$results"; mkdir -p "$results"
crashed=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  if ! wanted "$project"; then
    echo "== $name not run: AIP_CONTAINER_TESTS=1 bash eng/test.sh runs it (about 13 minutes more from nothing)"
    continue
  fi
  echo "== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" \
    || true
  [ -f "$results/$name.trx" ] || { echo "!! $name produced no results (the test host crashed or did not start)"; crashed=$((crashed + 1)); }
done

count() { # attribute name -> sum over all trx files
  local total=0 value
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    value=$(grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*')
    total=$((total + ${value:-0}))
  done
  echo "$total"
}
# The failed tests' names and the start of their messages, next to the count, so a run's last lines say which tests to
# look at and why they failed (CI keeps only the tail of the output).
python3 - "$results" <<'PY' || echo "(the failed tests could not be read from the results)"
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for trx in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns):
        if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"): continue
        message = result.find("t:Output/t:ErrorInfo/t:Message", ns)
        text = " ".join((message.text or "").split()) if message is not None else ""
        print(f"FAILED: {result.get('testName')}" + (f"\n  {text[:800]}" if text else ""))
PY
passed=$(count passed)
failed=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) + crashed ))
skipped=$(count notExecuted)
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
