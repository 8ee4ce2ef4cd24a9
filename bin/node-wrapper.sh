# Sourced by the bin/ launchers: finds the repo's pinned Node.js 24 (npm dev dependency `node`).
TRC_ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
TRC_NODE="$TRC_ROOT/node_modules/.bin/node"
if [ ! -x "$TRC_NODE" ]; then
  echo "TRC_CLI_NOT_INSTALLED: the pinned Node.js runtime is not installed in $TRC_ROOT/node_modules." >&2
  echo "Hint: run 'npm ci' (or 'make test') in $TRC_ROOT first." >&2
  exit 78
fi
