"""Alerts through the daemon: a burst of callers in the queue_log raises the
`waiting` and `longest_wait` alerts, seen at GET /api/v1/alerts with a
supervisor token and on the `alerts` WebSocket topic; the queue drains and
both clear. Acknowledging needs a named user: a token gets 403, a
logged-in supervisor 200 (then 409), with an audit row; the same over the
WebSocket ({"op":"ack"}). A display token may not subscribe to alerts.

The rules are made quick in the config (waiting > 3 for 1 s, clearing at
1 or fewer for 1 s; longest wait > 3 s at once, clearing at 1 s or less),
every other shipped rule is disabled so nothing else fires."""

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import websockets

from wbtest import Daemon, append, ql, wait_for, ws_recv, ws_session

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
PASSWORD = "Shift-Lead-2026"
OTHERS = ["service_level", "acw_long", "paused_long", "shift_uncovered", "staffing_short",
          "abandon_spike", "workorder_due", "collector_silent", "collector_down", "disk_low",
          "store_errors"]
CONFIG = """[alert.waiting]
threshold = 3
clear = 1
for_s = 1
clear_for_s = 1

[alert.longest_wait]
threshold = 3
clear = 1
clear_for_s = 1
""" + "".join("\n[alert.%s]\nenabled = false\n" % name for name in OTHERS)


class AlertsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-alerts-")
        self.conf = os.path.join(self.tmp, "wallboard.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONFIG)
        self.ql = os.path.join(self.tmp, "queue_log")
        open(self.ql, "w").close()
        self.d = Daemon("--queue-log", self.ql, config=self.conf)
        r = self.ctl("user", "add", "liwei", "--role", "supervisor", "--display-name", "李伟",
                     "--password-stdin", stdin=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.d.start()
        self.supervisor = self.ctl("token", "add", "supervisor", "floor").stdout.strip()
        self.assertTrue(self.supervisor)

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctl(self, *args, stdin=None):
        return subprocess.run([CTL, "--state-dir", self.d.state_dir, "--config", self.conf]
                              + list(args), input=stdin, capture_output=True, text=True,
                              timeout=60)

    def login(self):
        status, headers, raw = self.d.request(
            "/api/v1/auth/login", token=False, method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"user": "liwei", "password": PASSWORD}).encode())
        self.assertEqual(status, 200, raw)
        return headers["Set-Cookie"].split(";")[0]

    def alerts(self, query="state=open", token=None):
        return self.d.get_json("/api/v1/alerts?" + query, token=token or self.supervisor)

    def rules(self, j):
        return sorted(a["rule"] for a in j["alerts"])

    def ack(self, alert_id, token=False, cookie=None):
        headers = {"Cookie": cookie} if cookie else {}
        status, _, raw = self.d.request("/api/v1/alerts/%s/ack" % alert_id, token=token,
                                        method="POST", headers=headers, data=b"")
        return status, json.loads(raw)

    def test_raise_ack_clear(self):
        d = self.d
        # Who may read: a display token may not, a supervisor token may.
        status, _, _ = d.request("/api/v1/alerts", token=True)
        self.assertEqual(status, 403)
        status, _, _ = d.request("/api/v1/alerts", token=False)
        self.assertEqual(status, 401)
        status, _, raw = d.request("/api/v1/alerts?state=closed", token=self.supervisor)
        self.assertEqual(status, 400)
        self.assertIn("state", json.loads(raw)["error"])
        self.assertEqual(self.alerts()["alerts"], [])

        # Six callers entered the policy queue 10 s ago and wait.
        t0 = time.time() - 10
        append(self.ql, "".join(ql(t0, "c%d" % i, "policy", "NONE", "ENTERQUEUE", "",
                                   "1380000000%d" % i, i + 1) for i in range(6)))
        j = wait_for(lambda: (lambda j: j if self.rules(j) == ["longest_wait", "waiting"] else None)(
            self.alerts()), timeout=20, what="waiting and longest_wait raised")
        by_rule = {a["rule"]: a for a in j["alerts"]}
        w = by_rule["waiting"]
        self.assertEqual(w["scope"], "total")
        self.assertEqual(w["state"], "open")
        self.assertEqual(w["severity"], "warning")
        self.assertEqual(w["value"], 6)
        self.assertEqual(w["threshold"], 3)
        self.assertEqual(w["message"], "排队等待: 全部队列 6 (> 3)")
        self.assertIsNone(w["cleared"])
        self.assertTrue(w["sound"])
        lw = by_rule["longest_wait"]
        self.assertEqual(lw["severity"], "critical")
        self.assertGreater(lw["value"], 3)
        self.assertEqual(j["open"], 2)
        # The default list (today's) holds the same two.
        self.assertEqual(self.rules(self.alerts("")), ["longest_wait", "waiting"])
        # The wallboard's banner, for a display token: the critical first,
        # message and acknowledgement only.
        live = wait_for(lambda: (lambda j: j if j["alerts_open"] == 2 else None)(
            d.get_json("/api/v1/live")), timeout=10, what="the banner on /api/v1/live")
        self.assertEqual([(a["rule"], a["severity"], a["acked"]) for a in live["alerts"]],
                         [("longest_wait", "critical", False), ("waiting", "warning", False)])
        self.assertEqual(live["alerts"][1]["message"], w["message"])
        self.assertEqual(live["alerts"][1]["id"], w["id"])
        self.assertEqual(live["alerts"][1]["raised_ms"], w["raised_ms"])
        self.assertNotIn("acked_by", live["alerts"][1])

        async def topic():
            # A display token is refused the topic; a supervisor gets both.
            ws = await ws_session(d, ["alerts"])
            err = await ws_recv(ws)
            self.assertEqual(err["t"], "error")
            self.assertIn("supervisor", err["error"])
            await ws.close()
            ws = await ws_session(d, ["alerts"], token=self.supervisor)
            self.assertEqual((await ws_recv(ws))["t"], "welcome")
            snap = await ws_recv(ws)
            self.assertEqual(snap["t"], "snapshot")
            self.assertEqual(snap["topic"], "alerts")
            self.assertEqual(self.rules(snap["data"]), ["longest_wait", "waiting"])
            # A token has no name: the WebSocket ack is refused as well.
            await ws.send(json.dumps({"op": "ack", "alert": w["id"]}))
            err = await ws_recv(ws)
            self.assertEqual(err["t"], "error")
            self.assertIn("named user", err["error"])
            await ws.close()
        asyncio.run(topic())

        # Acknowledging: a token no, a logged-in supervisor yes, once.
        status, j = self.ack(w["id"], token=self.supervisor)
        self.assertEqual(status, 403)
        self.assertIn("named user", j["error"])
        cookie = self.login()
        status, j = self.ack(w["id"], cookie=cookie)
        self.assertEqual(status, 200, j)
        self.assertEqual(j["acked_by"], "liwei")
        status, j = self.ack(w["id"], cookie=cookie)
        self.assertEqual(status, 409)
        status, j = self.ack(999, cookie=cookie)
        self.assertEqual(status, 404)
        status, j = self.ack("x", cookie=cookie)
        self.assertEqual(status, 404)
        with d.db() as db:
            self.assertEqual(db.execute("SELECT acked_by FROM alerts WHERE id = ?",
                                        (w["id"],)).fetchone(), ("liwei",))
            self.assertEqual(db.execute(
                "SELECT count(*) FROM audit WHERE actor = 'liwei' AND action = 'alert_ack'"
                " AND target = ?", ("alert:%d" % w["id"],)).fetchone(), (1,))
        acked = {a["rule"]: a for a in self.alerts()["alerts"]}["waiting"]
        self.assertEqual(acked["acked_by"], "liwei")
        self.assertFalse(acked["sound"])
        # The banner keeps an acknowledged alert: it is still open.
        wait_for(lambda: [a["acked"] for a in d.get_json("/api/v1/live")["alerts"]] == [False, True],
                 timeout=10, what="the acknowledgement on the banner")

        async def ws_ack_and_clear():
            # The logged-in page acknowledges over the WebSocket, then sees
            # both alerts clear when the queue drains.
            ws = await websockets.connect(d.ws_url(), subprotocols=["wallboard.v1"],
                                          extra_headers={"Cookie": cookie})
            await ws.send(json.dumps({"op": "hello", "topics": ["alerts"]}))
            self.assertEqual((await ws_recv(ws))["t"], "welcome")
            self.assertEqual((await ws_recv(ws))["t"], "snapshot")
            await ws.send(json.dumps({"op": "ack", "alert": lw["id"]}))
            got = await ws_recv(ws)
            while got["t"] != "ack":
                self.assertNotEqual(got["t"], "error", got)
                got = await ws_recv(ws)
            self.assertEqual(got, {"t": "ack", "alert": lw["id"], "acked_by": "liwei"})
            t1 = time.time()
            append(self.ql, "".join(ql(t1, "c%d" % i, "policy", "NONE", "ABANDON", i + 1, i + 1,
                                       int(t1 - t0)) for i in range(6)))
            deadline = time.monotonic() + 20
            while True:
                self.assertLess(time.monotonic(), deadline, "alerts did not clear on the topic")
                got = await ws_recv(ws, timeout=20)
                if got["t"] != "update" or got["topic"] != "alerts":
                    continue
                states = {a["rule"]: a["state"] for a in got["data"]["alerts"]}
                if states == {"waiting": "cleared", "longest_wait": "cleared"}:
                    self.assertEqual(got["data"]["open"], 0)
                    break
            await ws.close()
        asyncio.run(ws_ack_and_clear())

        self.assertEqual(self.alerts()["alerts"], [])
        wait_for(lambda: d.get_json("/api/v1/live")["alerts"] == [], timeout=10,
                 what="an empty banner")
        self.assertEqual(d.get_json("/api/v1/live")["alerts_open"], 0)
        everything = self.alerts("state=all")["alerts"]
        self.assertEqual(self.rules({"alerts": everything}), ["longest_wait", "waiting"])
        for a in everything:
            self.assertEqual(a["state"], "cleared")
            self.assertGreaterEqual(a["cleared_ms"], a["raised_ms"])
            self.assertEqual(a["acked_by"], "liwei")

        # After a restart nothing is raised again, and the list is the same.
        d.stop()
        d.start()
        time.sleep(2)
        self.assertEqual(self.rules(self.alerts("state=all")), ["longest_wait", "waiting"])
        with d.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM alerts").fetchone(), (2,))

    def test_restart_keeps_open_alert(self):
        t0 = time.time() - 30
        append(self.ql, ql(t0, "c1", "policy", "NONE", "ENTERQUEUE", "", "13800000001", 1))
        j = wait_for(lambda: (lambda j: j if self.rules(j) == ["longest_wait"] else None)(
            self.alerts()), timeout=20, what="longest_wait raised")
        first = j["alerts"][0]["id"]
        self.d.stop()
        self.d.start()
        time.sleep(2)
        j = self.alerts()
        self.assertEqual([a["id"] for a in j["alerts"]], [first])
        with self.d.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM alerts").fetchone(), (1,))


if __name__ == "__main__":
    unittest.main(verbosity=2)
