#!/bin/sh
# Writes the platform's broker definitions from the environment (definitions.sh), which deploy/rabbitmq.conf loads at
# boot, then runs the image's own start command: `boot.sh <image entrypoint> [args...]`.
set -eu
definitions=/tmp/aiplatform-definitions.json
"$(dirname "$0")/definitions.sh" "$definitions"
# The official image starts as root and drops to the rabbitmq user, which must read the file.
if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then chown rabbitmq "$definitions"; fi
exec "$@"
