#!/usr/bin/env python3
"""Tabulates chat-load results and draws one SVG bar chart per metric.

Usage: report.py OUT_DIR SERVER...
Reads OUT_DIR/SERVER-messages.json and OUT_DIR/SERVER-idle.json (the last
line of `chat-load --json`), writes OUT_DIR/table.md, OUT_DIR/summary.json
and OUT_DIR/<metric>.svg, and prints the table and the ratios.
Standard library only.
"""
import json
import os
import sys
from xml.sax.saxutils import escape

# (key, run, title, unit, higher is better)
METRICS = [
    ("msgs_per_s", "messages", "Throughput", "messages/s", True),
    ("p99_ms", "messages", "Time to delivery, p99", "ms", False),
    ("p50_ms", "messages", "Time to delivery, p50", "ms", False),
    ("logins_per_s", "messages", "Logins", "logins/s", True),
    ("server_rss_per_session_kib", "idle", "Server memory per idle session", "KiB", False),
]
COLOURS = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5"]


def load(out, server, run):
    path = os.path.join(out, f"{server}-{run}.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def table(out, servers, results):
    head = ("| server | clients | sent | received | lost | duplicated | reordered | messages/s "
            "| logins/s | p50 ms | p99 ms | max ms | peak RSS KiB | idle sessions | RSS per idle session KiB |")
    lines = [head, "|" + "---|" * 15]
    for s in servers:
        m = results[s].get("messages") or {}
        i = results[s].get("idle") or {}
        lines.append("| " + " | ".join([
            s, fmt(m.get("clients")), fmt(m.get("messages_sent")), fmt(m.get("messages_received")),
            fmt(m.get("lost")), fmt(m.get("duplicated")), fmt(m.get("reordered")),
            fmt(m.get("msgs_per_s"), 0), fmt(m.get("logins_per_s"), 0), fmt(m.get("p50_ms"), 2),
            fmt(m.get("p99_ms"), 2), fmt(m.get("max_ms"), 2), fmt(m.get("server_rss_kib")),
            fmt(i.get("clients")), fmt(i.get("server_rss_per_session_kib")),
        ]) + " |")
    return "\n".join(lines)


def ratios(servers, results):
    ours = "chat-server"
    lines = []
    if ours not in results:
        return lines
    for key, run, title, unit, higher in METRICS:
        a = (results[ours].get(run) or {}).get(key)
        for peer in servers:
            if peer == ours:
                continue
            b = (results[peer].get(run) or {}).get(key)
            if not a or not b:
                continue
            if higher:
                lines.append(f"{title}: chat-server {a / b:.2f}x {peer}")
            else:
                lines.append(f"{title}: {peer} / chat-server = {b / a:.2f}x")
    return lines


def svg(title, unit, bars, subtitle):
    width, left, bar_h, gap, top = 640, 130, 28, 12, 56
    height = top + len(bars) * (bar_h + gap) + 24
    biggest = max((v for _, v in bars if v is not None), default=0) or 1
    span = width - left - 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="22" font-size="16" font-weight="bold">{escape(title)} ({escape(unit)})</text>',
        f'<text x="12" y="40" fill="#555">{escape(subtitle)}</text>',
    ]
    for n, (name, value) in enumerate(bars):
        y = top + n * (bar_h + gap)
        parts.append(f'<text x="{left - 8}" y="{y + bar_h * 0.68:.1f}" text-anchor="end">{escape(name)}</text>')
        if value is None:
            parts.append(f'<text x="{left + 4}" y="{y + bar_h * 0.68:.1f}" fill="#555">no result</text>')
            continue
        w = max(1.0, span * value / biggest)
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{COLOURS[n % len(COLOURS)]}"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.68:.1f}">{escape(fmt(value, 2))}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, servers = sys.argv[1], sys.argv[2:]
    results = {s: {"messages": load(out, s, "messages"), "idle": load(out, s, "idle")} for s in servers}
    text = table(out, servers, results)
    extra = ratios(servers, results)
    print(text)
    print()
    for line in extra:
        print(line)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(text + "\n\n" + "\n".join(f"- {l}" for l in extra) + "\n")
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    for key, run, title, unit, higher in METRICS:
        bars = [(s, (results[s].get(run) or {}).get(key)) for s in servers]
        first = next((results[s][run] for s in servers if results[s].get(run)), {})
        clients = first.get("clients")
        better = "higher is better" if higher else "lower is better"
        if run == "idle":
            shape = f"--idle --clients {clients}"
        else:
            per = round(first.get("messages_sent", 0) / clients) if clients else 0
            shape = f"--clients {clients} --messages {per}"
        subtitle = f"chat-load {shape}; {better}"
        with open(os.path.join(out, f"{key}.svg"), "w") as f:
            f.write(svg(title, unit, bars, subtitle))


if __name__ == "__main__":
    main()
