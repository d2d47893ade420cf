"""slixmpp against chat-server over TCP (RFC 6120, plaintext on loopback):
two accounts log in (SCRAM without TLS), fetch the roster, ping the server
(XEP-0199) and exchange a chat message each way.

python slix.py HOST PORT DOMAIN USER1 PASS1 USER2 PASS2
"""

import asyncio
import os
import sys
import time

import slixmpp

NAME = "slixmpp"


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(
            jid,
            password,
            plugin_config={"feature_mechanisms": {"unencrypted_scram": True}},
        )
        self.enable_plaintext = True
        self.enable_starttls = False
        self.enable_direct_tls = False
        self.register_plugin("xep_0199")
        self.started = asyncio.get_event_loop().create_future()
        self.inbox = []
        self.arrived = asyncio.Event()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("failed_auth", self.on_failed)
        self.add_event_handler("message", self.on_message)

    def on_start(self, _event):
        if not self.started.done():
            self.started.set_result(self.boundjid)

    def on_failed(self, _event):
        if not self.started.done():
            self.started.set_exception(RuntimeError("authentication failed"))

    def on_message(self, msg):
        if msg["body"]:
            self.inbox.append((msg["from"].bare, msg["body"]))
            self.arrived.set()

    async def wait_body(self, body):
        while True:
            for sender, text in self.inbox:
                if text == body:
                    return sender
            self.arrived.clear()
            await self.arrived.wait()


class Harness:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    async def step(self, label, coro, timeout=10):
        try:
            value = await asyncio.wait_for(coro, timeout)
        except Exception as e:  # noqa: BLE001 - any failure fails the check
            self.failed += 1
            print(f"FAIL {NAME}: {label}: {type(e).__name__}: {e}", flush=True)
            return None
        self.passed += 1
        print(f"ok   {NAME}: {label}", flush=True)
        return value if value is not None else True


def token(label):
    return f"{label} {os.getpid()}-{time.time_ns()} ✓ <&>"


async def main(host, port, domain, user1, pass1, user2, pass2):
    h = Harness()
    one = Peer(f"{user1}@{domain}/slix-a", pass1)
    two = Peer(f"{user2}@{domain}/slix-b", pass2)
    one.connect(host, port)
    two.connect(host, port)
    jid_a = await h.step(f"{user1} logs in", asyncio.shield(one.started))
    jid_b = await h.step(f"{user2} logs in", asyncio.shield(two.started))
    if jid_a and jid_b:

        async def roster():
            iq = await one.get_roster(timeout=8)
            print(f"  roster of {user1}: {' '.join(str(j) for j in one.client_roster.keys()) or '(empty)'}")
            return iq

        await h.step("roster get", roster())

        async def ping():
            iq = await one.plugin["xep_0199"].send_ping(slixmpp.JID(domain), timeout=8)
            if iq["type"] != "result":
                raise RuntimeError(f"answer {iq}")

        await h.step(f"ping {domain}", ping())

        async def presence():
            one.send_presence()
            two.send_presence()

        await h.step("both send available presence", presence())

        for sender, receiver, to, frm, label in [
            (one, two, jid_b, jid_a, "a->b"),
            (two, one, jid_a, jid_b, "b->a"),
        ]:
            body = token(f"slixmpp {label}")

            async def exchange():
                sender.send_message(mto=to.bare, mbody=body, mtype="chat")
                got = await receiver.wait_body(body)
                if got != frm.bare:
                    raise RuntimeError(f"from {got}, expected {frm.bare}")

            await h.step(f"message {label}", exchange())

        async def logout():
            await one.disconnect(wait=3)
            await two.disconnect(wait=3)

        await h.step("both log out", logout())
    print(f"{NAME}: {h.passed} passed, {h.failed} failed", flush=True)
    return 1 if h.failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    host, port, domain, u1, p1, u2, p2 = sys.argv[1:]
    sys.exit(asyncio.run(main(host, int(port), domain, u1, p1, u2, p2)))
