#!/usr/bin/env bash
# The Autobahn test cases (kosoku) against chatwire-websocket, both roles:
# ws-echo as the server under test, ws-autobahn-client as the client under test.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
venv=.venv-autobahn
[ -x "$venv/bin/kosoku" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet kosoku==0.1.0; }
cargo build --release -p chatwire-examples --bin ws-echo --bin ws-autobahn-client
bin="${CARGO_TARGET_DIR:-target}/release"
reports=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$reports"; }
trap cleanup EXIT

wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; return 1; }

# Server role.
"$bin/ws-echo" --listen 127.0.0.1:9001 2>/dev/null &
pids+=($!)
wait_port 9001
"$venv/bin/kosoku" -p 2 -o "$reports/server" 127.0.0.1:9001 > "$reports/server.log" 2>&1 || true
python3 .ci/autobahn-check.py "$reports/server/index.json"

# Client role.
"$venv/bin/kosoku" -m fuzzingserver -o "$reports/client" 127.0.0.1:9011 > "$reports/client.log" 2>&1 &
pids+=($!)
wait_port 9011
"$bin/ws-autobahn-client" --url ws://127.0.0.1:9011 --agent chatwire
for _ in $(seq 100); do [ -f "$reports/client/index.json" ] && break; sleep 0.1; done
python3 .ci/autobahn-check.py "$reports/client/index.json"
cd "$root"
