"""Live staffing against the real daemon: the forecast from the same
interval on the last four same weekdays (imported queue_log history),
blended with today's calls; the required agents by Erlang C (checked with
wallboardctl erlang); rostered, present and on the phones from roster rows,
punches and agent logins sent to the ingest API; the same object on the
WebSocket topic `staffing`, updated after a punch."""

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from wbtest import Daemon, ql, wait_for, ws_recv, ws_session

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")

TZ_S = 8 * 3600  # Asia/Shanghai
SIZE_S = 1800
DAY_S = 86400
WEEK_S = 7 * DAY_S
# Calls in the current and next interval on the same weekday 1..4 weeks ago,
# and in the interval before (for the trend): means 10, 6 and 6.
CURRENT = [8, 10, 12, 10]
NEXT = [6, 4, 8, 6]
BEFORE = 6
AHT_S = 180


def iso(s):
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(s + TZ_S))


def ctl(state_dir, *args):
    r = subprocess.run([CTL, "--state-dir", state_dir] + list(args), capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("wallboardctl %s: %d\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
    return r.stdout


def erlang(calls, aht):
    """Required and scheduled agents as wallboardctl erlang works them out."""
    out = subprocess.run([CTL, "erlang", "--calls", repr(calls), "--period", str(SIZE_S),
                          "--aht", repr(aht), "--target", "0.8", "--within", "15",
                          "--max-occupancy", "0.85", "--shrinkage", "0.3", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    return got["agents"], got["scheduled"]


class StaffingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-staffing-")
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(self.state)
        self.conf = os.path.join(self.tmp, "wallboard.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("[kpi]\ntimezone = Asia/Shanghai\nsl_threshold_s = 15\n"
                    "target_service_level = 0.8\n"
                    "[staffing]\ninterval_min = 30\nmax_occupancy = 0.85\nshrinkage = 0.3\n"
                    "[shift.早]\nlabel = 白班\nstart = 08:00\nend = 17:30\n"
                    "[agent.1003]\nname = 李娜\n")
        self.d = None

    def tearDown(self):
        if self.d is not None:
            self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def history(self, now):
        """queue_log lines: four weeks of the same weekday, and today."""
        s0 = now - (now + TZ_S) % SIZE_S
        self.s0 = s0
        self.history_calls = []  # enqueue times on the history days
        lines = []
        n = 0

        def answered(t, agent):
            nonlocal n
            n += 1
            cid = "%d.%d" % (t, n)
            lines.append(ql(t, cid, "policy", "NONE", "ENTERQUEUE", "", "1390000%04d" % n, 1))
            lines.append(ql(t + 5, cid, "policy", agent, "CONNECT", 5, cid + "b", 2))
            lines.append(ql(t + 5 + AHT_S, cid, "policy", agent, "COMPLETECALLER", 5, AHT_S, 1))
            return t

        for k in range(1, 5):
            base = s0 - k * WEEK_S
            lines.append(ql(base - 2 * SIZE_S, "MANAGER", "policy", "PJSIP/9001", "ADDMEMBER", ""))
            for i in range(BEFORE):
                self.history_calls.append(answered(base - SIZE_S + 60 + i * 250, "9001"))
            for i in range(CURRENT[k - 1]):
                self.history_calls.append(answered(base + 30 + i * (SIZE_S - 60) // CURRENT[k - 1], "9001"))
            for i in range(NEXT[k - 1]):
                self.history_calls.append(answered(base + SIZE_S + 30 + i * 200, "9001"))
            lines.append(ql(base + 3 * SIZE_S, "MANAGER", "policy", "PJSIP/9001", "REMOVEMEMBER", ""))
        # Today: 1003 logged in; 12 calls in the hour before this interval,
        # 3 in it so far (abandoned: nobody is left on a call).
        lines.append(ql(now - 3000, "MANAGER", "policy", "PJSIP/1003", "ADDMEMBER", ""))
        self.today_calls = []
        for i in range(12):
            t = now - 3000 + 30 + i * (s0 - (now - 3000) - 60) // 12
            self.today_calls.append(t)
        for i in range(3):
            self.today_calls.append(s0 + 1 + i * max(1, (now - s0 - 5) // 3))
        for t in self.today_calls:
            n += 1
            cid = "%d.%d" % (t, n)
            lines.append(ql(t, cid, "policy", "NONE", "ENTERQUEUE", "", "1380000%04d" % n, 1))
            lines.append(ql(t + 2, cid, "policy", "NONE", "ABANDON", 1, 1, 2))
        lines.sort(key=lambda l: int(l.split("|")[0]))
        return "".join(lines)

    def post(self, key, events):
        for e in events:
            self.event_id = getattr(self, "event_id", 0) + 1
            e["event_id"] = "staffing-%d" % self.event_id
        body = ("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n").encode()
        status, _, raw = self.d.request("/api/v1/events", token=key, method="POST", data=body)
        self.assertEqual(status, 200, raw)
        self.assertEqual(json.loads(raw)["accepted"], len(events), raw)

    def expected(self, got):
        """The forecast rule of docs/kpi.md, on the calls this test made."""
        now = got["ts_ms"] / 1000
        f = got["interval"]["elapsed"]
        recent = sum(1 for t in self.today_calls if now - 3600 <= t < now)
        hist = [sum(1 for t in self.history_calls if now - k * WEEK_S - 3600 <= t < now - k * WEEK_S)
                for k in range(1, 5)]
        recent_history = sum(hist) / 4
        trend = min(2.0, max(0.5, recent / recent_history)) if recent_history > 0 else 1.0
        return {"recent": recent, "recent_history": recent_history, "trend": trend,
                "current": 3 + (1 - f) * 10 * trend, "next": 6 * trend}

    def check_forecast(self, got):
        want = self.expected(got)
        cur, nxt = got["interval"], got["next_interval"]
        self.assertEqual(cur["from_ms"], self.s0 * 1000)
        self.assertEqual(cur["to_ms"], (self.s0 + SIZE_S) * 1000)
        self.assertEqual(nxt["from_ms"], (self.s0 + SIZE_S) * 1000)
        self.assertAlmostEqual(cur["elapsed"], (got["ts_ms"] / 1000 - self.s0) / SIZE_S, places=3)
        fc = cur["forecast"]
        self.assertEqual(fc["history_days"], 4)
        self.assertEqual(fc["history"], 10)  # (8 + 10 + 12 + 10) / 4
        self.assertEqual(fc["offered_so_far"], 3)
        self.assertEqual(fc["recent"], want["recent"])
        self.assertEqual(fc["method"], "blend")
        self.assertEqual((fc["aht_s"], fc["aht_source"]), (AHT_S, "history"))
        self.assertAlmostEqual(fc["trend"], want["trend"], places=3)
        self.assertAlmostEqual(fc["offered"], want["current"], places=2)
        nf = nxt["forecast"]
        self.assertEqual((nf["history"], nf["history_days"]), (6, 4))  # (6 + 4 + 8 + 6) / 4
        self.assertAlmostEqual(nf["offered"], want["next"], places=3)
        self.assertAlmostEqual(nf["live"], want["recent"] * 30 / 60, places=3)
        # Required: Erlang C on the forecast, an upper bound.
        for iv, calls in ((cur, fc["offered"]), (nxt, nf["offered"])):
            self.assertEqual((iv["required"], iv["scheduled"]), erlang(calls, AHT_S))
            self.assertIs(iv["upper_bound"], True)
            self.assertGreaterEqual(iv["service_level"], 0.8)
            self.assertLessEqual(iv["occupancy"], 0.85)

    def test_staffing(self):
        now = int(time.time())
        # The 3 calls of today's interval need a few seconds of it.
        if (now + TZ_S) % SIZE_S < 12:
            time.sleep(12 - (now + TZ_S) % SIZE_S)
            now = int(time.time())
        # ... and the answer must come before the interval ends.
        if (now + TZ_S) % SIZE_S > SIZE_S - 40:
            time.sleep(SIZE_S - (now + TZ_S) % SIZE_S + 12)
            now = int(time.time())
        path = os.path.join(self.tmp, "history.queue_log")
        with open(path, "w") as f:
            f.write(self.history(now))
        ctl(self.state, "--config", self.conf, "import", "queue_log", path)

        self.d = Daemon(state_dir=self.state, config=self.conf).start()
        key = ctl(self.state, "key", "add", "hr").strip()
        at = lambda s: iso(now + s)
        shift = lambda staff: {"type": "roster.shift", "ts": at(-DAY_S), "staff": staff,
                               "start": iso(self.s0 - 7200), "end": iso(self.s0 + 6 * 3600),
                               "role": "agent", "template": "早"}
        self.post(key, [
            {"type": "staff.record", "ts": at(-WEEK_S), "staff": "1001", "name": "张伟",
             "role": "agent", "status": "active"},
            shift("1001"), shift("1002"), shift("1003"),
            # Another shift that ended, and one of tomorrow: not rostered now.
            {"type": "roster.shift", "ts": at(-DAY_S), "staff": "1005",
             "start": iso(self.s0 - 9 * 3600), "end": iso(self.s0 - 3600), "template": "早"},
            {"type": "roster.shift", "ts": at(-DAY_S), "staff": "1006",
             "start": iso(self.s0 + DAY_S), "end": iso(self.s0 + DAY_S + 3600), "template": "早"},
            {"type": "staff.punch", "ts": at(-3600), "staff": "1001", "direction": "in",
             "device": "zk-1"},
            {"type": "staff.punch", "ts": at(-1800), "staff": "1004", "direction": "in",
             "device": "zk-1"},
        ])

        got = self.d.get_json("/api/v1/staffing")
        self.assertEqual(got["size_min"], 30)
        self.check_forecast(got)
        # 1001 punched in, 1003 logged in, 1004 punched in without a shift;
        # 1002 neither. Only 1003 is on the phones.
        self.assertEqual((got["rostered"], got["present"], got["on_phones"]), (3, 3, 1))
        self.assertEqual([s["label"] for s in got["shifts"]], ["白班"])
        self.assertEqual((got["shifts"][0]["rostered"], got["shifts"][0]["present"]), (3, 2))
        duty = [(p["agent"], p["name"], p["shift"], p["present"], p["state"])
                for p in got["on_duty"]]
        self.assertEqual(duty, [("1001", "张伟", "早", True, "offline"),
                                ("1002", "1002", "早", False, "offline"),
                                ("1003", "李娜", "早", True, "available"),
                                ("1004", "1004", None, True, "offline")])
        # What the TV may see: aggregates and names, no punch times.
        self.assertNotIn("punch", json.dumps(got))
        self.assertEqual(self.d.request("/api/v1/staffing", token=False)[0], 401)
        self.assertEqual(self.d.request("/api/v1/staffing", method="POST")[0], 405)

        async def ws():
            w = await ws_session(self.d, ["staffing"])
            welcome = await ws_recv(w)
            self.assertEqual(welcome["topics"], ["staffing"])
            snap = await ws_recv(w)
            self.assertEqual((snap["t"], snap["topic"]), ("snapshot", "staffing"))
            data = snap["data"]
            self.check_forecast(data)
            self.assertEqual((data["rostered"], data["present"], data["on_phones"]), (3, 3, 1))
            self.assertEqual(len(data["on_duty"]), 4)
            # 1002 punches in: the next frame within a few seconds says so.
            self.post(key, [{"type": "staff.punch", "ts": iso(int(time.time()) - 1),
                             "staff": "1002", "direction": "in", "device": "zk-1"}])
            start = time.monotonic()
            frames = 0
            while True:
                m = await ws_recv(w, timeout=10)
                if m["t"] != "update":
                    continue
                frames += 1
                if m["data"]["present"] == 4:
                    break
            waited = time.monotonic() - start
            self.assertLess(waited, 6.5)
            self.assertEqual([p["present"] for p in m["data"]["on_duty"]], [True] * 4)
            # Not once per event: a quiet minute brings a frame every few seconds.
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < 6:
                try:
                    m = await ws_recv(w, timeout=7)
                except asyncio.TimeoutError:
                    break
                n += m["t"] == "update"
            self.assertLessEqual(n, 3)
            await w.close()

        asyncio.run(ws())


if __name__ == "__main__":
    unittest.main(verbosity=2)
