"""Accounts, roles and sessions against the real daemon: login, logout and
who-am-I with the session cookie, lockout, idle expiry, the access table
of every route (401 without credentials, 403 for each wrong role), the
audit rows, and a scan of every answer for raw caller numbers."""

import asyncio
import http.client
import json
import os
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import websockets

from wbtest import Daemon, append, ql, wait_for

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
PASSWORD = "Hotline-12367"

# Every route of engine/api.c and what it needs. The daemon's own list
# (GET /api/v1/routes) must equal this one: a new route fails this test
# until its access is written down here.
ROUTES = {
    ("GET", "/healthz"): "open",
    ("GET", "/metrics"): "open",
    ("GET", "/api/v1/definitions"): "open",
    ("GET", "/api/v1/routes"): "open",
    ("POST", "/api/v1/auth/login"): "open",
    ("POST", "/api/v1/auth/logout"): "open",
    ("GET", "/api/v1/auth/me"): "display",
    ("GET", "/api/v1/live"): "display",
    ("GET", "/api/v1/kpi"): "display",
    ("GET", "/api/v1/intervals"): "display",
    ("GET", "/api/v1/agents"): "display",
    ("GET", "/api/v1/series"): "display",
    ("GET", "/api/v1/staffing"): "display",
    ("GET", "/api/v1/holidays"): "display",
    ("GET", "/api/v1/stability"): "supervisor",
    ("GET", "/api/v1/training"): "supervisor",
    ("GET", "/api/v1/coverage"): "supervisor",
    ("GET", "/api/v1/roster"): "supervisor",
    ("GET", "/api/v1/attendance"): "supervisor",
    ("GET", "/api/v1/notes"): "supervisor",
    ("POST", "/api/v1/notes"): "supervisor",
    ("POST", "/api/v1/notes/*/close"): "supervisor",
    ("GET", "/api/v1/alerts"): "supervisor",
    ("POST", "/api/v1/alerts/*/ack"): "supervisor",
    ("GET", "/api/v1/reports"): "manager",
    ("POST", "/api/v1/reports"): "manager",
    ("GET", "/api/v1/reports/files/*/*"): "manager",
    ("GET", "/api/v1/reports/text"): "manager",
    ("POST", "/api/v1/reports/text"): "manager",
    ("GET", "/api/v1/audit"): "audit",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/events"): "ingest",
}

# Who may use a route of each need, by the credential's role.
ALLOWED = {
    "display": {"display", "supervisor", "manager", "admin", "auditor"},
    "supervisor": {"supervisor", "manager", "admin"},
    "manager": {"manager", "admin"},
    "audit": {"auditor", "admin"},
    "admin": {"admin"},
}

USERS = [("disp1", "display"), ("sup1", "supervisor"), ("mgr1", "manager"),
         ("admin1", "admin"), ("aud1", "auditor"), ("locky", "supervisor"),
         ("idle1", "supervisor")]

RAW_NUMBERS = ["13812345678", "13987654321", "15011112222"]


def ctl(state_dir, *args, stdin=None):
    return subprocess.run([CTL, "--state-dir", state_dir] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=60)


class Accounts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wb-accounts-")
        cls.state = os.path.join(cls.tmp, "state")
        os.mkdir(cls.state)
        for name, role in USERS:
            r = ctl(cls.state, "user", "add", name, "--role", role, "--display-name",
                    name.upper(), "--password-stdin", stdin=PASSWORD + "\n")
            assert r.returncode == 0, r.stderr
        r = ctl(cls.state, "key", "add", "it")
        assert r.returncode == 0, r.stderr
        cls.ingest_key = r.stdout.strip()
        cls.queue_log = os.path.join(cls.tmp, "queue_log")
        t0 = int(time.time()) - 600
        append(cls.queue_log,
               ql(t0, "MANAGER", "policy", "PJSIP/8001", "ADDMEMBER", "") +
               ql(t0 + 10, "1.1", "policy", "NONE", "ENTERQUEUE", "", "13987654321", 1) +
               ql(t0 + 20, "1.1", "policy", "PJSIP/8001", "CONNECT", 10, "1.1b", 2) +
               ql(t0 + 80, "1.1", "policy", "PJSIP/8001", "COMPLETECALLER", 10, 60, 1) +
               # A broken line with a number: quarantined, never served.
               "soon|1.2|policy|NONE|ENTERQUEUE||15011112222|1\n")
        cls.config = os.path.join(cls.tmp, "wallboard.conf")
        with open(cls.config, "w") as f:
            f.write("[auth]\nsession_idle_s = 5\n")
        cls.d = Daemon("--queue-log", cls.queue_log, state_dir=cls.state, config=cls.config)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        subprocess.run(["rm", "-rf", cls.tmp])

    # ---- helpers ----

    def call(self, method, path, cookie=None, token=None, body=None):
        headers = {}
        if cookie:
            headers["Cookie"] = "wb_session=" + cookie
        if body is not None:
            headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode() if body is not None else None
        if method == "POST" and data is None:
            data = b"{}"
        return self.d.request(path, token=token or False, method=method, headers=headers,
                              data=data)

    def login(self, name, password=PASSWORD, expect=200):
        status, headers, body = self.call("POST", "/api/v1/auth/login",
                                          body={"user": name, "password": password})
        self.assertEqual(status, expect, body)
        if expect != 200:
            self.assertIsNone(headers.get("Set-Cookie"))
            return json.loads(body)
        cookie = headers["Set-Cookie"]
        parts = [p.strip() for p in cookie.split(";")]
        self.assertTrue(parts[0].startswith("wb_session="), cookie)
        self.assertEqual(len(parts[0]) - len("wb_session="), 64)
        self.assertIn("HttpOnly", parts)
        self.assertIn("SameSite=Strict", parts)
        self.assertIn("Path=/", parts)
        return parts[0][len("wb_session="):]

    def audit(self, cookie):
        status, _, body = self.call("GET", "/api/v1/audit?limit=10000", cookie=cookie)
        self.assertEqual(status, 200, body)
        return json.loads(body)["rows"]

    # ---- tests ----

    def test_login_me_logout(self):
        cookie = self.login("mgr1")
        status, _, body = self.call("GET", "/api/v1/auth/me", cookie=cookie)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body),
                         {"user": "mgr1", "role": "manager", "display_name": "MGR1"})
        # A token says its role and names no one.
        status, _, body = self.call("GET", "/api/v1/auth/me", token=self.d.token)
        self.assertEqual(json.loads(body), {"user": None, "role": "display", "display_name": None})
        status, headers, body = self.call("POST", "/api/v1/auth/logout", cookie=cookie)
        self.assertEqual(status, 200)
        self.assertIn("Max-Age=0", headers["Set-Cookie"])
        self.assertEqual(self.call("GET", "/api/v1/auth/me", cookie=cookie)[0], 401)
        self.assertEqual(self.call("GET", "/api/v1/auth/me", cookie="0" * 64)[0], 401)

    def test_wrong_password_and_unknown_user_look_alike(self):
        a = self.login("sup1", "Wrong-password-1", expect=401)
        b = self.login("nosuchuser", PASSWORD, expect=401)
        self.assertEqual(a, b)
        self.assertEqual(a, {"error": "wrong user name or password"})
        status, _, _ = self.call("POST", "/api/v1/auth/login", body={"user": "sup1"})
        self.assertEqual(status, 400)

    def test_lockout_after_five_failures(self):
        for _ in range(5):
            self.login("locky", "Wrong-password-1", expect=401)
        locked = self.login("locky", PASSWORD, expect=423)
        self.assertIn("locked", locked["error"])
        # An administrator unlocks it.
        r = ctl(self.state, "user", "unlock", "locky")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.login("locky")
        rows = [r for r in self.audit(self.login("aud1")) if r["target"] == "locky"]
        actions = [r["action"] for r in rows]
        self.assertEqual(actions.count("login_failed"), 6)  # 5 wrong, 1 while locked
        self.assertEqual(actions.count("locked"), 1)
        lock = [r for r in rows if r["action"] == "locked"][0]
        self.assertEqual(lock["detail"], "5 wrong passwords: locked for 30 min")
        self.assertEqual(lock["remote"], "127.0.0.1")
        self.assertEqual(actions[-2:], ["user_change", "login"])
        self.assertEqual(rows[-2]["actor"], "wallboardctl")
        self.assertEqual(rows[-2]["detail"], "unlocked")

    def send_logins(self, logins):
        """Every request written before any answer is read, so that the
        daemon finds them all waiting at once."""
        netloc = urllib.parse.urlparse(self.d.url).netloc
        conns = [http.client.HTTPConnection(netloc, timeout=60) for _ in logins]
        for c in conns:
            c.connect()
        for c, (name, password) in zip(conns, logins):
            c.request("POST", "/api/v1/auth/login",
                      body=json.dumps({"user": name, "password": password}),
                      headers={"Content-Type": "application/json"})
        answers = []
        for c in conns:
            r = c.getresponse()
            answers.append((r.status, r.getheader("Set-Cookie"), json.loads(r.read())))
            c.close()
        return answers

    def test_logins_at_once(self):
        # Four at once, each checked on a worker thread: all in.
        names = ["disp1", "sup1", "mgr1", "admin1"]
        answers = self.send_logins([(n, PASSWORD) for n in names])
        for name, (status, cookie, body) in zip(names, answers):
            self.assertEqual(status, 200, body)
            self.assertEqual(body["user"], name)
            session = cookie.split(";")[0][len("wb_session="):]
            status, _, me = self.call("GET", "/api/v1/auth/me", cookie=session)
            self.assertEqual(json.loads(me)["user"], name)
        # A flood: past four checks at once the rest are turned away at
        # once (429), not queued, and are no failed login.
        answers = self.send_logins([("flooder", "Wrong-password-1")] * 16)
        statuses = [a[0] for a in answers]
        self.assertLessEqual(set(statuses), {401, 429}, answers)
        self.assertIn(429, statuses)
        for status, cookie, body in answers:
            self.assertIsNone(cookie)
            if status == 429:
                self.assertEqual(body, {"error": "too many logins at once: try again in a few"
                                                 " seconds"})
        rows = [r for r in self.audit(self.login("aud1")) if r["target"] == "flooder"]
        self.assertEqual(len(rows), statuses.count(401))
        self.assertEqual({r["action"] for r in rows}, {"login_failed"})
        # The daemon answers as before.
        self.login("sup1")
        self.assertEqual(self.d.get_json("/healthz")["status"], "ok")

    def test_session_idle_expiry(self):
        cookie = self.login("idle1")
        # Used every 2 s for 8 s: the idle time of 5 s never runs out.
        for _ in range(4):
            self.assertEqual(self.call("GET", "/api/v1/auth/me", cookie=cookie)[0], 200)
            time.sleep(2)
        self.assertEqual(self.call("GET", "/api/v1/auth/me", cookie=cookie)[0], 200)
        time.sleep(6.5)
        self.assertEqual(self.call("GET", "/api/v1/auth/me", cookie=cookie)[0], 401)

    def test_every_route_refuses_without_credentials_and_wrong_roles(self):
        status, _, body = self.call("GET", "/api/v1/routes")
        self.assertEqual(status, 200)
        listed = {(r["method"], r["path"]): r["need"] for r in json.loads(body)["routes"]}
        self.assertEqual(listed, ROUTES)

        creds = {"display-token": ("display", {"token": self.d.token})}
        for name, role in USERS:
            if name in ("locky", "idle1"):
                continue
            creds[name] = (role, {"cookie": self.login(name)})
        checked = 0
        for (method, path), need in sorted(ROUTES.items()):
            path = path.replace("*", "1")
            status, _, body = self.call(method, path)
            if need == "open":
                self.assertNotIn(status, (401, 403), (method, path, body))
                continue
            self.assertEqual(status, 401, (method, path, body))
            self.assertIn("error", json.loads(body))
            for label, (role, kw) in creds.items():
                status, _, body = self.call(method, path, **kw)
                if need == "ingest":
                    self.assertIn(status, (401, 403), (label, method, path, body))
                elif role in ALLOWED[need]:
                    self.assertNotIn(status, (401, 403), (label, method, path, body))
                else:
                    self.assertEqual(status, 403, (label, method, path, body))
                    self.assertIn("error", json.loads(body))
                checked += 1
        self.assertGreater(checked, 100)

    def test_audit_and_users_readers(self):
        admin = self.login("admin1")
        rows = self.audit(admin)
        adds = {r["target"] for r in rows
                if r["action"] == "user_change" and r["actor"] == "wallboardctl"
                and (r["detail"] or "").startswith("added")}
        self.assertEqual(adds, {name for name, _ in USERS})
        login = [r for r in rows if r["action"] == "login" and r["actor"] == "admin1"][-1]
        self.assertEqual((login["target"], login["detail"], login["remote"]),
                         ("admin1", "admin", "127.0.0.1"))
        self.assertTrue(login["time"].endswith("+08:00"))
        self.assertIsInstance(login["time_ms"], int)
        self.assertEqual(self.call("GET", "/api/v1/audit?from=nonsense", cookie=admin)[0], 400)
        status, _, body = self.call("GET", "/api/v1/audit?limit=0", cookie=admin)
        self.assertEqual(status, 400)
        self.assertIn("limit", json.loads(body)["error"])

        status, _, body = self.call("GET", "/api/v1/users", cookie=admin)
        self.assertEqual(status, 200)
        users = {u["user"]: u for u in json.loads(body)["users"]}
        self.assertEqual(set(users), {name for name, _ in USERS})
        self.assertEqual(users["aud1"]["role"], "auditor")
        self.assertNotIn(b"argon2", body)
        self.assertNotIn(b"password", body)

    def test_websocket_by_session_cookie(self):
        cookie = self.login("sup1")

        async def scenario():
            url = self.d.ws_url()
            ws = await websockets.connect(url, subprotocols=["wallboard.v1"],
                                          extra_headers={"Cookie": "wb_session=" + cookie})
            await ws.send(json.dumps({"op": "hello", "topics": ["wallboard"]}))
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            self.assertEqual(m["t"], "welcome")
            # Logged out elsewhere: the stream ends within a heartbeat or two
            # (heartbeat_s 5), with a reason, and the socket closes (1008).
            status, _, _ = await asyncio.to_thread(self.call, "POST", "/api/v1/auth/logout",
                                                   cookie=cookie)
            self.assertEqual(status, 200)
            ended = None
            try:
                while ended is None:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 15))
                    if m["t"] == "error":
                        ended = m
            except websockets.ConnectionClosed:
                pass
            self.assertEqual(ended, {"t": "error", "error": "session ended: log in again"})
            with self.assertRaises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            self.assertEqual(ws.close_code, 1008)
            ws = await websockets.connect(url, subprotocols=["wallboard.v1"])
            await ws.send(json.dumps({"op": "hello", "topics": ["wallboard"]}))
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            self.assertEqual(m, {"t": "error", "error": "invalid token"})
            await ws.close()

        asyncio.run(scenario())

    def test_no_raw_caller_number_anywhere(self):
        events = [
            {"event_id": "w1", "type": "call.enqueue", "ts": int(time.time() * 1000) - 5000,
             "call_id": "w1", "queue": "policy", "caller": "13812345678"},
            # Refused: the error must not echo the number.
            {"event_id": "w2", "type": "call.enqueue", "ts": int(time.time() * 1000),
             "call_id": "w2", "queue": "policy", "caller": "13812345678" * 8},
        ]
        status, _, body = self.d.request(
            "/api/v1/events", token=self.ingest_key, method="POST",
            headers={"Content-Type": "application/x-ndjson"},
            data=("\n".join(json.dumps(e) for e in events) + "\n").encode())
        self.assertEqual(status, 200, body)
        rejected = json.loads(body)["rejected"]
        self.assertEqual(len(rejected), 1)
        self.assertTrue(rejected[0]["error"].startswith("caller: "), rejected)
        answers = [body]
        wait_for(lambda: self.d.db().execute(
            "SELECT count(DISTINCT call_id) FROM events WHERE call_id IN ('w1', '1.1')"
            " AND type = 'call.enqueue'").fetchone()[0] == 2,
            what="calls stored")
        db = self.d.db()
        self.assertEqual(db.execute("SELECT caller_mask FROM events WHERE call_id = 'w1'"
                                    " AND type = 'call.enqueue'").fetchone()[0], "138****5678")
        self.assertEqual(db.execute("SELECT caller_mask FROM events WHERE call_id = '1.1'"
                                    " AND type = 'call.enqueue'").fetchone()[0], "139****4321")
        # The broken line is kept as read, for repair, in the store only.
        quarantined = "\n".join(str(r) for r in db.execute("SELECT CAST(line AS TEXT)"
                                                            " FROM quarantine"))
        self.assertIn("15011112222", quarantined)
        self.assertIn("13812345678", quarantined)
        for table in ("events", "calls"):
            dump = "\n".join(str(r) for r in db.execute("SELECT * FROM " + table))
            for raw in RAW_NUMBERS:
                self.assertNotIn(raw, dump, table)

        admin = self.login("admin1")
        for (method, path), need in sorted(ROUTES.items()):
            if method != "GET":
                continue
            path = path.replace("*", "1")
            for kw in ({"cookie": admin}, {"token": self.d.token}):
                answers.append(self.call(method, path, **kw)[2])
            if "?" not in path:
                answers.append(self.call(method, path + "?scope=queue:policy", cookie=admin)[2])

        async def snapshots():
            out = []
            for topic in ("wallboard", "agents", "staffing", "alerts"):
                ws = await websockets.connect(self.d.ws_url(), subprotocols=["wallboard.v1"],
                                              max_size=2**24,
                                              extra_headers={"Cookie": "wb_session=" + admin})
                await ws.send(json.dumps({"op": "hello", "topics": [topic]}))
                first = await asyncio.wait_for(ws.recv(), 10)
                out.append(first.encode())
                if json.loads(first)["t"] == "welcome":
                    out.append((await asyncio.wait_for(ws.recv(), 10)).encode())
                await ws.close()
            return out

        answers += asyncio.run(snapshots())
        self.assertGreater(len(answers), 40)
        for body in answers:
            for raw in RAW_NUMBERS:
                self.assertNotIn(raw.encode(), body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
