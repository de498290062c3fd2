"""Soak: demo traffic at 10x speed with about 500 wallboard sessions that
keep connecting and leaving, some without a close frame, two of them slow
readers. The daemon must hold its memory (RSS growth under 5 % from the end
of the warm-up to the end of the run, same number of sessions open), log no
warning or error, keep every session fed and stop cleanly on SIGTERM.

WB_SOAK_SECONDS sets the length: an hour by default (the long form of
docs/reliability.md), a few minutes in CI."""

import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
import unittest

import websockets

from wbtest import Daemon, ws_session

SECONDS = float(os.environ.get("WB_SOAK_SECONDS", "3600"))
SESSIONS = int(os.environ.get("WB_SOAK_SESSIONS", "500"))
CHURN = 5        # sessions closed and as many opened each second
ABRUPT = 2       # of those, leaving without a close frame
SLOW = 2         # readers taking half a second per frame, kept the whole run
TOPICS = ["wallboard", "agents", "staffing"]
READY_S = 15     # a new session has welcome and all snapshots by then
WARMUP = 0.2     # share of the run before the first memory figure,
WARMUP_UP_S = 120  # and at least this long after the daemon started:
                   # its once-a-minute prune fills SQLite's page cache
                   # (about 2.7 MB, once) on its first pass
GROWTH = 0.05

FRAME = re.compile(r'"t":"(\w+)"')
BAD_LOG = re.compile(r"\b(WARNING|CRITICAL|ERROR)\b( \*\*|:)")


def memory(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


def sessions_gauge(daemon):
    status, _, body = daemon.request("/metrics", token=None)
    assert status == 200, status
    m = re.search(r"^wallboard_websocket_sessions (\d+)", body.decode(), re.M)
    assert m, "no wallboard_websocket_sessions in /metrics"
    return int(m.group(1))


class Client:
    def __init__(self, slow=False):
        self.slow = slow
        self.ws = None
        self.opened = time.monotonic()
        self.ready_at = None
        self.topics = set()
        self.welcome = False
        self.updates = 0
        self.last_frame = None
        self.leaving = False
        self.closed = False
        self.problem = None

    def ready(self):
        return self.welcome and self.topics >= set(TOPICS)


class Soak:
    def __init__(self, daemon):
        self.d = daemon
        self.clients = []          # every client ever opened
        self.open = []             # fast clients not yet told to leave
        self.slow = []
        self.updates = 0           # update frames of fast clients
        self.rng = random.Random(12367)

    async def run_client(self, c):
        try:
            if c.slow:
                # A slow reader leaves pongs unread behind its frames: the
                # client's own keepalive would give up on the connection.
                c.ws = await websockets.connect(self.d.ws_url(), subprotocols=["wallboard.v1"],
                                                ping_interval=None)
                await c.ws.send(json.dumps({"op": "hello", "token": self.d.token, "topics": TOPICS}))
            else:
                c.ws = await ws_session(self.d, TOPICS)
            async for msg in c.ws:
                now = time.monotonic()
                c.last_frame = now
                m = FRAME.search(msg[:80])
                kind = m.group(1) if m else None
                if kind == "update":
                    c.updates += 1
                    if not c.slow:
                        self.updates += 1
                elif kind == "welcome":
                    c.welcome = True
                elif kind == "snapshot":
                    c.topics.add(json.loads(msg)["topic"])
                elif kind != "heartbeat":
                    c.problem = "unexpected frame %s" % msg[:200]
                if c.ready_at is None and c.ready():
                    c.ready_at = now
                if c.slow:
                    # Slower than most and often behind a burst, yet
                    # faster than frames come on average (about 1.3 a
                    # second): a reader that never catches up fills the
                    # socket's buffers for good, which is another test.
                    await asyncio.sleep(0.5)
            if not c.leaving:
                c.problem = c.problem or "closed by the server: %s" % c.ws.close_code
        except websockets.ConnectionClosed as e:
            if not c.leaving:
                c.problem = c.problem or "connection lost: %r" % e
        except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as e:
            c.problem = c.problem or "connect failed: %r" % e
        finally:
            c.closed = True
            if c.problem:
                c.problem += " after %.0fs" % (time.monotonic() - c.opened)

    def spawn(self, slow=False):
        c = Client(slow)
        self.clients.append(c)
        (self.slow if slow else self.open).append(c)
        asyncio.get_running_loop().create_task(self.run_client(c))
        return c

    def leave(self, c, abrupt):
        c.leaving = True
        self.open.remove(c)
        if abrupt:
            c.ws.transport.abort()
        else:
            asyncio.get_running_loop().create_task(c.ws.close())

    async def settle(self, timeout=60):
        """Wait until every open session is ready, then a little longer so
        the figures are not taken in the middle of a burst of hellos."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(c.ready() for c in self.open + self.slow):
                await asyncio.sleep(3)
                return
            await asyncio.sleep(0.2)
        waiting = [c for c in self.open + self.slow if not c.ready()]
        raise AssertionError("%d sessions not ready after %ss: %s" % (
            len(waiting), timeout, sorted(set(
                c.problem or ("connecting" if c.ws is None else "waiting, topics %s" % sorted(c.topics))
                for c in waiting))[:5]))

    async def figures(self):
        """Median of five samples a second apart: one sample can catch a
        frame being built for 500 sessions."""
        samples = []
        for _ in range(5):
            samples.append(memory(self.d.proc.pid))
            await asyncio.sleep(1)
        return {k: sorted(s[k] for s in samples)[2] for k in samples[0]}


class SoakTest(unittest.TestCase):
    def test_soak(self):
        tmp = tempfile.mkdtemp(prefix="wb-soak-")
        conf = os.path.join(tmp, "wallboard.conf")
        with open(conf, "w") as f:
            f.write("[demo]\nenabled = true\nspeed = 10\n")
        d = Daemon(config=conf, demo=True)
        self.addCleanup(d.cleanup)
        self.addCleanup(lambda: os.system("rm -rf '%s'" % tmp))
        d.start()
        soak = Soak(d)
        soak.started = time.monotonic()
        report = asyncio.run(self.scenario(soak))

        self.assertTrue(d.alive(), d.read_log()[-3000:])
        # No session was dropped or sent anything odd.
        problems = ["%s%s" % ("slow reader: " if c.slow else "", c.problem)
                    for c in soak.clients if c.problem]
        self.assertEqual(problems, [], problems[:10])
        # /metrics counts the open sessions, and none once all have left.
        self.assertEqual(report["still_open"], SESSIONS + SLOW)
        self.assertEqual((report["gauge_open"], report["gauge_left"]), (SESSIONS + SLOW, 0))
        self.assertEqual(d.stop(), 0, d.read_log()[-3000:])

        base, end = report["base"], report["end"]
        # A sanitizer build holds freed memory back (ASan's quarantine):
        # its RSS swings by tens of MB and says nothing of the product's.
        sanitized = os.environ.get("WB_SANITIZED", "none") not in ("", "none")
        for key in ("VmRSS", "RssAnon"):
            growth = (end[key] - base[key]) / base[key]
            print("%s: %d kB after warm-up, %d kB at the end: %+.2f %%%s" % (
                key, base[key], end[key], 100 * growth,
                " (not judged in a sanitizer build)" if sanitized else ""), file=sys.stderr)
            if not sanitized:
                self.assertLess(growth, GROWTH,
                                "%s grew from %d kB to %d kB" % (key, base[key], end[key]))

        # No warning or error: a session that vanishes is not worth one.
        bad = [line for line in d.read_log().splitlines() if BAD_LOG.search(line)]
        self.assertEqual(bad, [], "\n".join(bad[:20]))

        # Every session got its welcome and the snapshot of each topic in time.
        late = [c for c in soak.clients if c.ready_at is None or c.ready_at - c.opened > READY_S]
        self.assertEqual(len(late), 0, "%d of %d sessions without all snapshots in %ss" % (
            len(late), len(soak.clients), READY_S))
        self.assertGreaterEqual(len(soak.clients), SESSIONS + SLOW + CHURN * SECONDS * 0.5)
        # The slow readers kept receiving, two frames a second at most.
        for c in soak.slow:
            self.assertGreater(c.updates, SECONDS * 0.5)

        # Updates kept coming at a steady rate: the wallboard topic alone is
        # rebuilt every second, so a fast session gets at least one frame a
        # second, and the rate at the end is that after the warm-up.
        rates = report["rates"]
        self.assertGreater(len(rates), 3)
        for t, rate in rates:
            self.assertGreater(rate, 0.8, "%.1f frames/s per session at %ds" % (rate, t))
        first, last = rates[0][1], rates[-1][1]
        self.assertGreater(last, 0.5 * first)
        self.assertLess(last, 2.0 * first)

    async def scenario(self, soak):
        start = time.monotonic()
        log = lambda text: print("%6.0fs %s" % (time.monotonic() - start, text), file=sys.stderr, flush=True)

        # Open the sessions fifty at a time, as a room of screens coming up,
        # each batch once the one before has its snapshots.
        for _ in range(SLOW):
            soak.spawn(slow=True)
        while len(soak.open) < SESSIONS:
            for _ in range(min(50, SESSIONS - len(soak.open))):
                soak.spawn()
            await soak.settle()
        log("%d sessions open, daemon %s" % (len(soak.open) + len(soak.slow), memory(soak.d.proc.pid)))

        run_start = time.monotonic()
        warm_until = max(run_start + WARMUP * SECONDS,
                         min(soak.started + WARMUP_UP_S, run_start + SECONDS / 2))
        end_at = run_start + SECONDS
        base = None
        rates = []          # (seconds into the run, update frames/s per fast session)
        window_t, window_updates = time.monotonic(), soak.updates
        window_s = min(60.0, SECONDS / 10)
        next_print = run_start + window_s

        while time.monotonic() < end_at:
            await asyncio.sleep(1)
            ready = [c for c in soak.open if c.ready() and not c.leaving]
            for i, c in enumerate(soak.rng.sample(ready, min(CHURN, len(ready)))):
                soak.leave(c, abrupt=i < ABRUPT)
            for _ in range(CHURN):
                soak.spawn()
            now = time.monotonic()
            if now - window_t >= window_s:
                rate = (soak.updates - window_updates) / (now - window_t) / len(soak.open)
                if base is not None:
                    rates.append((now - run_start, rate))
                window_t, window_updates = now, soak.updates
            if base is None and now >= warm_until:
                await soak.settle()
                base = await soak.figures()
                log("after warm-up: %s" % base)
                window_t, window_updates = time.monotonic(), soak.updates
            if now >= next_print:
                next_print += window_s
                log("%d sessions (daemon: %d), %d opened so far, %s, %.2f frames/s per session" % (
                    len(soak.open) + len(soak.slow), sessions_gauge(soak.d), len(soak.clients),
                    memory(soak.d.proc.pid),
                    rates[-1][1] if rates else float("nan")))

        await soak.settle()
        end = await soak.figures()
        log("end: %d sessions, %s" % (len(soak.open) + len(soak.slow), end))
        log("update frames/s per session: %s" % ", ".join("%.0fs %.2f" % r for r in rates))

        gauge_open = sessions_gauge(soak.d)
        still_open = sum(not c.closed for c in soak.open + soak.slow)
        # The sessions leave; the daemon must count them out.
        for c in list(soak.open):
            soak.leave(c, abrupt=False)
        for c in soak.slow:
            c.leaving = True
            c.ws.transport.abort()
        await asyncio.sleep(3)
        return {"base": base, "end": end, "rates": rates, "gauge_open": gauge_open,
                "still_open": still_open, "gauge_left": sessions_gauge(soak.d)}


if __name__ == "__main__":
    unittest.main(verbosity=2)
