#!/usr/bin/env python3
"""Creates the load users load0..loadN-1 (password: name + "pw") on a peer.

Usage: register.py prosody ACCOUNTS_DIR N
       register.py ejabberd API_URL N

`prosodyctl register` and `ejabberdctl register` start a Lua or Erlang
runtime per user, about half a second each and more on a loaded machine:
5,000 users took most of an hour. Here Prosody's accounts are written as
the files its internal_hashed store reads (SCRAM-SHA-1, 10,000 iterations
and a random salt per user, as prosodyctl makes them), and ejabberd's are
created through its HTTP API (mod_http_api `register`), four at a time.
Standard library only.
"""
import hashlib
import hmac
import http.client
import json
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit


def names(n):
    return [f"load{i}" for i in range(n)]


def prosody_account(name):
    salt = str(uuid.uuid4())
    iterations = 10000
    salted = hashlib.pbkdf2_hmac("sha1", f"{name}pw".encode(), salt.encode(), iterations)
    client_key = hmac.new(salted, b"Client Key", "sha1").digest()
    stored_key = hashlib.sha1(client_key).hexdigest()
    server_key = hmac.new(salted, b"Server Key", "sha1").hexdigest()
    return (
        "return {\n"
        f'\t["iteration_count"] = {iterations};\n'
        f'\t["stored_key"] = "{stored_key}";\n'
        f'\t["server_key"] = "{server_key}";\n'
        f'\t["salt"] = "{salt}";\n'
        "};\n"
    )


def prosody(accounts, n):
    os.makedirs(accounts, exist_ok=True)
    for name in names(n):
        with open(os.path.join(accounts, f"{name}.dat"), "w") as f:
            f.write(prosody_account(name))


def ejabberd(url, n):
    parts = urlsplit(url)

    def batch(chunk):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        failed = 0
        for name in chunk:
            body = json.dumps({"user": name, "host": "localhost", "password": f"{name}pw"})
            conn.request("POST", parts.path.rstrip("/") + "/register", body,
                         {"Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            # 409: already registered (a second run on the same folder).
            if reply.status not in (200, 409):
                failed += 1
        conn.close()
        return failed

    all_names = names(n)
    chunks = [all_names[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        failed = sum(pool.map(batch, chunks))
    if failed:
        sys.exit(f"ejabberd: {failed} registrations failed")


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("prosody", "ejabberd"):
        sys.exit(__doc__)
    kind, where, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "prosody":
        prosody(where, n)
    else:
        ejabberd(where, n)


if __name__ == "__main__":
    main()
