#!/usr/bin/env bash
# The Autobahn test cases (kosoku) against chatwire-websocket, both roles:
# ws-echo as the server under test, ws-autobahn-client as the client under test.
# Every group 1-13 runs in each role. The permessage-deflate groups 12 and 13
# take most of the time, so each role runs three shares at once (12, 13, the
# rest), each with its own kosoku process and report.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-autobahn
[ -x "$venv/bin/kosoku" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet kosoku==0.1.0; }
cargo build --release -p chatwire-examples --bin ws-echo --bin ws-autobahn-client
bin="${CARGO_TARGET_DIR:-target}/release"
reports=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$reports"; }
trap cleanup EXIT

wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; return 1; }

# The shares: kosoku selection arguments, by name.
names=(g12 g13 rest)
selections=("-i 12.*" "-i 13.*" "-x 12.* -x 13.*")

# Server role: one ws-echo, three kosoku drivers.
start=$(date +%s)
"$bin/ws-echo" --listen 127.0.0.1:9001 2>/dev/null &
pids+=($!)
wait_port 9001
drivers=()
for i in "${!names[@]}"; do
  # shellcheck disable=SC2086 # the selection is several arguments
  "$venv/bin/kosoku" ${selections[$i]} -o "$reports/server-${names[$i]}" 127.0.0.1:9001 \
    > "$reports/server-${names[$i]}.log" 2>&1 &
  drivers+=($!)
done
for pid in "${drivers[@]}"; do wait "$pid" || true; done
echo "server role: $(( $(date +%s) - start ))s"

# Client role: three kosoku servers, one ws-autobahn-client for each.
start=$(date +%s)
clients=()
for i in "${!names[@]}"; do
  port=$((9011 + i))
  # shellcheck disable=SC2086
  "$venv/bin/kosoku" -m fuzzingserver ${selections[$i]} -o "$reports/client-${names[$i]}" \
    "127.0.0.1:$port" > "$reports/client-${names[$i]}.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  "$bin/ws-autobahn-client" --url "ws://127.0.0.1:$port" --agent chatwire &
  clients+=($!)
done
status=0
for pid in "${clients[@]}"; do wait "$pid" || status=1; done
for name in "${names[@]}"; do
  for _ in $(seq 100); do [ -f "$reports/client-$name/index.json" ] && break; sleep 0.1; done
done
echo "client role: $(( $(date +%s) - start ))s"

python3 .ci/autobahn-check.py \
  "$reports"/server-{g12,g13,rest}/index.json -- "$reports"/client-{g12,g13,rest}/index.json
exit "$status"
