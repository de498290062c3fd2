"""The supervisor's shift handover notes and incident log through the
daemon: GET/POST /api/v1/notes and POST /api/v1/notes/ID/close.

Two supervisors (liwei 李伟, zhaomin 赵敏) made with `wallboardctl user
add … --password-stdin` log in with POST /api/v1/auth/login; a program's
supervisor token (`wallboardctl token add supervisor floor`) may read the
notes but not write them (a note has an author). Checks who may do what
(401, 403), bad input (400), the author and closer taken from the session,
the order and the window of the list, and that a note is in the database
as soon as its POST is answered (not held back with a batch of events)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from wbtest import Daemon

CTL = os.environ.get("WB_CTL") or os.path.join(os.environ.get("WB_BUILD_DIR", "build"),
                                               "engine", "wallboardctl")
PASSWORD = "Shift-Lead-2026"


class NotesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A batch of events is committed 10 s after its first event here,
        # so a note that went into a batch would not be in the database yet.
        cls.tmp = tempfile.mkdtemp(prefix="wb-notes-")
        config = os.path.join(cls.tmp, "wallboard.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write("[store]\nflush_ms = 10000\n")
        cls.d = Daemon(config=config)
        for name, shown in (("liwei", "李伟"), ("zhaomin", "赵敏")):
            r = cls.ctl("user", "add", name, "--role", "supervisor", "--display-name", shown,
                        "--password-stdin", stdin=PASSWORD + "\n")
            assert r.returncode == 0, r.stdout + r.stderr
        cls.d.start()
        cls.supervisor = cls.ctl("token", "add", "supervisor", "floor").stdout.strip()
        cls.key = cls.ctl("key", "add", "pbx").stdout.strip()
        cls.cookie = {name: cls.login(name) for name in ("liwei", "zhaomin")}

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def ctl(cls, *args, stdin=None):
        return subprocess.run([CTL, "--state-dir", cls.d.state_dir, "--config", cls.d.config] + list(args), input=stdin,
                              capture_output=True, text=True, timeout=60)

    @classmethod
    def login(cls, name):
        status, headers, raw = cls.d.request(
            "/api/v1/auth/login", token=False, method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"user": name, "password": PASSWORD}).encode())
        assert status == 200, raw
        cookie = headers["Set-Cookie"].split(";")[0]
        assert cookie.startswith("wb_session="), cookie
        return cookie

    def call(self, path, method="GET", body=None, user=None, token=False):
        headers = {"Content-Type": "application/json"}
        if user is not None:
            headers["Cookie"] = self.cookie[user]
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        status, headers, raw = self.d.request(path, token=token, method=method, headers=headers,
                                              data=data)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        return status, json.loads(raw)

    def post(self, body, user="liwei", expect=201):
        status, j = self.call("/api/v1/notes", "POST", body, user=user)
        self.assertEqual(status, expect, j)
        return j

    def stored(self, note_id):
        with self.d.db() as db:
            return db.execute("SELECT kind, author, title, body, severity, closed_ms, closed_by"
                              " FROM notes WHERE id = ?", (note_id,)).fetchone()

    def test_who_may(self):
        note = {"kind": "handover", "body": "交班"}
        status, j = self.call("/api/v1/notes")
        self.assertEqual(status, 401, j)
        status, j = self.call("/api/v1/notes", "POST", note)
        self.assertEqual(status, 401, j)
        # A display token reads the wallboard, not people's notes.
        status, j = self.call("/api/v1/notes", token=self.d.token)
        self.assertEqual(status, 403, j)
        # A supervisor's token reads them, but a note needs a named author.
        status, j = self.call("/api/v1/notes", token=self.supervisor)
        self.assertEqual(status, 200, j)
        status, j = self.call("/api/v1/notes", "POST", note, token=self.supervisor)
        self.assertEqual(status, 403, j)
        self.assertIn("needs a named user", j["error"])
        # An ingest key sends events only.
        status, j = self.call("/api/v1/notes", token=self.key)
        self.assertIn(status, (401, 403), j)
        status, j = self.call("/api/v1/notes/1/close", "POST", token=self.supervisor)
        self.assertEqual(status, 403, j)
        status, j = self.call("/api/v1/notes", "DELETE", user="liwei")
        self.assertEqual(status, 405, j)
        self.assertIn("takes GET or POST", j["error"])
        status, j = self.call("/api/v1/notes/1/close", "GET", user="liwei")
        self.assertEqual(status, 405, j)
        self.assertIn("takes POST", j["error"])

    def test_bad_input(self):
        cases = [
            (None, "expected a JSON object"),
            (b"not json", "expected a JSON object"),
            (b"[1,2]", "expected a JSON object"),
            ({"kind": "handover"}, "body"),
            ({"kind": "handover", "body": "   "}, "body"),
            ({"kind": "diary", "body": "x"}, "kind"),
            ({"body": "x"}, "kind"),
            ({"kind": "handover", "body": 5}, "body: expected a string"),
            ({"kind": "handover", "body": "x", "severity": "critical"}, "severity"),
            ({"kind": "incident", "body": "x", "severity": "urgent"}, "severity"),
            ({"kind": "handover", "body": "长" * 4001}, "body: at most 4000"),
            ({"kind": "handover", "title": "题" * 201, "body": "x"}, "title: at most 200"),
        ]
        for body, words in cases:
            status, j = self.call("/api/v1/notes", "POST", body, user="liwei")
            self.assertEqual(status, 400, (body if not isinstance(body, dict) else
                                           {k: str(v)[:20] for k, v in body.items()}, j))
            self.assertIn(words, j["error"])
        for query, name in [("kind=diary", "kind"), ("from=yesterday", "from"),
                            ("from=2026-11-28&to=2026-11-27", "from"),
                            ("from=2025-01-01&to=2026-11-28", "to")]:
            status, j = self.call("/api/v1/notes?" + query, user="liwei")
            self.assertEqual(status, 400, (query, j))
            self.assertIn(name, j["error"])
        # 4000 characters are taken (12000 bytes of UTF-8).
        n = self.post({"kind": "handover", "body": "长" * 4000})
        self.assertEqual(len(n["body"]), 4000)

    def test_write_list_close(self):
        before = int(time.time() * 1000)
        h = self.post({"kind": "handover", "title": "夜班交接",
                       "body": "政策咨询队列 22 点后来电多；8003 明早请假。"})
        # In the database as soon as the answer is here.
        self.assertEqual(self.stored(h["id"]),
                         ("handover", "liwei", "夜班交接",
                          "政策咨询队列 22 点后来电多；8003 明早请假。", None, None, None))
        i1 = self.post({"kind": "incident", "title": "排队系统卡顿", "body": "10:05 起坐席无法示闲",
                        "severity": "critical"}, user="zhaomin")
        i2 = self.post({"kind": "incident", "body": "  大厅显示屏黑屏  "})
        after = int(time.time() * 1000)

        self.assertEqual(h["kind"], "handover")
        self.assertEqual(h["author"], "liwei")
        self.assertEqual(h["author_name"], "李伟")
        self.assertIsNone(h["severity"])
        self.assertTrue(before <= h["ts_ms"] <= after, h)
        self.assertTrue(h["ts"].endswith("+08:00"), h["ts"])
        self.assertIsNone(h["closed"])
        self.assertIsNone(h["closed_ms"])
        self.assertIsNone(h["closed_by"])
        self.assertEqual(i1["author"], "zhaomin")
        self.assertEqual(i1["severity"], "critical")
        # The default severity of an incident; text stripped; no title.
        self.assertEqual(i2["severity"], "warning")
        self.assertEqual(i2["body"], "大厅显示屏黑屏")
        self.assertIsNone(i2["title"])
        self.assertTrue(h["id"] < i1["id"] < i2["id"])

        # Newest first; kind filters.
        status, j = self.call("/api/v1/notes", user="zhaomin")
        self.assertEqual(status, 200, j)
        ids = [n["id"] for n in j["notes"]]
        self.assertEqual(ids[:3], [i2["id"], i1["id"], h["id"]])
        self.assertIsNone(j["kind"])
        self.assertLess(j["from_ms"], before)
        self.assertGreater(j["to_ms"], after)
        # The default window: today and the six days before, local midnights.
        self.assertTrue(j["from"].endswith("T00:00:00.000+08:00"), j["from"])
        self.assertEqual((j["to_ms"] - j["from_ms"]) // 86400000, 7)
        status, j = self.call("/api/v1/notes?kind=incident", token=self.supervisor)
        self.assertEqual([n["id"] for n in j["notes"]][:2], [i2["id"], i1["id"]])
        self.assertTrue(all(n["kind"] == "incident" for n in j["notes"]))
        status, j = self.call("/api/v1/notes?kind=handover", user="liwei")
        self.assertIn(h["id"], [n["id"] for n in j["notes"]])
        self.assertTrue(all(n["kind"] == "handover" for n in j["notes"]))

        # zhaomin closes liwei's incident.
        status, c = self.call("/api/v1/notes/%d/close" % i2["id"], "POST", user="zhaomin")
        self.assertEqual(status, 200, c)
        closed_at = int(time.time() * 1000)
        self.assertEqual(c["closed_by"], "zhaomin")
        self.assertEqual(c["closed_by_name"], "赵敏")
        self.assertEqual(c["author"], "liwei")
        self.assertTrue(after <= c["closed_ms"] <= closed_at, c)
        self.assertEqual(self.stored(i2["id"])[5:], (c["closed_ms"], "zhaomin"))
        status, j = self.call("/api/v1/notes/%d/close" % i2["id"], "POST", user="liwei")
        self.assertEqual(status, 409, j)
        self.assertIn("zhaomin", j["error"])
        status, j = self.call("/api/v1/notes/%d/close" % h["id"], "POST", user="liwei")
        self.assertEqual(status, 400, j)
        status, j = self.call("/api/v1/notes/999999/close", "POST", user="liwei")
        self.assertEqual(status, 404, j)
        status, j = self.call("/api/v1/notes/abc/close", "POST", user="liwei")
        self.assertEqual(status, 404, j)

        # A window after now: no note was written in it, but the incident
        # still open (i1) is listed whatever its age; the closed one is not.
        later = after + 3600 * 1000
        status, j = self.call("/api/v1/notes?from=%d&to=%d" % (later, later + 3600 * 1000),
                              user="liwei")
        self.assertEqual(status, 200, j)
        self.assertEqual([n["id"] for n in j["notes"]], [i1["id"]])
        # A window before them all: nothing.
        status, j = self.call("/api/v1/notes?from=%d&to=%d" % (before - 7200000, before - 3600000),
                              user="liwei")
        self.assertEqual(j["notes"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
