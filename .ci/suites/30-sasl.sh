#!/usr/bin/env bash
# SASL interop: sasl-cli (chatwire-sasl) against GNU SASL, scramp and the Cyrus SASL sample
# programs, in both roles. Good exchanges must succeed on both sides; a wrong password or a
# mismatched channel binding must be refused by both sides.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v gsasl >/dev/null || need+=(gsasl)
command -v sasl-sample-server >/dev/null || need+=(sasl2-bin)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
venv=.venv-sasl
if ! "$venv/bin/python" -c 'import scramp' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scramp==1.5.0
fi
cargo build --quiet -p chatwire-examples --bin sasl-cli
cli="${CARGO_TARGET_DIR:-target}/debug/sasl-cli"
relay=crates/sasl/tests/interop/relay.py
scramp="$venv/bin/python crates/sasl/tests/interop/scramp_peer.py"

# Cyrus reads its settings from $SASL_CONF_PATH/sample.conf; the user lives in a private sasldb.
cyrus=$(mktemp -d)
trap 'rm -rf "$cyrus"' EXIT
cat > "$cyrus/sample.conf" <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $cyrus/sasldb2
mech_list: SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1
CONF
echo pencil | saslpasswd2 -f "$cyrus/sasldb2" -c -p -u localhost user
export SASL_CONF_PATH="$cyrus"

exporter=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=  # 32 bytes, as tls-exporter gives
unique=AQIDBAUGBwgJCgsM                               # 12 bytes, as tls-unique gives
other=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh4=

passed=0
failed=0
log=$(mktemp)
trap 'rm -rf "$cyrus" "$log"' EXIT
# What sasl-cli prints on stderr (a usage error exits 2 and prints "usage:", which matches none).
server_ok='sasl-cli: authenticated authcid=user '
client_ok='sasl-cli: server (verified|reported success)'
closed='sasl-cli: peer closed (the exchange|before reporting success)'
bad_proof='sasl-cli: refused: authentication failed \(failure: not-authorized\)'
bad_cb='sasl-cli: refused: channel binding does not match'

# judge WANT A_REASON B_REASON: reads "A_RC B_RC" and the relay's stderr ("a: "/"b: " lines)
# from $codes and $log, prints the verdict.
#   ok        both exit 0 and sasl-cli says why (A_REASON);
#   refused   sasl-cli exits 1 (2 is a usage error) with A_REASON, the peer exits non-zero
#             (124 is a time-out), and says B_REASON ("-": the peer only sees the end of input);
#   verified  sasl-cli (a client) exits 0 with A_REASON whatever the peer does afterwards.
judge() {
  local want=$1 a_reason=$2 b_reason=$3 a=${codes% *} b=${codes#* }
  local a_err b_err
  a_err=$(sed -n 's/^a: //p' "$log")
  b_err=$(sed -n 's/^b: //p' "$log")
  grep -Eq -- "$a_reason" <<<"$a_err" || { echo FAIL; return; }
  case "$want" in
    ok) [ "$a" = 0 ] && [ "$b" = 0 ] && { echo pass; return; } ;;
    verified) [ "$a" = 0 ] && { echo pass; return; } ;;
    refused)
      if [ "$a" = 1 ] && [ "$b" != 0 ] && [ "$b" != 124 ] &&
        { [ "$b_reason" = - ] || grep -Eq -- "$b_reason" <<<"$b_err"; }; then
        echo pass
        return
      fi
      ;;
  esac
  echo FAIL
}

# check NAME WANT A_REASON B_REASON RELAY-ARGS...: side a is always sasl-cli. Both sides'
# stderr goes to the log under the verdict.
check() {
  local name=$1 want=$2 a_reason=$3 b_reason=$4 verdict
  shift 4
  codes=$(python3 "$relay" "$@" 2>"$log")
  verdict=$(judge "$want" "$a_reason" "$b_reason")
  printf '%-4s %-64s (sasl-cli=%s peer=%s)\n' "$verdict" "$name" "${codes% *}" "${codes#* }"
  sed 's/^/       /' "$log"
  if [ "$verdict" = pass ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# The judge itself: a usage error must not pass for a refusal.
codes=$(python3 "$relay" --a "$cli --client -m SCRAM-SHA-256 -a user -p pencil --no-such-flag" \
  --b "$scramp server SCRAM-SHA-256 user pencil" 2>"$log")
if [ "$(judge refused "$closed" invalid-proof)" = FAIL ]; then
  echo "pass a usage error is not taken for a refusal"
  passed=$((passed + 1))
else
  echo "FAIL a usage error is not taken for a refusal"
  failed=$((failed + 1))
fi
sed 's/^/       /' "$log"

# GNU SASL: prints the mechanism name first (and, as a server, an empty first challenge);
# -d stops it from reading application data afterwards. As a server it asks for the
# channel-binding data after the client-first-message, as a client before starting.
gs_server() { echo "--b=gsasl --server -m $1 -p ${2:-pencil} --quiet -d ${3---no-cb}"; }
gs_client() { echo "--b=gsasl --client -m $1 -a user ${4:-} -p ${2:-pencil} --quiet -d ${3---no-cb}"; }
for m in SCRAM-SHA-1 SCRAM-SHA-256 PLAIN; do
  check "gsasl server, $m" ok "$client_ok" - --a "$cli --client -m $m -a user -p pencil" "$(gs_server $m)" --b-skip 2
  check "gsasl client, $m" ok "$server_ok" - --a "$cli --server -m $m --user user --password pencil" "$(gs_client $m)" --b-skip 1
  check "gsasl server, $m, wrong password" refused "$closed" 'gsasl: mechanism error' --a "$cli --client -m $m -a user -p pencik" "$(gs_server $m)" --b-skip 2
  check "gsasl client, $m, wrong password" refused "$bad_proof" - --a "$cli --server -m $m --user user --password pencil" "$(gs_client $m pencik)" --b-skip 1
done
for m in PLAIN SCRAM-SHA-256; do
  check "gsasl server, $m with authzid" ok "$client_ok" - --a "$cli --client -m $m -a user -z admin -p pencil" "$(gs_server $m)" --b-skip 2
  check "gsasl client, $m with authzid" ok "${server_ok}authzid=admin" - --a "$cli --server -m $m --user user --password pencil" "$(gs_client $m pencil --no-cb '-z admin')" --b-skip 1
done
for m in SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS; do
  ours="--cb-type tls-exporter --cb-data $exporter"
  check "gsasl server, $m tls-exporter" ok "$client_ok" - --a "$cli --client -m $m -a user -p pencil $ours" "$(gs_server $m pencil '')" --b-skip 2 --b-feed-after-first "$exporter"
  check "gsasl client, $m tls-exporter" ok "$server_ok" - --a "$cli --server -m $m --user user --password pencil $ours" "$(gs_client $m pencil '')" --b-skip 1 --b-feed "$exporter"
  check "gsasl server, $m, channel binding mismatch" refused "$closed" 'gsasl: mechanism error' --a "$cli --client -m $m -a user -p pencil $ours" "$(gs_server $m pencil '')" --b-skip 2 --b-feed-after-first "$other"
  check "gsasl client, $m, channel binding mismatch" refused "$bad_cb" - --a "$cli --server -m $m --user user --password pencil $ours" "$(gs_client $m pencil '')" --b-skip 1 --b-feed "$other"
  check "gsasl server, $m, wrong password" refused "$closed" 'gsasl: mechanism error' --a "$cli --client -m $m -a user -p pencik $ours" "$(gs_server $m pencil '')" --b-skip 2 --b-feed-after-first "$exporter"
done

# scramp: no tls-exporter, so -PLUS runs with tls-unique.
for m in SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-512; do
  check "scramp server, $m" ok "$client_ok" - --a "$cli --client -m $m -a user -p pencil" --b "$scramp server $m user pencil"
  check "scramp client, $m" ok "$server_ok" - --a "$cli --server -m $m --user user --password pencil" --b "$scramp client $m user pencil"
  check "scramp server, $m, wrong password" refused "$closed" invalid-proof --a "$cli --client -m $m -a user -p pencik" --b "$scramp server $m user pencil"
  check "scramp client, $m, wrong password" refused "$bad_proof" 'scramp_peer: peer closed' --a "$cli --server -m $m --user user --password pencil" --b "$scramp client $m user pencik"
  ours="--cb-type tls-unique --cb-data $unique"
  check "scramp server, $m-PLUS tls-unique" ok "$client_ok" - --a "$cli --client -m $m-PLUS -a user -p pencil $ours" --b "$scramp server $m-PLUS user pencil --cb tls-unique $unique"
  check "scramp client, $m-PLUS tls-unique" ok "$server_ok" - --a "$cli --server -m $m-PLUS --user user --password pencil $ours" --b "$scramp client $m-PLUS user pencil --cb tls-unique $unique"
  check "scramp server, $m-PLUS, channel binding mismatch" refused "$closed" channel-bindings-dont-match --a "$cli --client -m $m-PLUS -a user -p pencil $ours" --b "$scramp server $m-PLUS user pencil --cb tls-unique $other"
  check "scramp client, $m-PLUS, channel binding mismatch" refused "$bad_cb" 'scramp_peer: peer closed' --a "$cli --server -m $m-PLUS --user user --password pencil $ours" --b "$scramp client $m-PLUS user pencil --cb tls-unique $other"
done

# Cyrus sample programs: "S: "/"C: " prefixed lines, the first client token is
# "MECH NUL initial-response", stdout is block-buffered (stdbuf), the client reads its password
# with getpass (setsid: no terminal, so from stdin) and waits for application data at the end.
cy_server() { echo "--b=stdbuf -oL sasl-sample-server -m $1 -s sample -u localhost -d localhost"; }
cy_server_opts=(--b-out-prefix "S: " --b-in-prefix "C: " --b-skip 1 --b-done "Negotiation complete")
cy_client() { echo "--b=setsid stdbuf -oL sasl-sample-client -m $1 -a user -s sample -n localhost"; }
cy_client_opts=(--b-out-prefix "C: " --b-in-prefix "S: " --b-mech-out-first --b-done "Negotiation complete")
for m in SCRAM-SHA-512 SCRAM-SHA-256; do
  mechlist=$(printf '%s' "$m" | base64)
  check "Cyrus server, $m" ok "$client_ok" - --a "$cli --client -m $m -a user -p pencil" "$(cy_server $m)" "${cy_server_opts[@]}" --b-mech-in-first $m
  check "Cyrus client, $m" ok "$server_ok" - --a "$cli --server -m $m --user user --password pencil" "$(cy_client $m)" "${cy_client_opts[@]}" --b-feed "S: $mechlist" --b-feed pencil
  check "Cyrus server, $m, wrong password" refused "$closed" 'authentication failure' --a "$cli --client -m $m -a user -p pencik" "$(cy_server $m)" "${cy_server_opts[@]}" --b-mech-in-first $m
  check "Cyrus client, $m, wrong password" refused "$bad_proof" - --a "$cli --server -m $m --user user --password pencil" "$(cy_client $m)" "${cy_client_opts[@]}" --b-feed "S: $mechlist" --b-feed pencik
  # Without --b-done the sample server goes on to send application data after its verifier;
  # the client is done once the verifier checks out.
  check "Cyrus server, $m, data after the verifier" verified "$client_ok" - --a "$cli --client -m $m -a user -p pencil" "$(cy_server $m)" --b-out-prefix "S: " --b-in-prefix "C: " --b-skip 1 --b-mech-in-first $m
done

echo "sasl interop: $passed passed, $failed failed"
[ "$failed" = 0 ]
