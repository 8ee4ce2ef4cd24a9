#!/bin/sh
# Starts the hello app: exports the secrets file's values, notes this instance's address, serves on 8080.
set -eu
# Every value of /run/secrets/platform.env becomes an environment variable that httpd passes to the CGI.
set -a
eval "$(platform-secrets-export)"
set +a
# The instance's own address tells instances apart (a rolling restart gives the new one another address).
INSTANCE_ADDRESS="$(ip -4 -o addr show dev eth0 2>/dev/null | sed -n 's/.* inet \([0-9.]*\).*/\1/p' | head -n 1)"
export INSTANCE_ADDRESS
echo "hello: serving on :8080 as ${INSTANCE_ADDRESS:-unknown}"
exec httpd -f -p 8080 -h /app/www
