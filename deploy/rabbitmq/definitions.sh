#!/bin/sh
# Writes RabbitMQ definitions for the platform (its virtual host, the administrator, and one least-privilege account
# per role with the permissions in permissions/<role>.json) from the environment, so passwords live only in secrets:
# compose's broker container runs it before the broker starts, which loads it at boot (load_definitions, via
# boot.sh); deploy/kubernetes/credentials.sh puts it in the dev broker's Secret; eng/services.sh imports it through
# the management API.
#
#   definitions.sh <output-file>
#
# Environment: RABBITMQ_USER and RABBITMQ_PASSWORD (the administrator, for operators only: no process of the fleet
# uses it), RABBITMQ_GATEWAY_PASSWORD, RABBITMQ_INGEST_PASSWORD, RABBITMQ_TRAIN_PASSWORD, RABBITMQ_SERVE_PASSWORD;
# optional RABBITMQ_SCALER_PASSWORD (Kubernetes: KEDA's account, which reads queue depths from the management API and
# can do nothing else), AIP_BROKER_VHOST (default /) and AIP_BROKER_ACCOUNT_PREFIX (default aip-), which the tests
# use to import the accounts under names of their own.
#
# A broker that loads definitions at boot creates no default user, so the administrator is part of them. Every boot
# loads them again: a password changed in the secret takes effect at the broker's next start.
set -eu

output=${1:?usage: definitions.sh <output-file>}
vhost=${AIP_BROKER_VHOST:-/}
prefix=${AIP_BROKER_ACCOUNT_PREFIX:-aip-}
permissions=$(dirname "$0")/permissions

admin=${RABBITMQ_USER:-aiplatform}
# Every value is checked before anything is written (a failure inside $(...) would not stop the script). Quotes,
# backslashes and control characters are refused rather than escaped: a generated password never needs them.
for variable in RABBITMQ_PASSWORD RABBITMQ_GATEWAY_PASSWORD RABBITMQ_INGEST_PASSWORD RABBITMQ_TRAIN_PASSWORD \
  RABBITMQ_SERVE_PASSWORD; do
  eval "value=\${$variable:-}"
  if [ -z "$value" ]; then echo "definitions.sh: set $variable" >&2; exit 2; fi
done
scaler=${RABBITMQ_SCALER_PASSWORD:-}
for value in "$admin" "$vhost" "$prefix" "$RABBITMQ_PASSWORD" "$RABBITMQ_GATEWAY_PASSWORD" "$RABBITMQ_INGEST_PASSWORD" \
  "$RABBITMQ_TRAIN_PASSWORD" "$RABBITMQ_SERVE_PASSWORD" "$scaler"; do
  case $value in
    *[\"\\]* | *[[:cntrl:]]*)
      echo "definitions.sh: names and passwords must not contain quotes, backslashes or control characters" >&2; exit 2 ;;
  esac
done
roles="gateway ingest train serve"
[ -n "$scaler" ] && roles="$roles scaler"
for role in $roles; do
  [ -r "$permissions/$role.json" ] || { echo "definitions.sh: no $permissions/$role.json" >&2; exit 2; }
done

user() { # name password tags
  printf '{"name":"%s","password":"%s","tags":"%s"}' "$1" "$2" "$3"
}

# A permissions file is one JSON object {"configure":..,"write":..,"read":..}; the definition adds user and vhost.
permission() { # user file
  printf '{"user":"%s","vhost":"%s",%s' "$1" "$vhost" "$(tr -d '\n' < "$2" | sed 's/^[[:space:]]*{//')"
}

umask 077
{
  printf '{"vhosts":[{"name":"%s"}],' "$vhost"
  printf '"users":[%s' "$(user "$admin" "$RABBITMQ_PASSWORD" administrator)"
  # The gateway reads queue depths from the management API, which takes the management tag.
  printf ',%s' "$(user "${prefix}gateway" "$RABBITMQ_GATEWAY_PASSWORD" management)"
  printf ',%s' "$(user "${prefix}ingest" "$RABBITMQ_INGEST_PASSWORD" "")"
  printf ',%s' "$(user "${prefix}train" "$RABBITMQ_TRAIN_PASSWORD" "")"
  printf ',%s' "$(user "${prefix}serve" "$RABBITMQ_SERVE_PASSWORD" "")"
  # The management tag with rights that match no resource: it may read the virtual host's queues, and nothing else.
  [ -n "$scaler" ] && printf ',%s' "$(user "${prefix}scaler" "$scaler" management)"
  printf '],"permissions":[{"user":"%s","vhost":"%s","configure":".*","write":".*","read":".*"}' "$admin" "$vhost"
  for role in $roles; do printf ',%s' "$(permission "$prefix$role" "$permissions/$role.json")"; done
  printf ']}\n'
} > "$output.tmp"
mv "$output.tmp" "$output"
