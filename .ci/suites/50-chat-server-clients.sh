#!/usr/bin/env bash
# chat-server against the XMPP clients people use: @xmpp/client, strophe.js and
# StanzaJS over WebSocket (RFC 7395), slixmpp over TCP (RFC 6120, plaintext on
# loopback), each logging in two accounts, fetching the roster (RFC 6121 2.2),
# pinging the server (XEP-0199) and exchanging a message each way; then
# Converse.js in headless Chromium on the server's own demo page, talking to a
# Node client. Scripts: examples/peers/. Screenshot: target/ci-artifacts/converse.png.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
peers_dir="$root/examples/peers"
target="${CARGO_TARGET_DIR:-$root/target}"
artifacts="$root/target/ci-artifacts"
mkdir -p "$artifacts"

# --- tools (installed on first use) -----------------------------------------
source .ci/peer-tools.sh
peer_tools "$peers_dir" slixmpp==1.17.0 || { echo "peer tools install failed"; exit 1; }

# Node's own WebSocket for @xmpp/client (Node 20 needs the flag; Node 18 has
# none, and lib.mjs falls back to the ws package).
node_ws=()
node --experimental-websocket -e 0 2>/dev/null && node_ws=(--experimental-websocket)

cargo build --release -p chatwire-examples --bin chat-server --bin chat-client || exit 1
server="$target/release/chat-server"
chat_client="$target/release/chat-client"

# --- server ---------------------------------------------------------------------
dir=$(mktemp -d)
{ read -r http; read -r c2s; } < <(free_ports 2)
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$dir"
}
trap stop EXIT

for u in xmppjs1 xmppjs2 strophe1 strophe2 stanza1 stanza2 slix1 slix2; do
  "$server" --data-dir "$dir/data" adduser "$u" "${u}pw" >/dev/null || exit 1
done
RUST_LOG=info "$server" --demo --listen "127.0.0.1:$http" --tcp-listen "127.0.0.1:$c2s" \
  --data-dir "$dir/data" --web-assets "$peers_dir/node_modules/converse.js/dist" \
  > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http") 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$c2s") 2>/dev/null && break; sleep 0.1; done
ws="ws://127.0.0.1:$http/xmpp-websocket"
echo "chat-server pid $pid: $ws, tcp 127.0.0.1:$c2s"

# --- checks ---------------------------------------------------------------------
pass=0
fail=0
failed=()
check() { # NAME COMMAND...: one check, bounded by its own timeout
  local name=$1 t0 rc
  shift
  echo "--- $name"
  t0=$(date +%s%N)
  "$@"
  rc=$?
  echo "--- $name: $([ $rc = 0 ] && echo pass || echo "FAIL rc=$rc") ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
  if [ $rc = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$name"); fi
}
cc() { # USER COMMAND...: our chat-client over WebSocket
  local user=$1
  shift
  timeout 20 "$chat_client" --url "$ws" --jid "$user@localhost" --password "${user}pw" "$@"
}

cd "$peers_dir"
check "@xmpp/client (WebSocket)" timeout 90 node "${node_ws[@]}" xmppjs.mjs "$ws" localhost xmppjs1 xmppjs1pw xmppjs2 xmppjs2pw
check "strophe.js (WebSocket)" timeout 90 node strophe.mjs "$ws" localhost strophe1 strophe1pw strophe2 strophe2pw
check "StanzaJS (WebSocket)" timeout 90 node stanzajs.mjs "$ws" localhost stanza1 stanza1pw stanza2 stanza2pw
check "slixmpp (TCP)" timeout 90 .venv/bin/python slix.py 127.0.0.1 "$c2s" localhost slix1 slix1pw slix2 slix2pw

# bob follows alice's presence (RFC 6121 3.1), so that the Node client can
# wait for Converse's initial presence before it writes.
subscribe() { cc bob subscribe alice@localhost && cc alice approve bob@localhost; }
roster_to() {
  local out
  out=$(cc bob roster) || return 1
  echo "$out"
  grep -q '^alice@localhost to' <<<"$out"
}
check "chat-client: bob subscribes to alice, alice approves" subscribe
check "chat-client: bob's roster shows alice (to)" roster_to
check "Converse.js (headless Chromium, demo page)" timeout 150 node "${node_ws[@]}" converse.mjs \
  "http://127.0.0.1:$http" "$ws" localhost alice alicepw bob bobpw "$artifacts/converse.png"
echo "screenshot: $artifacts/converse.png"
cd "$root"

if ! kill -0 "$pid" 2>/dev/null; then
  echo "chat-server died"; fail=$((fail + 1)); failed+=("chat-server alive")
fi
if [ $fail -gt 0 ]; then
  echo "--- chat-server log (last 60 lines)"
  tail -n 60 "$dir/server.log"
fi
echo "50-chat-server-clients: $pass passed, $fail failed${failed:+: ${failed[*]}}"
[ $fail -eq 0 ]
