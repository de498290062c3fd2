"""wallboardctl report: the monthly report's workbook (report.xlsx) read
back with openpyxl and compared, cell by cell, with the report's own CSV
tables, on the month of test_report.py (its fixture and helpers)."""

import os
import unittest

import openpyxl

import test_report as month  # the month of known calls and categories
from test_report import DAYS, MONDAYS, MONTH, PERIOD, WEEKDAYS, ctl, read_csv, weekday

COVER = "封面"
# Tables every monthly report has, in their reading order; more may come
# between and after them.
KNOWN = ["summary", "queues", "agents", "heat_hour_weekday", "heat_category_day", "hot_topics",
         "rising_topics", "workorders", "quality"]


def number(text):
    """A CSV cell as the number it stands for, or None when it is text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def column_letter(index):  # 0-based
    return openpyxl.utils.get_column_letter(index + 1)


class XlsxTest(unittest.TestCase):
    # The month of test_report.py: every day one call to policy at 10:00,
    # answered; every Monday one to visa at 09:15, abandoned; categories 护照
    # (days 1-10), 签证 (later days), 政策咨询 (the Monday calls).
    setUp = month.ReportTest.setUp
    tearDown = month.ReportTest.tearDown

    def build(self):
        out = os.path.join(self.tmp, "out")
        r = ctl(self.state, "report", "monthly", "--period", PERIOD, "--out", out)
        self.assertEqual(r.stdout.strip(), out)
        self.assertFalse([n for n in os.listdir(out) if n.startswith(".")])  # no temporary left
        return out, openpyxl.load_workbook(os.path.join(out, "report.xlsx"))

    def sheet_rows(self, ws):
        return [list(row) for row in ws.iter_rows(min_row=1, max_row=ws.max_row,
                                                  max_col=ws.max_column, values_only=True)]

    def assert_same_as_csv(self, ws, path):
        head, rows = read_csv(path)
        got = self.sheet_rows(ws)
        self.assertEqual(got[1][:len(head)], head, ws.title)
        self.assertEqual(len(got) - 2, len(rows), ws.title)
        self.assertLessEqual(ws.max_column, len(head), ws.title)
        for r, (want_row, got_row) in enumerate(zip(rows, got[2:])):
            for c, want in enumerate(want_row):
                cell = got_row[c]
                where = "%s!%s%d" % (ws.title, column_letter(c), r + 3)
                if want == "":
                    self.assertIsNone(cell, where)  # no data: empty, never 0
                elif isinstance(cell, str):
                    # Text stays text (a key such as an agent's "8001" too).
                    self.assertEqual(cell, want, where)
                else:
                    n = number(want)
                    self.assertIsNotNone(n, "%s: %r, the CSV has %r" % (where, cell, want))
                    self.assertIsInstance(cell, (int, float), where)
                    if isinstance(n, int):
                        self.assertEqual(cell, n, where)
                    else:  # the CSV has 6 significant digits
                        self.assertAlmostEqual(cell, n, delta=abs(n) * 1e-5 + 1e-12, msg=where)

    def test_sheets_match_csv(self):
        out, wb = self.build()
        tables = sorted(n[:-4] for n in os.listdir(out) if n.endswith(".csv"))
        self.assertEqual(wb.sheetnames[0], COVER)
        self.assertEqual(sorted(wb.sheetnames[1:]), tables)
        order = [n for n in wb.sheetnames if n in KNOWN]
        self.assertEqual(order, KNOWN)
        for name in tables:
            ws = wb[name]
            self.assert_same_as_csv(ws, os.path.join(out, name + ".csv"))
            self.assertIsInstance(ws["A1"].value, str)  # the Chinese title
            self.assertTrue(ws["A2"].font.b, name)  # labels bold
            self.assertEqual(ws.freeze_panes, "B3", name)

        # The cover: centre, title, period, then each sheet with its title
        # in reading order, and no rectification written.
        cover = self.sheet_rows(wb[COVER])
        self.assertEqual(cover[1][0], "月报 " + PERIOD)
        pairs = {row[0]: row[1] for row in cover if row[0] is not None}
        self.assertEqual(pairs["统计周期"], PERIOD)
        self.assertIn("（共 %d 天）" % DAYS, pairs["起止日期"])
        first_last = "%s-01 至 %s-%02d" % (PERIOD, PERIOD, DAYS)
        self.assertTrue(pairs["起止日期"].startswith(first_last), pairs["起止日期"])
        start = [row[0] for row in cover].index("工作表") + 1
        listed = cover[start:start + len(tables)]
        self.assertEqual([row[0] for row in listed], wb.sheetnames[1:])
        self.assertEqual([row[1] for row in listed], [wb[n]["A1"].value for n in wb.sheetnames[1:]])
        self.assertEqual(cover[start + len(tables) + 1][0], "存在问题及整改情况")
        self.assertEqual(cover[start + len(tables) + 2][0], "（未填写）")

    def test_known_cells(self):
        out, wb = self.build()
        m = len(MONDAYS)

        ws = wb["summary"]
        self.assertEqual(ws["A1"].value, "总体指标")
        head = [c.value for c in ws[2]]
        keys = [c.value for c in ws["A"]]
        value = column_letter(head.index("本期"))
        previous = column_letter(head.index("上期"))
        offered = ws["%s%d" % (value, keys.index("offered") + 1)]
        self.assertEqual(offered.value, DAYS + m)
        self.assertIsInstance(offered.value, int)
        rate = ws["%s%d" % (value, keys.index("answer_rate") + 1)]
        self.assertAlmostEqual(rate.value, DAYS / (DAYS + m), places=5)
        self.assertEqual(rate.number_format, "0.0%")
        self.assertIsNone(ws["%s%d" % (previous, keys.index("answer_rate") + 1)].value)
        self.assertEqual(ws["%s%d" % (previous, keys.index("offered") + 1)].value, 0)
        asa = ws["%s%d" % (value, keys.index("asa_s") + 1)]
        self.assertAlmostEqual(asa.value, 5)
        self.assertEqual(asa.number_format, "0.0")

        ws = wb["queues"]
        head = [c.value for c in ws[2]]
        rows = {r[0]: r for r in self.sheet_rows(ws)[2:]}
        self.assertEqual(rows["policy"][head.index("呼入人工量")], DAYS)
        self.assertEqual(rows["visa"][head.index("放弃量")], m)
        # A rate column in percent: the policy queue answered every call.
        rate_col = head.index("人工接通率")
        policy_row = [r[0] for r in self.sheet_rows(ws)].index("policy") + 1
        cell = ws["%s%d" % (column_letter(rate_col), policy_row)]
        self.assertEqual(cell.value, 1)
        self.assertEqual(cell.number_format, "0.0%")

        # Heat maps: 7 x 24 hours with the known calls, 0 where none, and a
        # three-colour scale over the hours (not the key, not the total).
        ws = wb["heat_hour_weekday"]
        head = [c.value for c in ws[2]]
        rows = {r[0]: r for r in self.sheet_rows(ws)[2:]}
        self.assertEqual(list(rows), WEEKDAYS)
        self.assertEqual(rows["周一"][head.index("09时")], m)
        self.assertEqual(rows["周二"][head.index("09时")], 0)
        for w in range(7):
            n = sum(1 for d in range(1, DAYS + 1) if weekday(d) == w)
            self.assertEqual(rows[WEEKDAYS[w]][head.index("10时")], n)
        self.assertEqual(sum(v for r in rows.values() for v in r[1:25]), DAYS + m)
        self.assert_colour_scale(ws, "B3:Y9")

        ws = wb["heat_category_day"]
        head = [c.value for c in ws[2]]
        rows = {r[0]: r for r in self.sheet_rows(ws)[2:]}
        self.assertEqual(list(rows), ["签证", "护照", "政策咨询"])
        self.assertEqual(rows["护照"][head.index("%d月1日" % MONTH)], 1)
        self.assertEqual(rows["护照"][head.index("%d月11日" % MONTH)], 0)
        self.assertEqual(rows["签证"][head.index("%d月11日" % MONTH)], 1)
        self.assertEqual(rows["政策咨询"][head.index("%d月%d日" % (MONTH, MONDAYS[0]))], 1)
        self.assertEqual(rows["签证"][head.index("合计")], DAYS - 10)
        self.assertEqual(head.index("合计"), DAYS + 1)
        self.assert_colour_scale(ws, "B3:%s5" % column_letter(DAYS))

        # Rising from nothing: no growth rate, an empty cell.
        ws = wb["rising_topics"]
        head = [c.value for c in ws[2]]
        self.assertIsNone(ws["%s3" % column_letter(head.index("增长率"))].value)
        self.assertEqual(ws["A3"].value, "签证")

    def assert_colour_scale(self, ws, cells):
        ranges = {str(r.sqref): r.rules for r in ws.conditional_formatting}
        self.assertEqual(list(ranges), [cells], ws.title)
        (rule,) = ranges[cells]
        self.assertEqual(rule.type, "colorScale")
        self.assertEqual([v.type for v in rule.colorScale.cfvo], ["min", "percentile", "max"])
        self.assertEqual(len(rule.colorScale.color), 3)


if __name__ == "__main__":
    unittest.main()
