#!/usr/bin/env bash
# Echo rate of ws-echo beside tokio-tungstenite and fastwebsockets echo
# servers, measured with ws-load (send S bytes, wait for the echo, repeat, on
# C connections at once).
#
#   benches/load/compare-ws.sh               # 7 rounds of one 2 s window each
#   ROUNDS=1 benches/load/compare-ws.sh      # a quick look
#
# Environment: SECONDS (window length, default 2), RUNS (windows per ws-load
# run, default 1), ROUNDS (default 7: how many times the servers take turns in
# each case; a single round on a shared 2-core VM moves by 15% either way; the
# table gives the median of each server's rounds, and the ratio to the best
# peer the median of the per-round ratios, so slow drifts in machine load fall
# on all servers alike),
# WARMUP (seconds before the first window, default 1), THREADS (ws-load worker
# threads, default one per CPU it may use), JOBS (cargo build jobs), OUT
# (output folder, default target/load), PIN (default 1: every server on CPU
# SERVER_CPUS, default 0, and ws-load on LOAD_CPUS, default 1, with taskset;
# PIN=0 lets the scheduler place them). Every server listens on 127.0.0.1; all three run at
# once, idle but for the one under load, and the cases take them in turn so
# that a change in machine load falls on all of them alike.
#
# The rate depends on how much CPU the server gets: on a machine shared with
# other work a server with more threads than cores gets a larger share of it.
# Pinning makes the comparison per core: each server gets one CPU (every
# runtime here sizes its worker pool to the CPUs it is allowed) and does not
# compete with ws-load for it. The table also gives each server's CPU time per
# echoed message (from /proc, over the whole ws-load run), which depends on
# neither.
#
# One ws-load core costs about as much per echo as one server core (each echo
# is a send and a receive on both sides), so a server that is cheap enough
# leaves its core partly idle and the rate is ws-load's ceiling, not the
# server's. SERVER_CPU_QUOTA=P (percent of one CPU, needs a writable cgroup
# cpu controller, v1 or v2) gives each server only P% of its CPU, through a
# cgroup of its own, so that the server is what runs out: the rate then
# measures the servers. The table says which limit was in force.
#
# Writes OUT/compare-ws.json (every result with CPU and load average),
# OUT/compare-ws.txt (the table) and OUT/compare-ws-CxS.svg (a bar chart per
# case). Exits non-zero if any ws-load run fails (an echo that differs, a
# connection that fails).
set -euo pipefail

# Bash counts SECONDS up from the value it inherits; the environment keeps it.
secs=$(printenv SECONDS || true)
secs=${secs:-2}
runs=${RUNS:-1}
rounds=${ROUNDS:-7}
warmup=${WARMUP:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$root/target/load}
bin=${CARGO_TARGET_DIR:-$root/target}/release
mkdir -p "$out"

cargo_jobs=()
if [[ -n ${JOBS:-} ]]; then cargo_jobs=(-j "$JOBS"); fi
(
    cd "$root"
    cargo build --release "${cargo_jobs[@]}" -p chatwire-examples \
        --bin ws-echo --bin ws-load
    cargo build --release "${cargo_jobs[@]}" -p chatwire-benches \
        --example echo-tungstenite --example echo-fastwebsockets
)

# name, port, command (the first is ours, the last two are the peers).
servers=(
    "ws-echo|9101|$bin/ws-echo --no-deflate --listen"
    "tokio-tungstenite|9103|$bin/examples/echo-tungstenite --listen"
    "fastwebsockets|9104|$bin/examples/echo-fastwebsockets --listen"
)
cases=("100 20" "10 1024" "10 16384" "200 16384")

server_pin=()
load_pin=()
pin=${PIN:-1}
if [[ $pin != 0 ]]; then
    server_pin=(taskset -c "${SERVER_CPUS:-0}")
    load_pin=(taskset -c "${LOAD_CPUS:-1}")
    pin="server on CPU ${SERVER_CPUS:-0}, ws-load on CPU ${LOAD_CPUS:-1}"
else
    pin="not pinned"
fi

# Cgroups limiting each server to SERVER_CPU_QUOTA percent of one CPU.
quota=${SERVER_CPU_QUOTA:-}
cgroups=()
limit_cpu() { # pid name
    local period=10000 group
    if [[ -w /sys/fs/cgroup/cgroup.subtree_control ]]; then
        group=/sys/fs/cgroup/compare-ws-$2
        mkdir -p "$group"
        echo "$((quota * period / 100)) $period" >"$group/cpu.max"
    elif [[ -w /sys/fs/cgroup/cpu ]]; then
        group=/sys/fs/cgroup/cpu/compare-ws-$2
        mkdir -p "$group"
        echo "$period" >"$group/cpu.cfs_period_us"
        echo "$((quota * period / 100))" >"$group/cpu.cfs_quota_us"
    else
        echo "SERVER_CPU_QUOTA needs a writable cgroup cpu controller" >&2
        exit 1
    fi
    cgroups+=("$group")
    echo "$1" >"$group/cgroup.procs"
}
if [[ -n $quota ]]; then pin="$pin; each server limited to $quota% of one CPU"; fi

pids=()
declare -A pid_of
# CPU time a process has used, user and system, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU seconds, user and system, of every child this shell has waited for
# (`times` must run in this shell, not in a subshell, to see them).
children_cpu() {
    times >"$out/times.txt"
    awk 'NR == 2 {
        split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$out/times.txt"
}
stop_servers() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for group in "${cgroups[@]}"; do rmdir "$group" 2>/dev/null || true; done
}
trap stop_servers EXIT

for server in "${servers[@]}"; do
    IFS='|' read -r name port cmd <<<"$server"
    # shellcheck disable=SC2086 # cmd is a program and its flags
    "${server_pin[@]}" $cmd "127.0.0.1:$port" 2>>"$out/servers.log" &
    pids+=("$!")
    pid_of[$name]=$!
    if [[ -n $quota ]]; then limit_cpu "$!" "$name"; fi
done
for server in "${servers[@]}"; do
    IFS='|' read -r name port _ <<<"$server"
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue 2; fi
        sleep 0.1
    done
    echo "$name did not start listening on port $port" >&2
    exit 1
done

results=$out/compare-ws.tsv
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
threads=()
if [[ -n ${THREADS:-} ]]; then threads=(--threads "$THREADS"); fi
failed=0
for case in "${cases[@]}"; do
    read -r connections size <<<"$case"
    for _ in $(seq "$rounds"); do for server in "${servers[@]}"; do
        IFS='|' read -r name port _ <<<"$server"
        echo "== $name: $connections connections x $size B" >&2
        ticks=$(cpu_ticks "${pid_of[$name]}")
        children_cpu >"$out/cpu-before.txt"
        started=$(date +%s.%N)
        if ! "${load_pin[@]}" "$bin/ws-load" --url "ws://127.0.0.1:$port/" --connections "$connections" \
            --size "$size" --seconds "$secs" --runs "$runs" --warmup "$warmup" \
            "${threads[@]}" --json >"$out/last.txt"; then
            echo "ws-load failed against $name" >&2
            failed=1
        fi
        cat "$out/last.txt" >&2
        ticks=$(($(cpu_ticks "${pid_of[$name]}") - ticks))
        # How busy ws-load kept its CPU: near 100% means the rate is its ceiling.
        children_cpu >"$out/cpu-after.txt"
        load_busy=$(awk -v s="$started" -v e="$(date +%s.%N)" \
            'NR == 1 { a = $1 } NR == 2 { b = $1 } END { printf "%.0f", (b - a) / (e - s) * 100 }' \
            "$out/cpu-before.txt" "$out/cpu-after.txt")
        printf '%s\t%s\t%s\t%s\n' "$name" "$ticks" "$load_busy" "$(tail -n 1 "$out/last.txt")" >>"$results"
    done; done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)

python3 - "$out" "$cpu" "$load_before" "$load_after" "$secs" "$runs" "$(getconf CLK_TCK)" "$pin" "$rounds" <<'EOF'
import json, sys
from html import escape
from statistics import median

out, cpu, load_before, load_after, secs, runs, hz, pin, rounds = sys.argv[1:10]
ours, peers = "ws-echo", ("tokio-tungstenite", "fastwebsockets")
rows = []
with open(f"{out}/compare-ws.tsv") as f:
    for line in f:
        name, ticks, load_busy, text = line.rstrip("\n").split("\t", 3)
        try:
            result = json.loads(text)
        except ValueError:
            result = {"msgs_per_s": None}
        # Server CPU per echo: its CPU time over the whole ws-load run over
        # every echo of the run (warm-up included). Unlike the rate, it does
        # not depend on how much of a busy machine the server got.
        result["server_cpu_ticks"] = int(ticks)
        result["load_cpu_percent"] = int(load_busy)
        rows.append((name, result))
names = list(dict.fromkeys(name for name, _ in rows))
cases = list(dict.fromkeys((r["connections"], r["size"]) for _, r in rows if "size" in r))
mine = [n for n in names if n.startswith(ours)]
# Every round of each server in each case, in the order they ran.
rounds_of = {}
for name, r in rows:
    if "size" in r:
        rounds_of.setdefault((name, r["connections"], r["size"]), []).append(r)
rate = {key: median(r["msgs_per_s"] or 0 for r in rs) for key, rs in rounds_of.items()}
summary = {}
for key, rs in rounds_of.items():
    echoes = sum(r.get("echoes") or 0 for r in rs)
    summary[key] = {"load_cpu_percent": round(median(r["load_cpu_percent"] for r in rs))}
    if echoes:
        ticks = sum(r["server_cpu_ticks"] for r in rs)
        summary[key]["server_cpu_us_per_msg"] = round(ticks / int(hz) * 1e6 / echoes, 1)

def round_ratio(n, c, s):
    """The median over rounds of n's rate over the best peer's in the same round."""
    ratios = []
    for i, r in enumerate(rounds_of.get((n, c, s), [])):
        best = max((rounds_of[(p, c, s)][i]["msgs_per_s"] or 0)
                   for p in peers if len(rounds_of.get((p, c, s), [])) > i)
        if best:
            ratios.append((r["msgs_per_s"] or 0) / best)
    return median(ratios) if ratios else 0.0

def label(c, s):
    return f"{c} x {s // 1024} KiB" if s >= 1024 else f"{c} x {s} B"

lines = [f"CPU: {cpu}; load average {load_before} before, {load_after} after; "
         f"median of {runs} windows of {secs} s each"
         + (f", then the median of {rounds} rounds (servers in turn)" if int(rounds) > 1 else "")
         + f"; {pin}",
         "| case | " + " | ".join(names) + "".join(f" | {n} / best peer" for n in mine) + " |",
         "|---" * (len(names) + len(mine) + 1) + "|"]
cases_out = []
for c, s in cases:
    values = {n: rate.get((n, c, s)) for n in names}
    ratios = {n: round_ratio(n, c, s) for n in mine}
    cells = [f"{v:,.0f}" if v else "failed" for v in values.values()]
    cells += [f"{r:.2f}" for r in ratios.values()]
    lines.append(f"| {label(c, s)} | " + " | ".join(cells) + " |")
    cases_out.append({"connections": c, "size": s, "msgs_per_s": values,
                      "ratio_to_best_peer": ratios,
                      "server_cpu_us_per_msg": {n: summary.get((n, c, s), {}).get(
                          "server_cpu_us_per_msg") for n in names},
                      "load_cpu_percent": {n: summary.get((n, c, s), {}).get(
                          "load_cpu_percent") for n in names}})

    # One horizontal bar per server, ours first.
    width, left, bar, gap, top = 640, 190, 26, 10, 40
    scale = (width - left - 110) / max([v or 0 for v in values.values()] + [1])
    height = top + len(names) * (bar + gap) + 20
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="13">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="22" font-size="15" font-weight="bold">ws-load echo rate, '
           f'{escape(label(c, s))} (msgs/s, higher is better)</text>']
    for i, (n, v) in enumerate(values.items()):
        y = top + i * (bar + gap)
        colour = "#2b6cb0" if n.startswith(ours) else "#a0aec0"
        svg.append(f'<text x="{left - 8}" y="{y + bar * 0.68:.0f}" text-anchor="end">{escape(n)}</text>')
        svg.append(f'<rect x="{left}" y="{y}" width="{(v or 0) * scale:.1f}" height="{bar}" fill="{colour}"/>')
        svg.append(f'<text x="{left + (v or 0) * scale + 6:.1f}" y="{y + bar * 0.68:.0f}">'
                   f'{f"{v:,.0f}" if v else "failed"}</text>')
    svg.append("</svg>")
    with open(f"{out}/compare-ws-{c}x{s}.svg", "w") as f:
        f.write("\n".join(svg) + "\n")

def server_table(title, key):
    """One row per case, one column per server, of the value each run stored under `key`."""
    out = ["", title, "", "| case | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for c, s in cases:
        cells = [f"{summary.get((n, c, s), {}).get(key, '-')}" for n in names]
        out.append(f"| {label(c, s)} | " + " | ".join(cells) + " |")
    return out

lines += server_table("Server CPU time per echoed message (us, lower is better):",
                      "server_cpu_us_per_msg")
lines += server_table("How busy ws-load kept its CPU while measuring each server (%; near 100 "
                      "means the rate is ws-load's ceiling rather than the server's):",
                      "load_cpu_percent")
table = "\n".join(lines)
print(table)
with open(f"{out}/compare-ws.txt", "w") as f:
    f.write(table + "\n")
with open(f"{out}/compare-ws.json", "w") as f:
    json.dump({"cpu": cpu, "load_average_before": load_before, "load_average_after": load_after,
               "seconds": float(secs), "runs": int(runs), "rounds": int(rounds),
               "pinning": pin, "cases": cases_out,
               "results": [dict(r, server=n) for n, r in rows]}, f, indent=1)
EOF
echo "results, table and charts in $out" >&2
exit "$failed"
