"""Attendance, adherence and holidays against the real daemon.

Today: five shifts placed around the present moment, judged against
punches sent to the ingest API and an agent login read from a tailed
queue_log file (on duty, late, absent, upcoming, left early).
October 2026: National Day with a local holiday file that turns the make-up
Saturday into a day off; per-agent counts, adherence, long absences and
holiday hours worked out by hand. Then the holiday calendar, and the
refusals: 401 without a token, 403 for a display token, 400 for bad
parameters."""

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import zoneinfo

from wbtest import Daemon, append, ql, wait_for

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
HOUR = 3600


def ctl(state_dir, *args):
    r = subprocess.run([CTL, "--state-dir", state_dir] + list(args), capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("wallboardctl %s: %d\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
    return r.stdout.strip()


def iso(s):
    return datetime.datetime.fromtimestamp(s, TZ).isoformat()


def local(text):
    """Epoch seconds of a local time of the centre, "2026-10-01 08:00"."""
    return int(datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ).timestamp())


def local_date(s):
    return datetime.datetime.fromtimestamp(s, TZ).strftime("%Y-%m-%d")


class AttendanceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-attendance-")
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(self.state)
        self.queue_log = os.path.join(self.tmp, "queue_log")
        self.holidays = os.path.join(self.tmp, "holidays-local.json")
        with open(self.holidays, "w", encoding="utf-8") as f:
            json.dump({"year": 2026, "days": [
                {"name": "本地调休", "date": "2026-10-10", "isOffDay": True}]}, f,
                ensure_ascii=False)
        self.conf = os.path.join(self.tmp, "wallboard.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("[kpi]\ntimezone = Asia/Shanghai\n"
                    "[queue_log]\npaths = %s\npoll_ms = 50\n"
                    "[holidays]\nfile = %s\n"
                    "[shift.D]\nlabel = 白班\nstart = 08:00\nend = 17:00\n"
                    "[agent.1002]\nname = 李娜\n" % (self.queue_log, self.holidays))
        self.d = None
        self.n = 0

    def tearDown(self):
        if self.d is not None:
            self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def post(self, events):
        for e in events:
            self.n += 1
            e["event_id"] = "att-%d" % self.n
        body = ("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n").encode()
        status, _, raw = self.d.request("/api/v1/events", token=self.key, method="POST", data=body)
        self.assertEqual(status, 200, raw)
        self.assertEqual(json.loads(raw)["accepted"], len(events), raw)

    def get(self, path, expect=200, token=None):
        return self.d.get_json(path, token=token or self.supervisor, expect=expect)

    def shift(self, staff, start, end, template="D"):
        return {"type": "roster.shift", "ts": iso(start - 7 * 86400), "staff": staff,
                "start": iso(start), "end": iso(end), "role": "agent", "template": template}

    def punch(self, staff, t, direction="unknown"):
        return {"type": "staff.punch", "ts": iso(t), "staff": staff, "direction": direction,
                "device": "zk-1"}

    def start_daemon(self):
        self.d = Daemon(state_dir=self.state, config=self.conf).start()
        self.key = ctl(self.state, "key", "add", "hr")
        self.supervisor = ctl(self.state, "token", "add", "supervisor", "desk")

    def roster_shift(self, agent, start):
        """The shift of agent starting at start, from the roster of its day."""
        got = self.get("/api/v1/roster?date=%s" % local_date(start))
        for s in got["shifts"]:
            if s["agent"] == agent and s["start_ms"] == start * 1000:
                return s
        raise AssertionError("no shift of %s at %s in %s" % (agent, iso(start), got))

    def test_today(self):
        now = int(time.time())
        # 1002 logs in to the phones 90 min into a shift that began 2 h ago.
        with open(self.queue_log, "w") as f:
            f.write(ql(now - 5400, "MANAGER", "policy", "PJSIP/1002", "ADDMEMBER", ""))
        self.start_daemon()
        self.post([
            {"type": "staff.record", "ts": iso(now - 86400), "staff": "1001", "name": "张伟",
             "role": "agent", "status": "active"},
            self.shift("1001", now - 3 * HOUR, now + 3 * HOUR),
            self.punch("1001", now - 3 * HOUR - 600, "in"),
            self.shift("1002", now - 2 * HOUR, now + 2 * HOUR),
            self.shift("1003", now - 2 * HOUR, now + HOUR),
            self.shift("1004", now + HOUR, now + 5 * HOUR),
            self.shift("1005", now - 5 * HOUR, now - HOUR),
            self.punch("1005", now - 5 * HOUR - 120),
            self.punch("1005", now - HOUR - 1200),
        ])
        wait_for(lambda: self.roster_shift("1002", now - 2 * HOUR)["status"] == "on_duty",
                 what="1002's login read from queue_log")

        s = self.roster_shift("1001", now - 3 * HOUR)
        self.assertEqual((s["name"], s["template"], s["template_label"], s["role"]),
                         ("张伟", "D", "白班", "agent"))
        self.assertEqual((s["status"], s["late"], s["late_s"], s["absent"]),
                         ("on_duty", False, 0, False))
        self.assertEqual(s["first_in_ms"], (now - 3 * HOUR - 600) * 1000)
        self.assertIsNone(s["early_leave"])  # not known before the end
        self.assertGreaterEqual(s["last_out_ms"], now * 1000)
        self.assertEqual(s["start_ms"], (now - 3 * HOUR) * 1000)

        s = self.roster_shift("1002", now - 2 * HOUR)
        self.assertEqual((s["name"], s["status"], s["late"], s["late_s"]),
                         ("李娜", "on_duty", True, 1800))
        self.assertEqual(s["first_in_ms"], (now - 5400) * 1000)

        s = self.roster_shift("1003", now - 2 * HOUR)
        self.assertEqual((s["status"], s["absent"], s["late"], s["first_in"]),
                         ("absent", True, None, None))
        self.assertEqual(s["present_s"], 0)

        s = self.roster_shift("1004", now + HOUR)
        self.assertEqual((s["status"], s["absent"], s["rostered_s"]), ("upcoming", False, 0))

        s = self.roster_shift("1005", now - 5 * HOUR)
        self.assertEqual((s["status"], s["late"], s["early_leave"], s["early_leave_s"]),
                         ("done", False, True, 1200))
        self.assertEqual(s["rostered_s"], 4 * HOUR)
        self.assertEqual(s["present_s"], 4 * HOUR - 1200)
        self.assertEqual(s["last_out_ms"], (now - HOUR - 1200) * 1000)

        # Today's list counts what it shows; a day with nothing is empty.
        today = self.get("/api/v1/roster")
        self.assertEqual(today["date"], local_date(now))
        c = today["counts"]
        self.assertEqual(c["shifts"], len(today["shifts"]))
        self.assertEqual(sum(c[k] for k in ("upcoming", "on_duty", "away", "absent", "done")),
                         c["shifts"])
        empty = self.get("/api/v1/roster?date=2020-02-02")
        self.assertEqual((empty["shifts"], empty["counts"]["shifts"]), ([], 0))

    def test_national_day(self):
        self.start_daemon()
        t = local
        events = [
            {"type": "staff.record", "ts": iso(t("2026-01-05 09:00")), "staff": s, "name": n,
             "role": "agent", "status": st}
            for s, n, st in (("2001", "王芳", "active"), ("2002", "李娜", "active"),
                             ("2003", "张伟", "active"), ("2004", "刘洋", "leave"),
                             ("2005", "陈静", "left"))]
        events[3]["ts"] = iso(t("2026-09-15 09:00"))

        def day(staff, d, start="08:00", end="17:00"):
            return self.shift(staff, t("2026-10-%02d %s" % (d, start)),
                              t("2026-10-%02d %s" % (d, end)))

        def punches(staff, d, a, b, direction="unknown"):
            return [self.punch(staff, t("2026-10-%02d %s" % (d, a)),
                               "in" if direction == "known" else direction),
                    self.punch(staff, t("2026-10-%02d %s" % (d, b)),
                               "out" if direction == "known" else direction)]

        # 2001: the night of Sep 30 (8 h of it on Oct 1, statutory), Oct 3
        # statutory (9 h), Oct 4 a moved day off (4 h, 5 h early), Oct 10
        # the make-up Saturday the local file gives off (9 h), Oct 11 a
        # Sunday (4 h). A clock that does not know the direction.
        events += [self.shift("2001", t("2026-09-30 19:00"), t("2026-10-01 08:00"), "N"),
                   self.punch("2001", t("2026-09-30 18:55")),
                   self.punch("2001", t("2026-10-01 08:05"))]
        events += [day("2001", 3)] + punches("2001", 3, "07:58", "17:02")
        events += [day("2001", 4)] + punches("2001", 4, "07:59", "12:00")
        events += [day("2001", 10)] + punches("2001", 10, "07:55", "17:05")
        events += [day("2001", 11, end="12:00")] + punches("2001", 11, "07:50", "12:10")
        # 2002: in on Oct 1, then three rostered shifts absent running.
        events += [day("2002", d) for d in (1, 2, 3, 4)] + punches("2002", 1, "08:00", "17:00",
                                                                   "known")
        # 2003: absent, absent, 20 min late, absent.
        events += [day("2003", d) for d in (2, 3, 4, 5)] + punches("2003", 4, "08:20", "17:00",
                                                                   "known")
        self.post(events)

        got = self.get("/api/v1/attendance?month=2026-10")
        self.assertEqual(got["from"], "2026-10-01T00:00:00.000+08:00")
        self.assertEqual(got["to_ms"], t("2026-11-01 00:00") * 1000)
        self.assertEqual(got["rules"], {"late_grace_min": 5, "early_grace_min": 5,
                                        "absent_after_min": 30, "long_absence_days": 3})
        agents = {a["agent"]: a for a in got["agents"]}
        self.assertEqual(sorted(agents), ["2001", "2002", "2003", "2004"])

        a = agents["2001"]
        self.assertEqual((a["name"], a["status"], a["shifts"], a["late"], a["early_leave"],
                          a["absent"]), ("王芳", "active", 4, 0, 1, 0))
        # 9 + 9 + 9 + 4 = 31 h rostered, 9 + 4 + 9 + 4 = 26 h present.
        self.assertEqual((a["rostered_s"], a["present_s"]), (31 * HOUR, 26 * HOUR))
        self.assertEqual(a["adherence"], 0.8387)
        self.assertIsNone(a["long_absence"])
        self.assertEqual(a["holiday_hours"], {"statutory": 17, "rest_day": 17,
                                              "statutory_s": 17 * HOUR, "rest_day_s": 17 * HOUR})

        a = agents["2002"]
        self.assertEqual((a["shifts"], a["absent"], a["absent_run"]), (4, 3, 3))
        self.assertEqual((a["rostered_s"], a["present_s"], a["adherence"]),
                         (36 * HOUR, 9 * HOUR, 0.25))
        self.assertEqual(a["long_absence"], {"reason": "absent",
                                             "since": "2026-10-02T08:00:00.000+08:00",
                                             "since_ms": t("2026-10-02 08:00") * 1000})
        self.assertEqual(a["holiday_hours"]["statutory"], 9)  # Oct 1

        a = agents["2003"]
        self.assertEqual((a["absent"], a["late"], a["absent_run"], a["long_absence"]),
                         (3, 1, 1, None))
        self.assertEqual(a["present_s"], 520 * 60)
        self.assertEqual(a["holiday_hours"]["rest_day"], 8.67)  # 8 h 40 min on Oct 4

        a = agents["2004"]
        self.assertEqual((a["status"], a["shifts"], a["adherence"]), ("leave", 0, None))
        self.assertEqual(a["long_absence"]["reason"], "leave")
        self.assertEqual(a["long_absence"]["since_ms"], t("2026-09-15 09:00") * 1000)

        tot = got["totals"]
        self.assertEqual((tot["agents"], tot["shifts"], tot["late"], tot["early_leave"],
                          tot["absent"], tot["long_absences"]), (4, 12, 1, 1, 6, 2))
        self.assertEqual((tot["rostered_s"], tot["present_s"]), (103 * HOUR, 157200))
        self.assertEqual(tot["adherence"], round(157200 / (103 * HOUR), 4))
        self.assertEqual(tot["holiday_hours"]["statutory_s"], 26 * HOUR)
        self.assertEqual(tot["holiday_hours"]["rest_day_s"], 17 * HOUR + 520 * 60)

        # from and to: the same as the month.
        same = self.get("/api/v1/attendance?from=2026-10-01&to=2026-11-01")
        self.assertEqual(same["totals"], tot)
        # September holds the night shift: 13 h, on a working day.
        sep = {a["agent"]: a for a in self.get("/api/v1/attendance?month=2026-09")["agents"]}
        self.assertEqual((sep["2001"]["shifts"], sep["2001"]["present_s"]), (1, 13 * HOUR))
        self.assertEqual(sep["2001"]["holiday_hours"]["statutory"], 0)

        # Oct 1 on the roster: the night shift begun on Sep 30, and 2002.
        day1 = self.get("/api/v1/roster?date=2026-10-01")
        self.assertEqual((day1["name"], day1["is_statutory_holiday"], day1["is_workday"]),
                         ("国庆节", True, False))
        self.assertEqual([(s["agent"], s["template"], s["template_label"], s["status"])
                          for s in day1["shifts"]],
                         [("2001", "N", None, "done"), ("2002", "D", "白班", "done")])
        self.assertEqual(day1["shifts"][0]["first_in"], "2026-09-30T18:55:00.000+08:00")
        self.assertEqual(day1["shifts"][0]["last_out"], "2026-10-01T08:05:00.000+08:00")
        self.assertEqual((day1["shifts"][1]["late"], day1["shifts"][1]["early_leave"]),
                         (False, False))
        day4 = self.get("/api/v1/roster?date=2026-10-04")
        late = [s for s in day4["shifts"] if s["agent"] == "2003"][0]
        self.assertEqual((late["late"], late["late_s"], late["status"]), (True, 1200, "done"))
        self.assertEqual((day4["counts"]["absent"], day4["counts"]["late"],
                          day4["counts"]["early_leave"]), (1, 1, 1))

    def test_holidays_and_refusals(self):
        self.start_daemon()
        display = self.d.token
        # Public facts: a display token will do.
        got = self.get("/api/v1/holidays?year=2026", token=display)
        self.assertIs(got["known"], True)
        days = {d["date"]: d for d in got["days"]}
        self.assertEqual(days["2026-10-01"], {
            "date": "2026-10-01", "name": "国庆节", "is_workday": False,
            "is_statutory_holiday": True, "is_makeup_workday": False, "is_day_off": True})
        self.assertEqual((days["2026-10-04"]["is_statutory_holiday"], days["2026-10-04"]["is_day_off"]),
                         (False, True))
        self.assertEqual((days["2026-09-20"]["is_makeup_workday"], days["2026-09-20"]["is_workday"]),
                         (True, True))
        # The local file's day replaces the shipped make-up Saturday.
        self.assertEqual((days["2026-10-10"]["name"], days["2026-10-10"]["is_workday"],
                          days["2026-10-10"]["is_makeup_workday"]), ("本地调休", False, False))
        statutory = [d for d in got["days"] if d["is_statutory_holiday"]]
        self.assertEqual(len(statutory), 13)
        self.assertIn("name", got["today"])
        self.assertEqual(got["today"]["date"], local_date(time.time()))
        self.assertEqual(self.get("/api/v1/holidays?year=2030", token=display)["known"], False)

        for path in ("/api/v1/roster", "/api/v1/attendance", "/api/v1/holidays"):
            status, _, body = self.d.request(path, token=False)
            self.assertEqual(status, 401, path)
            self.assertIn("error", json.loads(body))
        for path in ("/api/v1/roster", "/api/v1/attendance?month=2026-10"):
            status, _, body = self.d.request(path, token=display)
            self.assertEqual(status, 403, path)
            self.assertIn("supervisor", json.loads(body)["error"])
        for path, name in (("/api/v1/roster?date=2026-13-01", "date"),
                           ("/api/v1/roster?date=yesterday", "date"),
                           ("/api/v1/attendance?month=2026-1x", "month"),
                           ("/api/v1/attendance?month=2026-10&from=2026-10-01", "month"),
                           ("/api/v1/attendance?from=2026-10-01", "to"),
                           ("/api/v1/attendance?from=2026-10-05&to=2026-10-01", "from"),
                           ("/api/v1/attendance?from=2025-01-01&to=2026-10-01", "to"),
                           ("/api/v1/attendance?from=soon&to=2026-10-01", "from"),
                           ("/api/v1/holidays?year=20x6", "year")):
            status, _, body = self.d.request(path, token=self.supervisor)
            self.assertEqual(status, 400, path)
            self.assertIn(name, json.loads(body)["error"], path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
