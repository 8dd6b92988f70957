#!/usr/bin/env bash
# Creates (once) the project-local Synapse used by the e2e tests: .cache/synapse-venv, from PyPI.
# Prints the path of its python. Needs Python 3.10+.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/synapse-venv
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import synapse.app.homeserver" 2>/dev/null; then
  echo "$PWD/$venv/bin/python"
  exit 0
fi
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Synapse needs Python 3.10 or newer")'
echo "ensure-synapse: installing matrix-synapse into $venv (first use; takes a few minutes)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check matrix-synapse >&2
echo "$PWD/$venv/bin/python"
