#!/usr/bin/env bash
# Installs the interop suite's OAuth server (oidc-provider, pinned in package-lock.json) from the
# npm registry, when it is not installed yet. Node.js and npm are required: without them this
# fails, and so do the interop tests (they never skip).
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "tests/interop/setup.sh: $tool is missing; install Node.js 18 or later (Debian: apt-get install nodejs npm)" >&2
    exit 1
  }
done
if [ ! -d node_modules/oidc-provider ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
