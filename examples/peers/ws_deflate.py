"""Python websockets as a permessage-deflate (RFC 7692) peer of ws-echo and
ws-echo-client: an echo server, or a client that sends text and binary
messages of 10 bytes and 1 MiB and checks each echo byte for byte.

python ws_deflate.py server PORT [--no-context-takeover] [--max-window-bits N]
python ws_deflate.py client URL  [--no-context-takeover] [--max-window-bits N]

Both roles offer or require the settings in both directions. websockets
cannot compress with an 8-bit window (zlib refuses wbits=-8 for raw deflate):
its server refuses server_max_window_bits=8 and its client refuses
client_max_window_bits=8, so the smallest window tested with it is 9.

The client fails (exit 1) unless permessage-deflate was negotiated with the
settings asked for: the suite must not pass without compression.
"""

import argparse
import random
import sys

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.sync.client import connect
from websockets.sync.server import serve

NAME = "python-websockets"
MAX_SIZE = 16 << 20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("target", help="PORT (server) or ws:// URL (client)")
    parser.add_argument("--no-context-takeover", action="store_true")
    parser.add_argument("--max-window-bits", type=int)
    args = parser.parse_args()
    settings = dict(
        server_no_context_takeover=args.no_context_takeover,
        client_no_context_takeover=args.no_context_takeover,
        server_max_window_bits=args.max_window_bits,
        client_max_window_bits=args.max_window_bits,
    )
    if args.role == "server":
        run_server(int(args.target), ServerPerMessageDeflateFactory(**settings))
    else:
        if settings["client_max_window_bits"] is None:
            settings["client_max_window_bits"] = True  # offered without a value
        sys.exit(run_client(args.target, ClientPerMessageDeflateFactory(**settings), args))


def run_server(port, factory):
    def echo(ws):
        for message in ws:
            ws.send(message)

    with serve(echo, "127.0.0.1", port, extensions=[factory], compression=None,
               max_size=MAX_SIZE) as server:
        print(f"{NAME} echo server on 127.0.0.1:{port}", flush=True)
        server.serve_forever()


def run_client(url, factory, args):
    with connect(url, extensions=[factory], compression=None, max_size=MAX_SIZE,
                 open_timeout=10, close_timeout=5) as ws:
        header = ws.response.headers.get("Sec-WebSocket-Extensions", "none")
        print(f"negotiated: {header}")
        if "permessage-deflate" not in header:
            print("FAIL: permessage-deflate not negotiated")
            return 1
        if args.no_context_takeover and "server_no_context_takeover" not in header:
            print("FAIL: server_no_context_takeover not in the answer")
            return 1
        for size in (10, 1 << 20):
            for message in (chat_text(size), compressible_bytes(size)):
                kind = "text" if isinstance(message, str) else "binary"
                ws.send(message)
                echo = ws.recv(timeout=10)
                if echo != message:
                    print(f"FAIL: {kind} echo of {size} B differs")
                    return 1
                print(f"ok {kind} {size} B")
    return 0


def chat_text(size):
    """Chat-like text: message stanzas whose bodies vary line to line."""
    rng = random.Random(size)
    words = ["hello", "are", "you", "coming", "tonight", "the", "train", "late"]
    lines = []
    total = 0
    while total < size:
        body = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        line = f"<message to='romeo@example.net' id='p{len(lines)}'><body>{body}</body></message>\n"
        lines.append(line)
        total += len(line)
    return "".join(lines)[:size]


def compressible_bytes(size):
    """Pseudo-random bytes from 16 values: compressible, not UTF-8."""
    rng = random.Random(~size)
    return rng.randbytes(size).translate(bytes((b & 15) * 17 for b in range(256)))


if __name__ == "__main__":
    main()
