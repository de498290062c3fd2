"""Backfill equals live: the same queue_log imported with wallboardctl and
tailed by wallboardd gives the same calls, agent states and intervals; and
wallboardctl kpi answers what GET /api/v1/kpi answers."""

import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from wbtest import Daemon, make_lines, sample, wait_for

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")

CALLS_SQL = ("SELECT call_id, seq, queue, agent, caller_mask, enqueue_ms, answer_ms, end_ms,"
             " wait_ms, talk_ms, acw_ms, ring_noanswers, position, outcome, abandon_reason,"
             " ended_by, prev_call_gap_ms FROM calls ORDER BY call_id, seq")
SPANS_SQL = "SELECT * FROM agent_states ORDER BY agent, start_ms"
INTERVALS_SQL = "SELECT * FROM intervals ORDER BY size_min, scope, start_ms"


def ctl(state_dir, *args, check=True):
    r = subprocess.run([CTL, "--state-dir", state_dir] + list(args), capture_output=True,
                       text=True, timeout=300)
    if check and r.returncode != 0:
        raise AssertionError("wallboardctl %s: %d\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
    return r


class ImportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-import-")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, *args, **kw):
        d = Daemon(*args, **kw)
        self.daemons.append(d)
        return d.start()

    def test_import_equals_live(self):
        rng = random.Random(12367)
        t0 = int(time.time()) - 3 * 86400
        lines = make_lines(6000, rng, t0)
        log = os.path.join(self.tmp, "queue_log")
        with open(log, "w") as f:
            f.writelines(lines)
        # Also the real samples, quirks and all.
        files = [log, sample("freepbx-edited-fixture.queue_log"), sample("asterisk-production.queue_log")]

        imported = os.path.join(self.tmp, "imported")
        r = ctl(imported, "import", "queue_log", *files)
        total = len(lines) + 20 + 167
        self.assertIn("%d events" % total, r.stdout)
        self.assertIn("0 lines quarantined", r.stdout)
        # Not a terminal: no progress bar on stderr.
        self.assertNotIn("\r[", r.stderr)

        args = []
        for f in files:
            args += ["--queue-log", f]
        live = self.start(*args)
        wait_for(lambda: live.db().execute("SELECT count(*) FROM events").fetchone()[0] >= total,
                 timeout=60, what="live ingest")
        time.sleep(0.5)

        a = Daemon(state_dir=imported)  # only to read its database
        for sql in (CALLS_SQL, SPANS_SQL, INTERVALS_SQL):
            got, want = a.db().execute(sql).fetchall(), live.db().execute(sql).fetchall()
            self.assertGreater(len(want), 0, sql)
            self.assertEqual(got, want, sql)

        # The daemon has the state directory: an import into it is refused.
        r = ctl(live.state_dir, "import", "queue_log", log, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("in use", r.stderr)

        # wallboardctl kpi answers what the API answers, for every kind of scope.
        window = ["--from", str((t0 - 60) * 1000), "--to", str((t0 + 2 * 86400) * 1000)]
        for scope in ("total", "queue:policy", "agent:8003"):
            got = json.loads(ctl(live.state_dir, "kpi", "--scope", scope, "--json", *window).stdout)
            q = urllib.parse.urlencode({"scope": scope, "from": window[1], "to": window[3]})
            want = live.get_json("/api/v1/kpi?" + q)
            self.assertEqual(got, want, scope)
            self.assertGreater(want["answered"], 0)
        got = json.loads(ctl(live.state_dir, "kpi", "--sl-variant", "offered", "--sl-threshold-s",
                             "20", "--json", *window).stdout)
        q = urllib.parse.urlencode({"from": window[1], "to": window[3], "sl_variant": "offered",
                                    "sl_threshold_s": "20"})
        self.assertEqual(got, live.get_json("/api/v1/kpi?" + q))
        self.assertEqual(got["service_level"]["variant"], "offered")
        table = ctl(live.state_dir, "kpi", *window).stdout
        self.assertIn("service_level", table)
        self.assertIn("人工接通率", table)

    def test_intervals_and_agents_api(self):
        rng = random.Random(7)
        t0 = int(time.time()) - 2 * 86400
        log = os.path.join(self.tmp, "queue_log")
        lines = make_lines(800, rng, t0)
        with open(log, "w") as f:
            f.writelines(lines)
        d = self.start("--queue-log", log)
        # A backlog is read in ticks of at most 20 ms: wait for all of it.
        wait_for(lambda: d.get_json("/healthz")["collectors"][0]["lines"] == len(lines),
                 what="ingest")
        time.sleep(0.5)
        day_from, day_to = (t0 - 3600) * 1000, (t0 + 86400) * 1000
        window = "from=%d&to=%d" % (day_from, day_to)
        k = d.get_json("/api/v1/kpi?" + window)
        for size in (15, 30, 60, 1440):
            iv = d.get_json("/api/v1/intervals?size=%d&%s" % (size, window))
            self.assertEqual(iv["size_min"], size)
            rows = iv["intervals"]
            # Every interval of the window is listed, quiet ones too.
            if size < 1440:
                self.assertGreaterEqual(len(rows), (day_to - day_from) // (size * 60000))
            # Their sums are the window's figures (the window starts on an
            # interval boundary for 15 to 60 minutes).
            if size < 1440:
                self.assertEqual(sum(r["offered"] for r in rows), k["offered"], size)
                self.assertEqual(sum(r["answered"] for r in rows), k["answered"], size)
            quiet = [r for r in rows if r["offered"] == 0]
            if quiet:
                self.assertIsNone(quiet[0]["service_level"]["value"])
        per_queue = d.get_json("/api/v1/intervals?scope=queue:policy&size=60&" + window)
        self.assertEqual(per_queue["scope"], "queue:policy")
        agents = d.get_json("/api/v1/agents?" + window)["agents"]
        self.assertEqual(sum(a["answered"] for a in agents), k["answered"])
        a = agents[0]
        for key in ("agent", "name", "state", "answered", "aht_s", "ring_noanswers", "occupancy",
                    "state_s", "pause_s", "logged_in_s"):
            self.assertIn(key, a)
        self.assertIsNone(a["offered"])
        self.assertIsNone(a["utilisation"])
        paused = [x for x in agents if x["pause_s"].get("话后整理")]
        self.assertTrue(paused, "wrap-up pauses are listed by reason")


if __name__ == "__main__":
    unittest.main(verbosity=2)
