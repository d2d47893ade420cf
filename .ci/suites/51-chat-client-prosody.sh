#!/usr/bin/env bash
# chat-client against a real Prosody 0.12 (../shared/peers/prosody_up.sh: TLS off,
# plaintext allowed on loopback): send and listen between alice and bob over
# WebSocket (RFC 7395) and over TCP (RFC 6120; chat-client's STARTTLS is optional
# and Prosody offers none here), roster (RFC 6121 2.2), and a subscription request
# approved (RFC 6121 3.1) that both rosters then show.
set -uo pipefail
# The shared peer scripts sit beside the repository checkout.
peers="$(cd "$(dirname "$0")/../../../shared/peers" && pwd)"
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-$(pwd)/target}"
source .ci/peer-tools.sh

if ! command -v prosody >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prosody >/dev/null
fi
cargo build --release -p chatwire-examples --bin chat-client || exit 1
chat_client="$target/release/chat-client"

dir=$(mktemp -d)
{ read -r c2s; read -r http; } < <(free_ports 2)
stop() {
  if [ -f "$dir/prosody.pid" ]; then bash "$peers/prosody_down.sh" "$dir" || true; fi
  rm -rf "$dir"
}
trap stop EXIT
bash "$peers/prosody_up.sh" "$dir" "$c2s" "$http" || exit 1
ws="ws://127.0.0.1:$http/xmpp-websocket"
tcp="tcp://127.0.0.1:$c2s"

pass=0
fail=0
failed=()
check() { # NAME COMMAND...
  local name=$1 t0 rc
  shift
  echo "--- $name"
  t0=$(date +%s%N)
  "$@"
  rc=$?
  echo "--- $name: $([ $rc = 0 ] && echo pass || echo "FAIL rc=$rc") ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
  if [ $rc = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$name"); fi
}
cc() { # URL USER COMMAND...
  local url=$1 user=$2
  shift 2
  timeout 30 "$chat_client" --url "$url" --jid "$user@localhost" --password "${user}pw" "$@"
}

# FROM TO FROM_URL [TO_URL]: TO listens, FROM sends until TO has printed one message. Prosody
# here keeps no offline messages, and `listen` says nothing when it is online,
# so a message sent before its presence is lost: send again, each text new.
exchange() {
  local from=$1 to=$2 url=$3 to_url=${4:-$3} out="$dir/listen-$RANDOM" lpid i text
  cc "$to_url" "$to" listen --count 1 --timeout 20 > "$out" 2>&1 &
  lpid=$!
  sleep 0.5
  for i in $(seq 1 15); do
    kill -0 "$lpid" 2>/dev/null || break
    text="hello $to from $from #$i <&> ✓"
    cc "$url" "$from" send "$to@localhost" "$text" || { kill "$lpid" 2>/dev/null; wait "$lpid"; return 1; }
    sleep 1
  done
  wait "$lpid"
  local rc=$?
  cat "$out"
  [ $rc = 0 ] && grep -qx "$from@localhost: hello $to from $from #[0-9]* <&> ✓" "$out"
}

# ROSTER_OF URL EXPECTED_LINE_PREFIX
roster_has() {
  local out
  out=$(cc "$2" "$1" roster) || return 1
  echo "$out"
  grep -q "^$3" <<<"$out"
}

check "WebSocket: alice -> bob" exchange alice bob "$ws"
check "WebSocket: bob -> alice" exchange bob alice "$ws"
check "TCP: alice -> bob" exchange alice bob "$tcp"
check "TCP: bob -> alice" exchange bob alice "$tcp"
check "TCP to WebSocket: carol -> dave" exchange carol dave "$tcp" "$ws"
roster_empty() {
  local out
  out=$(cc "$tcp" carol roster) || return 1
  echo "$out"
  [ -z "$out" ]
}
check "carol's roster over TCP: empty (messages add no contacts)" roster_empty
check "alice subscribes to bob (WebSocket)" cc "$ws" alice subscribe bob@localhost
check "bob approves alice (TCP)" cc "$tcp" bob approve alice@localhost
check "alice's roster: bob, to" roster_has alice "$ws" "bob@localhost to"
check "bob's roster: alice, from" roster_has bob "$tcp" "alice@localhost from"

echo "51-chat-client-prosody: $pass passed, $fail failed${failed:+: ${failed[*]}}"
[ $fail -eq 0 ]
