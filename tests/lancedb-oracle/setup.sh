#!/usr/bin/env bash
# Installs the reference Lance implementation (LanceDB for Node) for the oracle tests and the benchmark.
# Idempotent: does nothing when the pinned versions are already installed.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f node_modules/@lancedb/lancedb/package.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then exit 0; fi
# npm install, not npm ci: the lock file holds only this platform's native LanceDB package, which npm ci rejects.
npm install --no-audit --no-fund --loglevel=error
