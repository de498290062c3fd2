"""The RRD archive end to end: an import fills it, the daemon continues the
same files, the stock rrdtool reads them, and GET /api/v1/series returns
what `rrdtool fetch` returns for the same span."""

import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from wbtest import Daemon, make_lines, wait_for

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
RRDCACHED = shutil.which("rrdcached") or "/usr/bin/rrdcached"


def rrdtool_fetch(path, cf, resolution, start, end, ds):
    """{end of step: value} from the stock rrdtool, counts per step."""
    out = subprocess.run(["rrdtool", "fetch", path, cf, "-r", str(resolution), "-s", str(start),
                          "-e", str(end)], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    names = lines[0].split()
    col = names.index(ds)
    step = None
    rows = {}
    for line in lines[1:]:
        if ":" not in line:
            continue
        ts, values = line.split(":", 1)
        v = values.split()[col]
        rows[int(ts)] = None if "nan" in v.lower() else float(v)
    stamps = sorted(rows)
    step = stamps[1] - stamps[0]
    return step, rows


class RrdTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-rrd-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if isinstance(p, Daemon):
                p.cleanup()
            else:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_import_then_live_then_series(self):
        rng = random.Random(4)
        t0 = (int(time.time()) // 86400 - 3) * 86400  # three days ago, 00:00 UTC
        log = os.path.join(self.tmp, "queue_log")
        with open(log, "w") as f:
            f.writelines(make_lines(3000, rng, t0))
        state = os.path.join(self.tmp, "state")
        r = subprocess.run([CTL, "--state-dir", state, "import", "queue_log", log],
                           capture_output=True, text=True, check=True)
        self.assertIn("RRD archive filled", r.stdout)
        total = os.path.join(state, "rrd", "total.rrd")
        info = subprocess.run(["rrdtool", "info", total], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("step = 10", info)
        imported_last = int(subprocess.run(["rrdtool", "last", total], capture_output=True,
                                           text=True, check=True).stdout)

        d = Daemon("--queue-log", log, state_dir=state)
        self.procs.append(d)
        d.start()
        # The daemon continues the same file after the imported history (a
        # series request writes what the sampler has queued).
        def live_last():
            d.request("/api/v1/series?metric=waiting")
            return int(subprocess.run(["rrdtool", "last", total], capture_output=True,
                                      text=True).stdout or 0)
        wait_for(lambda: live_last() > imported_last + 3600, timeout=60,
                 what="live samples after the import")

        start, end = t0, t0 + 86400
        for metric, resolution in (("offered", 900), ("answered", 3600), ("service_level", 900),
                                   ("on_call", 900)):
            q = urllib.parse.urlencode({"metric": metric, "from": start * 1000, "to": end * 1000,
                                        "resolution": resolution})
            api = d.get_json("/api/v1/series?" + q)
            step, rows = rrdtool_fetch(total, "AVERAGE", resolution, start, end, metric)
            self.assertEqual(api["step_s"], step, metric)
            self.assertEqual(len(api["points"]), len(rows), metric)
            count = metric in ("offered", "answered", "abandoned")
            for ts_ms, value in api["points"]:
                want = rows[ts_ms // 1000]
                if want is not None and count:
                    want *= step
                if want is None:
                    self.assertIsNone(value, (metric, ts_ms))
                else:
                    self.assertAlmostEqual(value, want, places=3, msg=(metric, ts_ms))
            known = [v for _, v in api["points"] if v is not None]
            self.assertTrue(known, metric)
        # The day's offered calls per 15 minutes add up to the day's KPI.
        q = urllib.parse.urlencode({"metric": "offered", "from": start * 1000, "to": end * 1000,
                                    "resolution": 900})
        series = d.get_json("/api/v1/series?" + q)
        k = d.get_json("/api/v1/kpi?from=%d&to=%d" % (start * 1000, end * 1000))
        self.assertAlmostEqual(sum(v for _, v in series["points"] if v), k["offered"], places=3)
        # wallboardctl graph draws from the same files, beside the daemon.
        for ext, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
            out = os.path.join(self.tmp, "offered." + ext)
            subprocess.run([CTL, "--state-dir", state, "graph", "--metric", "offered,answered",
                            "--from", str(start * 1000), "--to", str(end * 1000), "--out", out],
                           check=True, capture_output=True)
            with open(out, "rb") as f:
                head = f.read(64)
            self.assertTrue(head.startswith(magic), (ext, head))
        # Errors: an unknown metric, a scope with no file.
        code, _, _ = d.request("/api/v1/series?metric=colour")
        self.assertEqual(code, 400)
        code, _, _ = d.request("/api/v1/series?metric=waiting&scope=queue:nothing")
        self.assertEqual(code, 404)

    @unittest.skipUnless(os.path.exists(RRDCACHED), "rrdcached is not installed")
    def test_through_rrdcached(self):
        rrd_dir = os.path.join(self.tmp, "rrd")
        os.makedirs(rrd_dir)
        sock = os.path.join(self.tmp, "rrdcached.sock")
        cached = subprocess.Popen([RRDCACHED, "-g", "-l", "unix:" + sock, "-b", rrd_dir,
                                   "-w", "3600", "-z", "1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(cached)
        wait_for(lambda: os.path.exists(sock), what="rrdcached socket")
        conf = os.path.join(self.tmp, "wb.conf")
        with open(conf, "w") as f:
            f.write("[rrd]\ndir = %s\ndaemon = unix:%s\n" % (rrd_dir, sock))
        log = os.path.join(self.tmp, "queue_log")
        now = int(time.time())
        with open(log, "w") as f:
            f.write("%d|1.1|policy|NONE|ENTERQUEUE||13800000001|1\n" % (now - 5))
        d = Daemon("--queue-log", log, config=conf)
        self.procs.append(d)
        d.start()
        total = os.path.join(rrd_dir, "total.rrd")
        wait_for(lambda: os.path.exists(total), timeout=90, what="total.rrd through rrdcached")
        # Updates sit in rrdcached (write delay 1 h) until a read flushes them.
        time.sleep(12)
        q = urllib.parse.urlencode({"metric": "waiting", "from": (now - 60) * 1000,
                                    "to": (now + 60) * 1000, "resolution": 10})
        api = d.get_json("/api/v1/series?" + q)
        self.assertIn(1.0, [v for _, v in api["points"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
