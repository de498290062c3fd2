"""Integration tests: the real wallboardd, spoken to over HTTP and WebSocket."""

import asyncio
import json
import os
import signal
import tempfile
import time
import unittest
import urllib.parse

from wbtest import Daemon, append, ql, sample, wait_for, ws_recv, ws_session


def expected_from_file(path, threshold=15):
    """The DESIGN.md section 5 figures, computed from the raw file with a
    parser independent of the daemon's."""
    offered = answered = abandoned = within = 0
    wait_answered = talk = wait_abandoned = 0
    completes = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("|")
            if len(p) < 5:
                continue
            ev = p[4]
            if ev == "ENTERQUEUE":
                offered += 1
            elif ev == "CONNECT":
                answered += 1
                wait_answered += int(p[5])
                within += int(p[5]) <= threshold
            elif ev in ("COMPLETECALLER", "COMPLETEAGENT"):
                completes += 1
                talk += int(p[6])
            elif ev == "ABANDON":
                abandoned += 1
                wait_abandoned += int(p[7])
    return {
        "offered": offered, "answered": answered, "abandoned": abandoned,
        "answer_rate": answered / offered,
        "service_level": within / answered,
        "asa_s": wait_answered / answered,
        "aht_s": talk / completes,
        "avg_abandon_wait_s": wait_abandoned / abandoned,
    }


# CONNECT lines of the production sample with a holdtime of at most 10 s.
WITHIN_10 = 27


class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-it-files-")
        self.daemons = []

    def tearDown(self):
        # Files go even when a check fails (cleanup raises on a memcheck error).
        self.addCleanup(os.system, "rm -rf '%s'" % self.tmp)
        for d in self.daemons:
            self.addCleanup(d.cleanup)
        for d in self.daemons:
            log = d.read_log()
            d.cleanup()
            # The daemon never logs a critical or an lws error on these paths.
            self.assertNotIn("CRITICAL", log)

    def start(self, *args, **kw):
        d = Daemon(*args, **kw)
        self.daemons.append(d)
        return d.start()

    def test_production_sample_day(self):
        path = sample("asterisk-production.queue_log")
        d = self.start("--queue-log", path)
        wait_for(lambda: d.get_json("/healthz")["collectors"][0]["lines"] == 168, what="ingest")
        exp = expected_from_file(path)
        # The file's day in its own time zone (Bucharest, UTC+2).
        q = urllib.parse.urlencode({"from": "2026-02-11T00:00:00+02:00",
                                    "to": "2026-02-12T00:00:00+02:00"})
        for scope in ("total", "queue:comenzi"):
            k = d.get_json("/api/v1/kpi?scope=%s&%s" % (scope, q))
            self.assertEqual(k["scope"], scope)
            self.assertEqual((k["offered"], k["answered"], k["abandoned"]), (50, 49, 1))
            self.assertEqual(k["service_level"]["variant"], "answered")
            self.assertEqual(k["service_level"]["threshold_s"], 15)
            for key in ("answer_rate", "asa_s", "aht_s", "avg_abandon_wait_s"):
                self.assertAlmostEqual(k[key], exp[key], places=4, msg=key)
            self.assertAlmostEqual(k["service_level"]["value"], exp["service_level"], places=4)
            self.assertEqual(k["from"], "2026-02-11T06:00:00.000+08:00")
        # Any variant or threshold on request, labelled as asked: offered
        # counts the abandon as a miss, 36 / 50; within 10 s, 22 / 49 (awk).
        k = d.get_json("/api/v1/kpi?sl_variant=offered&" + q)
        self.assertEqual(k["service_level"]["variant"], "offered")
        self.assertAlmostEqual(k["service_level"]["value"], 36 / 50, places=4)
        k = d.get_json("/api/v1/kpi?sl_threshold_s=10&" + q)
        self.assertEqual(k["service_level"]["threshold_s"], 10)
        self.assertAlmostEqual(k["service_level"]["value"], WITHIN_10 / 49, places=4)
        k = d.get_json("/api/v1/kpi?sl_variant=positive_abandons&sl_exclude_short_abandons=true&" + q)
        self.assertTrue(k["service_level"]["excludes_short_abandons"])
        self.assertAlmostEqual(k["service_level"]["value"], 36 / 49, places=4)
        code, _, body = d.request("/api/v1/kpi?sl_variant=best&" + q)
        self.assertEqual(code, 400)
        self.assertIn("best", json.loads(body)["error"])
        # An unencoded '+' in the offset is taken as meant.
        k = d.get_json("/api/v1/kpi?from=2026-02-11T00:00:00+02:00&to=2026-02-12T00:00:00+02:00")
        self.assertEqual(k["offered"], 50)
        # Epoch milliseconds work too; an empty window is null, never 0 or 100 %.
        k = d.get_json("/api/v1/kpi?from=1000000000000&to=1000000001000")
        self.assertEqual(k["offered"], 0)
        for key in ("answer_rate", "asa_s", "aht_s", "avg_abandon_wait_s"):
            self.assertIsNone(k[key], key)
        self.assertIsNone(k["service_level"]["value"])

    def test_all_samples_ingest_with_quarantine(self):
        bad = os.path.join(self.tmp, "broken.queue_log")
        with open(bad, "wb") as f:
            f.write(b"1700000000|1.1|q|NONE|ENTERQUEUE||13800000001|1\n"
                    b"\x00\x00\x00garbage without fields\n"
                    b"1700000005|1.1|q|SIP/1|CONNECT|soon|1.2|1\n"
                    b"\n"
                    b"1700000006|1.1|q|SIP/1|NEWVENDOREVENT|x\n"
                    b"1700000065|1.1|q|SIP/1|COMPLETECALLER|5|60|1\n")
        names = ["issabel-lab.queue_log-20220707", "issabel-lab.queue_log-20220801",
                 "issabel-lab.queue_log-20220901", "issabel-lab.queue_log-20221005",
                 "issabel-lab.queue_log", "freepbx-edited-fixture.queue_log",
                 "asterisk-production.queue_log"]
        args = []
        for n in names:
            args += ["--queue-log", sample(n)]
        args += ["--queue-log", bad]
        d = self.start(*args)
        total_lines = 69 + 543 + 71 + 36 + 204 + 23 + 168 + 6
        wait_for(lambda: sum(c["lines"] for c in d.get_json("/healthz")["collectors"]) == total_lines,
                 what="all lines read")
        h = d.get_json("/healthz")
        self.assertEqual(len(h["collectors"]), len(names) + 1)
        self.assertEqual(sum(c["quarantined"] for c in h["collectors"]), 2)
        self.assertEqual(h["collectors"][-1]["unknown"], 1)
        self.assertTrue(d.alive())
        wait_for(lambda: d.db().execute("SELECT count(*) FROM quarantine").fetchone()[0] == 2,
                 what="quarantine committed")
        rows = d.db().execute("SELECT file, line_no, reason, line FROM quarantine ORDER BY id").fetchall()
        self.assertEqual([(r[0], r[1]) for r in rows], [(bad, 2), (bad, 3)])
        self.assertEqual(rows[0][3], b"garbage without fields")
        self.assertIn("holdtime", rows[1][2])
        # Every ENTERQUEUE that is not a repeated line became a call row.
        calls = d.db().execute("SELECT count(*) FROM calls").fetchone()[0]
        self.assertEqual(calls, 50 + 2 + 30 + 1 + 2 + 1)

    def test_live_updates_over_websocket(self):
        log = os.path.join(self.tmp, "queue_log")
        now = time.time()
        append(log, ql(now - 60, "MANAGER", "policy", "PJSIP/8001", "ADDMEMBER", "") +
               ql(now - 60, "MANAGER", "policy", "PJSIP/8002", "ADDMEMBER", "") +
               ql(now - 50, "NONE", "policy", "8002", "PAUSE", "小休"))
        conf = os.path.join(self.tmp, "wb.conf")
        with open(conf, "w") as f:
            f.write("[agent.8001]\nname = 王丽\n[queue.policy]\nname = 政策咨询\n")
        d = self.start("--queue-log", log, config=conf)
        wait_for(lambda: d.get_json("/healthz")["collectors"][0]["lines"] == 3, what="ingest")

        async def scenario():
            ws = await ws_session(d, ["wallboard", "agents"])
            welcome = await ws_recv(ws)
            self.assertEqual(welcome, {"t": "welcome", "topics": ["wallboard", "agents"],
                                       "heartbeat_s": 5})
            snaps = {}
            while len(snaps) < 2:
                m = await ws_recv(ws)
                if m["t"] == "snapshot":
                    snaps[m["topic"]] = m
            board = snaps["wallboard"]["data"]
            self.assertFalse(board["demo"])
            self.assertEqual(board["total"]["offered"], 0)
            self.assertIsNone(board["total"]["service_level"]["value"])
            agents = {a["agent"]: a for a in snaps["agents"]["data"]["agents"]}
            self.assertEqual(agents["8001"]["state"], "available")
            self.assertEqual(agents["8001"]["name"], "王丽")
            self.assertEqual(agents["8002"]["state"], "paused")
            self.assertEqual(agents["8002"]["reason"], "小休")

            async def until(topic, pred, timeout=10):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    m = await ws_recv(ws, timeout)
                    if m.get("topic") == topic and pred(m["data"]):
                        return m
                raise AssertionError("no %s frame matched" % topic)

            t = time.time()
            append(log, ql(t, "%d.1" % t, "policy", "NONE", "ENTERQUEUE", "", "13812345678", 1))
            m = await until("wallboard", lambda b: b["total"]["waiting"] == 1)
            self.assertEqual(m["t"], "update")
            self.assertEqual(m["data"]["queues"][0]["name"], "政策咨询")
            append(log, ql(t + 4, "%d.1" % t, "policy", "8001", "CONNECT", 4, "x.2", 1))
            m = await until("agents", lambda a: any(x["state"] == "on_call" for x in a["agents"]))
            append(log, ql(t + 64, "%d.1" % t, "policy", "8001", "COMPLETECALLER", 4, 60, 1))
            m = await until("wallboard", lambda b: b["total"]["handled"] == 1)
            tot = m["data"]["total"]
            self.assertEqual((tot["offered"], tot["answered"], tot["waiting"]), (1, 1, 0))
            self.assertEqual(tot["service_level"]["value"], 1.0)
            self.assertEqual(tot["asa_s"], 4.0)
            self.assertEqual(tot["aht_s"], 60.0)
            # The REST view agrees with the stream.
            live = d.get_json("/api/v1/live")
            self.assertEqual(live["total"]["offered"], 1)
            self.assertEqual(live["total"]["aht_s"], 60.0)
            self.assertEqual([a["calls"] for a in live["agents"] if a["agent"] == "8001"], [1])
            # No caller number, raw or masked, on the wallboard.
            self.assertNotIn("13812345678", json.dumps(live))
            self.assertNotIn("138****5678", json.dumps(live))
            # Heartbeats come while nothing changes.
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                if (await ws_recv(ws))["t"] == "heartbeat":
                    break
            else:
                self.fail("no heartbeat")
            await ws.close()

        asyncio.run(scenario())

    def test_updates_are_coalesced(self):
        log = os.path.join(self.tmp, "queue_log")
        append(log, "")
        d = self.start("--queue-log", log)

        async def scenario():
            ws = await ws_session(d, ["wallboard"])
            await ws_recv(ws)  # welcome
            first = await ws_recv(ws)
            self.assertEqual(first["t"], "snapshot")
            t = int(time.time())
            burst = "".join(ql(t, "%d.%d" % (t, i), "policy", "NONE", "ENTERQUEUE", "", "1380000%04d" % i, 1)
                            for i in range(500))
            start = time.monotonic()
            append(log, burst)
            frames = 0
            while True:
                m = await ws_recv(ws)
                if m["t"] != "update":
                    continue
                frames += 1
                if m["data"]["total"]["offered"] == 500:
                    break
            elapsed = time.monotonic() - start
            # 500 events, a handful of frames: at most one per 250 ms plus
            # the one that was being built.
            self.assertLessEqual(frames, int(elapsed / 0.25) + 2)
            self.assertEqual(m["data"]["total"]["waiting"], 500)
            await ws.close()

        asyncio.run(scenario())

    def test_errors_are_json(self):
        d = self.start()
        cases = [
            ("/api/v1/live", None, 401),
            ("/api/v1/live", "wrong-token", 401),
            ("/api/v1/kpi", None, 401),
            ("/api/v1/nothing", True, 404),
            ("/api/v1/kpi?scope=agent:&from=2026-01-01", True, 400),
            ("/api/v1/intervals?size=7", True, 400),
            ("/api/v1/intervals?size=15&from=2000-01-01&to=2026-01-01", True, 400),
            ("/api/v1/kpi?scope=nonsense", True, 400),
            ("/api/v1/kpi?from=yesterday", True, 400),
            ("/api/v1/kpi?from=2026-02-02&to=2026-02-01", True, 400),
        ]
        for path, token, status in cases:
            code, headers, body = d.request(path, token)
            self.assertEqual(code, status, path)
            self.assertTrue(headers["Content-Type"].startswith("application/json"), path)
            self.assertIn("error", json.loads(body), path)
        code, _, body = d.request("/api/v1/live", True, method="POST", data=b"{}")
        self.assertEqual(code, 405)
        self.assertIn("error", json.loads(body))
        code, _, body = d.request("/api/v1/live?token=" + d.token, token=None)
        self.assertEqual(code, 200)
        h = d.get_json("/healthz", token=None)
        self.assertEqual(h["status"], "ok")
        defs = d.get_json("/api/v1/definitions", token=None)
        self.assertIn("service_level", [k["key"] for k in defs["kpis"]])
        code, headers, body = d.request("/wallboard/", token=None)
        self.assertEqual(code, 200)
        self.assertIn(b"<html", body.lower())

        async def ws_errors():
            ws = await ws_session(d, ["wallboard"], token="bad")
            m = await ws_recv(ws)
            self.assertEqual(m, {"t": "error", "error": "invalid token"})
            with self.assertRaises(Exception):
                await ws_recv(ws, 5)
            self.assertEqual(ws.close_code, 1008)
            import websockets
            ws = await websockets.connect(d.ws_url(), subprotocols=["wallboard.v1"])
            await ws.send("not json")
            self.assertEqual((await ws_recv(ws))["t"], "error")
            await ws.send(json.dumps({"op": "hello", "token": d.token, "topics": ["nope"]}))
            self.assertEqual(await ws_recv(ws), {"t": "error", "error": "unknown topic 'nope'"})
            await ws.send(json.dumps({"op": "hello", "token": d.token, "topics": ["agents"]}))
            self.assertEqual((await ws_recv(ws))["t"], "welcome")
            self.assertEqual((await ws_recv(ws))["t"], "snapshot")
            await ws.close()

        asyncio.run(ws_errors())
        self.assertTrue(d.alive())

    def test_idle_and_partial_connections(self):
        # A port scanner or a client that stalls mid-request: lws times such
        # connections out without a session, and the daemon must not care.
        import socket
        d = self.start()
        port = int(d.listen.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        partial = socket.create_connection(("127.0.0.1", port))
        partial.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for s in idle + [partial]:
            s.settimeout(60)
            self.assertEqual(s.recv(100), b"")  # closed by the server
            s.close()
        self.assertTrue(d.alive())
        self.assertEqual(d.get_json("/healthz", token=None)["status"], "ok")

    def test_restart_resumes_and_sigterm_commits(self):
        log = os.path.join(self.tmp, "queue_log")
        # Today's counts are asserted: every line must fall after the
        # centre's midnight (UTC+8), and none in the future.
        now = int(time.time())
        t = max(now - 300, now - (now + 8 * 3600) % 86400)
        if t + 41 > now:
            time.sleep(t + 41 - now)
        append(log, "".join(ql(t + i, "%d.%d" % (t, i), "policy", "NONE", "ENTERQUEUE", "", "1390000%04d" % i, 1)
                            for i in range(20)))
        d = self.start("--queue-log", log)
        wait_for(lambda: d.get_json("/api/v1/live")["total"]["waiting"] == 20, what="20 waiting")
        # Lines written and SIGTERM at once: the shutdown commits them.
        append(log, ql(t + 30, "%d.0" % t, "policy", "8001", "CONNECT", 30, "y", 1))
        time.sleep(0.4)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertIn("stopped", d.read_log())
        # Lines written while the daemon is down are read after the restart.
        append(log, ql(t + 40, "%d.1" % t, "policy", "NONE", "ABANDON", 1, 1, 39))
        d.start()
        live = wait_for(lambda: (lambda l: l if l["total"]["abandoned"] == 1 else None)(
            d.get_json("/api/v1/live")), what="abandon after restart")
        # The live model was rebuilt from the store: waiting calls still wait.
        self.assertEqual(live["total"]["offered"], 20)
        self.assertEqual(live["total"]["answered"], 1)
        self.assertEqual(live["total"]["waiting"], 18)
        # Committed within a flush interval; every line stored exactly once.
        wait_for(lambda: d.db().execute("SELECT count(*) FROM events").fetchone()[0] == 22,
                 what="22 events committed")
        time.sleep(0.3)
        conn = d.db()
        self.assertEqual(conn.execute("SELECT count(*) FROM events").fetchone()[0], 22)
        self.assertEqual(conn.execute("SELECT count(*) FROM calls").fetchone()[0], 20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
