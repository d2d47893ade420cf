#!/usr/bin/env bash
# RFC 6120 section 5 interop: chatwire-xmpp-session's client role over a TCP socket against a
# real Prosody 0.12 that requires STARTTLS on c2s. The test runs the TLS handshake with rustls,
# trusting a self-signed certificate made here for this run, hands the session the
# channel-binding data (RFC 9266 tls-exporter, RFC 5929 tls-server-end-point), and goes on to
# SCRAM, bind, a message to ourselves and the close.
#
# The shared peer script (prosody_up.sh) turns Prosody's tls module off, so this suite writes
# its own configuration: the same throwaway server, with tls on and encryption required.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v prosody >/dev/null || need+=(prosody)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

dir=$(mktemp -d)
c2s=15722
pid=
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
}
trap stop EXIT

# A certificate for `localhost`, made for this run only. CA:FALSE because the test trusts it
# directly as the end entity (webpki refuses a CA certificate in that place).
mkdir -p "$dir/data" "$dir/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost \
  -addext basicConstraints=critical,CA:FALSE \
  -addext subjectAltName=DNS:localhost \
  -addext extendedKeyUsage=serverAuth \
  -keyout "$dir/certs/localhost.key" -out "$dir/certs/localhost.crt" 2>/dev/null

cat > "$dir/prosody.cfg.lua" <<CFG
run_as_root = true
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/certs"
log = { { levels = { min = "info" }, to = "file", filename = "$dir/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
c2s_direct_tls_ports = { }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "presence"; "message"; "iq";
  "carbons"; "blocklist"; "version"; "time"; "private"; "pep"; "smacks"; "posix" }
modules_disabled = { "s2s" }
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
ssl = { certificate = "$dir/certs/localhost.crt"; key = "$dir/certs/localhost.key" }
VirtualHost "localhost"
CFG
prosodyctl --config "$dir/prosody.cfg.lua" register alice localhost alicepw

prosody --config "$dir/prosody.cfg.lua" -F > "$dir/console.log" 2>&1 < /dev/null &
pid=$!
up=
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$c2s") 2>/dev/null; then up=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$up" ]; then
  echo "prosody did not start" >&2
  cat "$dir/console.log" "$dir/prosody.log" >&2 || true
  exit 1
fi
echo "prosody pid $pid, c2s 127.0.0.1:$c2s (STARTTLS required)"

status=0
CHATWIRE_PROSODY_STARTTLS="127.0.0.1:$c2s" \
CHATWIRE_PROSODY_CA="$dir/certs/localhost.crt" \
  cargo test -p chatwire-xmpp-session --test prosody -- --ignored --test-threads=1 --nocapture starttls \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- prosody.log" >&2
  cat "$dir/prosody.log" >&2 || true
fi
exit "$status"
