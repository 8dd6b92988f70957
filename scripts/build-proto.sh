#!/usr/bin/env bash
# Generates static protobuf code and its TypeScript types from proto/*.proto.
# Output goes to src/proto/generated/ (git-ignored); the build copies the .js into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/proto/generated
mkdir -p "$out"
# --force-number: every 64-bit field the client uses (timestamps, versions) fits in 2^53.
pbjs_options=(-t static-module -w es6 --force-number --no-beautify --no-verify --no-delimited)
# The typings are made from the JSDoc comments of a first output. The module the bridge loads has
# neither comments nor indentation: V8 keeps a module's whole source text in memory for as long as
# the process runs (3.5 MB with them, 1.3 MB without). The code itself is the same.
npx pbjs "${pbjs_options[@]}" -o "$out/signal.commented.js" proto/*.proto
npx pbts --no-comments -o "$out/signal.d.ts" "$out/signal.commented.js"
rm "$out/signal.commented.js"
npx pbjs "${pbjs_options[@]}" --no-comments -o "$out/signal.js" proto/*.proto
# Without comments the module has no template literals or multi-line strings, so leading blanks
# and empty lines can go (line breaks stay: they may end statements).
grep -q '`' "$out/signal.js" && { echo "build-proto: unexpected template literal in $out/signal.js" >&2; exit 1; }
sed -i -e 's/^[[:space:]]*//' -e '/^$/d' "$out/signal.js"
# --force-number only changes the typings: with the `long` package installed, protobufjs still
# decodes 64-bit fields as Long objects. Switch Long off inside the generated module itself,
# before it builds its default values, so runtime values match the `number` typings.
sed -i 's|^import \$protobuf from "protobufjs/minimal.js";$|&\n$protobuf.util.Long = undefined;\n$protobuf.configure();|' "$out/signal.js"
grep -q '^\$protobuf.configure();$' "$out/signal.js" || { echo "build-proto: could not disable Long in $out/signal.js" >&2; exit 1; }
