"""Integration tests of the AMI collector: the real wallboardd against a
scripted manager server (fake_ami.py). A scripted session gives the same
KPIs as the equivalent queue_log read by a second daemon, through dropped
connections (between and in the middle of messages, with events resent),
a server killed and started again, in the 12+ and the 1.8/11 event formats;
a wrong password is logged and retried with backoff. A caller who leaves
while the connection is down, or while the daemon is stopped, stops waiting
at the next login (source.sync); /healthz tells whether the connection is
up. TLS with a certificate made by openssl: trusted through tls_ca, it
logs in; untrusted, it is refused, logged and retried."""

import os
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from fake_ami import DAY_START, T0, FakeAmi, Scenario, make_scenario
from wbtest import Daemon, append, wait_for

DAY = urllib.parse.urlencode({"from": str(DAY_START * 1000),
                              "to": str((DAY_START + 86400) * 1000)})
SCOPES = ["total", "queue:policy", "queue:progress",
          "agent:8001", "agent:8002", "agent:8003", "agent:8004"]
# Figures that must agree; what is about now (waiting, the window) is not
# compared.
KEYS = ["offered", "answered", "abandoned", "short_abandons", "lost", "handled", "transferred",
        "answer_rate", "asa_s", "aht_s", "avg_abandon_wait_s", "ring_noanswers", "occupancy",
        "logged_in_s"]

COMMON = """
[rrd]
enabled = false

[agent.8003]
name = 王丽
aliases = 王丽
"""


def ami_config(port, secret="pw", auth="md5", extra=""):
    return COMMON + """
[ami]
enabled = true
host = 127.0.0.1
port = %d
username = wallboard
secret = %s
auth = %s
summary_s = 1
keepalive_s = 1
reconnect_max_s = 2
""" % (port, secret, auth) + extra


def figures(d):
    out = {}
    for scope in SCOPES:
        k = d.get_json("/api/v1/kpi?scope=%s&%s" % (scope, DAY))
        row = {key: k.get(key) for key in KEYS}
        row["service_level"] = k["service_level"]["value"]
        row["state_s"] = k.get("state_s")
        row["pause_s"] = k.get("pause_s")
        out[scope] = row
    return out


def call_outcomes(d):
    with d.db() as db:
        return sorted(db.execute("SELECT call_id, queue, outcome, abandon_reason, wait_ms,"
                                 " talk_ms, agent FROM calls").fetchall())


def calls_by_id(d):
    with d.db() as db:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT call_id, outcome, wait_ms, end_ms FROM calls")}


def waiting_now(d):
    return d.get_json("/api/v1/live")["total"]["waiting"]


def uid(ts, n):
    return "%d.%d" % (int(ts), n)


def safe_drop_points(script, n):
    """Indices of QueueCallerJoin/Join messages spread over the script: a cut
    there never falls between a caller's Leave and its QUEUESTATUS."""
    joins = [i for i, m in enumerate(script)
             if m.startswith("Event: QueueCallerJoin\r\n") or m.startswith("Event: Join\r\n")]
    return [joins[len(joins) * (k + 1) // (n + 1)] for k in range(n)]


class AmiTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wb-it-ami-")
        self.daemons = []
        self.servers = []

    def tearDown(self):
        for srv in self.servers:
            srv.shutdown()
        for d in self.daemons:
            log = d.read_log()
            d.cleanup()
            self.assertNotIn("CRITICAL", log)
        os.system("rm -rf '%s'" % self.tmp)

    def config(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def start(self, *args, **kw):
        d = Daemon(*args, **kw)
        self.daemons.append(d)
        return d.start()

    def server(self, script, **kw):
        srv = FakeAmi(script, **kw)
        self.servers.append(srv)
        return srv.start()

    def queue_log_daemon(self, sc):
        path = os.path.join(self.tmp, "queue_log")
        with open(path, "w", encoding="utf-8") as f:
            f.write(sc.queue_log())
        n = sc.queue_log().count("\n")
        d = self.start("--queue-log", path, config=self.config("ql.conf", COMMON))
        wait_for(lambda: d.get_json("/healthz")["collectors"][0]["lines"] == n, what="queue_log")
        return d, path

    def wait_same(self, d_ami, d_ql, srv, timeout=60):
        wait_for(srv.sent_all, timeout=timeout, what="the script sent")
        expect = figures(d_ql)
        last = {}

        def same():
            last["ami"] = figures(d_ami)
            return last["ami"] == expect
        try:
            wait_for(same, timeout=20, interval=0.3, what="the same KPIs")
        except AssertionError:
            for scope in SCOPES:
                for key, value in expect[scope].items():
                    self.assertEqual(last["ami"][scope][key], value, "%s %s" % (scope, key))
            raise
        return expect

    def ami_stats(self, d):
        return [c for c in d.get_json("/healthz")["collectors"] if c["kind"] == "ami"][0]

    def quarantine(self, d):
        with d.db() as db:
            return db.execute("SELECT line_no, reason, CAST(line AS TEXT) FROM quarantine").fetchall()

    def connected(self, d):
        return self.ami_stats(d)["connected"]

    def test_session_equals_queue_log_through_drops(self):
        sc = make_scenario()
        d_ql, ql_path = self.queue_log_daemon(sc)
        script = sc.ami()
        srv = self.server(script)
        # Cut between messages (nothing resent), in the middle of one
        # (three resent), and between messages again (six resent).
        a, b, c = safe_drop_points(script, 3)
        srv.drop_at(a, mid=False, resend=0)
        srv.drop_at(b, mid=True, resend=3)
        srv.drop_at(c, mid=False, resend=6)
        d = self.start(config=self.config("ami.conf", ami_config(srv.port)))
        expect = self.wait_same(d, d_ql, srv)
        self.assertGreater(expect["total"]["offered"], 60)
        self.assertGreater(expect["total"]["abandoned"], 5)
        self.assertGreater(expect["total"]["transferred"], 0)
        self.assertGreaterEqual(srv.connections, 4)
        st = self.ami_stats(d)
        self.assertEqual(st["source"], "ami:127.0.0.1:%d" % srv.port)
        self.assertGreater(st["duplicates"], 0, st)  # the resent events, refused
        if st["quarantined"]:
            wait_for(lambda: self.quarantine(d), what="the quarantined message stored")
        self.assertEqual(st["quarantined"], 0, (st, self.quarantine(d)))
        # Each call once, with the outcome and reason queue_log gives it
        # (timeout, empty and key told apart from abandon).
        wait_for(lambda: call_outcomes(d) == call_outcomes(d_ql), what="the same calls")
        reasons = {r[3] for r in call_outcomes(d)}
        self.assertTrue({"abandon", "timeout", "empty", "key"} <= reasons, reasons)
        with d.db() as db:
            n = db.execute("SELECT count(*) FROM events WHERE type = 'call.enqueue'").fetchone()[0]
            self.assertEqual(n, sc.queue_log().count("|ENTERQUEUE|"))
            # QueueSummary polls arrive as ACD snapshots.
            snaps = db.execute("SELECT queue, waiting, longest_wait_ms, logged_in, available"
                               " FROM acd_snapshots WHERE source LIKE 'ami:%'").fetchall()
        self.assertTrue(snaps)
        self.assertIn(("progress", 1, 7000, 4, 3), snaps)
        log = d.read_log()
        self.assertIn("logged in to 127.0.0.1:%d as 'wallboard'" % srv.port, log)
        self.assertIn("1 queue(s), 6 member(s)", log)  # the QueueStatus capture

        # The server killed and started again: the daemon comes back, and
        # the later calls count as in queue_log.
        srv.stop()
        wait_for(lambda: "trying again" in d.read_log().split("1 queue(s)")[-1],
                 what="the loss noticed")
        # Down long enough for an attempt to be refused.
        wait_for(lambda: "cannot connect" in d.read_log(), what="a refused attempt")
        srv.start()
        later = make_scenario(n_calls=15, seed=7, t0=T0 + 4 * 3600, with_agents=False)
        append(ql_path, later.queue_log())
        n = (sc.queue_log() + later.queue_log()).count("\n")
        wait_for(lambda: d_ql.get_json("/healthz")["collectors"][0]["lines"] == n,
                 what="queue_log")
        srv.extend(later.ami())
        expect = self.wait_same(d, d_ql, srv)
        self.assertEqual(expect["total"]["offered"],
                         (sc.queue_log() + later.queue_log()).count("|ENTERQUEUE|"))
        wait_for(lambda: call_outcomes(d) == call_outcomes(d_ql), what="the same calls")
        self.assertGreaterEqual(srv.logins, 5)

    def test_pre12_session_plain_login(self):
        sc = make_scenario(n_calls=40, seed=11)
        d_ql, _ = self.queue_log_daemon(sc)
        srv = self.server(sc.ami(pre12=True), version="1.3")
        d = self.start(config=self.config("ami.conf", ami_config(srv.port, auth="plain")))
        self.wait_same(d, d_ql, srv)
        wait_for(lambda: call_outcomes(d) == call_outcomes(d_ql), what="the same calls")
        self.assertEqual(self.ami_stats(d)["quarantined"], 0)
        self.assertNotIn("challenge", srv.actions)

    def test_wrong_password_retries_with_backoff(self):
        srv = self.server([])
        d = self.start(config=self.config("ami.conf", ami_config(srv.port, secret="wrong")))
        wait_for(lambda: len(srv.refusals) >= 4, timeout=20, what="retries")
        gaps = [b - a for a, b in zip(srv.refusals, srv.refusals[1:])]
        # 1 s, 2 s, then reconnect_max_s = 2 s.
        self.assertGreater(gaps[0], 0.8)
        self.assertGreater(gaps[1], 1.8)
        self.assertLess(gaps[2], 3.5)
        self.assertTrue(d.alive())
        self.assertIn("login as 'wallboard' refused: Authentication failed", d.read_log())
        self.assertEqual(d.get_json("/healthz")["status"], "ok")
        self.assertEqual(srv.logins, 0)

    def test_gap_then_queue_status_resyncs(self):
        """Callers who leave while the connection is down, or while the
        daemon is stopped, are not left waiting: the QueueStatus at the next
        login lists who still waits, the others end as lost."""
        now = time.time()
        a, b, c = uid(now - 60, 1), uid(now - 50, 2), uid(now - 20, 3)
        sc = Scenario()
        sc.add(now - 120, "PJSIP/8001", "policy")
        sc.enqueue(now - 60, a, "policy", "13800000001")
        sc.enqueue(now - 50, b, "policy", "13800000002", pos=2)
        srv = self.server(sc.ami())
        d = self.start(config=self.config("ami.conf", ami_config(srv.port)))
        wait_for(lambda: waiting_now(d) == 2, what="two callers waiting")
        self.assertIs(self.connected(d), True)
        # A queue_log source has no connection to report.
        self.assertTrue(all("connected" not in c for c in d.get_json("/healthz")["collectors"]
                            if c["kind"] != "ami"))

        # The server goes away; caller a hangs up meanwhile: nobody hears it.
        srv.stop()
        wait_for(lambda: self.connected(d) is False, what="connected: false")
        gap = Scenario()
        gap.exit(now - 30, a, "policy", "13800000001", 30, "abandon")
        srv.missed(gap.ami())
        self.assertEqual(waiting_now(d), 2)  # what we know so far
        srv.start()
        wait_for(lambda: self.connected(d) is True, what="connected: true")
        wait_for(lambda: waiting_now(d) == 1, what="one caller waiting")
        # The calls table follows with the next commit.
        wait_for(lambda: calls_by_id(d)[a][0] == "lost", what="a lost in the calls table")
        calls = calls_by_id(d)
        self.assertEqual(calls[a][0], "lost", calls)
        self.assertEqual(calls[b][0], "waiting", calls)
        self.assertGreater(calls[a][1], 50000)  # waited from its entry to the round
        k = d.get_json("/api/v1/kpi?scope=total&" + urllib.parse.urlencode(
            {"from": str(int(now - 3600) * 1000), "to": str(int(now + 3600) * 1000)}))
        self.assertEqual((k["offered"], k["lost"], k["abandoned"]), (2, 1, 0))
        self.assertIn("1 caller(s) left while the connection was down", d.read_log())

        # A third caller enters; the daemon stops (state kept) and the
        # caller leaves while it is down; b still waits.
        more = Scenario()
        more.enqueue(now - 20, c, "policy", "13800000003", pos=2)
        srv.extend(more.ami())
        wait_for(lambda: waiting_now(d) == 2, what="b and c waiting")
        d.stop()
        gone = Scenario()
        gone.exit(now - 10, c, "policy", "13800000003", 10, "timeout")
        srv.missed(gone.ami())
        d.start()
        # The stored state says b and c wait; the login's round says b.
        wait_for(lambda: self.connected(d) is True, what="connected after the restart")
        wait_for(lambda: waiting_now(d) == 1, what="only b waiting after the restart")
        wait_for(lambda: calls_by_id(d)[c][0] == "lost", what="c lost in the calls table")
        calls = calls_by_id(d)
        self.assertEqual(calls[c][0], "lost", calls)
        self.assertEqual(calls[b][0], "waiting", calls)
        self.assertEqual(calls[a][0], "lost", calls)
        with d.db() as db:
            rounds = db.execute("SELECT count(*) FROM events WHERE type = 'source.sync'"
                                " AND call_id IS NULL").fetchone()[0]
            confirmed = db.execute("SELECT count(*) FROM events WHERE type = 'source.sync'"
                                   " AND call_id = ?", (b,)).fetchone()[0]
        self.assertEqual(rounds, 3)  # one sweep per login
        self.assertEqual(confirmed, 2)  # b, at the second and the third login

    def tls_server(self, script):
        """A fake manager with TLS and a self-signed certificate for
        127.0.0.1, made now by openssl."""
        cert = os.path.join(self.tmp, "manager.pem")
        key = os.path.join(self.tmp, "manager.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return self.server(script, ssl_context=ctx), cert

    def test_tls_with_tls_ca(self):
        sc = make_scenario(n_calls=10, seed=5)
        srv, cert = self.tls_server(sc.ami())
        extra = "tls = true\ntls_ca = %s\n" % cert
        d = self.start(config=self.config("ami.conf", ami_config(srv.port, extra=extra)))
        wait_for(srv.sent_all, timeout=30, what="the script sent over TLS")
        wait_for(lambda: self.ami_stats(d)["events"] > 0 and self.connected(d) is True,
                 what="events over TLS")

        def enqueued():
            with d.db() as db:
                return db.execute("SELECT count(*) FROM events"
                                  " WHERE type = 'call.enqueue'").fetchone()[0]
        wait_for(lambda: enqueued() == 10, what="the 10 calls stored")
        self.assertIn("logged in to 127.0.0.1:%d" % srv.port, d.read_log())
        self.assertEqual(srv.logins, 1)

    def test_tls_untrusted_certificate_refused(self):
        srv, _ = self.tls_server([])
        d = self.start(config=self.config("ami.conf", ami_config(srv.port, extra="tls = true\n")))
        wait_for(lambda: d.read_log().count("TLS handshake failed") >= 2, timeout=20,
                 what="two refused handshakes")
        log = d.read_log()
        self.assertIn("not signed by an authority the system trusts: set [ami] tls_ca", log)
        self.assertIn("trying again", log)
        self.assertTrue(d.alive())
        self.assertEqual(d.get_json("/healthz")["status"], "ok")
        self.assertIs(self.connected(d), False)
        self.assertEqual(srv.logins, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
