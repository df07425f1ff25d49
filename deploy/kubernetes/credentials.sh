#!/usr/bin/env bash
# Prints, for `kubectl apply -f -`, the credentials an overlay reads, each with a new random password:
#
#   deploy/kubernetes/credentials.sh dev  aiplatform-dev | kubectl apply -f -
#   AIP_S3_ACCESS_KEY=... AIP_S3_SECRET_KEY=... deploy/kubernetes/credentials.sh prod aiplatform | kubectl apply -f -
#
# Both: one broker account per role (Secrets aiplatform-rabbitmq-gateway, -ingest, -train, -serve, and -scaler for
# KEDA; keys username and password), with the rights of deploy/rabbitmq/permissions/<role>.json, and aiplatform-s3.
# dev: also the administrator (aiplatform-rabbitmq-default-user), the database's aiplatform-postgres-app, and the
#      definitions the dev broker loads at boot (aiplatform-rabbitmq-definitions), made by deploy/rabbitmq/definitions.sh.
# prod: the operators make the administrator and the database Secrets; the roles' accounts become User and Permission
#      objects of the RabbitMQ Messaging Topology Operator, which creates them in the cluster aiplatform-rabbitmq.
#
# Run it once per namespace: a second run makes new passwords (a rotation; the dev broker takes them at its restart).
# Nothing is written to disk; kubectl only formats the objects (--dry-run=client), so no cluster is needed to run it.
set -euo pipefail

overlay=${1:?usage: credentials.sh dev|prod <namespace>}
namespace=${2:?usage: credentials.sh dev|prod <namespace>}
here=$(cd "$(dirname "$0")" && pwd)
permissions="$here/../rabbitmq/permissions"
roles=(gateway ingest train serve scaler)

password() { head -c 24 /dev/urandom | base64 | tr -d '+/='; }

secret() { # name key=value...
  local name=$1; shift
  local literals=()
  for pair in "$@"; do literals+=("--from-literal=$pair"); done
  echo "---"
  kubectl create secret generic "$name" --namespace "$namespace" "${literals[@]}" --dry-run=client -o yaml
}

declare -A passwords
for role in "${roles[@]}"; do
  passwords[$role]=$(password)
  secret "aiplatform-rabbitmq-$role" "username=aip-$role" "password=${passwords[$role]}"
done

case $overlay in
  dev)
    admin_password=$(password)
    secret aiplatform-rabbitmq-default-user username=aiplatform "password=$admin_password"
    secret aiplatform-postgres-app username=aiplatform "password=$(password)"
    secret aiplatform-s3 access-key=aiplatform "secret-key=$(password)"
    definitions=$(mktemp -d)
    trap 'rm -rf "$definitions"' EXIT
    RABBITMQ_USER=aiplatform RABBITMQ_PASSWORD=$admin_password \
      RABBITMQ_GATEWAY_PASSWORD=${passwords[gateway]} RABBITMQ_INGEST_PASSWORD=${passwords[ingest]} \
      RABBITMQ_TRAIN_PASSWORD=${passwords[train]} RABBITMQ_SERVE_PASSWORD=${passwords[serve]} \
      RABBITMQ_SCALER_PASSWORD=${passwords[scaler]} \
      sh "$here/../rabbitmq/definitions.sh" "$definitions/definitions.json"
    echo "---"
    kubectl create secret generic aiplatform-rabbitmq-definitions --namespace "$namespace" \
      --from-file=definitions.json="$definitions/definitions.json" --dry-run=client -o yaml
    ;;
  prod)
    : "${AIP_S3_ACCESS_KEY:?set AIP_S3_ACCESS_KEY (the key of the lake S3 store)}" "${AIP_S3_SECRET_KEY:?set AIP_S3_SECRET_KEY}"
    secret aiplatform-s3 "access-key=$AIP_S3_ACCESS_KEY" "secret-key=$AIP_S3_SECRET_KEY"
    for role in "${roles[@]}"; do
      tags="[]"; [[ $role = gateway || $role = scaler ]] && tags="[management]"   # queue depths, from the management API
      # A permissions file is JSON, which YAML reads as it is.
      rights=$(tr -d '\n' < "$permissions/$role.json")
      cat <<OBJECTS
---
apiVersion: rabbitmq.com/v1beta1
kind: User
metadata:
  name: aiplatform-$role
  namespace: $namespace
spec:
  tags: $tags
  rabbitmqClusterReference:
    name: aiplatform-rabbitmq
  importCredentialsSecret:
    name: aiplatform-rabbitmq-$role
---
apiVersion: rabbitmq.com/v1beta1
kind: Permission
metadata:
  name: aiplatform-$role
  namespace: $namespace
spec:
  vhost: /
  userReference:
    name: aiplatform-$role
  permissions: $rights
  rabbitmqClusterReference:
    name: aiplatform-rabbitmq
OBJECTS
    done
    ;;
  *) echo "usage: credentials.sh dev|prod <namespace>" >&2; exit 2 ;;
esac
