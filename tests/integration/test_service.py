"""wallboardd as a systemd service (DESIGN.md section 11), with a notify
socket of its own standing in for systemd:
- READY=1 once it serves, STATUS= lines with the ingest rate, sessions and
  calls waiting, WATCHDOG=1 at half of WATCHDOG_USEC that stop while the
  process is stopped (SIGSTOP) and resume after SIGCONT, STOPPING=1;
- SIGHUP rereads the configuration file: new targets, a queue's name and an
  alert threshold apply while a WebSocket session stays open and keeps
  receiving frames, a changed heartbeat is named as needing a restart and
  not applied, each reload is an audit row config_change by "SIGHUP";
  a file that does not load leaves the running configuration as it was;
- the kiosk: the Chromium command line of systemd/wallboard-kiosk, run
  headless against the daemon's wallboard URL with a display token, shows
  the wallboard live (tests/browser/kiosk.test.mjs does it in a browser
  it drives, with the screenshot $WB_BUILD_DIR/artefacts/kiosk.png)."""

import asyncio
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from wbtest import Daemon, append, ql, wait_for, ws_recv, ws_session

SOURCE = os.environ.get("WB_SOURCE_DIR", ".")
BUILD = os.environ.get("WB_BUILD_DIR", "build")
CTL = os.environ.get("WB_CTL") or os.path.join(BUILD, "engine", "wallboardctl")
KIOSK = os.path.join(SOURCE, "systemd", "wallboard-kiosk")
CHROMIUM = os.environ.get("WB_CHROMIUM", "/usr/bin/chromium")

WATCHDOG_USEC = 1000000  # pings every 0.5 s
STATUS_RE = re.compile(r"^ingest (\d+\.\d) events/s \((\d+) in (\d+\.\d) s\), sessions (\d+), "
                       r"calls waiting (\d+)$")
# Every rule but the one the test tunes, off: nothing else raises.
OTHER_RULES = ["longest_wait", "service_level", "acw_long", "paused_long", "shift_uncovered",
               "staffing_short", "abandon_spike", "workorder_due", "collector_silent",
               "collector_down", "disk_low", "store_errors"]


def config(answer_rate, queue_name, waiting, extra=""):
    return ("[kpi]\ntarget_answer_rate = %s\n\n[queue.policy]\nname = %s\n\n"
            "[alert.waiting]\nthreshold = %d\nclear = 1\nfor_s = 0\nclear_for_s = 0\n%s"
            % (answer_rate, queue_name, waiting, extra)
            + "".join("\n[alert.%s]\nenabled = false\n" % r for r in OTHER_RULES))


class NotifySocket:
    """systemd's end of NOTIFY_SOCKET: every datagram with when it came."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.lock = threading.Lock()
        self.messages = []  # (monotonic, "KEY=value")
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            with self.lock:
                for line in data.decode().split("\n"):
                    if line:
                        self.messages.append((now, line))

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()

    def lines(self, prefix, since=0.0, until=None):
        with self.lock:
            return [m[len(prefix):] for t, m in self.messages
                    if m.startswith(prefix) and t >= since and (until is None or t < until)]

    def count(self, prefix, since=0.0, until=None):
        return len(self.lines(prefix, since, until))


class ServiceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-service-")
        self.conf = os.path.join(self.tmp, "wallboard.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(config("0.85", "政策咨询", 5))
        self.ql = os.path.join(self.tmp, "queue_log")
        open(self.ql, "w").close()
        self.notify = NotifySocket(os.path.join(self.tmp, "notify.sock"))
        saved = {k: os.environ.get(k) for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        os.environ["NOTIFY_SOCKET"] = self.notify.path
        os.environ["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
        # Unset: sd_watchdog_enabled() then takes the interval as the daemon's own.
        os.environ.pop("WATCHDOG_PID", None)
        try:
            self.d = Daemon("--queue-log", self.ql, config=self.conf).start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.supervisor = self.ctl("token", "add", "supervisor", "floor").stdout.strip()
        self.assertTrue(self.supervisor)

    def tearDown(self):
        self.d.cleanup()
        self.notify.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctl(self, *args):
        r = subprocess.run([CTL, "--state-dir", self.d.state_dir, "--config", self.conf]
                           + list(args), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def enqueue(self, first, n):
        """n callers enter the policy queue and wait (call ids first..)."""
        t = time.time() - 5
        append(self.ql, "".join(ql(t, "c%d" % i, "policy", "NONE", "ENTERQUEUE", "",
                                   "1380000%04d" % i, 1) for i in range(first, first + n)))

    def statuses(self, since=0.0):
        out = []
        for text in self.notify.lines("STATUS=", since):
            m = STATUS_RE.match(text)
            self.assertIsNotNone(m, text)
            out.append(m.groups())
        return out

    def audit(self):
        db = self.d.db()
        try:
            return db.execute("SELECT actor, target, detail FROM audit WHERE action = "
                              "'config_change' ORDER BY id").fetchall()
        finally:
            db.close()

    def test_ready_status_watchdog(self):
        n = self.notify
        wait_for(lambda: n.count("READY=1") == 1, what="READY=1")
        # The daemon serves when it says so: the URL file was there first.
        self.assertIn("collectors", self.d.get_json("/healthz", token=False))
        first = wait_for(lambda: self.statuses(), what="STATUS=")[0]
        self.assertEqual((first[1], first[3], first[4]), ("0", "0", "0"))

        # Four callers: four events in the lines after, the rate their sum
        # over each line's span, and four waiting.
        self.enqueue(0, 4)
        wait_for(lambda: any(s[4] == "4" for s in self.statuses()), timeout=15,
                 what="STATUS with 4 calls waiting")
        got = self.statuses()
        self.assertEqual(sum(int(s[1]) for s in got), 4, got)
        for rate, count, span, _, _ in got:
            if float(span) > 0:
                self.assertAlmostEqual(float(rate), int(count) / float(span), delta=0.06)

        # WATCHDOG=1 every 0.5 s: 6 in 3 s, give or take one at each end.
        t0 = time.monotonic()
        time.sleep(3.0)
        self.assertIn(n.count("WATCHDOG=1", t0, t0 + 3.0), range(5, 8))

        # A stopped loop does not ping; pings resume with the process.
        self.d.proc.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
        t1 = time.monotonic()
        time.sleep(2.0)
        t2 = time.monotonic()
        self.d.proc.send_signal(signal.SIGCONT)
        self.assertEqual(n.count("WATCHDOG=1", t1, t2), 0)
        wait_for(lambda: n.count("WATCHDOG=1", t2) >= 3, timeout=5, what="pings after SIGCONT")

        self.assertEqual(self.d.stop(), 0)
        wait_for(lambda: n.count("STOPPING=1") == 1, timeout=5, what="STOPPING=1")

    def live(self):
        return self.d.get_json("/api/v1/live")

    def open_alerts(self):
        j = self.d.get_json("/api/v1/alerts?state=open", token=self.supervisor)
        return [(a["rule"], a["value"], a["threshold"]) for a in j["alerts"]]

    def test_reload(self):
        n = self.notify
        wait_for(lambda: n.count("READY=1") == 1, what="READY=1")
        url = self.d.url
        live = self.live()
        self.assertEqual(live["targets"]["answer_rate"], 0.85)
        self.enqueue(0, 3)
        wait_for(lambda: self.live()["total"]["waiting"] == 3, what="3 waiting")
        # 3 waiting is not more than 5: no alert.
        time.sleep(1.5)
        self.assertEqual(self.open_alerts(), [])

        async def scenario():
            ws = await ws_session(self.d, ["wallboard"])
            self.assertEqual((await ws_recv(ws))["t"], "welcome")
            snap = await ws_recv(ws)
            self.assertEqual(snap["t"], "snapshot")
            self.assertEqual(snap["data"]["targets"]["answer_rate"], 0.85)
            self.assertEqual(snap["data"]["queues"][0]["name"], "政策咨询")

            async def until(pred, timeout=10):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    m = await ws_recv(ws, timeout)
                    if m.get("topic") == "wallboard" and pred(m["data"]):
                        return m
                raise AssertionError("no wallboard frame matched")

            # The session is counted in the status line.
            wait_for(lambda: any(s[3] == "1" for s in self.statuses()), timeout=12,
                     what="STATUS with 1 session")

            # New targets, a new queue name, a lower alert threshold, the
            # log level, and a heartbeat that cannot change live (the
            # sessions' timers run on it). The listen address is the
            # command line's, which wins over the file.
            with open(self.conf, "w", encoding="utf-8") as f:
                f.write(config("0.9", "政策业务", 2,
                               "\n[log]\nlevel = info\n\n[server]\nheartbeat_s = 7\n"
                               "listen = 127.0.0.1:1\n"))
            t_hup = time.monotonic()
            self.d.proc.send_signal(signal.SIGHUP)
            m = await until(lambda b: b["targets"]["answer_rate"] == 0.9)
            self.assertEqual(m["t"], "update")
            self.assertEqual(m["data"]["queues"][0]["name"], "政策业务")
            self.assertEqual(m["data"]["total"]["waiting"], 3)
            wait_for(lambda: n.count("READY=1") == 2, what="READY=1 after the reload")
            self.assertEqual(n.count("RELOADING=1", t_hup), 1)
            # The alert rules were rebuilt: 3 waiting is more than 2.
            wait_for(lambda: self.open_alerts() == [("waiting", 3, 2)], timeout=10,
                     what="the waiting alert at the new threshold")
            # The same session goes on with frames of new calls.
            self.enqueue(3, 1)
            m = await until(lambda b: b["total"]["waiting"] == 4)
            self.assertEqual(m["data"]["targets"]["answer_rate"], 0.9)
            # A new session is told the heartbeat that runs, not the file's.
            ws2 = await ws_session(self.d, ["wallboard"])
            self.assertEqual((await ws_recv(ws2))["heartbeat_s"], 5)
            await ws2.close()

            # A file that does not load: the daemon runs on as it was.
            with open(self.conf, "w", encoding="utf-8") as f:
                f.write("[kpi]\ntarget_answer_rate = 7\n")
            self.d.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: n.count("READY=1") == 3, what="READY=1 after a bad file")
            with open(self.conf, "w", encoding="utf-8") as f:
                f.write(config("0.9", "政策业务", 2, "\n[alert.extra]\nmetric = waiting\n"
                               "scope = total\nop = ~\nthreshold = 1\n"))
            self.d.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: n.count("READY=1") == 4, what="READY=1 after bad rules")
            self.enqueue(4, 1)
            m = await until(lambda b: b["total"]["waiting"] == 5)
            self.assertEqual(m["data"]["targets"]["answer_rate"], 0.9)
            self.assertEqual(m["data"]["queues"][0]["name"], "政策业务")
            await ws.close()

        asyncio.run(scenario())
        self.assertTrue(self.d.alive())
        self.assertEqual(self.d.url, url)
        self.assertEqual(self.live()["targets"]["answer_rate"], 0.9)
        # The alert raised at 3 is still the one open: the rejected files
        # did not rebuild the rules.
        self.assertEqual(self.open_alerts(), [("waiting", 3, 2)])
        rows = self.audit()
        self.assertEqual(len(rows), 3, rows)
        self.assertEqual(rows[0], ("SIGHUP", self.conf,
                                   "applied: kpi.target_answer_rate, log.level, queue.policy, "
                                   "alert.waiting; needs a restart: server.heartbeat_s"))
        self.assertEqual(rows[1][:2], ("SIGHUP", self.conf))
        self.assertRegex(rows[1][2], r"^rejected: .*\[kpi\] target_answer_rate: 7 is outside")
        self.assertRegex(rows[2][2], r"^rejected: .*\[alert\.extra\] op: '~'")
        log = self.d.read_log()
        self.assertIn("config reload: server.heartbeat_s changed: needs a restart", log)
        self.assertEqual(log.count("the running configuration is kept"), 2, log)
        self.assertEqual(self.d.stop(), 0)

    def report(self, token, day):
        """Asks for the day's report and waits for its run; its report.json."""
        status, _, body = self.d.request("/api/v1/reports", token=token, method="POST",
                                         headers={"Content-Type": "application/json"},
                                         data=json.dumps({"kind": "daily", "period": day}).encode())
        self.assertEqual(status, 202, body)
        return status

    def report_json(self, token, day):
        name = "daily-" + day
        return self.d.get_json("/api/v1/reports/files/%s/report.json" % name, token=token)

    def runs_done(self, token, day):
        j = self.d.get_json("/api/v1/reports", token=token)
        return [r["run"]["id"] for r in j["reports"]
                if r["name"] == "daily-" + day and r["run"] and r["run"]["status"] == "done"]

    def test_reload_during_report(self):
        """A report run reads the configuration of when it was asked for:
        a reload right after changes the next run, not that one."""
        n = self.notify
        wait_for(lambda: n.count("READY=1") == 1, what="READY=1")
        manager = self.ctl("token", "add", "manager", "boss").stdout.strip()
        self.enqueue(0, 2)
        wait_for(lambda: self.live()["total"]["waiting"] == 2, what="2 waiting")
        day = self.live()["day"]
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(config("0.85", "政策咨询", 5, "\n[report]\ncentre_name = 旧中心\n"))
        self.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: n.count("READY=1") == 2, what="READY=1 after the first reload")

        # Eight runs queued (one at a time on the runner's thread): the
        # reload comes while most of them still wait.
        first_day = datetime.date.fromisoformat(day)
        days = [(first_day - datetime.timedelta(days=k)).isoformat() for k in range(8)]
        for d in days:
            self.report(manager, d)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(config("0.85", "政策咨询", 5, "\n[report]\ncentre_name = 新中心\n"))
        self.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: n.count("READY=1") == 3, what="READY=1 after the second reload")
        for d in days:
            wait_for(lambda: self.runs_done(manager, d), timeout=60, what="the run of " + d)
            self.assertEqual(self.report_json(manager, d)["centre"], "旧中心", d)
        first = self.runs_done(manager, day)

        self.report(manager, day)
        wait_for(lambda: self.runs_done(manager, day) not in ([], first), timeout=60,
                 what="the second run")
        self.assertEqual(self.report_json(manager, day)["centre"], "新中心")
        self.assertEqual([r[2] for r in self.audit()],
                         ["applied: report.centre_name"] * 2)
        self.assertEqual(self.d.stop(), 0)

@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), "no Chromium at " + CHROMIUM)
class KioskTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-kiosk-")
        self.d = Daemon(demo=True).start()

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def command(self):
        env = dict(os.environ, WALLBOARD_URL=self.d.url, WALLBOARD_TOKEN=self.d.token,
                   WALLBOARD_CHROMIUM=CHROMIUM, STATE_DIRECTORY=os.path.join(self.tmp, "profile"))
        r = subprocess.run(["sh", KIOSK, "--print-command"], env=env, capture_output=True,
                           text=True, check=True)
        return r.stdout.splitlines()

    def headless(self, argv, *extra):
        """The kiosk's command line, headless: the same flags, the page last.
        A headless browser has no Wayland display and no screen of its own:
        it gets a 1920x1080 one."""
        cmd = argv[:-1] + ["--headless=new", "--no-sandbox", "--disable-gpu",
                           "--window-size=1920,1080", "--screen-info={1920x1080}",
                           "--virtual-time-budget=10000"] + list(extra) + argv[-1:]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def test_kiosk_shows_wallboard(self):
        argv = self.command()
        self.assertEqual(argv[0], CHROMIUM)
        for flag in ("--kiosk", "--noerrdialogs", "--disable-session-crashed-bubble",
                     "--disable-infobars", "--check-for-update-interval=31536000",
                     "--ozone-platform=wayland"):
            self.assertIn(flag, argv)
        self.assertEqual(argv[-1], self.d.url.rstrip("/") + "/wallboard/?token=" + self.d.token)
        r = subprocess.run(["sh", KIOSK, "--print-command"],
                           env=dict(os.environ, WALLBOARD_URL=self.d.url), capture_output=True,
                           text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("WALLBOARD_TOKEN", r.stderr)

        # The page after its scripts ran: the wallboard's title, the stream
        # live (the token was taken), the token banner hidden.
        # The browser's time budget is virtual: once the page waits only on
        # its WebSocket, timers run ahead and the page is dumped within
        # milliseconds of real time. A cold daemon (a sanitizer build still
        # reading the demo's backlog in 20 ms ticks) may answer the hello
        # later than that: a few tries, each a fresh browser as at a boot,
        # with the daemon given a second more each time.
        live = re.compile(r'id="stream-state"[^>]*data-state="live"')
        for attempt in range(8):
            dom = self.headless(argv, "--dump-dom").stdout
            if live.search(dom):
                break
            time.sleep(1 + attempt)
        self.assertIn("<title>12367 实时监控大屏</title>", dom)
        self.assertRegex(dom, live)
        self.assertRegex(dom, r'id="fatal"[^>]*hidden')

if __name__ == "__main__":
    unittest.main()
