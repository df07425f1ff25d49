#!/bin/bash
# Writes the default user from the environment (as the official image does), then runs the broker in the foreground.
set -euo pipefail
: "${RABBITMQ_DEFAULT_USER:?set RABBITMQ_DEFAULT_USER}" "${RABBITMQ_DEFAULT_PASS:?set RABBITMQ_DEFAULT_PASS}"
umask 077
printf 'default_user = %s\ndefault_pass = %s\nloopback_users = none\n' "$RABBITMQ_DEFAULT_USER" "$RABBITMQ_DEFAULT_PASS" \
  > /etc/rabbitmq/conf.d/10-default-user.conf
exec rabbitmq-server
