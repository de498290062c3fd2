"""The JSON ingest API as another system uses it: every event type over
POST /api/v1/events and over the ingest.v1 WebSocket, retries that store
nothing twice, bad lines named and kept in quarantine, good ones stored
before the answer says so."""

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import websockets

from wbtest import Daemon, wait_for

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")

RECORD_TABLES = ["staff", "roster", "punches", "training", "exams", "qa", "workorders",
                 "complaints", "acd_snapshots", "call_classes"]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def every_type(t0, prefix="e"):
    """One event of every type a sender may use, in an order that makes
    sense (a call enters, is answered, ends; …)."""
    at = lambda s: iso(t0 + s * 1000)
    events = [
        {"type": "agent.login", "ts": at(0), "agent": "1001", "queue": "签证"},
        {"type": "agent.login", "ts": at(0), "agent": "1002", "queue": "签证"},
        {"type": "call.enqueue", "ts": at(10), "call_id": "c1", "queue": "签证",
         "caller": "13812345678", "position": 1},
        {"type": "call.ring_noanswer", "ts": at(25), "call_id": "c1", "queue": "签证",
         "agent": "1002", "ring_ms": 15000},
        {"type": "call.answer", "ts": at(30), "call_id": "c1", "queue": "签证", "agent": "1001",
         "wait_ms": 20000, "ring_ms": 4000},
        {"type": "call.transfer", "ts": at(90), "call_id": "c1", "queue": "签证", "agent": "1001",
         "target": "2001", "wait_ms": 20000, "talk_ms": 60000},
        {"type": "call.enqueue", "ts": at(100), "call_id": "c2", "queue": "签证",
         "caller": "13900000001"},
        {"type": "call.answer", "ts": at(105), "call_id": "c2", "queue": "签证", "agent": "1002",
         "wait_ms": 5000},
        {"type": "call.end", "ts": at(285), "call_id": "c2", "queue": "签证", "agent": "1002",
         "wait_ms": 5000, "talk_ms": 180000, "ended_by": "caller"},
        {"type": "call.enqueue", "ts": at(300), "call_id": "c3", "queue": "签证"},
        {"type": "call.abandon", "ts": at(340), "call_id": "c3", "queue": "签证",
         "wait_ms": 40000, "position": 1, "reason": "abandon"},
        {"type": "agent.pause", "ts": at(290), "agent": "1002", "reason": "话后整理"},
        {"type": "agent.unpause", "ts": at(320), "agent": "1002"},
        {"type": "call.classify", "ts": at(300), "call_id": "c2", "category": "出入境证件",
         "request_type": "咨询", "channel": "phone"},
        {"type": "call.survey", "ts": at(400), "call_id": "c2", "score": 5},
        {"type": "acd.snapshot", "ts": at(410), "queue": "外线", "waiting": 2,
         "longest_wait_ms": 31000, "logged_in": 4, "available": 1},
        {"type": "staff.punch", "ts": at(-3600), "staff": "1001", "direction": "in",
         "device": "zkteco-1"},
        {"type": "roster.shift", "ts": at(-86400), "staff": "1001",
         "start": iso(t0 - 3600 * 1000), "end": iso(t0 + 7 * 3600 * 1000), "role": "agent",
         "template": "早班"},
        {"type": "staff.record", "ts": at(-86400), "staff": "1001", "name": "张伟",
         "role": "agent", "status": "active", "hired": "2020-05-06"},
        {"type": "training.record", "ts": at(-86400), "staff": "1001", "date": "2026-11-20",
         "kind": "政策法规", "hours": 2.5},
        {"type": "exam.record", "ts": at(-86400), "staff": "1001", "date": "2026-11-21",
         "area": "业务知识", "score": 92},
        {"type": "qa.score", "ts": at(500), "staff": "1002", "call_id": "c2", "score": 95,
         "inspector": "王芳"},
        {"type": "workorder.open", "ts": at(200), "id": "WO-1", "origin": "12345_province",
         "category": "签注", "due": iso(t0 + 3 * 86400 * 1000)},
        {"type": "workorder.update", "ts": at(250), "id": "WO-1", "status": "assigned"},
        {"type": "workorder.close", "ts": at(600), "id": "WO-1"},
        {"type": "complaint.open", "ts": at(700), "id": "TS-1", "staff": "1002",
         "category": "态度"},
        {"type": "complaint.close", "ts": at(800), "id": "TS-1"},
    ]
    for i, e in enumerate(events):
        e["event_id"] = "%s%d" % (prefix, i)
    return events


def ndjson(events):
    return ("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n").encode()


class IngestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-ingest-")
        conf = os.path.join(self.tmp, "wallboard.conf")
        with open(conf, "w") as f:
            f.write("[server]\nmax_body_bytes = 65536\n[kpi]\ntimezone = Asia/Shanghai\n")
        self.d = Daemon(config=conf).start()
        self.key = self.ctl("key", "add", "crm").stdout.strip()
        self.assertRegex(self.key, r"^[0-9a-f]{48}$")

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctl(self, *args, check=True):
        r = subprocess.run([CTL, "--state-dir", self.d.state_dir] + list(args),
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("wallboardctl %s: %d\n%s" % (args, r.returncode, r.stderr))
        return r

    def post(self, body, key=None, headers=None):
        status, _, raw = self.d.request("/api/v1/events", token=key or self.key, method="POST",
                                        data=body, headers=headers)
        return status, json.loads(raw)

    def dump(self):
        db = self.d.db()
        out = {t: db.execute("SELECT * FROM %s ORDER BY 1, 2" % t).fetchall()
               for t in RECORD_TABLES + ["events"]}
        db.close()
        return out

    def test_every_type_over_http(self):
        t0 = (int(time.time()) - 3600) * 1000
        events = every_type(t0)
        status, r = self.post(ndjson(events))
        self.assertEqual(status, 200, r)
        self.assertEqual(r, {"accepted": len(events), "duplicates": 0, "rejected": []})

        # Accepted means stored: the answer came after the commit.
        db = self.d.db()
        self.assertEqual(db.execute("SELECT count(*) FROM events e JOIN sources s"
                                    " ON s.id = e.source_id WHERE s.name = 'api:crm'")
                         .fetchone()[0], len(events))
        self.assertEqual(db.execute("SELECT name, role, status FROM staff").fetchall(),
                         [("张伟", "agent", "active")])
        self.assertEqual(db.execute("SELECT template, end_ms - start_ms FROM roster").fetchall(),
                         [("早班", 8 * 3600 * 1000)])
        self.assertEqual(db.execute("SELECT direction, device FROM punches").fetchall(),
                         [("in", "zkteco-1")])
        self.assertEqual(db.execute("SELECT kind, hours FROM training").fetchall(),
                         [("政策法规", 2.5)])
        self.assertEqual(db.execute("SELECT area, score FROM exams").fetchall(),
                         [("业务知识", 92.0)])
        self.assertEqual(db.execute("SELECT agent, call_id, inspector, score FROM qa").fetchall(),
                         [("1002", "c2", "王芳", 95.0)])
        self.assertEqual(db.execute("SELECT origin, category, status, opened_ms, closed_ms"
                                    " FROM workorders").fetchall(),
                         [("12345_province", "签注", "closed", t0 + 200000, t0 + 600000)])
        self.assertEqual(db.execute("SELECT agent, category, opened_ms, closed_ms"
                                    " FROM complaints").fetchall(),
                         [("1002", "态度", t0 + 700000, t0 + 800000)])
        self.assertEqual(db.execute("SELECT queue, waiting, longest_wait_ms, logged_in, available"
                                    " FROM acd_snapshots").fetchall(),
                         [("外线", 2, 31000, 4, 1)])
        self.assertEqual(db.execute("SELECT category, request_type, channel, satisfaction"
                                    " FROM call_classes").fetchall(),
                         [("出入境证件", "咨询", "phone", 5.0)])
        # The caller number is kept hashed and masked, never raw.
        self.assertEqual(db.execute("SELECT count(*) FROM events WHERE caller_mask = '138****5678'"
                                    " AND caller_hash IS NOT NULL").fetchone()[0], 1)
        self.assertEqual(db.execute("SELECT count(*) FROM events WHERE caller_hash LIKE"
                                    " '%13812345678%' OR extra LIKE '%13812345678%'")
                         .fetchone()[0], 0)
        db.close()

        # Call and agent events count in the KPIs like any phone system's.
        k = self.d.get_json("/api/v1/kpi?" + urllib.parse.urlencode(
            {"scope": "queue:签证", "from": t0, "to": t0 + 3600000}))
        self.assertEqual((k["offered"], k["answered"], k["abandoned"]), (3, 2, 1))
        self.assertEqual(k["transferred"], 1)
        self.assertEqual(k["ring_noanswers"], 1)
        agents = {a["agent"]: a for a in self.d.get_json("/api/v1/live")["agents"]}
        self.assertEqual(agents["1002"]["state"], "available")
        # And /healthz shows the source.
        src = [c for c in self.d.get_json("/healthz")["collectors"] if c["source"] == "api:crm"]
        self.assertEqual(src[0]["kind"], "ingest")
        self.assertEqual(src[0]["events"], len(events))

    def test_retries_store_nothing_twice(self):
        t0 = (int(time.time()) - 3600) * 1000
        body = ndjson(every_type(t0))
        self.assertEqual(self.post(body)[0], 200)
        before = self.dump()
        status, r = self.post(body)
        self.assertEqual(status, 200)
        self.assertEqual((r["accepted"], r["duplicates"]), (0, len(every_type(t0))))
        self.assertEqual(self.dump(), before)
        # A JSON array of the same events: the same events.
        status, r = self.post(json.dumps(every_type(t0)).encode())
        self.assertEqual(r["accepted"], 0)
        self.assertEqual(self.dump(), before)
        # Another source's key: its own event ids.
        other = self.ctl("key", "add", "acd-2").stdout.strip()
        status, r = self.post(ndjson(every_type(t0)[:3]), key=other)
        self.assertEqual(r["accepted"], 3)

    def test_store_locked_then_resent(self):
        """Another connection holds the write lock: the answer is 503 and
        says to send again; the server holds the events meanwhile, and once
        the lock is gone the repeat stores every event and record once,
        the same rows as a request that went through at once."""
        t0 = (int(time.time()) - 3600) * 1000
        events = every_type(t0)
        body = ndjson(events)
        lock = sqlite3.connect(os.path.join(self.d.state_dir, "wallboard.db"), timeout=30,
                               isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")
            status, r = self.post(body)
            self.assertEqual(status, 503, r)
            self.assertIn("send again", r["error"])
            def held():
                status, _, raw = self.d.request("/healthz", token=False)
                self.assertEqual(status, 503)
                return json.loads(raw)["store"]["held"]

            self.assertEqual(held(), len(events))
            # Sent again while still locked: refused again, held once.
            self.assertEqual(self.post(body)[0], 503)
            self.assertEqual(held(), len(events))
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        status, r = wait_for(lambda: (lambda x: x if x[0] == 200 else None)(self.post(body)),
                             timeout=30, interval=0.3, what="200 once the lock is gone")
        self.assertEqual((r["accepted"], r["duplicates"]), (0, len(events)))
        got = self.dump()

        # The same request to a daemon whose store never failed.
        other = Daemon().start()
        try:
            key = subprocess.run([CTL, "--state-dir", other.state_dir, "key", "add", "crm"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            status, _, raw = other.request("/api/v1/events", token=key, method="POST", data=body)
            self.assertEqual(status, 200, raw)
            db = other.db()
            want = {t: db.execute("SELECT * FROM %s ORDER BY 1, 2" % t).fetchall()
                    for t in RECORD_TABLES + ["events"]}
            db.close()
        finally:
            other.cleanup()
        # Caller hashes are keyed per install: the two differ there only.
        for rows in (got["events"], want["events"]):
            rows[:] = [r[:8] + r[9:] for r in rows]
        for table in RECORD_TABLES + ["events"]:
            self.assertTrue(want[table], table)
            self.assertEqual(got[table], want[table], table)

    def test_bad_lines_named_good_kept(self):
        now = int(time.time() * 1000)
        good = {"event_id": "g1", "type": "qa.score", "ts": now - 1000, "staff": "1001",
                "score": 80}
        lines = [
            json.dumps(good),
            "{not json",
            json.dumps({"event_id": "b1", "type": "qa.score", "ts": now, "staff": "1001"}),
            json.dumps({"event_id": "b2", "type": "staff.record", "ts": now, "staff": "9",
                        "status": "gone"}),
            "",
            json.dumps({"event_id": "b3", "type": "call.answer", "ts": now + 3600 * 1000,
                        "call_id": "x", "queue": "q", "agent": "1"}),
            json.dumps({"event_id": "g2", "type": "workorder.open", "ts": now, "id": "W9"}),
        ]
        status, r = self.post(("\n".join(lines) + "\n").encode())
        self.assertEqual(status, 200)
        self.assertEqual(r["accepted"], 2)
        got = [(x["line"], x.get("event_id"), x["error"].split(":")[0]) for x in r["rejected"]]
        self.assertEqual(got, [(2, None, "not JSON"), (3, "b1", "score"), (4, "b2", "status"),
                               (6, "b3", "ts")])
        self.assertIn("is not one of active, leave, left, reserve", r["rejected"][2]["error"])
        db = self.d.db()
        self.assertEqual(db.execute("SELECT count(*) FROM qa").fetchone()[0], 1)
        self.assertEqual(db.execute("SELECT count(*) FROM workorders").fetchone()[0], 1)
        q = db.execute("SELECT source, file, line_no, reason, CAST(line AS TEXT) FROM quarantine"
                       " ORDER BY id").fetchall()
        db.close()
        self.assertEqual([(s, f, n) for s, f, n, _, _ in q],
                         [("api:crm", "POST /api/v1/events", n) for n in (2, 3, 4, 6)])
        self.assertEqual(q[1][4], lines[2])
        # Nothing good: 400, with the same detail.
        status, r = self.post(b'{"event_id":"z","type":"nope","ts":1}')
        self.assertEqual(status, 400)
        self.assertEqual(r["error"], "no event accepted")
        self.assertEqual(r["rejected"][0]["error"], "type: 'nope' is not an event type")

    def test_keys_and_limits(self):
        body = ndjson(every_type((int(time.time()) - 3600) * 1000)[:2])
        self.assertEqual(self.post(body, key="0" * 48)[0], 401)
        # The display token reads the wallboard; it cannot send events.
        self.assertEqual(self.post(body, key=self.d.token)[0], 401)
        # An ingest key sends events; it cannot read the wallboard.
        self.assertEqual(self.d.request("/api/v1/live", token=self.key)[0], 401)
        self.assertEqual(self.d.request("/api/v1/events", token=self.key)[0], 405)
        self.assertEqual(self.post(b"")[0], 400)
        status, r = self.post(b" " * 70000)
        self.assertEqual(status, 413)
        self.assertIn("65536", r["error"])
        # Revoked: refused at once, daemon still running.
        listed = self.ctl("key", "list").stdout
        self.assertIn("crm", listed)
        self.assertNotIn(self.key, listed)
        self.ctl("key", "revoke", "crm")
        self.assertEqual(self.post(body)[0], 401)
        self.assertEqual(self.ctl("key", "add", "bad name", check=False).returncode, 2)

    def test_websocket_feed(self):
        t0 = (int(time.time()) - 3600) * 1000
        events = every_type(t0, prefix="ws")

        async def run():
            url = self.d.ws_url()
            async with websockets.connect(url, subprotocols=["ingest.v1"]) as ws:
                await ws.send(json.dumps({"op": "hello", "token": self.key}))
                self.assertEqual(json.loads(await ws.recv()),
                                 {"t": "welcome", "source": "api:crm"})
                # Sent without waiting: answered in order, each after its commit.
                for e in events:
                    await ws.send(json.dumps(e, ensure_ascii=False))
                for i in range(len(events)):
                    r = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    self.assertEqual((r["t"], r["seq"], r["accepted"]), ("result", i + 1, 1))
                await ws.send(ndjson(events[:2]).decode() + "oops\n")
                r = json.loads(await ws.recv())
                self.assertEqual((r["duplicates"], r["rejected"][0]["line"]), (2, 3))
            async with websockets.connect(url, subprotocols=["ingest.v1"],
                                          extra_headers={"Authorization": "Bearer " + self.key}
                                          ) as ws:
                self.assertEqual(json.loads(await ws.recv())["t"], "welcome")
            # White space before the hello: refused as any other message
            # (it once reached json-glib with no document: a GLib critical).
            async with websockets.connect(url, subprotocols=["ingest.v1"]) as ws:
                await ws.send(" ")
                self.assertEqual(json.loads(await ws.recv())["error"],
                                 'send {"op":"hello","token":KEY} first')
            # The same after the hello: one refusal that says why.
            async with websockets.connect(url, subprotocols=["ingest.v1"]) as ws:
                await ws.send(json.dumps({"op": "hello", "token": self.key}))
                self.assertEqual(json.loads(await ws.recv())["t"], "welcome")
                await ws.send(" \n")
                r = json.loads(await ws.recv())
                self.assertEqual((r["accepted"], r["rejected"][0]["line"]), (0, 1))
                self.assertEqual(r["rejected"][0]["error"],
                                 "no events in the body (one JSON object, an array, or NDJSON)")
            async with websockets.connect(url, subprotocols=["ingest.v1"]) as ws:
                await ws.send(json.dumps({"op": "hello", "token": self.d.token}))
                self.assertEqual(json.loads(await ws.recv())["error"], "not a valid ingest key")
                with self.assertRaises(websockets.ConnectionClosed) as cm:
                    await asyncio.wait_for(ws.recv(), 10)
                self.assertEqual(cm.exception.code, 1008)

        asyncio.run(run())
        db = self.d.db()
        self.assertEqual(db.execute("SELECT count(*) FROM events").fetchone()[0], len(events))
        db.close()
        self.assertNotIn("CRITICAL", self.d.read_log())

    def test_accepted_survives_a_crash(self):
        t0 = (int(time.time()) - 3600) * 1000
        events = every_type(t0)
        self.assertEqual(self.post(ndjson(events))[1]["accepted"], len(events))
        before = self.dump()
        self.d.kill()
        self.d.start()
        self.assertEqual(self.dump(), before)
        k = self.d.get_json("/api/v1/kpi?" + urllib.parse.urlencode(
            {"scope": "queue:签证", "from": t0, "to": t0 + 3600000}))
        self.assertEqual(k["offered"], 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
