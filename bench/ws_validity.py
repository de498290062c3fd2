#!/usr/bin/python3
"""Which WebSocket clients the daemon closes, and when (docs/reliability.md,
"Slow and silent readers").

libwebsockets checks each connection's validity: after
secs_since_valid_ping (300 s) without a PONG it sends a PING, and
secs_since_valid_hangup (310 s) after the last PONG it closes the
connection, without a close frame. Three clients of the demo's wallboard
topic, started together, show it:

  answers  reads every frame and answers PINGs (python3-websockets)
  silent   reads every frame, sends nothing after its hello (no PONG)
  stalled  sends its hello, then reads nothing at all

Prints each client's end (or that it was still open) and the daemon's
session count every 30 s. About six minutes by default.

  WB_BUILD_DIR=build bench/ws_validity.py [--seconds 360]
"""

import argparse
import asyncio
import base64
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.environ.get("WB_BUILD_DIR", os.path.join(src, "build"))
os.environ.setdefault("WB_DAEMON", os.path.join(build, "engine", "wallboardd"))
os.environ.setdefault("WB_SOURCE_DIR", src)
sys.path.insert(0, os.path.join(src, "tests", "integration"))

import websockets  # noqa: E402

from wbtest import Daemon  # noqa: E402


def raw_session(d, rcvbuf=None):
    """A WebSocket opened by hand: the handshake and a hello, nothing more."""
    host, port = urllib.parse.urlparse(d.url).netloc.split(":")
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET / HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: wallboard.v1\r\n\r\n" % (host, port, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    payload = json.dumps({"op": "hello", "token": d.token, "topics": ["wallboard"]}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return s


def silent_reader(d, t0, out):
    s = raw_session(d)
    n = 0
    pings = 0
    buf = b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        n += len(data)
        buf = (buf + data)[-16:]
        # An unmasked PING from the server: opcode 0x9 with FIN.
        pings += data.count(b"\x89\x00")
    out["silent"] = "closed after %.0f s (%d bytes read, %d PING seen)" % (
        time.monotonic() - t0, n, pings)


async def answering_reader(d, t0, seconds, out):
    ws = await websockets.connect(d.ws_url(), subprotocols=["wallboard.v1"], ping_interval=None)
    await ws.send(json.dumps({"op": "hello", "token": d.token, "topics": ["wallboard"]}))
    frames = 0
    try:
        while time.monotonic() - t0 < seconds:
            await asyncio.wait_for(ws.recv(), timeout=30)
            frames += 1
        out["answers"] = "open at the end (%d frames read)" % frames
    except websockets.ConnectionClosed as e:
        out["answers"] = "closed after %.0f s (%s)" % (time.monotonic() - t0, e)
    await ws.close()


def sessions(d):
    with urllib.request.urlopen(d.url + "metrics", timeout=10) as r:
        m = re.search(r"^wallboard_websocket_sessions (\d+)", r.read().decode(), re.M)
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=360)
    args = ap.parse_args()
    print("%s, %d cores, %s" % (" ".join(os.uname()[i] for i in (0, 2, 4)), os.cpu_count(),
                                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    d = Daemon(demo=True).start()
    out = {}
    try:
        t0 = time.monotonic()
        stalled = raw_session(d, rcvbuf=4096)
        threading.Thread(target=silent_reader, args=(d, t0, out), daemon=True).start()
        answering = threading.Thread(
            target=lambda: asyncio.run(answering_reader(d, t0, args.seconds, out)), daemon=True)
        answering.start()
        last = None
        while time.monotonic() - t0 < args.seconds:
            n = sessions(d)
            if n != last:
                print("%4.0f s: %d session(s) open" % (time.monotonic() - t0, n), flush=True)
                last = n
            time.sleep(1)
        answering.join(40)
        out.setdefault("silent", "open at the end")
        stalled.close()
        for name in ("answers", "silent"):
            print("%-8s %s" % (name, out.get(name, "?")))
        print("stalled  counted in the session total above (it reads nothing)")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()
