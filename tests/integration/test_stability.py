"""Stability, on-post person-days and training compliance through the
daemon: the staff register, punches, training and exams imported with
`wallboardctl import` before the start, the rest (sessions, a first call,
a training) sent to POST /api/v1/events; the numbers of
GET /api/v1/stability and GET /api/v1/training worked out by hand; who
may read them (401, 403) and bad parameters (400).

September 2026: ten on the staff (a team manager, a QA/trainer, eight
agents); agent 1003 leaves on the 10th, 1010 is hired on the 25th."""

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import zoneinfo

from wbtest import Daemon

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")

STAFF = """staff,name,role,status,hired,left
1000,赵经理,team_manager,active,2025-01-01,
1001,钱质检,qa_trainer,active,2025-01-01,
1002,孙一,agent,active,2025-01-01,
1003,李二,agent,left,2025-01-01,2026-09-10
1004,周三,agent,active,2025-01-01,
1005,吴四,agent,active,2025-01-01,
1006,郑五,agent,active,2025-01-01,
1007,王六,agent,active,2025-01-01,
1008,冯七,agent,active,2025-01-01,
1009,陈八,agent,active,2025-01-01,
1010,褚九,agent,active,2026-09-25,
1011,卫储备,agent,reserve,2025-01-01,
"""

PUNCHES = """staff,ts,direction
1002,2026-07-15 08:00,in
1002,2026-07-15 17:30,out
1002,2026-09-01 08:00,in
1002,2026-09-01 17:30,out
1002,2026-09-02 08:00,in
1002,2026-09-02 17:30,out
1004,2026-09-01 19:00,in
1004,2026-09-02 08:00,out
1001,2026-09-03 08:00,in
1001,2026-09-03 17:00,out
"""

TRAINING = """staff,date,kind,hours
1010,2026-09-25,岗前培训-理论,8
1010,2026-09-26,岗前培训-理论,8
1010,2026-09-27,岗前培训-理论,8
1010,2026-09-28,岗前培训-实操,8
1010,2026-09-29,岗前培训-跟岗,8
1002,2026-03-01,安全培训,2
1002,2026-09-15,安全培训-消防,2
"""

EXAMS = """staff,date,area,score
1010,2026-09-29,政策法规,90
1010,2026-09-29,业务系统,80
1010,2026-09-29,服务规范,75
1010,2026-09-29,信息安全,60
1010,2026-09-29,沟通技巧,88
1002,2026-09-20,政策法规,90
1002,2026-09-20,服务规范,80
"""


def iso(local):
    """ISO-8601 of a local time of the centre, "2026-09-30 10:00"."""
    t = datetime.datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    return t.isoformat()


def ms(local):
    t = datetime.datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    return int(t.timestamp()) * 1000


class StabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wb-stability-")
        cls.d = Daemon()
        for kind, text in [("staff", STAFF), ("punches", PUNCHES), ("training", TRAINING),
                           ("exams", EXAMS)]:
            path = os.path.join(cls.tmp, kind + ".csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            r = cls.ctl("import", kind, path)
            assert r.returncode == 0, r.stdout + r.stderr
        cls.d.start()
        cls.supervisor = cls.ctl("token", "add", "supervisor", "floor").stdout.strip()
        cls.key = cls.ctl("key", "add", "hr").stdout.strip()
        events = [
            # 1005 logged in to the phones one morning in August.
            {"type": "agent.login", "ts": iso("2026-08-20 09:00"), "agent": "1005",
             "queue": "policy"},
            {"type": "agent.logout", "ts": iso("2026-08-20 12:00"), "agent": "1005",
             "queue": "policy"},
            # 1010's first call, on the 30th.
            {"type": "call.enqueue", "ts": iso("2026-09-30 09:59"), "call_id": "first",
             "queue": "policy"},
            {"type": "call.answer", "ts": iso("2026-09-30 10:00"), "call_id": "first",
             "queue": "policy", "agent": "1010", "wait_ms": 60000},
            {"type": "call.end", "ts": iso("2026-09-30 10:03"), "call_id": "first",
             "queue": "policy", "agent": "1010", "wait_ms": 60000, "talk_ms": 180000},
            {"type": "training.record", "ts": iso("2026-09-05 18:00"), "staff": "1002",
             "date": "2026-09-05", "kind": "出入境政策更新", "hours": 2},
        ]
        for i, e in enumerate(events):
            e["event_id"] = "s%d" % i
        body = "\n".join(json.dumps(e, ensure_ascii=False) for e in events).encode()
        status, _, raw = cls.d.request("/api/v1/events", token=cls.key, method="POST", data=body)
        assert status == 200, raw
        assert json.loads(raw)["accepted"] == len(events), raw

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def ctl(cls, *args):
        return subprocess.run([CTL, "--state-dir", cls.d.state_dir] + list(args),
                              capture_output=True, text=True, timeout=60)

    def get(self, path, expect=200):
        return self.d.get_json(path, token=self.supervisor, expect=expect)

    def test_month(self):
        s = self.get("/api/v1/stability?period=2026-09")
        self.assertEqual(s["period"], "2026-09")
        self.assertEqual(s["kind"], "month")
        self.assertEqual(s["from_ms"], ms("2026-09-01 00:00"))
        self.assertEqual(s["to_ms"], ms("2026-10-01 00:00"))
        self.assertEqual(s["from"], "2026-09-01T00:00:00.000+08:00")
        self.assertTrue(s["complete"])
        self.assertEqual(s["days"], 30)
        # 1011 is in the reserve pool: not counted.
        self.assertEqual(s["headcount_start"], 10)
        self.assertEqual(s["headcount_end"], 10)
        self.assertEqual(s["hires"], 1)
        self.assertEqual(s["leavers"], 1)
        self.assertEqual(s["stability"], 0.9)
        self.assertEqual(s["target"], 0.8)
        self.assertIs(s["meets_target"], True)
        # 9 days of 10, 15 of 9, 6 of 10.
        self.assertEqual(s["establishment"], 10)
        self.assertEqual(s["vacancy_days"], 15)
        self.assertEqual(s["average_headcount"], 9.5)
        self.assertEqual(s["attrition"], round(1 / 9.5, 4))
        self.assertEqual(s["replaced"], 1)
        self.assertEqual(s["mean_days_to_replace"], 15)
        self.assertEqual(s["leaver_list"], [{
            "agent": "1003", "name": "李二", "role": "agent",
            "left": "2026-09-10T00:00:00.000+08:00", "left_ms": ms("2026-09-10 00:00"),
            "replaced_by": "1010", "replaced": "2026-09-25T00:00:00.000+08:00",
            "replaced_ms": ms("2026-09-25 00:00"), "days_to_replace": 15}])
        # Person-days: 1002 the 1st and 2nd, 1004 a night shift on the 1st
        # into the 2nd (two days), 1001 the 3rd.
        months = s["on_post"]["months"]
        self.assertEqual(len(months), 1)
        sep = months[0]
        self.assertEqual(sep["month"], "2026-09")
        self.assertEqual((sep["headcount"], sep["person_days"]), (3, 5))
        self.assertEqual(sep["roles"], [
            {"role": "agent", "headcount": 2, "person_days": 4},
            {"role": "qa_trainer", "headcount": 1, "person_days": 1}])
        self.assertEqual([(p["agent"], p["name"], p["days"]) for p in sep["people"]],
                         [("1002", "孙一", 2), ("1004", "周三", 2), ("1001", "钱质检", 1)])
        self.assertEqual(s["on_post"]["total"]["person_days"], 5)
        # The month, quarter and year that hold 30 September, to date.
        to_date = s["to_date"]
        self.assertEqual(to_date["month"]["period"], "2026-09")
        self.assertEqual(to_date["month"]["vacancy_days"], 15)
        self.assertEqual(to_date["quarter"]["period"], "2026-Q3")
        self.assertEqual(to_date["quarter"]["stability"], 0.9)
        self.assertEqual(to_date["year"]["period"], "2026")
        self.assertEqual(to_date["year"]["headcount_start"], 10)
        self.assertEqual(to_date["year"]["leavers"], 1)

    def test_quarter(self):
        s = self.get("/api/v1/stability?period=2026-Q3")
        self.assertEqual(s["period"], "2026-Q3")
        self.assertEqual(s["kind"], "quarter")
        self.assertEqual(s["days"], 92)
        self.assertEqual(s["headcount_start"], 10)
        self.assertEqual(s["stability"], 0.9)
        self.assertEqual(s["vacancy_days"], 15)
        # The quarter's billing summary: July 1002 one day; August 1005's
        # session (sent over the API); September as above.
        months = s["on_post"]["months"]
        self.assertEqual([m["month"] for m in months], ["2026-07", "2026-08", "2026-09"])
        self.assertEqual([(m["headcount"], m["person_days"]) for m in months],
                         [(1, 1), (1, 1), (3, 5)])
        self.assertEqual(months[1]["people"][0]["agent"], "1005")
        total = s["on_post"]["total"]
        self.assertEqual((total["headcount"], total["person_days"]), (4, 7))
        self.assertEqual(total["roles"], [
            {"role": "agent", "headcount": 3, "person_days": 6},
            {"role": "qa_trainer", "headcount": 1, "person_days": 1}])
        self.assertEqual(s["to_date"]["quarter"]["period"], "2026-Q3")

    def test_year_and_default(self):
        # Everyone came on 1 January 2025: nobody was there before.
        s = self.get("/api/v1/stability?period=2024")
        self.assertEqual(s["kind"], "year")
        self.assertEqual(len(s["on_post"]["months"]), 12)
        self.assertEqual(s["headcount_start"], 0)
        self.assertIsNone(s["stability"])
        self.assertIsNone(s["meets_target"])
        self.assertEqual(s["vacancy_days"], 366 * 10)
        # A person hired on the first day is there at the start.
        s = self.get("/api/v1/stability?period=2025")
        self.assertEqual((s["headcount_start"], s["hires"], s["leavers"]), (10, 10, 0))
        self.assertEqual(s["stability"], 1)

        # The widest years there are.
        self.assertEqual(self.get("/api/v1/stability?period=1970")["days"], 365)
        self.assertEqual(self.get("/api/v1/stability?period=9998")["days"], 0)

        now = datetime.datetime.now(TZ)
        s = self.get("/api/v1/stability")
        self.assertEqual(s["period"], now.strftime("%Y-%m"))
        self.assertIs(s["complete"], False)
        self.assertEqual(s["to_date"]["month"]["period"], now.strftime("%Y-%m"))
        self.assertEqual(s["to_date"]["quarter"]["period"],
                         "%d-Q%d" % (now.year, (now.month - 1) // 3 + 1))
        self.assertEqual(s["to_date"]["year"]["period"], str(now.year))
        self.assertEqual(s["headcount_start"], 10)

    def test_training_default(self):
        now = datetime.datetime.now(TZ)
        for path in ["/api/v1/training", "/api/v1/training?month="]:
            t = self.get(path)
            self.assertEqual(t["month"], now.strftime("%Y-%m"))
            self.assertEqual(len(t["people"]), 10)  # 1003 left, 1011 reserve

    def test_training(self):
        t = self.get("/api/v1/training?month=2026-09")
        self.assertEqual(t["month"], "2026-09")
        self.assertEqual(t["rules"]["induction_days"], 5)
        self.assertEqual(t["rules"]["entry_exam_areas"], 5)
        people = {p["agent"]: p for p in t["people"]}
        # 1000..1010: 1003 was there until the 9th; 1011 is reserve.
        self.assertEqual(sorted(people), ["10%02d" % i for i in range(11)])
        new = people["1010"]
        self.assertEqual(new["first_call_ms"], ms("2026-09-30 10:00"))
        # 3 classroom days, 1 hands-on, 1 field: 5 days but short.
        self.assertEqual(new["induction"], {"classroom_days": 3, "hands_on_days": 1,
                                            "field_days": 1, "days": 5, "compliant": False})
        self.assertEqual(new["entry_exam"], {"areas_passed": 5, "compliant": True})
        # Hired on the 25th: the month of joining is not judged.
        self.assertIsNone(new["in_service"]["compliant"])
        self.assertIs(new["compliant"], False)
        old = people["1002"]
        self.assertEqual(old["in_service"], {"count": 2, "compliant": True})
        self.assertEqual(old["safety"], {"count": 2, "compliant": True})
        self.assertEqual(old["exam"], {"count": 2, "score": 85})
        self.assertIsNone(old["first_call"])
        self.assertIsNone(old["induction"]["compliant"])
        self.assertIs(old["compliant"], True)
        self.assertEqual(people["1004"]["in_service"], {"count": 0, "compliant": False})
        self.assertIsNone(people["1004"]["exam"]["score"])
        # In-service short: the eight there all month without training;
        # safety short: all but 1002.
        self.assertEqual(t["non_compliant"], {"induction": 1, "in_service": 8, "safety": 10,
                                              "entry_exam": 0, "any": 10})

    def test_access_and_errors(self):
        for path in ["/api/v1/stability", "/api/v1/training"]:
            code, _, body = self.d.request(path, token=None)
            self.assertEqual(code, 401, body)
            code, _, body = self.d.request(path)  # the display token
            self.assertEqual(code, 403, body)
            self.assertIn("supervisor", json.loads(body)["error"])
            code, _, body = self.d.request(path, token=self.d.token + "x")
            self.assertEqual(code, 401, body)
        cases = [("/api/v1/stability?period=2026-13", "period"),
                 ("/api/v1/stability?period=2026-Q5", "period"),
                 ("/api/v1/stability?period=last", "period"),
                 ("/api/v1/stability?period=9999", "period"),
                 ("/api/v1/stability?period=1969-12", "period"),
                 ("/api/v1/training?month=2026-Q3", "month"),
                 ("/api/v1/training?month=2026-9", "month")]
        for path, name in cases:
            code, headers, body = self.d.request(path, token=self.supervisor)
            self.assertEqual(code, 400, path)
            self.assertTrue(headers["Content-Type"].startswith("application/json"))
            self.assertTrue(json.loads(body)["error"].startswith(name + ":"), body)


if __name__ == "__main__":
    unittest.main()
