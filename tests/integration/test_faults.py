"""Faults around the daemon, each while it ingests: the queue_log rotated by
rename and by copytruncate; the AMI server killed and started again; the
database's file system full; the RRD directory read-only. In each the daemon
stays up, says what is wrong where an alert rule covers it, and once the
fault is gone has stored every event exactly once.

Sizes for CI by default; for a long run:
  WB_FAULT_ROTATIONS (default 20: renames, and as many copytruncates)
  WB_FAULT_CALLS (default 4000: calls of the rotated queue_log)
  WB_FAULT_AMI_RESTARTS (default 3; 20 for the full form)
The disk and RRD cases mount a small tmpfs and a read-only bind mount: they
need root and are skipped, saying why, without it."""

import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from fake_ami import FakeAmi, make_scenario
from test_ami import COMMON, KEYS, SCOPES, ami_config, call_outcomes, safe_drop_points
from wbtest import Daemon, append, make_lines, wait_for

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
ROTATIONS = int(os.environ.get("WB_FAULT_ROTATIONS", "20"))
CALLS = int(os.environ.get("WB_FAULT_CALLS", "4000"))
AMI_RESTARTS = int(os.environ.get("WB_FAULT_AMI_RESTARTS", "3"))

RULES = ["service_level", "waiting", "longest_wait", "acw_long", "paused_long",
         "shift_uncovered", "staffing_short", "abandon_spike", "workorder_due",
         "collector_silent", "collector_down", "disk_low", "store_errors", "rrd_errors"]
# Every event but where it came from: a rotated file's lines have other
# positions than the same lines in one file.
EVENTS_SQL = ("SELECT ts_ms, type, call_id, queue, agent, caller_mask, position, wait_ms,"
              " ring_ms, talk_ms, abandon_reason, ended_by, reason FROM events"
              " ORDER BY ts_ms, type, call_id, queue, agent, reason")
CALLS_SQL = ("SELECT call_id, seq, queue, agent, caller_mask, enqueue_ms, answer_ms, end_ms,"
             " wait_ms, talk_ms, acw_ms, ring_noanswers, position, outcome, abandon_reason,"
             " ended_by FROM calls ORDER BY call_id, seq")


def rules_config(keep, extra=""):
    """The rules in `keep` as given in `extra`, every other rule off: only
    the fault under test raises anything."""
    return extra + "".join("\n[alert.%s]\nenabled = false\n" % r for r in RULES if r not in keep)


def count(d, sql="SELECT count(*) FROM events"):
    with d.db() as db:
        return db.execute(sql).fetchone()[0]


def rows(d, sql):
    with d.db() as db:
        return db.execute(sql).fetchall()


def health(d):
    status, _, body = d.request("/healthz", token=False)
    return status, json.loads(body)


def figures(d, window):
    """test_ami's figures, over the given window."""
    out = {}
    for scope in SCOPES:
        k = d.get_json("/api/v1/kpi?scope=%s&%s" % (scope, window))
        row = {key: k.get(key) for key in KEYS}
        row["service_level"] = k["service_level"]["value"]
        row["state_s"] = k.get("state_s")
        row["pause_s"] = k.get("pause_s")
        out[scope] = row
    return out


def run(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


class FaultTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-faults-")
        self.daemons = []
        self.servers = []
        self.mounts = []

    def tearDown(self):
        for srv in self.servers:
            srv.shutdown()
        for d in self.daemons:
            # A clean stop, so that a sanitizer build checks for leaks too.
            rc = d.stop() if d.alive() else 0
            log = d.read_log()
            d.cleanup()
            self.assertEqual(rc, 0, log[-3000:])
            self.assertNotIn("CRITICAL", log)
            self.assertNotIn("AddressSanitizer", log)
            self.assertNotIn("runtime error", log)
        for m in reversed(self.mounts):
            self.unmount(m)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def start(self, *args, **kw):
        d = Daemon(*args, **kw)
        self.daemons.append(d)
        return d.start()

    def supervisor(self, d):
        r = subprocess.run([CTL, "--state-dir", d.state_dir] +
                           (["--config", d.config] if d.config else []) +
                           ["token", "add", "supervisor", "faults"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def open_alerts(self, d, token, rule=None):
        j = d.get_json("/api/v1/alerts?state=open", token=token)
        return [a for a in j["alerts"] if rule is None or a["rule"] == rule]

    def all_alerts(self, d, token, rule):
        j = d.get_json("/api/v1/alerts?state=all", token=token)
        return [a for a in j["alerts"] if a["rule"] == rule]

    def mount(self, *args):
        """mount(8) as given; skips the test when not permitted here."""
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a tmpfs or a read-only bind mount")
        r = run("mount", *args)
        if r.returncode != 0:
            self.skipTest("mount %s not permitted here: %s" % (" ".join(args), r.stderr.strip()))
        self.mounts.append(args[-1])

    def unmount(self, path):
        # Busy for a moment after the daemon's exit; lazily as a last resort.
        for _ in range(50):
            if run("umount", path).returncode == 0:
                return
            time.sleep(0.1)
        run("umount", "-l", path)

    def reference(self, lines):
        """An uninterrupted run over the same lines in one file."""
        path = self.write("reference_log", "".join(lines))
        conf = self.write("ref.conf", "[rrd]\nenabled = false\n")
        ref = self.start("--queue-log", path, config=conf)
        wait_for(lambda: count(ref) >= len(lines), timeout=120, what="the reference run")
        return ref

    # ---- (a) ----------------------------------------------------------

    def test_queue_log_rotation(self):
        """ROTATIONS renames (logrotate's create) and ROTATIONS copytruncates
        taking turns while the file is written: every line stored once."""
        rng = random.Random(20)
        t0 = int(time.time()) - 6 * 3600 - 2 * CALLS
        lines = make_lines(CALLS, rng, t0)
        pieces = 2 * ROTATIONS + 1
        cut = [len(lines) * k // pieces for k in range(pieces + 1)]
        log = os.path.join(self.tmp, "queue_log")
        open(log, "w").close()
        conf = self.write("a.conf", "[rrd]\nenabled = false\n" +
                          rules_config(["collector_silent", "store_errors"]))
        d = self.start("--queue-log", log, config=conf)
        token = self.supervisor(d)

        def stats():
            return d.get_json("/healthz")["collectors"][0]

        renames = truncations = 0
        for k in range(pieces):
            append(log, "".join(lines[cut[k]:cut[k + 1]]))
            if k == pieces - 1:
                break
            if k % 2 == 0:
                # At once, unread lines and all: the daemon reads the rest
                # of the old file before it follows the new one.
                os.rename(log, "%s.%d" % (log, k))
                open(log, "w").close()
                renames += 1
                wait_for(lambda: stats()["rotations"] == renames, what="rename %d seen" % renames)
            else:
                # copytruncate loses what is written between the copy and
                # the truncation, and what the reader had not read yet;
                # logrotate has the same window. Rotate when it has read all.
                wait_for(lambda: stats()["lines"] == cut[k + 1], what="all read before truncating")
                shutil.copyfile(log, "%s.%d" % (log, k))
                with open(log, "r+") as f:
                    f.truncate(0)
                truncations += 1
                wait_for(lambda: stats()["truncations"] == truncations,
                         what="truncation %d seen" % truncations)
        wait_for(lambda: count(d) >= len(lines), timeout=120, what="all lines stored")
        time.sleep(0.5)
        self.assertTrue(d.alive())
        st = stats()
        self.assertEqual((st["rotations"], st["truncations"]), (ROTATIONS, ROTATIONS))
        self.assertEqual(st["lines"], len(lines))
        self.assertEqual(st["quarantined"], 0)
        self.assertEqual(count(d), len(lines))
        self.assertEqual(count(d, "SELECT count(*) FROM calls"), CALLS)
        self.assertEqual(self.open_alerts(d, token), [])

        ref = self.reference(lines)
        self.assertEqual(rows(d, EVENTS_SQL), rows(ref, EVENTS_SQL))
        self.assertEqual(rows(d, CALLS_SQL), rows(ref, CALLS_SQL))
        # A window that ends in the past: an agent still available now
        # would add the seconds between the two requests.
        end = max(int(line.split("|")[0]) for line in lines) + 60
        window = "?from=%d&to=%d" % ((t0 - 10) * 1000, end * 1000)
        for scope in ("total", "queue:policy", "queue:progress"):
            self.assertEqual(d.get_json("/api/v1/kpi%s&scope=%s" % (window, scope)),
                             ref.get_json("/api/v1/kpi%s&scope=%s" % (window, scope)))

    # ---- (b) ----------------------------------------------------------

    def test_ami_server_restarts(self):
        """The AMI server killed AMI_RESTARTS times between parts of its
        script: collector_down raised while it is down and cleared once the
        daemon is back, and the KPIs those of the same calls read from a
        queue_log."""
        # Calls of the last hours, not of a fixed day: the live model drops
        # calls two days older than its newest event, and the events the
        # collector makes at each login (the QueueStatus round, the ACD
        # snapshots) carry the time of now.
        t0 = int(time.time()) // 3600 * 3600 - 3 * 3600
        window = "from=%d&to=%d" % ((t0 - 3600) * 1000, (t0 + 3 * 3600) * 1000)
        sc = make_scenario(n_calls=max(70, 3 * AMI_RESTARTS + 10), seed=21, t0=t0)
        ql_path = self.write("queue_log", sc.queue_log())
        n_lines = sc.queue_log().count("\n")
        d_ql = self.start("--queue-log", ql_path, config=self.write("ql.conf", COMMON))
        wait_for(lambda: d_ql.get_json("/healthz")["collectors"][0]["lines"] == n_lines,
                 what="queue_log")

        script = sc.ami()
        bounds = [0] + safe_drop_points(script, AMI_RESTARTS) + [len(script)]
        srv = FakeAmi(script[:bounds[1]])
        self.servers.append(srv)
        srv.start()
        # Down for more than a second raises; reconnection at most 1 s apart.
        conf = ami_config(srv.port, extra="reconnect_max_s = 1\n") + rules_config(
            ["collector_down"], "[alert.collector_down]\nthreshold = 1\n")
        d = self.start(config=self.write("ami.conf", conf))
        token = self.supervisor(d)

        def connected():
            ami = [c for c in d.get_json("/healthz")["collectors"] if c["kind"] == "ami"]
            return ami[0]["connected"]

        for k in range(AMI_RESTARTS):
            wait_for(srv.sent_all, timeout=30, what="part %d sent" % k)
            wait_for(connected, timeout=30, what="connected before kill %d" % k)
            srv.stop()
            raised = wait_for(lambda: self.open_alerts(d, token, "collector_down"), timeout=20,
                              what="collector_down raised (kill %d)" % k)
            self.assertEqual(raised[0]["scope"], "collector:ami:127.0.0.1:%d" % srv.port)
            self.assertEqual(raised[0]["severity"], "critical")
            self.assertTrue(d.alive())
            srv.extend(script[bounds[k + 1]:bounds[k + 2]])
            srv.start()
            wait_for(lambda: not self.open_alerts(d, token, "collector_down"), timeout=20,
                     what="collector_down cleared (restart %d)" % k)
            self.assertTrue(connected())
        wait_for(srv.sent_all, timeout=60, what="the whole script sent")
        expect = figures(d_ql, window)
        last = {}

        def same():
            last["ami"] = figures(d, window)
            return last["ami"] == expect
        try:
            wait_for(same, timeout=30, interval=0.3, what="the same KPIs")
        except AssertionError:
            self.assertEqual(call_outcomes(d), call_outcomes(d_ql))
            for scope in SCOPES:
                self.assertEqual(last["ami"][scope], expect[scope], scope)
            raise
        wait_for(lambda: call_outcomes(d) == call_outcomes(d_ql), what="the same calls")
        with d.db() as db:
            n = db.execute("SELECT count(*) FROM events WHERE type = 'call.enqueue'").fetchone()[0]
        self.assertEqual(n, sc.queue_log().count("|ENTERQUEUE|"))
        self.assertEqual(expect["total"]["offered"], sc.queue_log().count("|ENTERQUEUE|"))
        alerts = self.all_alerts(d, token, "collector_down")
        self.assertEqual(len(alerts), AMI_RESTARTS)
        self.assertTrue(all(a["state"] == "cleared" for a in alerts), alerts)
        self.assertGreaterEqual(srv.logins, AMI_RESTARTS + 1)
        self.assertTrue(d.alive())

    # ---- (c) ----------------------------------------------------------

    def test_disk_full(self):
        """The state directory on a 6 MiB tmpfs, filled up while lines
        arrive: the daemon stays up and keeps counting live, /healthz and the
        store_errors alert say so, and once space is back every line is
        stored exactly once, those read while the disk was full included."""
        state = os.path.join(self.tmp, "state")
        os.mkdir(state)
        self.mount("-t", "tmpfs", "-o", "size=6m", "tmpfs", state)
        rng = random.Random(22)
        lines = make_lines(3000, rng, int(time.time()) - 3600)
        a, b = 2000, 6000
        log = os.path.join(self.tmp, "queue_log")
        open(log, "w").close()
        conf = self.write("c.conf", "[rrd]\nenabled = false\n" + rules_config(["store_errors"]))
        d = self.start("--queue-log", log, state_dir=state, config=conf)
        token = self.supervisor(d)
        append(log, "".join(lines[:a]))
        wait_for(lambda: count(d) >= a, what="the first lines stored")
        # The rules count failures from their first round on, a second
        # after the start.
        time.sleep(1.5)

        def read():
            return health(d)[1]["collectors"][0]["lines"]

        def applied():
            return health(d)[1]["live"]["applied"]

        filler = os.path.join(state, "filler")
        run("dd", "if=/dev/zero", "of=" + filler, "bs=64k")
        live_before = applied()
        append(log, "".join(lines[a:b]))
        status, h = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(health(d)),
                             timeout=30, what="503 while the disk is full")
        self.assertEqual([p["check"] for p in h["problems"]], ["store"])
        self.assertIn("full", h["problems"][0]["message"])
        wait_for(lambda: read() == b, timeout=30, what="the lines read while the disk is full")
        time.sleep(2)  # a flush and an alert round
        self.assertTrue(d.alive())
        # The lines read meanwhile are held in memory and counted live.
        h = health(d)[1]
        self.assertGreater(h["store"]["held"], 0)
        self.assertEqual(h["store"]["dropped"], 0)
        self.assertGreater(applied(), live_before)
        # The alert is listed from the table: while the disk is full it
        # shows only if its row found room (in the WAL file's free pages).
        during = [x["rule"] for x in self.open_alerts(d, token)]

        os.unlink(filler)
        append(log, "".join(lines[b:]))
        wait_for(lambda: read() == len(lines), timeout=60, what="all lines read")
        wait_for(lambda: health(d)[0] == 200, timeout=30, what="200 once space is back")
        raised = wait_for(lambda: self.open_alerts(d, token, "store_errors"), timeout=10,
                          what="store_errors raised")
        self.assertEqual(raised[0]["severity"], "critical")
        self.assertEqual(raised[0]["scope"], "store")
        wait_for(lambda: health(d)[1]["store"]["held"] == 0, timeout=10, what="nothing held")
        time.sleep(1.5)  # the last batch committed
        self.assertTrue(d.alive())
        # Every line once, in the order of the file.
        self.assertEqual(count(d), len(lines))
        self.assertEqual(count(d, "SELECT count(DISTINCT source_pos) FROM events"), len(lines))
        self.assertEqual(count(d, "SELECT count(*) FROM (SELECT source_pos, lag(source_pos)"
                                  " OVER (ORDER BY id) AS prev FROM events) WHERE prev >= source_pos"),
                         0)
        print("disk full: %d of %d lines stored; alerts listed while full: %s"
              % (count(d), len(lines), during), flush=True)

    # ---- (d) ----------------------------------------------------------

    def test_rrd_read_only(self):
        """The RRD directory read-only (a read-only bind mount: root ignores
        file modes): updates fail and are counted, the rrd_errors alert is
        raised, the daemon and its KPIs carry on, and once writable the
        updates resume (the alert clears after ten minutes without a
        failure, which tests/test_alerts.c covers)."""
        rng = random.Random(23)
        t0 = int(time.time()) - 3600
        lines = make_lines(400, rng, t0)
        log = self.write("queue_log", "".join(lines))
        conf = self.write("d.conf", rules_config(["store_errors", "disk_low", "rrd_errors"]))
        d = self.start("--queue-log", log, config=conf)
        token = self.supervisor(d)
        rrd = os.path.join(d.state_dir, "rrd")
        wait_for(lambda: count(d) >= len(lines), what="lines stored")

        def metric(name):
            _, _, body = d.request("/metrics", token=False)
            for line in body.decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
            return None

        def flushed():
            # The series route writes what is pending before it reads.
            d.request("/api/v1/series?metric=offered&scope=total")
            return metric("wallboard_rrd_updates_total")

        # A sample every 10 s; the first one creates the files.
        wait_for(lambda: (flushed() or 0) > 0, timeout=30, what="a first RRD update")
        self.assertTrue(os.path.isdir(rrd) and os.listdir(rrd))
        self.assertEqual(metric("wallboard_rrd_errors_total"), 0)
        # Ends in the past, so that the figures stay still.
        window = "/api/v1/kpi?scope=total&from=%d&to=%d" % ((t0 - 10) * 1000, (t0 + 1800) * 1000)
        kpi = d.get_json(window)
        self.assertEqual(kpi["offered"], 400)
        before = {f: os.stat(os.path.join(rrd, f)).st_mtime_ns for f in os.listdir(rrd)}

        self.mount("--bind", rrd, rrd)
        r = run("mount", "-o", "remount,bind,ro", rrd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(run("touch", os.path.join(rrd, "probe")).returncode, 0)
        wait_for(lambda: flushed() is not None and metric("wallboard_rrd_errors_total") > 0,
                 timeout=30, what="a failed RRD update")
        self.assertTrue(d.alive())
        self.assertEqual(d.get_json(window), kpi)
        self.assertIn("waiting", d.get_json("/api/v1/live")["total"])
        raised = wait_for(lambda: self.open_alerts(d, token, "rrd_errors"), timeout=10,
                          what="the rrd_errors alert")
        self.assertEqual((raised[0]["scope"], raised[0]["severity"]), ("rrd", "warning"))
        self.assertEqual([a["rule"] for a in self.open_alerts(d, token)], ["rrd_errors"])
        errors = metric("wallboard_rrd_errors_total")

        self.unmount(rrd)
        self.mounts.remove(rrd)
        updates = metric("wallboard_rrd_updates_total")
        wait_for(lambda: flushed() > updates, timeout=30, what="updates again")
        time.sleep(0.2)
        self.assertEqual(metric("wallboard_rrd_errors_total"), errors)
        after = {f: os.stat(os.path.join(rrd, f)).st_mtime_ns for f in os.listdir(rrd)}
        self.assertTrue(any(after[f] > before[f] for f in before), (before, after))
        self.assertTrue(d.alive())


if __name__ == "__main__":
    unittest.main(verbosity=2)
