# Sourced by the peer suites. peer_tools DIR PACKAGE==VERSION... installs, on
# first use, what the scripts in DIR (examples/peers) run on: node and npm,
# Debian's chromium and python3-venv when missing, DIR's npm packages
# (package.json, no lock file), and DIR/.venv holding each pip package at its
# pinned version. Returns non-zero when an install fails.
peer_tools() {
  local dir=$1 spec missing=() need_apt=()
  shift
  command -v node >/dev/null || need_apt+=(nodejs npm)
  [ -x /usr/lib/chromium/chromium ] || need_apt+=(chromium)
  python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
  if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null || return 1
  fi
  (cd "$dir" && { npm ls --depth=0 >/dev/null 2>&1 || timeout 300 npm install --no-package-lock --no-audit --no-fund --loglevel=error; }) || return 1
  for spec in "$@"; do
    "$dir/.venv/bin/pip" show "${spec%%==*}" 2>/dev/null | grep -qx "Version: ${spec#*==}" || missing+=("$spec")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    python3 -m venv "$dir/.venv" && timeout 300 "$dir/.venv/bin/pip" install -q "${missing[@]}" || return 1
  fi
}

# free_ports N prints N distinct TCP ports on 127.0.0.1 that are free now,
# one per line (all bound at once, so they differ).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}
