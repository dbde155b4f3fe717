#!/usr/bin/env bash
# Builds the test images (see scripts/test-images.ts) and prints the busybox archive's path.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
exec node scripts/test-images.ts "$@"
