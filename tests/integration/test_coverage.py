"""GET /api/v1/coverage and wallboardctl coverage against the tender's rota:
a roster imported with the default templates (白 and 夜, by season) leaves
17:00-19:00 uncovered on a winter day and 17:30-19:00 on a summer day; a
bridging shift sent over the ingest API closes the gap; presence on a past
day shows a late start; who may ask, and bad parameters."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from wbtest import Daemon

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")

# The planner's grid, with the tender's templates as the daemon knows them
# without [shift.CODE] groups. 2027-04-30 is winter, 2027-05-01 summer.
GRID = ("staff,name,2027-01-14,2027-01-15,2027-04-30,2027-05-01\n"
        "1001,王丽,白,白,白,白\n"
        "1002,张伟,夜,夜,夜,夜\n")


def gaps(answer):
    return [(g["from"], g["to"], g["minutes"], g["kind"], g["required"], g["rostered"],
             g["present"]) for g in answer["gaps"]]


class CoverageTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-coverage-")
        self.state = os.path.join(self.tmp, "state")
        grid = os.path.join(self.tmp, "roster.csv")
        with open(grid, "w", encoding="utf-8") as f:
            f.write(GRID)
        r = self.ctl("import", "roster", grid)
        self.assertIn("8 events", r.stdout)
        self.d = Daemon(state_dir=self.state).start()
        self.supervisor = self.ctl("token", "add", "supervisor", "lead").stdout.strip()
        self.key = self.ctl("key", "add", "rota").stdout.strip()

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctl(self, *args, check=True):
        r = subprocess.run([CTL, "--state-dir", self.state] + list(args), capture_output=True,
                           text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("wallboardctl %s: %d\n%s%s" % (args, r.returncode, r.stdout,
                                                                r.stderr))
        return r

    def coverage(self, query, expect=200, token=None):
        status, headers, body = self.d.request("/api/v1/coverage" + query,
                                               token=token or self.supervisor)
        self.assertEqual(status, expect, body)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        return json.loads(body)

    def post(self, events):
        for e in events:
            self.sent = getattr(self, "sent", 0) + 1
            e["event_id"] = "rota-%d" % self.sent
        body = "\n".join(json.dumps(e, ensure_ascii=False) for e in events).encode()
        status, _, raw = self.d.request("/api/v1/events", token=self.key, method="POST",
                                        data=body)
        self.assertEqual(status, 200, raw)
        self.assertEqual(json.loads(raw)["accepted"], len(events))

    def test_gap_until_bridged(self):
        winter = self.coverage("?from=2027-01-15&to=2027-01-16")
        self.assertEqual(winter["from"], "2027-01-15T00:00:00.000+08:00")
        self.assertEqual(winter["to_ms"] - winter["from_ms"], 86400 * 1000)
        self.assertEqual(winter["minutes"], 1440)
        self.assertEqual(winter["minimum"], [{"from": "00:00", "to": "24:00", "required": 1}])
        # The night of the 14th covers the morning; the day shift ends at
        # 17:00 in winter, the night begins at 19:00.
        self.assertEqual(gaps(winter), [("2027-01-15T17:00:00.000+08:00",
                                         "2027-01-15T19:00:00.000+08:00", 120, "rostered", 1, 0,
                                         None)])
        self.assertEqual(winter["gaps"][0]["from_ms"], 1800003600000)
        seasons = {t["season"]: t for t in winter["templates"]}
        self.assertEqual(seasons["summer"]["from"], "05-01")
        self.assertEqual(seasons["summer"]["gaps"],
                         [{"from": "17:30", "to": "19:00", "minutes": 90, "required": 1,
                           "rostered": 0}])
        self.assertEqual(seasons["winter"]["gaps"],
                         [{"from": "17:00", "to": "19:00", "minutes": 120, "required": 1,
                           "rostered": 0}])
        self.assertEqual([(s["code"], s["start"], s["end"]) for s in seasons["winter"]["shifts"]],
                         [("白", "08:00", "17:00"), ("夜", "19:00", "08:00")])

        # The season switch through the import: 04-30 is winter, 05-01
        # summer; nobody was rostered the night before the 30th.
        spring = self.coverage("?from=2027-04-30&to=2027-05-02")
        self.assertEqual([(g["from"], g["to"]) for g in spring["gaps"]], [
            ("2027-04-30T00:00:00.000+08:00", "2027-04-30T08:00:00.000+08:00"),
            ("2027-04-30T17:00:00.000+08:00", "2027-04-30T19:00:00.000+08:00"),
            ("2027-05-01T17:30:00.000+08:00", "2027-05-01T19:00:00.000+08:00"),
        ])

        # A bridging shift, rostered while the daemon runs, closes them.
        self.post([
            {"type": "roster.shift", "ts": "2026-11-28T09:00:00+08:00", "staff": "1003",
             "start": "2027-01-15T17:00:00+08:00", "end": "2027-01-15T20:00:00+08:00",
             "template": "衔接"},
            {"type": "roster.shift", "ts": "2026-11-28T09:00:00+08:00", "staff": "1003",
             "start": "2027-05-01T17:00:00+08:00", "end": "2027-05-01T20:00:00+08:00"},
        ])
        self.assertEqual(self.coverage("?from=2027-01-15&to=2027-01-16")["gaps"], [])
        self.assertEqual(len(self.coverage("?from=2027-04-30&to=2027-05-02")["gaps"]), 2)
        self.assertEqual(self.coverage("?from=2027-05-01&to=2027-05-02")["gaps"], [])

        # wallboardctl beside the running daemon answers the same.
        r = self.ctl("coverage", "--from", "2027-04-30", "--to", "2027-05-02", "--json")
        self.assertEqual(json.loads(r.stdout), self.coverage("?from=2027-04-30&to=2027-05-02"))
        table = self.ctl("coverage", "--from", "2027-04-30", "--to", "2027-05-01").stdout
        self.assertIn("2027-04-30 17:00  2027-04-30 19:00      120  rostered", table)
        self.assertIn("summer from 05-01: 白 08:00-17:30, 夜 19:00-08:00; short 17:30-19:00",
                      table)

    def test_presence_on_a_past_day(self):
        # 1004 rostered 08:00-17:00 on a past day, punched in late.
        self.post([
            {"type": "roster.shift", "ts": "2026-11-01T09:00:00+08:00", "staff": "1004",
             "start": "2026-11-20T08:00:00+08:00", "end": "2026-11-20T17:00:00+08:00"},
            {"type": "staff.punch", "ts": "2026-11-20T08:20:00+08:00", "staff": "1004",
             "direction": "in"},
            {"type": "staff.punch", "ts": "2026-11-20T17:00:00+08:00", "staff": "1004",
             "direction": "out"},
        ])
        day = self.coverage("?from=2026-11-20T08:00:00%2B08:00&to=2026-11-20T17:00:00%2B08:00")
        self.assertEqual(gaps(day), [("2026-11-20T08:00:00.000+08:00",
                                      "2026-11-20T08:20:00.000+08:00", 20, "present", 1, 1, 0)])
        # Without the roster's cover, the minutes are short both ways.
        evening = self.coverage("?from=2026-11-20T17:00:00%2B08:00&to=2026-11-20T18:00:00%2B08:00")
        self.assertEqual([(g["kind"], g["minutes"], g["present"]) for g in evening["gaps"]],
                         [("rostered", 60, 0), ("present", 60, 0)])

    def test_who_and_bad_parameters(self):
        # Today by default.
        today = self.coverage("")
        self.assertEqual(today["minutes"], 1440)
        self.assertTrue(today["from"].endswith("T00:00:00.000+08:00"), today["from"])

        status, _, body = self.d.request("/api/v1/coverage", token=False)
        self.assertEqual(status, 401, body)
        status, _, body = self.d.request("/api/v1/coverage")  # the display token
        self.assertEqual(status, 403, body)
        self.assertIn("supervisor", json.loads(body)["error"])

        for query, word in [("?from=yesterday", "from"), ("?to=2027-13-01", "to"),
                            ("?from=2027-01-02&to=2027-01-01", "from"),
                            ("?from=2027-01-01&to=2027-04-05", "to")]:
            answer = self.coverage(query, expect=400)
            self.assertIn(word, answer["error"], query)
        # 93 days is the most.
        self.assertEqual(self.coverage("?from=2027-01-01&to=2027-04-04")["minutes"], 93 * 1440)

        r = self.ctl("coverage", "--from", "2027-01-01", "--to", "2027-06-01", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("93 days", r.stderr)
        empty = os.path.join(self.tmp, "nothing")
        r = subprocess.run([CTL, "--state-dir", empty, "coverage"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no database", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
