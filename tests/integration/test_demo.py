"""The demo (wallboardd --demo): besides its traffic, the staff register
and the roster a real centre would import, on the rota the simulated
agents work, so that the staffing panel has shifts and people to show.
Checked: every day from eight days back to a week ahead holds the rota's
shifts (weekdays five day shifts, one night and the lead's day; weekends
four day shifts and two nights), on the tender's templates; the staffing
answer names the shifts under way now; a restart adds nothing twice."""

import collections
import datetime
import os
import unittest
import zoneinfo

from wbtest import Daemon, wait_for

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
SIM_NAMES = {"王丽", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷"}


def local(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, TZ)


class DemoTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(demo=True)
        self.addCleanup(self.d.cleanup)
        self.d.start(timeout=60)

    def roster(self):
        with self.d.db() as db:
            return db.execute("SELECT agent, start_ms, end_ms, template FROM roster"
                              " ORDER BY start_ms, agent").fetchall()

    def test_staff_and_roster_follow_the_rota(self):
        with self.d.db() as db:
            staff = db.execute("SELECT name, role, status FROM staff").fetchall()
        self.assertEqual({s[0] for s in staff}, SIM_NAMES)
        self.assertEqual(collections.Counter(s[1] for s in staff),
                         {"agent": 8, "team_lead": 1})

        rows = self.roster()
        days = collections.defaultdict(collections.Counter)
        for agent, start, end, template in rows:
            t0, t1 = local(start), local(end)
            if template == "白":
                summer = 5 <= t0.month <= 9
                self.assertEqual((t0.hour, t0.minute), (8, 0))
                self.assertEqual((t1.hour, t1.minute), (17, 30) if summer else (17, 0))
            else:
                self.assertEqual(template, "夜")
                self.assertEqual(((t0.hour, t0.minute), (t1.hour, t1.minute)), ((19, 0), (8, 0)))
                self.assertEqual((t1 - t0).total_seconds(), 13 * 3600)
            days[t0.date()][template] += 1
        self.assertEqual(len(days), 8 + 1 + 7)
        for day, count in days.items():
            if day.weekday() >= 5:
                self.assertEqual(count, {"白": 4, "夜": 2}, day)
            else:
                self.assertEqual(count, {"白": 6, "夜": 1}, day)

        # The staffing answer: the shifts under way now, by the same roster.
        now = self.d.get_json("/api/v1/live")["ts_ms"]
        under_way = [r for r in rows if r[1] <= now < r[2]]
        staffing = self.d.get_json("/api/v1/staffing")
        self.assertEqual(staffing["rostered"], len(under_way))
        self.assertEqual(sum(s["rostered"] for s in staffing["shifts"]), len(under_way))
        self.assertTrue({p["name"] for p in staffing["on_duty"]} <= SIM_NAMES)

        # A restart stores no record twice.
        self.d.stop()
        self.d.start(timeout=60)
        self.assertEqual(self.roster(), rows)


if __name__ == "__main__":
    unittest.main(verbosity=2)
