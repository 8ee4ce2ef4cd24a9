#!/bin/sh
# The greeting. GREETING is a deliberately non-sensitive secret, shown to prove delivery; a real secret
# (a password, an API key) is never echoed by an app: print a hash of it at most.
printf 'Content-Type: text/plain\r\n\r\n'
echo "hello from $(hostname) at ${INSTANCE_ADDRESS:-unknown}, GREETING=${GREETING:-<unset>}, you are ${REMOTE_ADDR:-?}:${REMOTE_PORT:-?}"
