"""wallboardctl erlang answers what-if staffing questions with the published
Erlang C figures (DESIGN.md section 5)."""

import json
import os
import subprocess
import unittest

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
BASE = ["erlang", "--calls", "100", "--period", "1800", "--aht", "180", "--target", "0.8",
        "--within", "20"]


def ctl(*args):
    return subprocess.run([CTL] + list(args), capture_output=True, text=True, timeout=60)


class ErlangTest(unittest.TestCase):
    def test_published_figures(self):
        r = ctl(*BASE, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        self.assertEqual(got["agents"], 14)
        self.assertAlmostEqual(got["p_wait"], 0.1741319, places=7)
        self.assertAlmostEqual(got["service_level"], 0.88835, places=5)
        self.assertAlmostEqual(got["asa_s"], 7.836, places=3)
        self.assertAlmostEqual(got["occupancy"], 0.714, places=3)
        self.assertTrue(got["meets_target"])

        got = json.loads(ctl(*BASE, "--agents", "11", "--json").stdout)
        self.assertAlmostEqual(got["service_level"], 0.3896138, places=7)
        self.assertFalse(got["meets_target"])

        table = ctl(*BASE).stdout
        self.assertIn("agents           14", table)
        self.assertIn("0.1741319", table)
        self.assertIn("upper bound", table)

    def test_shrinkage_and_occupancy(self):
        got = json.loads(ctl(*BASE, "--shrinkage", "0.3", "--max-occupancy", "0.65",
                             "--json").stdout)
        self.assertEqual((got["agents"], got["scheduled"]), (16, 23))

    def test_bad_input(self):
        r = ctl("erlang", "--calls", "100", "--period", "1800", "--aht", "0", "--target", "0.8",
                "--within", "20")
        self.assertEqual(r.returncode, 2)
        self.assertIn("aht must be > 0 seconds", r.stderr)
        r = ctl(*BASE, "--agents", "10", "--json")
        got = json.loads(r.stdout)
        self.assertIsNone(got["asa_s"])
        self.assertEqual(got["service_level"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
