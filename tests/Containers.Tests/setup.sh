#!/usr/bin/env bash
# Run by eng/test.sh before the build: installs podman and its settings for the container tests. Where that is not
# possible (no sudo, no apt), the tests skip themselves with the reason; the test command goes on.
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/eng/containers.sh" install || echo "containers: podman could not be installed; tests/Containers.Tests will be skipped"
exit 0
