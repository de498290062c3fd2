"""The daemon's reports: made by the in-daemon schedule once their period
has ended, listed at GET /api/v1/reports with their files, downloaded
(each download audited), re-made on a manager's request with the
manager's problems-and-rectification text, and never made twice by the
schedule across a restart."""

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import zoneinfo

from wbtest import Daemon, ql, wait_for

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
PASSWORD = "Report-Desk-2026"
TODAY = datetime.datetime.now(TZ).date()
LAST = TODAY.replace(day=1) - datetime.timedelta(days=1)
PERIOD = "%04d-%02d" % (LAST.year, LAST.month)
NAME = "monthly-" + PERIOD
TEXT = "问题：周一上午放弃率偏高。\n整改：周一 09:00-11:00 增加一名坐席。<script>"


def ctl(state, *args, stdin=None):
    r = subprocess.run([CTL, "--state-dir", state] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def local(day, hh, mm):
    return int(datetime.datetime(LAST.year, LAST.month, day, hh, mm, tzinfo=TZ).timestamp())


class ReportsApi(unittest.TestCase):
    """Last month: three calls answered on the 1st, one abandoned on the
    2nd. Only the monthly report is scheduled."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wb-reports-")
        cls.state = os.path.join(cls.tmp, "state")
        os.mkdir(cls.state)
        lines = []
        for i in range(3):
            t = local(1, 10, i * 10)
            cid = "%d.%d" % (t, i)
            lines += [ql(t, cid, "policy", "NONE", "ENTERQUEUE", "", "1380000000%d" % i, 1),
                      ql(t + 5, cid, "policy", "PJSIP/8001", "CONNECT", 5, cid + "b", 2),
                      ql(t + 65, cid, "policy", "PJSIP/8001", "COMPLETECALLER", 5, 60, 1)]
        t = local(2, 9, 0)
        lines += [ql(t, "%d.9" % t, "visa", "NONE", "ENTERQUEUE", "", "13900000009", 1),
                  ql(t + 30, "%d.9" % t, "visa", "NONE", "ABANDON", 1, 1, 30)]
        log = os.path.join(cls.tmp, "queue_log")
        with open(log, "w") as f:
            f.writelines(lines)
        ctl(cls.state, "import", "queue_log", log)
        for name, role in (("mgr", "manager"), ("sup", "supervisor"), ("boss", "admin")):
            ctl(cls.state, "user", "add", name, "--role", role, "--password-stdin",
                stdin=PASSWORD + "\n")
        cls.conf = os.path.join(cls.tmp, "wallboard.conf")
        with open(cls.conf, "w") as f:
            f.write("[report]\nschedule=monthly\ncentre_name=测试中心\n")
        cls.d = Daemon(state_dir=cls.state, config=cls.conf)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def call(self, method, path, cookie=None, body=None):
        headers = {"Cookie": "wb_session=" + cookie} if cookie else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return self.d.request(path, token=False, method=method, headers=headers, data=data)

    def login(self, name):
        status, headers, body = self.call("POST", "/api/v1/auth/login",
                                          body={"user": name, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        return headers["Set-Cookie"].split(";")[0][len("wb_session="):]

    def listing(self, cookie):
        status, _, body = self.call("GET", "/api/v1/reports", cookie=cookie)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def done_runs(self, cookie, trigger):
        return [r for r in self.listing(cookie)["runs"]
                if r["trigger"] == trigger and r["status"] == "done"]

    def test_1_scheduled_run_listed_and_downloaded(self):
        mgr = self.login("mgr")
        wait_for(lambda: self.done_runs(mgr, "schedule"), timeout=60, what="the scheduled run")
        out = self.listing(mgr)
        runs = [r for r in out["runs"] if r["trigger"] == "schedule"]
        self.assertEqual([(r["kind"], r["period"]) for r in runs], [("monthly", PERIOD)])
        self.assertIsNone(runs[0]["requested_by"])
        self.assertEqual(out["schedule"], [{"kind": "monthly", "period": PERIOD, "made": True,
                                            "due": out["schedule"][0]["due"],
                                            "due_ms": out["schedule"][0]["due_ms"]}])
        report = [r for r in out["reports"] if r["name"] == NAME][0]
        self.assertEqual(report["title"], "月报 " + PERIOD)
        files = {f["name"]: f for f in report["files"]}
        for name in ("report.html", "report.xlsx", "report.json", "summary.csv",
                     "heat_hour_weekday.csv", "heat_category_day.csv", "attendance.csv"):
            self.assertIn(name, files)
            self.assertGreater(files[name]["bytes"], 0)
        self.assertEqual([f["name"] for f in report["files"]][:3],
                         ["report.html", "report.json", "report.xlsx"])

        status, headers, body = self.call("GET", files["report.xlsx"]["url"], cookie=mgr)
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"PK"))
        self.assertEqual(headers["Content-Type"],
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertEqual(headers["Content-Disposition"],
                         'attachment; filename="%s-report.xlsx"' % NAME)
        self.assertEqual(len(body), files["report.xlsx"]["bytes"])
        status, headers, body = self.call("GET", files["report.html"]["url"], cookie=mgr)
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertIsNone(headers.get("Content-Disposition"))
        self.assertIn("测试中心", body.decode("utf-8"))
        status, _, body = self.call("GET", files["report.json"]["url"], cookie=mgr)
        doc = json.loads(body)
        summary = [t for t in doc["tables"] if t["name"] == "summary"][0]
        offered = [row for row in summary["rows"] if row[0] == "offered"][0]
        self.assertEqual(offered[3], 4)

        # Every download is in the audit trail, with who and what.
        status, _, body = self.call("GET", "/api/v1/audit?limit=1000", cookie=self.login("boss"))
        rows = [r for r in json.loads(body)["rows"] if r["action"] == "export"]
        self.assertEqual(sorted(r["target"] for r in rows if r["actor"] == "mgr"),
                         sorted(NAME + "/" + f for f in ("report.xlsx", "report.html",
                                                         "report.json")))

        # Names that are not a report's file are not served (a path that
        # climbs out is refused by the server before it reaches the API).
        for path in ("/api/v1/reports/files/%s/..%%2Fwallboard.db" % NAME,
                     "/api/v1/reports/files/%s/wallboard.db" % NAME,
                     "/api/v1/reports/files/..%2F..%2Fetc/passwd",
                     "/api/v1/reports/files/monthly-1999-01/report.html"):
            status, headers, body = self.call("GET", path, cookie=mgr)
            self.assertIn(status, (403, 404), path)
            self.assertNotIn(b"root:", body)

    def test_2_text_and_requested_run(self):
        mgr = self.login("mgr")
        wait_for(lambda: self.done_runs(mgr, "schedule"), timeout=60, what="the scheduled run")
        status, _, body = self.call("GET", "/api/v1/reports/text?kind=monthly&period=" + PERIOD,
                                    cookie=mgr)
        self.assertEqual(status, 200, body)
        self.assertIsNone(json.loads(body)["body"])
        status, _, body = self.call("POST", "/api/v1/reports/text", cookie=mgr,
                                    body={"kind": "monthly", "period": PERIOD, "body": TEXT})
        self.assertEqual(status, 200, body)
        got = json.loads(body)
        self.assertEqual((got["body"], got["author"]), (TEXT, "mgr"))
        self.assertTrue(got["updated"].endswith("+08:00"))

        status, _, body = self.call("POST", "/api/v1/reports", cookie=mgr,
                                    body={"kind": "monthly", "period": PERIOD})
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body), {"name": NAME, "kind": "monthly", "period": PERIOD,
                                            "status": "queued"})
        wait_for(lambda: self.done_runs(mgr, "request"), timeout=60, what="the requested run")
        run = self.done_runs(mgr, "request")[0]
        self.assertEqual(run["requested_by"], "mgr")
        report = [r for r in self.listing(mgr)["reports"] if r["name"] == NAME][0]
        self.assertEqual(report["run"]["id"], run["id"])
        url = "/api/v1/reports/files/%s/report.json" % NAME
        doc = json.loads(self.call("GET", url, cookie=mgr)[2])
        self.assertEqual(doc["rectification"], TEXT)
        self.assertEqual(doc["centre"], "测试中心")
        html = self.call("GET", "/api/v1/reports/files/%s/report.html" % NAME,
                         cookie=mgr)[2].decode("utf-8")
        self.assertIn("周一 09:00-11:00 增加一名坐席", html)
        self.assertNotIn("<script>", html)

        # Bad requests name what is wrong.
        for req, want in (({"kind": "weekly"}, "kind"),
                          ({"kind": "monthly", "period": "2026-13"}, "period"),
                          ({"kind": "thematic"}, "period"),
                          ({"kind": 3}, "kind")):
            status, _, body = self.call("POST", "/api/v1/reports", cookie=mgr, body=req)
            self.assertEqual(status, 400, req)
            self.assertIn(want, json.loads(body)["error"])
        status, _, body = self.call("POST", "/api/v1/reports/text", cookie=mgr,
                                    body={"kind": "monthly", "period": PERIOD,
                                          "body": "字" * 20001})
        self.assertEqual(status, 400)
        # A supervisor sees no reports.
        status, _, _ = self.call("GET", "/api/v1/reports", cookie=self.login("sup"))
        self.assertEqual(status, 403)

    def test_3_restart_does_not_remake(self):
        mgr = self.login("mgr")
        wait_for(lambda: self.done_runs(mgr, "schedule"), timeout=60, what="the scheduled run")
        self.d.stop()
        self.d.start()
        mgr = self.login("mgr")
        time.sleep(1.5)
        runs = [r for r in self.listing(mgr)["runs"] if r["trigger"] == "schedule"]
        self.assertEqual(len(runs), 1, runs)
        self.assertNotIn("failed", self.d.read_log())


if __name__ == "__main__":
    unittest.main()
