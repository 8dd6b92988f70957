#!/usr/bin/env bash
# Generates static protobuf code and its TypeScript types from proto/*.proto.
# Output goes to src/proto/generated/ (git-ignored); the build copies the .js into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/proto/generated
mkdir -p "$out"
# --force-number: every 64-bit field the client uses (timestamps, versions) fits in 2^53.
npx pbjs -t static-module -w es6 --force-number --no-beautify --no-verify --no-delimited \
  -o "$out/signal.js" proto/*.proto
npx pbts --no-comments -o "$out/signal.d.ts" "$out/signal.js"
