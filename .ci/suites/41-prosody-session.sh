#!/usr/bin/env bash
# RFC 6120 / RFC 7395 / XEP-0198 interop: chatwire-xmpp-session's client role against a real
# Prosody 0.12, over WebSocket (on chatwire-websocket) and over plain TCP: SCRAM-SHA-1 and PLAIN,
# bind, stream management, a message to ourselves, and resumption of a dropped stream. The
# starttls_* tests need a Prosody with TLS: .ci/suites/42-prosody-starttls.sh runs them.
set -euo pipefail
# The shared peer scripts sit beside the repository checkout.
peers="$(cd "$(dirname "$0")/../../../shared/peers" && pwd)"
cd "$(dirname "$0")/../.."

if ! command -v prosody >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prosody >/dev/null
fi

dir=$(mktemp -d)
c2s=15622
http=15680
stop() {
  if [ -f "$dir/prosody.pid" ]; then bash "$peers/prosody_down.sh" "$dir" || true; fi
  rm -rf "$dir"
}
trap stop EXIT
bash "$peers/prosody_up.sh" "$dir" "$c2s" "$http"

CHATWIRE_PROSODY_WS="ws://127.0.0.1:$http/xmpp-websocket" \
CHATWIRE_PROSODY_TCP="127.0.0.1:$c2s" \
  cargo test -p chatwire-xmpp-session --test prosody -- --ignored --test-threads=1 --skip starttls_
