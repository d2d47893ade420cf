#!/usr/bin/env python3
"""scramp (an independent SCRAM implementation) as a line-oriented peer, speaking the same
protocol as sasl-cli: one base64 token per line, an empty line for an empty token.

    scramp_peer.py client|server MECH USER PASSWORD [--cb TYPE BASE64] [--nonce N]"""

import argparse
import base64
import sys

from scramp import ScramClient, ScramMechanism

p = argparse.ArgumentParser()
p.add_argument("role", choices=["client", "server"])
p.add_argument("mechanism")
p.add_argument("user")
p.add_argument("password")
p.add_argument("--cb", nargs=2, metavar=("TYPE", "BASE64"))
p.add_argument("--nonce")
p.add_argument("--iterations", type=int, default=4096)
args = p.parse_args()
cb = (args.cb[0], base64.b64decode(args.cb[1])) if args.cb else None


def send(text):
    print(base64.b64encode(text.encode()).decode(), flush=True)


def receive(optional=False):
    line = sys.stdin.readline()
    if not line:
        if optional:
            return None
        sys.exit("scramp_peer: peer closed the exchange")
    return base64.b64decode(line.strip()).decode()


try:
    if args.role == "client":
        client = ScramClient([args.mechanism], args.user, args.password,
                             channel_binding=cb, c_nonce=args.nonce)
        send(client.get_client_first())
        client.set_server_first(receive())
        send(client.get_client_final())
        client.set_server_final(receive())
        send("")
        if receive(optional=True) is not None:
            send("")
    else:
        mech = ScramMechanism(args.mechanism)
        info = mech.make_auth_info(args.password, iteration_count=args.iterations)

        def auth_fn(username):
            if username != args.user:
                raise KeyError(username)
            return info

        server = mech.make_server(auth_fn, channel_binding=cb, s_nonce=args.nonce)
        server.set_client_first(receive())
        send(server.get_server_first())
        try:
            server.set_client_final(receive())
        finally:
            final = server.get_server_final()
        send(final)
        receive(optional=True)
        send("")
        receive(optional=True)
except Exception as e:  # noqa: BLE001 - any scramp refusal is a failed exchange
    sys.exit(f"scramp_peer: {type(e).__name__}: {e}")
