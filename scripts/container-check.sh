#!/usr/bin/env bash
# Builds the image and walks through its first starts with a container engine, the way an
# operator would: the first start writes the config, the second the registration, the third runs
# the bridge (/_matrix/mau/live answers; /ready says it waits for the homeserver, which this
# check does not start). Not part of `npm test`: it needs docker or podman and the base image
# (node:22-bookworm-slim from Docker Hub unless NODE_IMAGE names another).
#
#   ENGINE=podman NODE_IMAGE=... ENGINE_ARGS="--storage-driver vfs" \
#   RUN_ARGS="--network host" bash scripts/container-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE="${ENGINE:-docker}"
IMAGE="${IMAGE:-localhost/signal-matrix-bridge:check}"
read -r -a engine_args <<<"${ENGINE_ARGS:-}"
read -r -a build_args <<<"${BUILD_ARGS:-}"
read -r -a run_args <<<"${RUN_ARGS:-}"
engine() { "$ENGINE" "${engine_args[@]}" "$@"; }
fail() {
  echo "container-check: $*" >&2
  exit 1
}

data="$(mktemp -d)"
name="signal-bridge-check-$$"
cleanup() {
  engine rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
# The image runs as uid 1000 (the base image's node user): the volume must be theirs.
chown 1000:1000 "$data" 2>/dev/null || chmod 0777 "$data"

if [ -n "${NODE_IMAGE:-}" ]; then build_args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE"); fi
engine build "${build_args[@]}" -t "$IMAGE" .

run() { engine run --rm "${run_args[@]}" -v "$data:/data" "$IMAGE" "$@"; }

echo "--- version"
run --version | grep -E '^signal-matrix-bridge [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version printed something else"

echo "--- first start: the config"
run | tee "$data/first.out"
grep -q "one was written: /data/config.yaml" "$data/first.out" || fail "no config written"
for line in "  path: /data/bridge.db" "  key_file: /data/bridge.key" "  registration: /data/registration.yaml" "  hostname: 0.0.0.0"; do
  grep -qxF "$line" "$data/config.yaml" || fail "config.yaml lacks \"$line\""
done
[ ! -e "$data/registration.yaml" ] || fail "the registration was written before the config was edited"

echo "--- second start: the registration"
port="${APPSERVICE_PORT:-29328}"
sed -i "s|^  port: 29328$|  port: $port|" "$data/config.yaml"
run | tee "$data/second.out"
grep -q "one was written: /data/registration.yaml" "$data/second.out" || fail "no registration written"
[ -s "$data/registration.yaml" ] || fail "registration.yaml is empty"

echo "--- third start: the bridge"
publish=(-p "127.0.0.1:$port:$port")
case " ${RUN_ARGS:-} " in *" --network host "* | *" --net=host "* | *" --network=host "*) publish=() ;; esac
engine run -d --name "$name" "${run_args[@]}" "${publish[@]}" -v "$data:/data" "$IMAGE" >/dev/null
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/_matrix/mau/live" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/_matrix/mau/live" | grep -q '"live"' || fail "/_matrix/mau/live does not answer"
ready="$(curl -sS "http://127.0.0.1:$port/_matrix/mau/ready")"
echo "$ready" | grep -q "waiting for the homeserver" || fail "/_matrix/mau/ready said: $ready"
[ -s "$data/bridge.key" ] && [ -s "$data/bridge.db" ] || fail "no database or key file in /data"
[ "$(engine exec "$name" id -u)" = "1000" ] || fail "the bridge does not run as uid 1000"
engine logs "$name" 2>&1 | tail -5
echo "container-check: ok"
