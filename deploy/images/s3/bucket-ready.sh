#!/bin/bash
# Succeeds once radosgw answers for the bucket: the health check, and the local variant's bucket-init service (which
# waits for the bucket the S3 container creates itself). S3_HOST defaults to this container.
set -euo pipefail
url="http://${S3_HOST:-127.0.0.1}:${S3_PORT:-9000}/${S3_BUCKET:-aiplatform}"
probe() {
  curl -sf -o /dev/null -I --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$url"
}
if [ "${1:-}" = --wait ]; then
  for _ in $(seq 1 "${2:-120}"); do probe && exit 0; sleep 1; done
  echo "bucket $url did not appear" >&2; exit 1
fi
probe
