"""Helpers for the integration tests: start the real wallboardd on a free
loopback port with a temporary state directory and talk to it as a client."""

import asyncio
import glob
import itertools
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import websockets

DAEMON = os.environ.get("WB_DAEMON") or os.path.join(
    os.environ.get("WB_BUILD_DIR", "build"), "engine", "wallboardd")
SAMPLES = os.environ.get("WB_SAMPLES_DIR") or os.path.join(
    os.environ.get("WB_SOURCE_DIR", "."), "tests", "data", "samples")


# A command put before the daemon, e.g. tests/valgrind/wallboardd.sh: it
# gets WB_WRAPPER_LOG (a path with %p for the process id) for its report, and
# an exit status of 99 or an error in that report fails the test.
WRAPPER = shlex.split(os.environ.get("WB_DAEMON_WRAPPER", ""))
WRAPPER_ERROR_EXIT = 99
# Every timeout is multiplied by this: a daemon under memcheck is 20 to 50
# times slower.
TIMEOUT_SCALE = float(os.environ.get("WB_TIMEOUT_SCALE") or 1)
_wrapper_runs = itertools.count(1)
# memcheck's error headers: a SIGKILLed process writes no ERROR SUMMARY.
_WRAPPER_ERROR = re.compile(r"^==\d+== (ERROR SUMMARY: [1-9]|Invalid (read|write|free)|"
                            r"Conditional jump|Use of uninitialised|Syscall param|"
                            r"Mismatched free|Source and destination overlap)", re.M)


def sample(name):
    return os.path.join(SAMPLES, name)


class Daemon:
    """One wallboardd process. The state directory outlives restarts."""

    def __init__(self, *args, state_dir=None, listen="127.0.0.1:0", config=None, demo=False):
        self.args = list(args)
        self.demo = demo
        self.own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="wb-it-")
        self.listen = listen
        self.config = config
        self.proc = None
        self.url = None
        self.token = None
        self.log_path = os.path.join(self.state_dir, "daemon.log")
        self.wrapper_log = None

    def start(self, timeout=20):
        url_file = os.path.join(self.state_dir, "wallboardd.url")
        if os.path.exists(url_file):
            os.unlink(url_file)
        cmd = [DAEMON, "--demo" if self.demo else "--no-demo", "--listen", self.listen,
               "--state-dir", self.state_dir]
        if self.config:
            cmd += ["--config", self.config]
        cmd += self.args
        env = None
        if WRAPPER:
            # One report per run, even when another Daemon reuses the directory.
            self.wrapper_log = os.path.join(self.state_dir, "wrapper-%d-%d.%%p.log"
                                            % (os.getpid(), next(_wrapper_runs)))
            env = dict(os.environ, WB_WRAPPER_LOG=self.wrapper_log)
            cmd = WRAPPER + cmd
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        timeout *= TIMEOUT_SCALE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("wallboardd exited with %s:\n%s" % (self.proc.returncode, self.read_log()))
            if os.path.exists(url_file):
                with open(url_file) as f:
                    text = f.read().strip()
                if text:
                    self.url = text
                    break
            time.sleep(0.02)
        else:
            self.kill()
            raise RuntimeError("wallboardd did not listen in %ss:\n%s" % (timeout, self.read_log()))
        with open(os.path.join(self.state_dir, "display-token")) as f:
            self.token = f.read().strip()
        # Keep the same port across restarts so clients can reconnect.
        self.listen = urllib.parse.urlparse(self.url).netloc
        return self

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def check_wrapper(self, rc):
        """Raise if the wrapper (memcheck) reported an error in this run."""
        if not self.wrapper_log:
            return
        text = ""
        for path in sorted(glob.glob(self.wrapper_log.replace("%p", "*"))):
            with open(path, "rb") as f:
                text += f.read().decode("utf-8", "replace")
        if rc == WRAPPER_ERROR_EXIT or _WRAPPER_ERROR.search(text):
            raise AssertionError("%s found errors in wallboardd (exit %s):\n%s"
                                 % (" ".join(WRAPPER), rc, text))

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout * TIMEOUT_SCALE)
        self.proc = None
        self.log.close()
        self.check_wrapper(rc)
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, path, token=True, method="GET", headers=None, data=None):
        h = dict(headers or {})
        if token is True:
            h["Authorization"] = "Bearer " + self.token
        elif token:
            h["Authorization"] = "Bearer " + token
        req = urllib.request.Request(self.url.rstrip("/") + path, method=method, headers=h, data=data)
        try:
            with urllib.request.urlopen(req, timeout=20 * TIMEOUT_SCALE) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def get_json(self, path, token=True, expect=200):
        status, headers, body = self.request(path, token)
        if status != expect:
            raise AssertionError("GET %s: %s %s" % (path, status, body[:300]))
        assert headers["Content-Type"].startswith("application/json"), headers["Content-Type"]
        return json.loads(body)

    def db(self):
        conn = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.state_dir, "wallboard.db"),
                               uri=True, timeout=10)
        return conn

    def ws_url(self):
        return self.url.replace("http://", "ws://")

    def cleanup(self):
        try:
            if self.proc is not None:
                # Under a wrapper, a clean stop so that memcheck checks leaks.
                if WRAPPER:
                    try:
                        self.stop()
                    except subprocess.TimeoutExpired:
                        self.kill()
                        raise
                else:
                    self.kill()
        finally:
            if self.own_dir:
                subprocess.run(["rm", "-rf", self.state_dir])


def wait_for(predicate, timeout=15, interval=0.05, what="condition"):
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


async def ws_session(daemon, topics, token=None):
    ws = await websockets.connect(daemon.ws_url(), subprotocols=["wallboard.v1"], max_size=2**24)
    await ws.send(json.dumps({"op": "hello", "token": token or daemon.token, "topics": topics}))
    return ws


async def ws_recv(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout * TIMEOUT_SCALE))


def append(path, text):
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()


def ql(ts, callid, queue, agent, event, *data):
    return "|".join([str(int(ts)), callid, queue, agent, event] + [str(d) for d in data]) + "\n"


def make_lines(n_calls, rng, t0):
    """Realistic-enough queue_log lines for n_calls calls from t0 on: agents
    logging in, waits, rings not answered, answers, transfers-free ends,
    abandons, wrap-up pauses. Deterministic for one rng seed."""
    agents = ["80%02d" % i for i in range(1, 9)]
    lines = [ql(t0, "MANAGER", q, "PJSIP/" + a, "ADDMEMBER", "")
             for a in agents for q in ("policy", "progress")]
    t = t0
    for i in range(n_calls):
        t += rng.randint(0, 2)
        cid = "%d.%d" % (t, i)
        q = "policy" if rng.random() < 0.7 else "progress"
        lines.append(ql(t, cid, q, "NONE", "ENTERQUEUE", "", "138%08d" % rng.randint(0, 10**8 - 1), 1))
        if rng.random() < 0.1:
            w = rng.randint(1, 90)
            lines.append(ql(t + w, cid, q, "NONE", "ABANDON", 1, 1, w))
            continue
        w, a, talk = rng.randint(0, 60), rng.choice(agents), rng.randint(20, 400)
        if rng.random() < 0.05:
            lines.append(ql(t + w, cid, q, rng.choice(agents), "RINGNOANSWER", 15000))
        lines.append(ql(t + w, cid, q, a, "CONNECT", w, cid + "b", 2))
        lines.append(ql(t + w + talk, cid, q, a,
                        "COMPLETECALLER" if rng.random() < 0.6 else "COMPLETEAGENT", w, talk, 1))
        if rng.random() < 0.3:
            lines.append(ql(t + w + talk + 1, "NONE", q, a, "PAUSE", "话后整理"))
            lines.append(ql(t + w + talk + 1 + rng.randint(5, 60), "NONE", q, a, "UNPAUSE", ""))
    return lines


