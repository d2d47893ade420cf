#!/usr/bin/env python3
"""Relays base64 SASL tokens, one per line, between two line-oriented peers.

Each side is described by --a-*/--b-* options: its command, lines to feed it first, a prefix
its token lines carry on output (others are chatter and skipped), a prefix to put on tokens
written to it, token lines of its own to drop (a mechanism name), whether its first token is
"MECH NUL initial-response" (Cyrus sample programs), and a line that means it is done.
Prints "A_RC B_RC" on stdout and each side's stderr on stderr, every line prefixed with "a: " or
"b: ", and exits 0; the caller judges."""

import argparse
import base64
import re
import shlex
import subprocess
import sys
import threading

p = argparse.ArgumentParser()
for side in ("a", "b"):
    p.add_argument(f"--{side}", required=True, help="command")
    p.add_argument(f"--{side}-feed", action="append", default=[])
    p.add_argument(f"--{side}-feed-after-first", action="append", default=[],
                   help="lines to write after the first token (gsasl server asks for cb data then)")
    p.add_argument(f"--{side}-out-prefix", default="")
    p.add_argument(f"--{side}-in-prefix", default="")
    p.add_argument(f"--{side}-skip", type=int, default=0)
    p.add_argument(f"--{side}-mech-in-first", default=None,
                   help="prepend MECH NUL to the first token written to this side")
    p.add_argument(f"--{side}-mech-out-first", action="store_true",
                   help="strip MECH NUL from the first token this side writes")
    p.add_argument(f"--{side}-done", default=None, help="regex on stdout meaning success")
p.add_argument("--timeout", type=float, default=20)
p.add_argument("-v", action="store_true")
args = p.parse_args()


def opt(side, name):
    return getattr(args, f"{side}_{name}".replace("-", "_")) if name else getattr(args, side)


procs = {}
for side in ("a", "b"):
    procs[side] = subprocess.Popen(shlex.split(getattr(args, side)), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   bufsize=1)
    for line in opt(side, "feed"):
        procs[side].stdin.write(line + "\n")
    procs[side].stdin.flush()

done = {"a": False, "b": False}
first_in = {"a": True, "b": True}


def write(side, token):
    proc = procs[side]
    mech = opt(side, "mech_in_first")
    if mech is not None and first_in[side]:
        raw = mech.encode() + b"\0" + base64.b64decode(token)
        token = base64.b64encode(raw).decode()
    first_in[side] = False
    try:
        proc.stdin.write(opt(side, "in_prefix") + token + "\n")
        for line in opt(side, "feed_after_first"):
            proc.stdin.write(line + "\n")
        args.__dict__[f"{side}_feed_after_first"] = []
        proc.stdin.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass


def pump(src, dst):
    proc = procs[src]
    prefix = opt(src, "out_prefix")
    skip = opt(src, "skip")
    done_re = opt(src, "done")
    first_out = True
    for line in proc.stdout:
        line = line.rstrip("\n")
        if args.v:
            print(f"{src}> {line}", file=sys.stderr)
        if done_re and re.search(done_re, line):
            done[src] = True
            proc.terminate()
            break
        if not line.startswith(prefix):
            continue
        token = line[len(prefix):].strip()
        # gsasl writes its channel-binding prompt on the token's line.
        if ": " in token:
            token = token.rsplit(": ", 1)[1].strip()
        if skip > 0:
            skip -= 1
            continue
        if opt(src, "mech_out_first") and first_out:
            raw = base64.b64decode(token)
            token = base64.b64encode(raw.split(b"\0", 1)[1] if b"\0" in raw else b"").decode()
        first_out = False
        write(dst, token)
    try:
        procs[dst].stdin.close()
    except (BrokenPipeError, OSError):
        pass


threads = [threading.Thread(target=pump, args=(s, d), daemon=True) for s, d in (("a", "b"), ("b", "a"))]
for t in threads:
    t.start()
codes = {}
for side in ("a", "b"):
    try:
        codes[side] = procs[side].wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        procs[side].kill()
        codes[side] = 124
    if done[side]:
        codes[side] = 0
    for line in procs[side].stderr.read().splitlines():
        print(f"{side}: {line}", file=sys.stderr)
print(codes["a"], codes["b"])
