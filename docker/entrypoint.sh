#!/bin/sh
# The container's entry point. Everything the bridge keeps lives in $DATA_DIR (the /data volume):
#   no config.yaml yet       -> write one from the sample, with its files under $DATA_DIR; exit
#   no registration.yaml yet -> write it from the (edited) config; exit
#   both there               -> run the bridge
# Arguments, when given, go straight to the bridge's command line (e.g. --version, -r -u <url>).
# DATA_DIR and BRIDGE_CLI may be overridden (the tests run this script outside a container).
set -eu

DATA_DIR="${DATA_DIR:-/data}"
BRIDGE_CLI="${BRIDGE_CLI:-node /opt/signal-matrix-bridge/dist/src/cli.js}"
CONFIG="$DATA_DIR/config.yaml"
REGISTRATION="$DATA_DIR/registration.yaml"

bridge() {
  # BRIDGE_CLI is a command with its arguments: split on purpose.
  # shellcheck disable=SC2086
  $BRIDGE_CLI "$@"
}

if [ "$#" -gt 0 ]; then
  # shellcheck disable=SC2086
  exec $BRIDGE_CLI "$@"
fi

if [ ! -d "$DATA_DIR" ] || [ ! -w "$DATA_DIR" ]; then
  echo "$DATA_DIR is not a directory this container's user ($(id -u):$(id -g)) may write to." >&2
  echo "Mount a volume there owned by that user, e.g. chown $(id -u):$(id -g) on the host directory." >&2
  exit 1
fi

# Replaces the line `$1` of the config with `$2`; fails loudly if the sample no longer has it.
set_line() {
  if ! grep -qxF "$1" "$CONFIG"; then
    echo "docker/entrypoint.sh: the sample config has no line \"$1\"; update this script." >&2
    exit 1
  fi
  replaced="$CONFIG.tmp"
  awk -v from="$1" -v to="$2" '$0 == from { print to; next } { print }' "$CONFIG" >"$replaced"
  mv "$replaced" "$CONFIG"
}

if [ ! -f "$CONFIG" ]; then
  bridge -e "$CONFIG" >/dev/null
  set_line "  hostname: 127.0.0.1" "  hostname: 0.0.0.0"
  set_line "  registration: ./registration.yaml" "  registration: $REGISTRATION"
  set_line "  path: ./data/bridge.db" "  path: $DATA_DIR/bridge.db"
  set_line "  key_file: ./data/bridge.key" "  key_file: $DATA_DIR/bridge.key"
  set_line "  listen: 127.0.0.1:8001" "  listen: 0.0.0.0:8001"
  cat <<MESSAGE
No config file was found, so one was written: $CONFIG
Its database, key file and registration live in $DATA_DIR. Edit it now:
  - homeserver.url and homeserver.domain: your homeserver
  - appservice.address: how the homeserver reaches this container, e.g. http://signal-bridge:29328
  - permissions: who may use the bridge
Then start the container again: it writes the registration for the homeserver.
MESSAGE
  exit 0
fi

if [ ! -f "$REGISTRATION" ]; then
  bridge -c "$CONFIG" -r >/dev/null
  cat <<MESSAGE
No registration was found, so one was written: $REGISTRATION
Give it to the homeserver (add its path to app_service_config_files in homeserver.yaml) and
restart the homeserver. Then start this container again: the bridge starts.
Regenerate it (delete it and start the container) after changing the appservice settings.
MESSAGE
  exit 0
fi

# shellcheck disable=SC2086
exec $BRIDGE_CLI -c "$CONFIG"
