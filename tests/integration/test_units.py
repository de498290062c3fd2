"""The systemd units of systemd/: each passes `systemd-analyze verify`
with nothing to say (an unknown key is only a warning there, so any
output fails), with the install's paths pointed at this build; the report
timers fire when the authority's deadlines need them (in the centre's
time zone, which a box running them is set to)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("WB_SOURCE_DIR", ".")
BUILD = os.environ.get("WB_BUILD_DIR", "build")
UNITS = os.path.join(SOURCE, "systemd")
ANALYZE = shutil.which("systemd-analyze")


def configured(tmp):
    """Every unit, *.in with @bindir@ and @sbindir@ set to the build's and
    @libexecdir@ to the source's systemd/ (the kiosk's wrapper script)."""
    out = []
    for name in sorted(os.listdir(UNITS)):
        if not re.search(r"\.(service|timer)(\.in)?$", name):
            continue
        with open(os.path.join(UNITS, name)) as f:
            text = f.read()
        text = text.replace("@bindir@", os.path.join(BUILD, "engine"))
        text = text.replace("@sbindir@", os.path.join(BUILD, "engine"))
        text = text.replace("@libexecdir@", os.path.abspath(UNITS))
        name = name[:-3] if name.endswith(".in") else name
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
        out.append(name)
    return out


def next_elapses(expr, n=4):
    r = subprocess.run([ANALYZE, "calendar", "--iterations=%d" % n, expr],
                       env=dict(os.environ, TZ="Asia/Shanghai"), capture_output=True, text=True,
                       check=True)
    return re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) CST",
                      r.stdout)


class Units(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-units-")
        self.names = configured(self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_verify(self):
        for name in self.names:
            target = name.replace("@.service", "@monthly.service")
            r = subprocess.run([ANALYZE, "verify", "--man=no", target], cwd=self.tmp,
                               capture_output=True, text=True,
                               env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"))
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), name)

    def unit(self, name):
        with open(os.path.join(self.tmp, name)) as f:
            return f.read()

    def calendar(self, kind):
        text = self.unit("wallboard-report-%s.timer" % kind)
        self.assertIn("Unit=wallboard-report@%s.service" % kind, text)
        self.assertIn("Persistent=true", text)
        times = next_elapses(re.search(r"^OnCalendar=(.*)$", text, re.M).group(1))
        self.assertEqual(len(times), 4, kind)
        return times

    def test_report_timers(self):
        self.assertIn("report %i --scheduled", self.unit("wallboard-report@.service"))
        for t in self.calendar("daily"):
            self.assertTrue(t.endswith(" 00:30:00"), t)
        for t in self.calendar("monthly"):
            self.assertRegex(t, r"^\d{4}-\d\d-01 02:00:00$")
        quarters = self.calendar("quarterly")
        for t in quarters:
            self.assertRegex(t, r"^\d{4}-(01|04|07|10)-01 03:00:00$")
        self.assertEqual(len({t[:7] for t in quarters}), 4)
        annual = self.calendar("annual")
        for t in annual:
            self.assertRegex(t, r"^\d{4}-12-01 04:00:00$")

    def test_daemon_service(self):
        text = self.unit("wallboardd.service")
        for line in ("Type=notify", "WatchdogSec=30s", "Restart=on-failure",
                     "ExecReload=/bin/kill -HUP $MAINPID", "User=wallboard",
                     "StateDirectory=wallboard", "CapabilityBoundingSet=\n",
                     "LimitNOFILE=65536"):
            self.assertIn(line, text)
        self.assertIn("--config /etc/wallboard/wallboard.conf --state-dir /var/lib/wallboard",
                      text)
        # The report units run as the same dynamic user, on the same state.
        self.assertIn("User=wallboard\n", self.unit("wallboard-report@.service"))

    def test_kiosk(self):
        text = self.unit("wallboard-kiosk.service")
        for line in ("Restart=always", "TTYPath=/dev/tty1", "PAMName=login",
                     "User=wallboard-kiosk", "EnvironmentFile=/etc/wallboard/kiosk.conf"):
            self.assertIn(line, text)
        timer = self.unit("wallboard-kiosk-reload.timer")
        self.assertIn("Unit=wallboard-kiosk-reload.service", timer)
        times = next_elapses(re.search(r"^OnCalendar=(.*)$", timer, re.M).group(1))
        self.assertEqual(len(times), 4)
        for t in times:
            self.assertTrue(t.endswith(" 04:00:00"), t)
        self.assertIn("try-restart wallboard-kiosk.service",
                      self.unit("wallboard-kiosk-reload.service"))


if __name__ == "__main__":
    if ANALYZE is None:
        print("systemd-analyze not found: skipped")
        sys.exit(77)
    unittest.main()
