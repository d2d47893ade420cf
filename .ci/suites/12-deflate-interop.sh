#!/usr/bin/env bash
# permessage-deflate (RFC 7692) against independent implementations, both
# roles: Python websockets and npm ws as clients of ws-echo and as servers for
# ws-echo-client, with context takeover on and off and the smallest and the
# largest window each peer can compress with; then Chromium's own WebSocket
# client against ws-echo. Every case sends text and binary messages of
# 10 bytes and 1 MiB, checks the echoes byte for byte and fails unless deflate
# was negotiated. Scripts: examples/peers/ws_deflate.{py,mjs},
# chromium_deflate.mjs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
peers_dir="$root/examples/peers"
target=${CARGO_TARGET_DIR:-target}
[[ $target = /* ]] || target="$root/$target"
bin="$target/release"

# --- tools (installed on first use) -------------------------------------------
source .ci/peer-tools.sh
peer_tools "$peers_dir" websockets==17.4
py="$peers_dir/.venv/bin/python"
echo "peers: python websockets $("$py" -c 'import websockets; print(websockets.__version__)')," \
  "node ws $(node -p 'require("'"$peers_dir"'/node_modules/ws/package.json").version')," \
  "$(/usr/lib/chromium/chromium --version 2>/dev/null || echo 'chromium ?')"

cargo build --release -p chatwire-examples --bin ws-echo --bin ws-echo-client

# --- cases ---------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
logs=$(mktemp -d)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}
cleanup() { stop_server; rm -rf "$logs"; }
trap cleanup EXIT

results=()
failures=0
# case PEER ROLE TAKEOVER BITS -- SERVER... -- CLIENT...: starts the server on
# $port (substituted for PORT), runs the client against it, records one line.
run_case() {
  local peer=$1 role=$2 takeover=$3 bits=$4 log port rc negotiated
  shift 4
  local server=() client=()
  while [ "$1" != -- ]; do server+=("$1"); shift; done
  shift
  client=("$@")
  log="$logs/$peer-$role-$takeover-$bits.log"
  port=$(free_port)
  server=("${server[@]//PORT/$port}")
  client=("${client[@]//PORT/$port}")
  (cd "$peers_dir" && exec "${server[@]}") >"$log.server" 2>&1 &
  server_pid=$!
  rc=0
  if wait_port "$port"; then
    (cd "$peers_dir" && exec timeout 60 "${client[@]}") >"$log" 2>&1 || rc=$?
  else
    echo "server never listened on $port" >"$log"
    rc=1
  fi
  stop_server
  negotiated=$(sed -n 's/^negotiated: //p' "$log" | head -n 1)
  if [ $rc -eq 0 ]; then
    results+=("PASS $peer $role takeover=$takeover bits=$bits ${negotiated:-?}")
  else
    results+=("FAIL $peer $role takeover=$takeover bits=$bits ${negotiated:-?}")
    failures=$((failures + 1))
    echo "--- $peer $role takeover=$takeover bits=$bits (rc=$rc)"
    tail -n 20 "$log" "$log.server"
  fi
  echo "${results[-1]}"
}

start=$(date +%s)
echo_srv=("$bin/ws-echo" --listen 127.0.0.1:PORT)
echo_cli=("$bin/ws-echo-client" --url ws://127.0.0.1:PORT/)
py_peer=("$py" ws_deflate.py)
node_peer=(node ws_deflate.mjs)
# websockets cannot compress with an 8-bit window (zlib refuses wbits=-8 for
# raw deflate): it refuses 8 for its own side, so its smallest window is 9.
for peer in python-websockets node-ws; do
  if [ $peer = python-websockets ]; then cmd=("${py_peer[@]}"); small=9; else cmd=("${node_peer[@]}"); small=8; fi
  for takeover in on off; do
    flags=()
    [ $takeover = off ] && flags+=(--no-context-takeover)
    for bits in "$small" 15; do
      f=("${flags[@]}" --max-window-bits "$bits")
      run_case "$peer" peer-client "$takeover" "$bits" \
        "${echo_srv[@]}" "${f[@]}" -- "${cmd[@]}" client ws://127.0.0.1:PORT/ "${f[@]}"
      run_case "$peer" peer-server "$takeover" "$bits" \
        "${cmd[@]}" server PORT "${f[@]}" -- "${echo_cli[@]}" "${f[@]}"
    done
  done
done
# Chromium offers only `client_max_window_bits`; ws-echo sets the rest.
for takeover in on off; do
  flags=()
  [ $takeover = off ] && flags+=(--no-context-takeover)
  for bits in 8 15; do
    run_case chromium peer-client "$takeover" "$bits" \
      "${echo_srv[@]}" "${flags[@]}" --max-window-bits "$bits" -- node chromium_deflate.mjs ws://127.0.0.1:PORT/
  done
done

echo
echo "--- permessage-deflate interop ($(( $(date +%s) - start )) s)"
printf '%s\n' "${results[@]}"
echo "12-deflate-interop: $(( ${#results[@]} - failures )) passed, $failures failed"
[ $failures -eq 0 ]
