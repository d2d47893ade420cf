#!/usr/bin/env bash
# The same chat-load runs against chat-server, Prosody and ejabberd on
# loopback: a message run (CLIENTS sessions, MESSAGES messages each) and an
# idle run (IDLE_CLIENTS sessions held idle, server memory per session).
# Prints a table and the ratios; writes each run's JSON, table.md,
# summary.json and one SVG bar chart per metric under OUT.
#
# Usage (from anywhere): benches/load/compare-xmpp.sh
# Environment:
#   CLIENTS=1000 MESSAGES=100 IDLE_CLIENTS=5000   the load
#   PEER_IDLE_CLIENTS=$IDLE_CLIENTS               idle sessions on Prosody and ejabberd
#   SERVERS="chat-server prosody ejabberd"        which servers, in this order
#   RATE=200 SEND_RATE=                           chat-load --rate / --send-rate
#   PEERS=../shared/peers OUT=target/load JOBS=4  peer scripts, results, parallel chat-server adduser
#   KEEP=1                                        keep the servers' folders (logs) afterwards
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLIENTS=${CLIENTS:-1000}
MESSAGES=${MESSAGES:-100}
IDLE_CLIENTS=${IDLE_CLIENTS:-5000}
PEER_IDLE_CLIENTS=${PEER_IDLE_CLIENTS:-$IDLE_CLIENTS}
SERVERS=${SERVERS:-"chat-server prosody ejabberd"}
RATE=${RATE:-200}
SEND_RATE=${SEND_RATE:-}
PEERS=$(cd "${PEERS:-$ROOT/../shared/peers}" && pwd)
OUT=${OUT:-$ROOT/target/load}
JOBS=${JOBS:-4}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release

# Each process holds one socket per session (the server too): raise the
# soft limit on open files as far as the hard limit allows.
ulimit -n "$(ulimit -Hn)"
need=$((IDLE_CLIENTS > CLIENTS ? IDLE_CLIENTS : CLIENTS))
if [ "$(ulimit -n)" -lt $((need + 256)) ]; then
  echo "open files limited to $(ulimit -n): too few for $need sessions" >&2
  exit 1
fi

(cd "$ROOT" && cargo build --release -j1 -p chatwire-examples --bin chat-server --bin chat-load)
mkdir -p "$OUT"
# Peer servers run as their own users: the work folder must be reachable.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chatwire-load.XXXXXX")
chmod 755 "$WORK"
CHAT_PID=""

cleanup() {
  if [ -n "$CHAT_PID" ]; then kill "$CHAT_PID" 2>/dev/null || true; wait "$CHAT_PID" 2>/dev/null || true; fi
  if [ -f "$WORK/prosody/prosody.pid" ]; then "$PEERS/prosody_down.sh" "$WORK/prosody" >/dev/null 2>&1 || true; fi
  if [ -f "$WORK/ejabberd/ctl" ]; then "$PEERS/ejabberd_down.sh" "$WORK/ejabberd" >/dev/null 2>&1 || true; fi
  if [ -n "${KEEP:-}" ]; then echo "servers' folders kept in $WORK" >&2; else rm -rf "$WORK" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

users=$need
names() { seq 0 $((users - 1)) | sed 's/^/load/'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# Starts one server, registers load0..loadN-1 (password: name + "pw"),
# sets URL and PID.
start() {
  case $1 in
    chat-server)
      local dir=$WORK/chat-server
      mkdir -p "$dir"
      names | xargs -P "$JOBS" -I{} "$BIN/chat-server" --data-dir "$dir" --domain localhost \
        adduser {} {}pw >/dev/null
      # Every session comes from 127.0.0.1: allow that many connections
      # from one address.
      RUST_LOG=warn "$BIN/chat-server" --listen 127.0.0.1:35280 --tcp-listen 127.0.0.1:35222 \
        --domain localhost --data-dir "$dir" --max-connections-per-address $((need + 100)) \
        >"$dir/server.log" 2>&1 </dev/null &
      CHAT_PID=$!
      wait_port 35280
      URL=ws://127.0.0.1:35280/xmpp-websocket
      PID=$CHAT_PID
      ;;
    prosody)
      local dir=$WORK/prosody
      "$PEERS/prosody_up.sh" "$dir" 15222 15280 >/dev/null
      # Prosody reads a connection in chunks of network_default_read_size
      # (4 KiB; core/portmanager.lua). When LuaSocket still holds bytes
      # after a read, net/server_epoll.lua (interface:onreadable) resumes
      # that connection from a 1 us timer, and timers run only once epoll
      # reports nothing ready (loop()): under a burst from every session a
      # sender's connection sat paused 5 to 29 s after its first reads
      # (about 31 messages), past chat-load's drain time, and the rest
      # counted as lost. Reads that take a whole burst leave nothing
      # buffered; the setting is read at start, hence the restart.
      "$PEERS/prosody_down.sh" "$dir" >/dev/null
      sed -i '1i network_default_read_size = 262144' "$dir/prosody.cfg.lua"
      setsid nohup prosody --config "$dir/prosody.cfg.lua" -F >"$dir/console.log" 2>&1 </dev/null &
      wait_port 15280
      # The account files prosodyctl would write (see register.py).
      python3 "$ROOT/benches/load/register.py" prosody "$dir/data/localhost/accounts" "$users"
      URL=ws://127.0.0.1:15280/xmpp-websocket
      PID=$(cat "$dir/prosody.pid")
      ;;
    ejabberd)
      local dir=$WORK/ejabberd
      "$PEERS/ejabberd_up.sh" "$dir" 25222 25280 25270 >/dev/null
      local ctl
      ctl=$(cat "$dir/ctl")
      # ejabberdctl starts the node through `su ejabberd`, whose PAM
      # session (pam_limits) sets the soft open-files limit of beam.smp back
      # to 1024 whatever ours is: the node went down at about 1,000
      # sessions. ERTS takes its descriptor limit at boot, so raise it
      # before the start: restart once with erl behind a wrapper that lifts
      # the soft limit to the hard one (ejabberdctl reads ERL from its
      # config file).
      # The same restart opens mod_http_api on loopback for `register`
      # only: one HTTP request per user instead of one ejabberdctl (an
      # Erlang VM) each (see register.py).
      "$PEERS/ejabberd_down.sh" "$dir" >/dev/null
      sed -i -e 's|/bosh: mod_bosh}|/bosh: mod_bosh, /api: mod_http_api}|' \
        -e 's|^modules: {|modules: {mod_http_api: {}, |' "$dir/ejabberd.yml"
      cat >>"$dir/ejabberd.yml" <<'CFG'
api_permissions:
  "console commands": {from: [ejabberd_ctl], who: all, what: "*"}
  "loopback register": {from: [mod_http_api], who: {ip: 127.0.0.1/8}, what: [register]}
CFG
      printf '#!/bin/sh\nulimit -n "$(ulimit -Hn)"\nexec /usr/bin/erl "$@"\n' >"$dir/erl"
      chmod 755 "$dir/erl"
      echo "ERL=$dir/erl" >>"$dir/ejabberdctl.cfg"
      # shellcheck disable=SC2086 # ctl is a command line
      setsid nohup $ctl foreground >"$dir/console.log" 2>&1 </dev/null &
      # shellcheck disable=SC2086
      $ctl started
      python3 "$ROOT/benches/load/register.py" ejabberd http://127.0.0.1:25280/api "$users"
      URL=ws://127.0.0.1:25280/ws
      PID=$(pgrep -u ejabberd -f 'beam.smp.*ejabberd@localhost' | head -1)
      ;;
  esac
}

# A server still working through a backlog may take a while to stop:
# wait for its PID, then kill it.
stop() {
  case $1 in
    chat-server) kill "$CHAT_PID"; wait "$CHAT_PID" 2>/dev/null || true; CHAT_PID="" ;;
    prosody) "$PEERS/prosody_down.sh" "$WORK/prosody" >/dev/null || true ;;
    ejabberd) "$PEERS/ejabberd_down.sh" "$WORK/ejabberd" >/dev/null || true ;;
  esac
  for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$PID" 2>/dev/null || true
}

# chat-load with the same parameters for every server; its last line is
# the JSON object.
load() {
  local server=$1 run=$2
  shift 2
  local log=$OUT/$server-$run.log
  echo "== $server: chat-load $*" >&2
  rm -f "$OUT/$server-$run.json"
  if "$BIN/chat-load" --url "$URL" --domain localhost --rate "$RATE" --server-pid "$PID" --json "$@" \
    ${SEND_RATE:+--send-rate "$SEND_RATE"} >"$log"; then
    tail -n 1 "$log" >"$OUT/$server-$run.json"
    head -n -1 "$log" >&2
  else
    echo "chat-load against $server failed" >&2
  fi
}

for server in $SERVERS; do
  idle=$IDLE_CLIENTS
  [ "$server" = chat-server ] || idle=$PEER_IDLE_CLIENTS
  users=$((idle > CLIENTS ? idle : CLIENTS))
  echo "== $server: starting, registering $users users" >&2
  start "$server"
  # The idle run first, on a server that has served nobody yet.
  load "$server" idle --idle --clients "$idle"
  load "$server" messages --clients "$CLIENTS" --messages "$MESSAGES"
  stop "$server"
done

{
  echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "chat-load --clients $CLIENTS --messages $MESSAGES; --idle --clients $IDLE_CLIENTS (peers: $PEER_IDLE_CLIENTS)"
} | tee "$OUT/machine.txt"
python3 "$ROOT/benches/load/report.py" "$OUT" $SERVERS
