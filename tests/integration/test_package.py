"""The Debian package builds from the tree (dpkg-buildpackage, debian/)
and holds what an install needs in FHS places: the programs, the manual
pages, the units with only the daemon enabled, the configuration as a
conffile, the pages with their npm library, the holiday data, and the
runtime dependencies, libwebsockets' GLib event loop among them."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.path.abspath(os.environ.get("WB_SOURCE_DIR", "."))


def tree_files():
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=SOURCE, capture_output=True, check=True).stdout
    return [f for f in out.decode().split("\0") if f and os.path.isfile(os.path.join(SOURCE, f))]


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wb-deb-")
        src = os.path.join(cls.tmp, "wallboard-0.1.0")
        for f in tree_files():
            os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
            shutil.copy2(os.path.join(SOURCE, f), os.path.join(src, f))
        uplot = os.path.join(SOURCE, "node_modules", "uplot")
        if os.path.isdir(uplot):
            shutil.copytree(uplot, os.path.join(src, "node_modules", "uplot"))
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
        r = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env,
                           capture_output=True, text=True, timeout=1500)
        cls.log = r.stdout + r.stderr
        cls.rc = r.returncode
        debs = glob.glob(os.path.join(cls.tmp, "wallboard_*.deb"))
        cls.deb = debs[0] if debs else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def dpkg_deb(self, *args):
        return subprocess.run(["dpkg-deb"] + list(args) + [self.deb], capture_output=True,
                              text=True, check=True).stdout

    def test_builds_with_contents(self):
        self.assertEqual(self.rc, 0, self.log[-4000:])
        self.assertIsNotNone(self.deb, self.log[-2000:])
        names = {line.split()[-1].lstrip(".") for line in self.dpkg_deb("-c").splitlines()}
        units = "/usr/lib/systemd/system/" if "/usr/lib/systemd/system/wallboardd.service" \
            in names else "/lib/systemd/system/"
        for path in ["/usr/sbin/wallboardd", "/usr/bin/wallboardctl",
                     "/usr/share/man/man8/wallboardd.8.gz", "/usr/share/man/man1/wallboardctl.1.gz",
                     units + "wallboardd.service", units + "wallboard-report@.service",
                     units + "wallboard-report-monthly.timer",
                     units + "wallboard-report-quarterly.timer",
                     units + "wallboard-report-annual.timer",
                     "/etc/wallboard/wallboard.conf",
                     "/usr/share/wallboard/dashboards/wallboard/index.html",
                     "/usr/share/wallboard/dashboards/supervisor/index.html",
                     "/usr/share/wallboard/dashboards/manager/index.html",
                     "/usr/share/doc/wallboard/reports.md.gz"]:
            self.assertIn(path, names)
        self.assertTrue(any(n.startswith("/usr/share/wallboard/holidays-cn/") for n in names))
        if os.path.isdir(os.path.join(SOURCE, "node_modules", "uplot")):
            self.assertIn("/usr/share/wallboard/vendor/uplot/uPlot.iife.min.js", names)

        depends = subprocess.run(["dpkg-deb", "-f", self.deb, "Depends"],
                                 capture_output=True, text=True, check=True).stdout
        for dep in ("libwebsockets-evlib-uv", "libuv1", "libwebsockets17", "libsqlite3-0", "librrd8",
                    "libsodium23", "libxlsxwriter", "libsystemd0", "libjson-glib-1.0-0"):
            self.assertIn(dep, depends)

        control = subprocess.run(["dpkg-deb", "--ctrl-tarfile", self.deb], capture_output=True,
                                 check=True).stdout
        tmp = os.path.join(self.tmp, "ctrl")
        os.mkdir(tmp)
        subprocess.run(["tar", "-x", "-C", tmp], input=control, check=True)
        with open(os.path.join(tmp, "conffiles")) as f:
            self.assertIn("/etc/wallboard/wallboard.conf", f.read().split())
        with open(os.path.join(tmp, "postinst")) as f:
            postinst = f.read()
        self.assertIn("wallboardd.service", postinst)
        self.assertNotIn("wallboard-kiosk", postinst)
        self.assertNotIn("wallboard-report-monthly.timer", postinst)


if __name__ == "__main__":
    if shutil.which("dpkg-buildpackage") is None or shutil.which("dh") is None:
        print("dpkg-buildpackage or debhelper not installed: skipped")
        sys.exit(77)
    unittest.main()
