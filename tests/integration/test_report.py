"""wallboardctl report: a month of calls imported from a queue_log and
their classifications from CSV, the monthly report's CSV tables read back
and checked against counts worked out by hand."""

import csv
import datetime
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest
import zoneinfo

from wbtest import ql

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def ctl(state_dir, *args, check=True):
    r = subprocess.run([CTL, "--state-dir", state_dir] + list(args), capture_output=True,
                       text=True, timeout=300)
    if check and r.returncode != 0:
        raise AssertionError("wallboardctl %s: %d\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
    return r


# The last whole month: its calls are all in the past, as imported files are.
TODAY = datetime.datetime.now(TZ).date()
LAST = TODAY.replace(day=1) - datetime.timedelta(days=1)
YEAR, MONTH, DAYS = LAST.year, LAST.month, LAST.day
PERIOD = "%04d-%02d" % (YEAR, MONTH)
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def local(d, hh, mm):
    return int(datetime.datetime(YEAR, MONTH, d, hh, mm, tzinfo=TZ).timestamp())


def weekday(d):
    return datetime.date(YEAR, MONTH, d).weekday()  # Monday 0


MONDAYS = [d for d in range(1, DAYS + 1) if weekday(d) == 0]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    assert text.startswith("\ufeff"), path
    rows = list(csv.reader(text[1:].splitlines()))
    return rows[0], rows[1:]


class ReportTest(unittest.TestCase):
    """The last whole month. Every day one call to policy at 10:00,
    answered after 5 s by 8001, talked 100 s; every Monday one call to visa
    at 09:15, abandoned after 40 s. The 10:00 calls of days 1-10 are 护照,
    of the later days 签证; the Monday calls 政策咨询. The month before is
    empty."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-report-")
        self.state = os.path.join(self.tmp, "state")
        lines, classes = [], ["call_id,category,request_type,channel\n"]
        for d in range(1, DAYS + 1):
            t = local(d, 10, 0)
            cid = "%d.%d" % (t, d)
            lines.append(ql(t, cid, "policy", "NONE", "ENTERQUEUE", "", "1380000%04d" % d, 1))
            lines.append(ql(t + 5, cid, "policy", "PJSIP/8001", "CONNECT", 5, cid + "b", 2))
            lines.append(ql(t + 105, cid, "policy", "PJSIP/8001", "COMPLETECALLER", 5, 100, 1))
            classes.append("%s,%s,咨询,电话\n" % (cid, "护照" if d <= 10 else "签证"))
            if d in MONDAYS:
                t = local(d, 9, 15)
                cid = "%d.m%d" % (t, d)
                lines.append(ql(t, cid, "visa", "NONE", "ENTERQUEUE", "", "1390000%04d" % d, 1))
                lines.append(ql(t + 40, cid, "visa", "NONE", "ABANDON", 1, 1, 40))
                classes.append("%s,政策咨询,咨询,电话\n" % cid)
        log = os.path.join(self.tmp, "queue_log")
        with open(log, "w") as f:
            f.writelines(sorted(lines, key=lambda l: int(l.split("|")[0])))
        cls = os.path.join(self.tmp, "classifications.csv")
        with open(cls, "w", encoding="utf-8") as f:
            f.writelines(classes)
        ctl(self.state, "import", "queue_log", log)
        ctl(self.state, "import", "classifications", cls)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_monthly_csv(self):
        r = ctl(self.state, "report", "monthly", "--period", PERIOD)
        out = r.stdout.strip()
        self.assertEqual(out, os.path.join(self.state, "reports", "monthly-" + PERIOD))
        # The default period is the same last whole month.
        self.assertEqual(ctl(self.state, "report", "monthly").stdout.strip(), out)
        m = len(MONDAYS)
        names = sorted(os.listdir(out))
        self.assertEqual(names, sorted(["report.html", "report.xlsx", "report.json"] + [
            n + ".csv" for n in [
                "summary", "queues", "agents", "heat_hour_weekday", "heat_category_day",
                "hot_topics", "rising_topics", "workorders", "quality", "headcount",
                "stability", "leavers", "attendance", "coverage_gaps", "training",
                "training_people"]]))
        # A run made from the command line is recorded as one.
        db = sqlite3.connect(os.path.join(self.state, "wallboard.db"))
        runs = db.execute("SELECT kind, period, trigger, status, dir FROM report_runs").fetchall()
        db.close()
        self.assertEqual(runs, [("monthly", PERIOD, "command", "done", out)] * 2)
        # A timer's run (--scheduled) makes a period once and says so after.
        r = ctl(self.state, "report", "monthly", "--scheduled")
        self.assertIn("already made", r.stderr)
        r = ctl(self.state, "report", "daily", "--period", "%s-01" % PERIOD, "--scheduled")
        self.assertTrue(os.path.isfile(os.path.join(r.stdout.strip(), "report.html")))
        db = sqlite3.connect(os.path.join(self.state, "wallboard.db"))
        runs = db.execute("SELECT kind, trigger FROM report_runs ORDER BY id").fetchall()
        db.close()
        self.assertEqual(runs, [("monthly", "command")] * 2 + [("daily", "timer")])

        head, rows = read_csv(os.path.join(out, "summary.csv"))
        self.assertEqual(head[:4], ["指标", "名称", "单位", "本期"])
        by = {row[0]: row for row in rows}
        self.assertEqual(by["offered"][3], str(DAYS + m))
        self.assertEqual(by["answered"][3], str(DAYS))
        self.assertEqual(by["abandoned"][3], str(m))
        self.assertAlmostEqual(float(by["answer_rate"][3]), DAYS / (DAYS + m), places=5)
        self.assertAlmostEqual(float(by["asa_s"][3]), 5, places=5)
        self.assertAlmostEqual(float(by["aht_s"][3]), 100, places=5)
        self.assertEqual(by["offered"][head.index("上期")], "0")
        self.assertEqual(by["answer_rate"][head.index("上期")], "")  # no calls: no rate

        head, rows = read_csv(os.path.join(out, "queues.csv"))
        by = {row[0]: row for row in rows}
        self.assertEqual(by["policy"][head.index("呼入人工量")], str(DAYS))
        self.assertEqual(by["visa"][head.index("放弃量")], str(m))

        head, rows = read_csv(os.path.join(out, "heat_hour_weekday.csv"))
        self.assertEqual(len(rows), 7)
        self.assertEqual(len(head), 1 + 24 + 1)
        by = {row[0]: row for row in rows}
        self.assertEqual(by["周一"][head.index("09时")], str(m))
        self.assertEqual(by["周二"][head.index("09时")], "0")
        for w in range(7):
            n = sum(1 for d in range(1, DAYS + 1) if weekday(d) == w)
            self.assertEqual(by[WEEKDAYS[w]][head.index("10时")], str(n))
        self.assertEqual(sum(int(c) for row in rows for c in row[1:25]), DAYS + m)

        head, rows = read_csv(os.path.join(out, "heat_category_day.csv"))
        by = {row[0]: row for row in rows}
        self.assertEqual([row[0] for row in rows], ["签证", "护照", "政策咨询"])
        self.assertEqual(by["护照"][head.index("%d月1日" % MONTH)], "1")
        self.assertEqual(by["护照"][head.index("%d月11日" % MONTH)], "0")
        self.assertEqual(by["签证"][head.index("%d月11日" % MONTH)], "1")
        self.assertEqual(by["政策咨询"][head.index("%d月%d日" % (MONTH, MONDAYS[0]))], "1")
        self.assertEqual(by["政策咨询"][head.index("%d月%d日" % (MONTH, MONDAYS[0] + 1))], "0")
        self.assertEqual(by["签证"][head.index("合计")], str(DAYS - 10))

        head, rows = read_csv(os.path.join(out, "hot_topics.csv"))
        self.assertEqual([(r[0], r[1], r[2]) for r in rows],
                         [("签证", "1", str(DAYS - 10)), ("护照", "2", "10"),
                          ("政策咨询", "3", str(m))])
        # The month before had nothing: every topic rose from nothing.
        head, rows = read_csv(os.path.join(out, "rising_topics.csv"))
        self.assertEqual([r[0] for r in rows], ["签证", "护照", "政策咨询"])
        self.assertEqual(rows[0][head.index("增长率")], "")

    def test_every_kind(self):
        """Each kind over a period holding the month: every format, both
        heat maps and the hot topics with the month's calls."""
        quarter = "%04d-Q%d" % (YEAR, (MONTH - 1) // 3 + 1)
        for kind, period in (("quarterly", quarter), ("annual", str(YEAR)),
                             ("thematic", "%s-01..%s-%02d" % (PERIOD, PERIOD, DAYS)),
                             ("daily", "%s-%02d" % (PERIOD, MONDAYS[0]))):
            dest = os.path.join(self.tmp, kind)
            ctl(self.state, "report", kind, "--period", period, "--out", dest)
            for name in ("report.html", "report.xlsx", "report.json", "summary.csv"):
                self.assertGreater(os.path.getsize(os.path.join(dest, name)), 0, (kind, name))
            with open(os.path.join(dest, "report.html"), encoding="utf-8") as f:
                html = f.read()
            self.assertIn("呼入量热力图", html)
            self.assertIn("诉求分类热力图", html)
            head, rows = read_csv(os.path.join(dest, "heat_hour_weekday.csv"))
            total = sum(int(c) for row in rows for c in row[1:25])
            head, rows = read_csv(os.path.join(dest, "hot_topics.csv"))
            if kind == "daily":
                self.assertEqual(total, 2)
                # One call each: ties go by name.
                self.assertEqual([r[0] for r in rows],
                                 sorted(["政策咨询", "签证" if MONDAYS[0] > 10 else "护照"]))
            else:
                self.assertEqual(total, DAYS + len(MONDAYS), kind)
                self.assertEqual([r[0] for r in rows], ["签证", "护照", "政策咨询"], kind)

    def test_out_and_bad_period(self):
        dest = os.path.join(self.tmp, "elsewhere")
        day = MONDAYS[0]
        r = ctl(self.state, "report", "daily", "--period", "%s-%02d" % (PERIOD, day), "--out", dest)
        self.assertEqual(r.stdout.strip(), dest)
        head, rows = read_csv(os.path.join(dest, "summary.csv"))
        by = {row[0]: row for row in rows}
        self.assertEqual(by["offered"][3], "2")
        self.assertEqual(by["offered"][head.index("上期")], "1" if day > 1 else "0")
        r = ctl(self.state, "report", "monthly", "--period", "2026-13", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("period", r.stderr)
        r = ctl(self.state, "report", "weekly", check=False)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
