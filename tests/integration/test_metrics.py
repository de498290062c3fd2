"""Monitoring through the daemon: GET /metrics (no credentials) in the
Prometheus text format, read back with the Prometheus client's own parser,
shows the calls fed through a queue_log (offered, answered, abandoned,
waiting per queue and in total, the same figures as /api/v1/live), agents
per state, the collector's and the store's counters and the WebSocket
sessions, and never a caller's number or an agent's key.

GET /healthz answers 200 while all is well, and 503 with "status":
"failing" and a problem naming the cause while a collector is silent past
the `collector_silent` alert rule's limit (made 2 s in the config; the alert
itself is raised too) or while the store cannot commit (another connection
holds the database's write lock, so the daemon's writes time out); it is
200 again once a line arrives, or once a commit goes through."""

import asyncio
import datetime
import json
import math
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import zoneinfo

from prometheus_client.parser import text_string_to_metric_families

from wbtest import Daemon, append, ql, wait_for, ws_recv, ws_session

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CALLERS = ["13912345678", "13822223333", "13755556666", "13644447777"]


def parse(text):
    """{family name: (type, [(sample name, labels, value)])}. The parser
    names a counter's family without its _total, its samples with it."""
    out = {}
    for fam in text_string_to_metric_families(text):
        name = fam.name + "_total" if fam.type == "counter" else fam.name
        out[name] = (fam.type, [(s.name, s.labels, s.value) for s in fam.samples])
    return out


def value(families, name, **labels):
    """The one sample called name with exactly these labels (a histogram's
    _bucket, _sum and _count samples are in its family)."""
    found = [v for _, samples in families.values() for n, l, v in samples
             if n == name and l == labels]
    if len(found) != 1:
        raise AssertionError("%s%r: %d samples" % (name, labels, len(found)))
    return found[0]


def wait_past_midnight():
    """The calls are fed as today's: not in the first two minutes of a
    day in the centre's time zone."""
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai"))
    since = now.hour * 3600 + now.minute * 60 + now.second
    if since < 150:
        time.sleep(150 - since)


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-metrics-")
        self.ql = os.path.join(self.tmp, "queue_log")
        open(self.ql, "w").close()
        self.d = Daemon("--queue-log", self.ql).start()

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def metrics(self):
        status, headers, body = self.d.request("/metrics", token=False)
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers["Content-Type"], CONTENT_TYPE)
        return body.decode("utf-8")

    def test_metrics(self):
        wait_past_midnight()
        t = int(time.time()) - 100
        lines = [ql(t, "MANAGER", "policy", "PJSIP/8001", "ADDMEMBER", ""),
                 ql(t, "MANAGER", "policy", "PJSIP/8002", "ADDMEMBER", ""),
                 # Answered after 5 s, 40 s of talk.
                 ql(t + 1, "c1", "policy", "NONE", "ENTERQUEUE", "", CALLERS[0], 1),
                 ql(t + 6, "c1", "policy", "PJSIP/8001", "CONNECT", 5, "c1b", 2),
                 ql(t + 46, "c1", "policy", "PJSIP/8001", "COMPLETECALLER", 5, 40, 1),
                 # Abandoned after 20 s.
                 ql(t + 10, "c2", "policy", "NONE", "ENTERQUEUE", "", CALLERS[1], 1),
                 ql(t + 30, "c2", "policy", "NONE", "ABANDON", 1, 1, 20),
                 # Still waiting, one per queue.
                 ql(t + 50, "c3", "policy", "NONE", "ENTERQUEUE", "", CALLERS[2], 1),
                 ql(t + 60, "c4", "progress", "NONE", "ENTERQUEUE", "", CALLERS[3], 1)]
        append(self.ql, "".join(lines))
        def stored():
            m = parse(self.metrics())
            return (value(m, "wallboard_store_events_total") == 9
                    and value(m, "wallboard_store_commits_total") >= 1)
        wait_for(stored, what="events stored and committed")
        text = self.metrics()
        m = parse(text)
        live = self.d.get_json("/api/v1/live")

        # Nothing personal: no caller's number, no agent's key.
        for raw in CALLERS:
            self.assertNotIn(raw, text)
        self.assertNotIn("8001", text)
        self.assertNotIn("8002", text)

        # Every family has HELP and TYPE, and the types are the ones documented.
        types = {
            "wallboard_build_info": "gauge", "wallboard_uptime_seconds": "gauge",
            "wallboard_resident_memory_bytes": "gauge",
            "wallboard_collector_lines_total": "counter",
            "wallboard_collector_events_total": "counter",
            "wallboard_collector_duplicates_total": "counter",
            "wallboard_collector_quarantined_total": "counter",
            "wallboard_collector_last_event_age_seconds": "gauge",
            "wallboard_collector_connected": "gauge",
            "wallboard_store_commits_total": "counter", "wallboard_store_events_total": "counter",
            "wallboard_store_duplicates_total": "counter",
            "wallboard_store_quarantined_total": "counter",
            "wallboard_store_errors_total": "counter", "wallboard_store_failing": "gauge",
            "wallboard_store_held_events": "gauge",
            "wallboard_store_dropped_events_total": "counter",
            "wallboard_store_last_commit_duration_seconds": "gauge",
            "wallboard_store_commit_duration_seconds": "histogram",
            "wallboard_rrd_updates_total": "counter", "wallboard_rrd_errors_total": "counter",
            "wallboard_rrd_skipped_total": "counter",
            "wallboard_websocket_sessions": "gauge", "wallboard_topic_subscribers": "gauge",
            "wallboard_topic_updates_total": "counter",
            "wallboard_calls_waiting": "gauge", "wallboard_longest_wait_seconds": "gauge",
            "wallboard_calls_offered_today": "gauge", "wallboard_calls_answered_today": "gauge",
            "wallboard_calls_abandoned_today": "gauge", "wallboard_answer_rate_today": "gauge",
            "wallboard_service_level_today": "gauge", "wallboard_asa_seconds_today": "gauge",
            "wallboard_aht_seconds_today": "gauge", "wallboard_agents": "gauge",
            "wallboard_alerts_open": "gauge", "wallboard_report_runs": "gauge",
        }
        self.assertEqual({k: v[0] for k, v in m.items()}, types)
        for name in types:
            base = name[:-len("_total")] if types[name] == "counter" else name
            self.assertIn("# HELP %s " % name, text)
            self.assertIn("# TYPE %s %s\n" % (name, types[name]), text)
            self.assertTrue(base.startswith("wallboard_"))

        health = self.d.get_json("/healthz", token=None)
        self.assertEqual(value(m, "wallboard_build_info", version=health["version"]), 1)
        self.assertGreater(value(m, "wallboard_uptime_seconds"), 0)
        self.assertGreater(value(m, "wallboard_resident_memory_bytes"), 1 << 20)

        # The collector: 9 lines, 9 events, none quarantined; a file has no
        # connection to report.
        src = dict(kind="queue_log", source="queue_log:" + self.ql)
        self.assertEqual(value(m, "wallboard_collector_lines_total", **src), 9)
        self.assertEqual(value(m, "wallboard_collector_events_total", **src), 9)
        self.assertEqual(value(m, "wallboard_collector_quarantined_total", **src), 0)
        self.assertLess(value(m, "wallboard_collector_last_event_age_seconds", **src), 30)
        self.assertEqual(m["wallboard_collector_connected"][1], [])

        # The store: the histogram counts every commit.
        commits = value(m, "wallboard_store_commits_total")
        self.assertGreaterEqual(commits, 1)
        self.assertEqual(value(m, "wallboard_store_commit_duration_seconds_count"), commits)
        self.assertEqual(value(m, "wallboard_store_commit_duration_seconds_bucket", le="+Inf"),
                         commits)
        self.assertEqual(value(m, "wallboard_store_errors_total"), 0)
        self.assertEqual(value(m, "wallboard_store_failing"), 0)

        # The calls: per queue and as queue="_total".
        expect = {"_total": (4, 1, 1, 2), "policy": (3, 1, 1, 1), "progress": (1, 0, 0, 1)}
        for q, (offered, answered, abandoned, waiting) in expect.items():
            self.assertEqual(value(m, "wallboard_calls_offered_today", queue=q), offered, q)
            self.assertEqual(value(m, "wallboard_calls_answered_today", queue=q), answered, q)
            self.assertEqual(value(m, "wallboard_calls_abandoned_today", queue=q), abandoned, q)
            self.assertEqual(value(m, "wallboard_calls_waiting", queue=q), waiting, q)
        self.assertEqual(value(m, "wallboard_asa_seconds_today", queue="policy"), 5)
        self.assertTrue(math.isnan(value(m, "wallboard_asa_seconds_today", queue="progress")))
        # answered / offered; waiting calls are offered.
        self.assertAlmostEqual(value(m, "wallboard_answer_rate_today", queue="policy"), 1 / 3)
        self.assertEqual(value(m, "wallboard_answer_rate_today", queue="progress"), 0)
        self.assertEqual(value(m, "wallboard_answer_rate_today", queue="_total"), 0.25)
        self.assertTrue(math.isnan(value(m, "wallboard_aht_seconds_today", queue="progress")))
        # The oldest waiting call entered at t + 50.
        self.assertGreaterEqual(value(m, "wallboard_longest_wait_seconds", queue="_total"),
                                time.time() - (t + 50) - 15)
        self.assertGreaterEqual(value(m, "wallboard_longest_wait_seconds", queue="policy"),
                                value(m, "wallboard_longest_wait_seconds", queue="progress"))
        # The same figures as the wallboard's (which rounds rates to 4 places).
        scopes = {"_total": live["total"]}
        scopes.update({q["queue"]: q for q in live["queues"]})
        for q, j in scopes.items():
            for name, key in (("wallboard_answer_rate_today", "answer_rate"),
                              ("wallboard_asa_seconds_today", "asa_s"),
                              ("wallboard_aht_seconds_today", "aht_s")):
                got = value(m, name, queue=q)
                if j[key] is None:
                    self.assertTrue(math.isnan(got), (name, q))
                else:
                    self.assertAlmostEqual(got, j[key], places=3, msg=(name, q))
            sl = j["service_level"]["value"]
            got = value(m, "wallboard_service_level_today", queue=q)
            self.assertTrue(math.isnan(got) if sl is None else abs(got - sl) < 1e-3, (q, got, sl))
        self.assertEqual(live["total"]["answer_rate"], value(m, "wallboard_answer_rate_today",
                                                             queue="_total"))

        # Agents: two logged in, by state, as the wallboard counts them.
        states = {l["state"]: v for n, l, v in m["wallboard_agents"][1]}
        self.assertEqual(states, {k: float(v) for k, v in live["agents_by_state"].items()})
        self.assertEqual(sum(states.values()), 2)

        self.assertEqual(
            {l["severity"] for n, l, v in m["wallboard_alerts_open"][1]},
            {"info", "warning", "critical"})

        # /healthz: all is well.
        self.assertEqual(health["status"], "ok")
        self.assertEqual(health["problems"], [])

    def test_sessions(self):
        def sessions():
            m = parse(self.metrics())
            return (value(m, "wallboard_websocket_sessions"),
                    value(m, "wallboard_topic_subscribers", topic="wallboard"),
                    value(m, "wallboard_topic_subscribers", topic="agents"))

        self.assertEqual(sessions(), (0, 0, 0))

        async def run():
            ws = await ws_session(self.d, ["wallboard"])
            self.assertEqual((await ws_recv(ws))["t"], "welcome")
            await ws_recv(ws)
            self.assertEqual(sessions(), (1, 1, 0))
            ws2 = await ws_session(self.d, ["wallboard", "agents"])
            self.assertEqual((await ws_recv(ws2))["t"], "welcome")
            self.assertEqual(sessions(), (2, 2, 1))
            await ws.close()
            await ws2.close()

        asyncio.run(run())
        wait_for(lambda: sessions() == (0, 0, 0), what="sessions closed")
        m = parse(self.metrics())
        self.assertGreaterEqual(value(m, "wallboard_topic_updates_total", topic="wallboard"), 1)


class SilentCollectorTest(unittest.TestCase):
    """[alert.collector_silent] threshold = 2: silent past 2 s fails."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-metrics-")
        self.conf = os.path.join(self.tmp, "wallboard.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("[alert.collector_silent]\nthreshold = 2\n")
        self.ql = os.path.join(self.tmp, "queue_log")
        open(self.ql, "w").close()
        self.d = Daemon("--queue-log", self.ql, config=self.conf).start()

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def health(self):
        status, _, body = self.d.request("/healthz", token=False)
        return status, json.loads(body)

    def test_silent_collector_fails_health(self):
        source = "queue_log:" + self.ql
        status, h = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(self.health()),
                             what="503")
        self.assertEqual(h["status"], "failing")
        self.assertEqual(len(h["problems"]), 1, h["problems"])
        p = h["problems"][0]
        self.assertEqual((p["check"], p["subject"], p["limit_s"]),
                         ("collector_silent", source, 2))
        self.assertGreater(p["silent_s"], 2)
        self.assertIn(source, p["message"])
        # The existing fields stay.
        self.assertEqual(h["collectors"][0]["source"], source)
        self.assertIn("store", h)

        # The alert rule agrees.
        token = subprocess.run([CTL, "--state-dir", self.d.state_dir, "--config", self.conf,
                                "token", "add", "supervisor", "floor"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        self.assertTrue(token)
        wait_for(lambda: [a for a in self.d.get_json("/api/v1/alerts?state=open",
                                                     token=token)["alerts"]
                          if a["rule"] == "collector_silent"
                          and a["scope"] == "collector:" + source], what="the alert")

        # A line: healthy again (for 2 s).
        append(self.ql, ql(int(time.time()), "MANAGER", "policy", "PJSIP/8001", "ADDMEMBER", ""))
        status, h = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(self.health()),
                             interval=0.02, what="200")
        self.assertEqual((h["status"], h["problems"]), ("ok", []))


class StoreFailingTest(unittest.TestCase):
    """Another connection holds the database's write lock: the daemon's
    writes time out (busy), /healthz fails until a commit goes through."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-metrics-")
        self.ql = os.path.join(self.tmp, "queue_log")
        open(self.ql, "w").close()
        self.d = Daemon("--queue-log", self.ql).start()

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def health(self):
        status, _, body = self.d.request("/healthz", token=False)
        return status, json.loads(body)

    def test_store_failing(self):
        t = int(time.time())
        append(self.ql, ql(t, "MANAGER", "policy", "PJSIP/8001", "ADDMEMBER", ""))
        wait_for(lambda: self.d.get_json("/healthz")["store"]["commits"] >= 1, what="commit")
        self.assertEqual(self.health()[0], 200)

        lock = sqlite3.connect(os.path.join(self.d.state_dir, "wallboard.db"), timeout=30,
                               isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")
            append(self.ql, ql(t + 1, "MANAGER", "policy", "PJSIP/8002", "ADDMEMBER", ""))
            status, h = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(self.health()),
                                 timeout=60, what="503")
            self.assertEqual(h["status"], "failing")
            self.assertEqual([p["check"] for p in h["problems"]], ["store"])
            self.assertEqual(h["problems"][0]["subject"], "store")
            self.assertIn("locked", h["problems"][0]["message"])
            self.assertGreaterEqual(h["store"]["errors_since_commit"], 1)
            _, _, body = self.d.request("/metrics", token=False)
            m = parse(body.decode("utf-8"))
            self.assertEqual(value(m, "wallboard_store_failing"), 1)
            self.assertGreaterEqual(value(m, "wallboard_store_errors_total"), 1)
            # The line read meanwhile is held, and already counted live.
            self.assertEqual(value(m, "wallboard_store_held_events"), 1)
            self.assertEqual(h["store"]["held"], 1)
            self.assertIn("1 events held", h["problems"][0]["message"])
            # The main loop does not wait for the lock: every request made
            # while it is held, longer than SQLite's 5 s busy timeout, gets
            # its whole answer (health() reads the body and parses it).
            statuses = set()
            end = time.monotonic() + 6
            while time.monotonic() < end:
                statuses.add(self.health()[0])
            self.assertEqual(statuses, {503})
        finally:
            lock.execute("ROLLBACK")
            lock.close()

        # Writes go through again: the next line commits, all is well.
        append(self.ql, ql(t + 2, "MANAGER", "progress", "PJSIP/8002", "ADDMEMBER", ""))
        status, h = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(self.health()),
                             timeout=60, what="200")
        self.assertEqual((h["status"], h["problems"]), ("ok", []))
        self.assertEqual(h["store"]["errors_since_commit"], 0)
        _, _, body = self.d.request("/metrics", token=False)
        m = parse(body.decode("utf-8"))
        self.assertEqual(value(m, "wallboard_store_failing"), 0)
        self.assertEqual(value(m, "wallboard_store_held_events"), 0)
        self.assertEqual(value(m, "wallboard_store_dropped_events_total"), 0)
        # The held line was stored with the next one, in order.
        db = sqlite3.connect(os.path.join(self.d.state_dir, "wallboard.db"))
        try:
            agents = [r[0] for r in db.execute(
                "SELECT agent FROM events WHERE ts_ms >= ? ORDER BY id", ((t - 1) * 1000,))]
        finally:
            db.close()
        self.assertEqual(agents[-2:], ["8002", "8002"])


if __name__ == "__main__":
    unittest.main()
