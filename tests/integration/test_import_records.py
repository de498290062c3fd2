"""wallboardctl import KIND: every template of docs/import-templates into a
fresh state directory, checked in its tables; imported twice (nothing
changes); a dry run (nothing stored); the real ZKTeco export against
Python's own reading of it; a GBK file with bad rows (exit 3, the rows
named); every template again in GBK with a bad row; and the errors of
whole files and of usage."""

import collections
import datetime
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest
import zoneinfo

from wbtest import sample

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
SOURCE = os.environ.get("WB_SOURCE_DIR", ".")
TEMPLATES_DIR = os.path.join(SOURCE, "docs", "import-templates")
SHIFTS = os.path.join(TEMPLATES_DIR, "shifts.conf")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")

# (kind, file, rows, events)
TEMPLATES = [
    ("staff", "staff.csv", 3, 3),
    ("roster", "roster.csv", 3, 3),
    ("roster", "roster-grid.csv", 3, 6),
    ("punches", "punches.csv", 3, 3),
    ("training", "training.csv", 3, 3),
    ("exams", "exams.csv", 3, 3),
    ("qa", "qa.csv", 3, 3),
    ("workorders", "workorders.csv", 3, 5),
    ("classifications", "classifications.csv", 3, 3),
]

TABLES = {
    "staff": "agent", "roster": "agent, start_ms", "punches": "agent, ts_ms, device",
    "training": "agent, date_ms, kind", "exams": "agent, date_ms, area",
    "qa": "agent, ts_ms, call_id", "workorders": "id", "call_classes": "call_id",
    "quarantine": "id",
}


def ctl(state_dir, *args):
    return subprocess.run([CTL, "--state-dir", state_dir] + list(args), capture_output=True,
                          text=True, timeout=300)


def ms(local):
    """Epoch ms of a local time of the centre, "2026-11-30 16:00"."""
    t = datetime.datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    return int(t.timestamp()) * 1000


class ImportRecordsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-import-records-")
        self.state = os.path.join(self.tmp, "state")
        self.db_path = os.path.join(self.state, "wallboard.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def db(self):
        return sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True)

    def dump(self):
        with self.db() as c:
            out = {t: c.execute("SELECT * FROM %s ORDER BY %s" % (t, k)).fetchall()
                   for t, k in TABLES.items()}
            out["events"] = c.execute("SELECT count(*) FROM events").fetchone()[0]
        return out

    def import_templates(self, *extra):
        outputs = []
        for kind, name, rows, events in TEMPLATES:
            path = os.path.join(TEMPLATES_DIR, name)
            r = ctl(self.state, "--config", SHIFTS, "import", kind, path, *extra)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            head = "%s: %d rows" % (path, rows)
            if events != rows:
                head += " (%d events)" % events
            self.assertIn(head, r.stdout)
            self.assertIn(", 0 rejected\n", r.stdout)
            self.assertIn("read as CSV, UTF-8 with BOM, comma-separated", r.stdout)
            self.assertNotIn("ignored columns", r.stdout)
            outputs.append((events, r.stdout))
        return outputs

    def test_templates(self):
        # A dry run on a state directory that does not exist yet: all new,
        # nothing written, not even the directory.
        for events, out in self.import_templates("--dry-run"):
            self.assertIn(", %d new, 0 already stored" % events, out)
            self.assertIn("dry run: nothing stored", out)
        self.assertFalse(os.path.exists(self.state))

        for events, out in self.import_templates():
            self.assertIn(", %d stored, 0 already stored" % events, out)
        first = self.dump()
        self.assertEqual(first["events"], sum(t[3] for t in TEMPLATES))
        self.assertEqual(first["quarantine"], [])

        staff = {row[0]: row for row in first["staff"]}
        self.assertEqual(sorted(staff), ["1001", "1002", "1003"])
        self.assertEqual(staff["1001"][1:4], ("王丽", "agent", "active"))
        self.assertEqual(staff["1001"][4], ms("2023-03-01 00:00"))
        self.assertEqual(staff["1003"][3:6], ("left", ms("2022-09-01 00:00"),
                                              ms("2026-10-31 00:00")))

        roster = {(r[0], r[1]): r for r in first["roster"]}
        self.assertEqual(len(roster), 9)
        self.assertEqual(roster[("1001", ms("2026-11-30 08:00"))][2], ms("2026-11-30 16:00"))
        self.assertEqual(roster[("1002", ms("2026-11-30 16:00"))][2:4],
                         (ms("2026-12-01 00:00"), "team_lead"))
        self.assertEqual(roster[("1004", ms("2026-12-02 16:00"))][2:5],
                         (ms("2026-12-03 00:00"), None, "中"))
        self.assertEqual(roster[("1002", ms("2026-12-03 00:00"))][4], "夜")
        # 休 and an empty cell are no shift.
        self.assertNotIn(("1001", ms("2026-12-03 08:00")), roster)
        self.assertNotIn(("1002", ms("2026-12-02 16:00")), roster)

        self.assertEqual([(p[0], p[3]) for p in first["punches"]],
                         [("1001", "in"), ("1001", "out"), ("1002", "in")])
        self.assertEqual(len(first["training"]), 3)
        self.assertEqual(first["exams"][1][3], 88.5)
        self.assertEqual(first["qa"][0][1:], (ms("2026-11-27 10:15"), "1795912345.101", "赵敏",
                                              95.0))
        orders = {w[0]: w for w in first["workorders"]}
        self.assertEqual(orders["GD20261127001"][3:7],
                         ("closed", ms("2026-11-27 09:12"), ms("2026-12-04 17:00"),
                          ms("2026-11-27 15:40")))
        self.assertEqual(orders["GD20261127002"][3], "in_progress")
        self.assertEqual(orders["GD20261127003"][3], "open")
        self.assertEqual(orders["GD20261127003"][6], None)
        self.assertEqual([c[1:4] for c in first["call_classes"]],
                         [("护照", "咨询", "电话"), ("港澳通行证", "求助", "电话"),
                          ("外国人签证", "投诉", "12345转办")])

        # Again: nothing new, no table changes.
        for events, out in self.import_templates():
            self.assertIn(", 0 stored, %d already stored" % events, out)
        self.assertEqual(self.dump(), first)
        # A dry run now finds everything stored, and writes nothing.
        for events, out in self.import_templates("--dry-run"):
            self.assertIn(", 0 new, %d already stored" % events, out)
        self.assertEqual(self.dump(), first)

    def test_every_kind_in_gbk_with_a_bad_row(self):
        """Each template saved by Chinese Excel (GBK, no BOM, CRLF) with one
        more row whose key column is empty: that row is named and kept in
        quarantine, the others give the same tables as the UTF-8 file."""
        self.import_templates()
        want = self.dump()
        state = os.path.join(self.tmp, "gbk")
        for kind, name, rows, events in TEMPLATES:
            with open(os.path.join(TEMPLATES_DIR, name), encoding="utf-8-sig") as f:
                lines = f.read().splitlines()
            bad = "," + lines[-1].split(",", 1)[1]
            path = os.path.join(self.tmp, "gbk-" + name)
            data = ("\r\n".join(lines + [bad]) + "\r\n").encode("gbk")
            with open(path, "wb") as f:
                f.write(data)
            # A file of ASCII alone is UTF-8 as much as GBK.
            encoding = "GB18030" if max(data) > 0x7f else "UTF-8"
            r = ctl(state, "--config", SHIFTS, "import", kind, path)
            self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
            self.assertIn("%s: %d rows" % (path, rows + 1), r.stdout)
            self.assertIn(", 1 rejected", r.stdout)
            self.assertIn("read as CSV, %s, comma-separated" % encoding, r.stdout)
            self.assertRegex(r.stdout, r"\n  row %d: \S" % (rows + 2))
        with sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "wallboard.db"),
                             uri=True) as c:
            for t, k in TABLES.items():
                if t == "quarantine":
                    got = c.execute("SELECT line_no FROM quarantine ORDER BY id").fetchall()
                    self.assertEqual(got, [(rows + 2,) for _, _, rows, _ in TEMPLATES])
                    continue
                # The time of the import, not of the file.
                cols = [r[1] for r in c.execute("PRAGMA table_info(%s)" % t)]
                keep = [i for i, n in enumerate(cols) if n not in ("updated_ms", "classified_ms")]
                got = c.execute("SELECT * FROM %s ORDER BY %s" % (t, k)).fetchall()
                self.assertEqual([[r[i] for i in keep] for r in got],
                                 [[r[i] for i in keep] for r in want[t]], t)

    def test_changed_roster_replaces_the_days_it_covers(self):
        """A roster exported again after changes is the plan of the people
        and days it covers: a shift it no longer has is cancelled, in the
        grid (a cell changed or made a rest day) and in the long form."""
        grid = os.path.join(TEMPLATES_DIR, "roster-grid.csv")
        r = ctl(self.state, "--config", SHIFTS, "import", "roster", grid)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        shifts = lambda: sorted(self.dump()["roster"])
        self.assertEqual(len(shifts()), 6)

        changed = os.path.join(self.tmp, "roster-grid-v2.csv")
        with open(changed, "w", encoding="utf-8") as f:
            f.write("staff,name,2026-12-01,2026-12-02,2026-12-03\n"
                    "1001,王丽,中,早,休\n"
                    "1002,张伟,休,休,夜\n")
        later = os.stat(grid).st_mtime + 3600
        os.utime(changed, (later, later))
        r = ctl(self.state, "--config", SHIFTS, "import", "roster", changed, "--dry-run")
        self.assertIn(", 2 stored shift(s) to cancel (no longer in the file)", r.stdout)
        self.assertEqual(len(shifts()), 6)
        r = ctl(self.state, "--config", SHIFTS, "import", "roster", changed)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Its shifts are new events (a newer file); the unchanged ones only
        # rewrite their rows.
        self.assertIn("2 rows (3 events), 3 stored, 0 already stored, "
                      "2 stored shift(s) cancelled (no longer in the file), 0 rejected", r.stdout)
        got = {(a, s): (e, t) for a, s, e, _, t, _ in shifts()}
        # 1001: 早 on the 1st became 中; 1002: 中 on the 1st became a rest day;
        # 1004, not in the new file, keeps every shift.
        self.assertNotIn(("1001", ms("2026-12-01 08:00")), got)
        self.assertEqual(got[("1001", ms("2026-12-01 16:00"))][1], "中")
        self.assertNotIn(("1002", ms("2026-12-01 16:00")), got)
        self.assertEqual(got[("1002", ms("2026-12-03 00:00"))][1], "夜")
        self.assertEqual(sorted(k for k in got if k[0] == "1004"),
                         [("1004", ms("2026-12-01 00:00")), ("1004", ms("2026-12-02 16:00"))])
        self.assertEqual(len(got), 5)

        # Again: nothing changes.
        before = self.dump()
        r = ctl(self.state, "--config", SHIFTS, "import", "roster", changed)
        self.assertIn("2 rows (3 events), 0 stored, 3 already stored, 0 rejected", r.stdout)
        self.assertEqual(self.dump(), before)

        # The long form: a shift moved to another hour replaces the old one.
        moved = os.path.join(self.tmp, "roster-v3.csv")
        with open(moved, "w", encoding="utf-8") as f:
            f.write("staff,date,start,end\n1001,2026-12-02,09:00,17:00\n")
        os.utime(moved, (later + 60, later + 60))
        r = ctl(self.state, "--config", SHIFTS, "import", "roster", moved)
        self.assertIn("1 stored shift(s) cancelled", r.stdout)
        got = {(a, s) for a, s, *_ in shifts()}
        self.assertNotIn(("1001", ms("2026-12-02 08:00")), got)
        self.assertIn(("1001", ms("2026-12-02 09:00")), got)

    def test_zkteco_sample(self):
        path = sample("zkteco-attlog.dat")
        with open(path, "rb") as f:
            raw = f.read()
        lines = [l for l in raw.decode("ascii").split("\r\n") if l.strip()]
        self.assertTrue(all(len(l.split("\t")) == 6 for l in lines))
        rows = [l.split("\t") for l in lines]
        distinct = {(r[0].strip(), r[1], r[2], r[3]) for r in rows}
        per_pin = collections.Counter(r[0].strip() for r in rows)
        states = collections.Counter(r[3] for r in rows)
        want_dir = collections.Counter(
            "in" if s in ("0", "3", "4") else "out" if s in ("1", "2", "5") else "unknown"
            for s in (r[3] for r in {(r[0].strip(), r[1], r[2], r[3]) for r in rows}))
        first = datetime.datetime.strptime(rows[0][1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)

        r = ctl(self.state, "import", "punches", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        repeated = len(rows) - len(distinct)
        self.assertIn("%s: %d rows, %d stored, 0 already stored" % (path, len(rows), len(distinct)),
                      r.stdout)
        self.assertIn("read as ZKTeco attendance log", r.stdout)
        if repeated:
            self.assertIn("%d repeated in the file" % repeated, r.stdout)
        with self.db() as c:
            self.assertEqual(dict(c.execute("SELECT agent, count(*) FROM punches GROUP BY agent")),
                             dict(per_pin))
            self.assertEqual(dict(c.execute("SELECT direction, count(*) FROM punches GROUP BY 1")),
                             dict(want_dir))
            self.assertEqual(c.execute("SELECT DISTINCT device FROM punches").fetchall(),
                             [("zkteco-%s" % d,) for d in sorted({r[2] for r in rows})])
            self.assertEqual(c.execute("SELECT min(ts_ms) FROM punches WHERE agent = ?",
                                       (rows[0][0].strip(),)).fetchone()[0],
                             int(first.timestamp()) * 1000)
            self.assertEqual(c.execute("SELECT count(*) FROM events e JOIN sources s"
                                       " ON s.id = e.source_id WHERE s.name = 'import:punches'")
                             .fetchone()[0], len(distinct))
        print("zkteco sample: %d lines, %d distinct, %d PINs, states %s"
              % (len(rows), len(distinct), len(per_pin), dict(states)))

        r = ctl(self.state, "import", "punches", path)
        self.assertEqual(r.returncode, 0)
        self.assertIn(", 0 stored, %d already stored" % len(distinct), r.stdout)

    def test_bad_gbk_file(self):
        text = ("工号,姓名,岗位,状态,入职日期,备注\r\n"
                "1001,王丽,话务员,active,2023-03-01,\r\n"
                "1002,张伟,班长,辞退,2021-07-15,已办离职\r\n"
                "1003,李娜,话务员,active,2022-09-01,\r\n"
                "1004,赵敏,话务员,active,去年,\r\n")
        path = os.path.join(self.tmp, "员工.csv")
        with open(path, "wb") as f:
            f.write(text.encode("gbk"))

        r = ctl(self.state, "import", "staff", path, "--dry-run")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(self.db_path))

        r = ctl(self.state, "import", "staff", path)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("%s: 4 rows, 2 stored, 0 already stored, 2 rejected" % path, r.stdout)
        self.assertIn("read as CSV, GB18030, comma-separated", r.stdout)
        self.assertIn("  row 3: status: '辞退' is not one of active, leave, left, reserve\n",
                      r.stdout)
        self.assertIn("  row 5: hired: '去年' is not a date (2026-11-28)\n", r.stdout)
        self.assertIn("  ignored columns: 备注\n", r.stdout)
        self.assertIn("quarantine table", r.stdout)
        first = self.dump()
        self.assertEqual([s[:3] for s in first["staff"]],
                         [("1001", "王丽", "话务员"), ("1003", "李娜", "话务员")])
        self.assertEqual([q[1:5] for q in first["quarantine"]],
                         [("import:staff", path, 3, "status: '辞退' is not one of active, leave, "
                           "left, reserve"),
                          ("import:staff", path, 5, "hired: '去年' is not a date (2026-11-28)")])
        self.assertEqual(bytes(first["quarantine"][0][5]).decode(),
                         "1002,张伟,班长,辞退,2021-07-15,已办离职")

        # Again: the same report, nothing new anywhere, quarantine included.
        r = ctl(self.state, "import", "staff", path)
        self.assertEqual(r.returncode, 3)
        self.assertIn("4 rows, 0 stored, 2 already stored, 2 rejected", r.stdout)
        self.assertEqual(self.dump(), first)

    def test_errors(self):
        good = os.path.join(TEMPLATES_DIR, "staff.csv")
        lacking = os.path.join(self.tmp, "lacking.csv")
        with open(lacking, "w") as f:
            f.write("name,role\n王丽,agent\n")
        # A file-level error stores nothing of that file; the others go on.
        r = ctl(self.state, "import", "staff", lacking, good)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("%s: missing column: staff (工号)" % lacking, r.stderr)
        self.assertIn("%s: 3 rows, 3 stored" % good, r.stdout)

        r = ctl(self.state, "import", "staff", os.path.join(self.tmp, "none.csv"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("none.csv", r.stderr)

        binary = os.path.join(self.tmp, "binary.csv")
        with open(binary, "wb") as f:
            f.write(b"\xff\xff\xff\xff")
        r = ctl(self.state, "import", "staff", binary)
        self.assertEqual(r.returncode, 1)
        self.assertIn("neither UTF-8 nor GBK/GB18030 text", r.stderr)

        for args in (["import", "nonsense", good], ["import", "staff"],
                     ["import", "queue_log", good, "--dry-run"]):
            r = ctl(self.state, *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("usage", r.stderr)

        # The grid without the templates configured: each bad cell named.
        r = ctl(self.state, "import", "roster", os.path.join(TEMPLATES_DIR, "roster-grid.csv"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("  row 2: 2026-12-01 (column C): '早' is not a shift template", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
