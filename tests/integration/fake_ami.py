"""A scripted Asterisk Manager Interface server, and call scenarios written
both as AMI events (Asterisk 12+ and 1.8/11 names) and as the queue_log
lines Asterisk writes for the same calls.

The server listens on 127.0.0.1 (port 0: a free one), with TLS if given
an ssl context, sends the banner, answers Challenge (MD5), Login (plain or
MD5), Ping, QueueStatus (the queues and members of the capture
tests/data/samples/ami-queue-status.txt, and a QueueEntry for every caller
waiting now in its script) and QueueSummary, and streams its script of
events to the logged-in client. It can drop the connection before a chosen
message, or in the middle of it, and then resend the last few messages on
the next connection (a client must count each once), and be stopped and
started again on the same port. What happens while nobody listens (a
caller who leaves during a gap) is told with missed(): the server's state
has it, no client ever receives it, as with Asterisk.

    python3 fake_ami.py [--port N] [--pre12]   # serves a demo scenario
"""

import argparse
import asyncio
import hashlib
import os
import random
import re
import ssl
import threading
import time

SAMPLES = os.environ.get("WB_SAMPLES_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "data", "samples")

# 2025-03-13 09:00 in Shaanxi (UTC+8): a fixed day, so both daemons agree.
DAY_START = 1741795200  # 2025-03-13T00:00:00+08:00
T0 = DAY_START + 9 * 3600


def message(*pairs):
    """One AMI message: Key: Value lines, CRLF, an empty line."""
    return "".join("%s: %s\r\n" % kv for kv in pairs) + "\r\n"


def event(name, ts, *pairs, privilege="agent,all"):
    return message(("Event", name), ("Privilege", privilege),
                   ("Timestamp", "%d.%06d" % (int(ts), int(round((ts % 1) * 1e6)))), *pairs)


# ---- scenarios ----------------------------------------------------------

MEMBERS = {  # interface -> member name (queue_log: ADDMEMBER uses the interface)
    "PJSIP/8001": "PJSIP/8001",
    "PJSIP/8002": "PJSIP/8002",
    "PJSIP/8003": "王丽",
    "PJSIP/8004": "PJSIP/8004",
}
QUEUES = ("policy", "progress")


class Scenario:
    """Calls and agents described once, written out as queue_log lines and
    as AMI messages in both formats, step by step, in time order."""

    def __init__(self):
        self.steps = []  # (ts, seq, ql lines, ami12 messages, ami11 messages)
        self.seq = 0
        self.chan = 0
        self.outcomes = {}  # call id -> abandon reason or "answered"

    def step(self, ts, ql, ami12, ami11=None):
        self.seq += 1
        self.steps.append((ts, self.seq, ql, ami12, ami11 if ami11 is not None else ami12))

    def queue_log(self):
        return "".join(line for s in sorted(self.steps) for line in s[2])

    def ami(self, pre12=False):
        return [m for s in sorted(self.steps) for m in (s[4] if pre12 else s[3])]

    # -- channel snapshots (12+: manager_channels.c)
    def caller_snapshot(self, uid, caller, prefix=""):
        return [(prefix + "Channel", "PJSIP/trunk-%08x" % int(float(uid) * 10 % 2**32)),
                (prefix + "ChannelState", "6"), (prefix + "ChannelStateDesc", "Up"),
                (prefix + "CallerIDNum", caller), (prefix + "CallerIDName", "<unknown>"),
                (prefix + "ConnectedLineNum", "<unknown>"),
                (prefix + "ConnectedLineName", "<unknown>"), (prefix + "Language", "zh"),
                (prefix + "AccountCode", ""), (prefix + "Context", "from-trunk"),
                (prefix + "Exten", "12367"), (prefix + "Priority", "3"),
                (prefix + "Uniqueid", uid), (prefix + "Linkedid", uid)]

    def member_snapshot(self, iface, ts):
        self.chan += 1
        uid = "%d.%d" % (int(ts), 90000 + self.chan)
        return [("DestChannel", "%s-%08x" % (iface, self.chan)), ("DestChannelState", "5"),
                ("DestChannelStateDesc", "Ringing"), ("DestCallerIDNum", iface[-4:]),
                ("DestUniqueid", uid), ("DestLinkedid", uid)]

    def member_blob(self, iface, queue, paused, reason, ts):
        return [("Queue", queue), ("MemberName", MEMBERS[iface]), ("Interface", iface),
                ("StateInterface", iface), ("Membership", "dynamic"), ("Penalty", "0"),
                ("CallsTaken", "0"), ("LastCall", "0"), ("LastPause", str(int(ts))),
                ("LoginTime", str(T0 - 60)), ("InCall", "0"), ("Status", "1"),
                ("Paused", "1" if paused else "0"), ("PausedReason", reason),
                ("Ringinuse", "0"), ("Wrapuptime", "0")]

    # -- agents
    def add(self, ts, iface, queue):
        ql = "%d|MANAGER|%s|%s|ADDMEMBER|\n" % (ts, queue, iface)
        a12 = event("QueueMemberAdded", ts, *self.member_blob(iface, queue, False, "", ts))
        a11 = event("QueueMemberAdded", ts, ("Queue", queue), ("Location", iface),
                    ("MemberName", MEMBERS[iface]), ("StateInterface", iface),
                    ("Membership", "dynamic"), ("Penalty", "0"), ("CallsTaken", "0"),
                    ("LastCall", "0"), ("Status", "1"), ("Paused", "0"))
        self.step(ts, [ql], [a12], [a11])

    def remove(self, ts, iface, queue):
        ql = "%d|MANAGER|%s|%s|REMOVEMEMBER|\n" % (ts, queue, iface)
        a12 = event("QueueMemberRemoved", ts, *self.member_blob(iface, queue, False, "", ts))
        a11 = event("QueueMemberRemoved", ts, ("Queue", queue), ("Location", iface),
                    ("MemberName", MEMBERS[iface]))
        self.step(ts, [ql], [a12], [a11])

    def pause(self, ts, iface, queue, paused, reason=""):
        ql = "%d|NONE|%s|%s|%s|%s\n" % (ts, queue, MEMBERS[iface],
                                        "PAUSE" if paused else "UNPAUSE", reason)
        a12 = event("QueueMemberPause", ts, *self.member_blob(iface, queue, paused, reason, ts))
        a11 = event("QueueMemberPaused", ts, ("Queue", queue), ("Location", iface),
                    ("MemberName", MEMBERS[iface]), ("Paused", "1" if paused else "0"),
                    ("Reason", reason))
        self.step(ts, [ql], [a12], [a11])

    # -- calls
    def enqueue(self, ts, uid, queue, caller, pos=1):
        ql = "%d|%s|%s|NONE|ENTERQUEUE||%s|%d\n" % (ts, uid, queue, caller, pos)
        a12 = event("QueueCallerJoin", ts, *self.caller_snapshot(uid, caller),
                    ("Queue", queue), ("Position", str(pos)), ("Count", str(pos)))
        a11 = event("Join", ts, ("Channel", "SIP/trunk-%s" % uid), ("CallerIDNum", caller),
                    ("CallerIDName", "unknown"), ("ConnectedLineNum", "unknown"),
                    ("ConnectedLineName", "unknown"), ("Queue", queue), ("Position", str(pos)),
                    ("Count", str(pos)), ("Uniqueid", uid), privilege="call,all")
        self.step(ts, [ql], [a12], [a11])

    def ring_noanswer(self, ts, uid, queue, caller, iface, ring_ms):
        name = MEMBERS[iface]
        ql = "%d|%s|%s|%s|RINGNOANSWER|%d\n" % (ts, uid, queue, name, ring_ms)
        a12 = event("AgentRingNoAnswer", ts, *self.caller_snapshot(uid, caller),
                    *self.member_snapshot(iface, ts), ("Queue", queue), ("MemberName", name),
                    ("Interface", iface), ("RingTime", str(ring_ms)))
        a11 = event("AgentRingNoAnswer", ts, ("Queue", queue), ("Uniqueid", uid),
                    ("Channel", "SIP/trunk-%s" % uid), ("Member", iface), ("MemberName", name),
                    ("RingTime", str(ring_ms)))
        self.step(ts, [ql], [a12], [a11])

    def answer(self, ts, uid, queue, caller, iface, hold, ring_s):
        """try_calling(): Leave first, then AgentConnect."""
        name = MEMBERS[iface]
        ql = "%d|%s|%s|%s|CONNECT|%d|%s.9|%d\n" % (ts, uid, queue, name, hold, uid, ring_s)
        leave12 = event("QueueCallerLeave", ts, *self.caller_snapshot(uid, caller),
                        ("Queue", queue), ("Position", "1"), ("Count", "0"))
        conn12 = event("AgentConnect", ts, *self.caller_snapshot(uid, caller),
                       *self.member_snapshot(iface, ts), ("Queue", queue), ("MemberName", name),
                       ("Interface", iface), ("HoldTime", str(hold)), ("RingTime", str(ring_s)))
        leave11 = event("Leave", ts, ("Channel", "SIP/trunk-%s" % uid), ("Queue", queue),
                        ("Count", "0"), ("Position", "1"), ("Uniqueid", uid),
                        privilege="call,all")
        conn11 = event("AgentConnect", ts, ("Queue", queue), ("Uniqueid", uid),
                       ("Channel", "%s-0001" % iface), ("Member", iface), ("MemberName", name),
                       ("HoldTime", str(hold)), ("BridgedChannel", uid + "9"),
                       ("RingTime", str(ring_s)))
        self.step(ts, [ql], [leave12, conn12], [leave11, conn11])
        self.outcomes[uid] = "answered"

    def complete(self, ts, uid, queue, caller, iface, hold, talk, how):
        name = MEMBERS[iface]
        if how == "transfer":
            ql = "%d|%s|%s|%s|BLINDTRANSFER|8001|from-internal|%d|%d|1\n" % (
                ts, uid, queue, name, hold, talk)
        else:
            ql = "%d|%s|%s|%s|COMPLETE%s|%d|%d|1\n" % (ts, uid, queue, name, how.upper(), hold,
                                                       talk)
        a12 = event("AgentComplete", ts, *self.caller_snapshot(uid, caller),
                    *self.member_snapshot(iface, ts), ("Queue", queue), ("MemberName", name),
                    ("Interface", iface), ("HoldTime", str(hold)), ("TalkTime", str(talk)),
                    ("Reason", how))
        a11 = event("AgentComplete", ts, ("Queue", queue), ("Uniqueid", uid),
                    ("Channel", "%s-0001" % iface), ("Member", iface), ("MemberName", name),
                    ("HoldTime", str(hold)), ("TalkTime", str(talk)), ("Reason", how))
        self.step(ts, [ql], [a12], [a11])

    def exit(self, ts, uid, queue, caller, wait, how):
        """Caller exits without an agent, as app_queue publishes them."""
        names = {"abandon": "ABANDON", "timeout": "EXITWITHTIMEOUT", "empty": "EXITEMPTY",
                 "key": "EXITWITHKEY"}
        data = ("5|" if how == "key" else "") + "1|1|%d" % wait
        ql = "%d|%s|%s|NONE|%s|%s\n" % (ts, uid, queue, names[how], data)
        snap = self.caller_snapshot(uid, caller)
        aband12 = event("QueueCallerAbandon", ts, *snap, ("Queue", queue), ("Position", "1"),
                        ("OriginalPosition", "1"), ("HoldTime", str(wait)))
        aband11 = event("QueueCallerAbandon", ts, ("Queue", queue), ("Uniqueid", uid),
                        ("Position", "1"), ("OriginalPosition", "1"), ("HoldTime", str(wait)))
        leave12 = event("QueueCallerLeave", ts, *snap, ("Queue", queue), ("Position", "1"),
                        ("Count", "0"))
        leave11 = event("Leave", ts, ("Channel", "SIP/trunk-%s" % uid), ("Queue", queue),
                        ("Count", "0"), ("Position", "1"), ("Uniqueid", uid),
                        privilege="call,all")
        pos12 = event("VarSet", ts, *snap, ("Variable", "QUEUEPOSITION"), ("Value", "1"),
                      privilege="dialplan,all")
        status = {"timeout": "TIMEOUT", "empty": "LEAVEEMPTY"}.get(how)
        st12 = [event("VarSet", ts, *snap, ("Variable", "QUEUESTATUS"), ("Value", status),
                      privilege="dialplan,all")] if status else []
        st11 = [event("VarSet", ts, ("Channel", "SIP/trunk-%s" % uid),
                      ("Variable", "QUEUESTATUS"), ("Value", status), ("Uniqueid", uid),
                      privilege="dialplan,all")] if status else []
        hang12 = event("Hangup", ts + 1, *snap, ("Cause", "16"), ("Cause-txt", "Normal Clearing"),
                       privilege="call,all")
        hang11 = event("Hangup", ts + 1, ("Channel", "SIP/trunk-%s" % uid), ("Uniqueid", uid),
                       ("Cause", "16"), privilege="call,all")
        if how == "key":
            # EXITWITHKEY: Leave alone, no QUEUESTATUS; the dialplan goes on.
            a12, a11 = [leave12, pos12, hang12], [leave11, hang11]
        elif how == "empty":
            # 13.37+ abandons first; 11 (not at the head) only leaves.
            a12, a11 = [aband12, leave12, pos12] + st12 + [hang12], [leave11] + st11 + [hang11]
        else:
            a12 = [aband12, leave12, pos12] + st12 + [hang12]
            a11 = [aband11, leave11] + st11 + [hang11]
        self.step(ts, [ql], a12, a11)
        self.outcomes[uid] = how


def make_scenario(n_calls=70, seed=12367, t0=T0, with_agents=True):
    """A morning of the hotline: four agents on two queues, answered calls
    (by caller, by agent, transferred), rings not answered, abandons,
    timeouts, emptied queues, exits by key, wrap-up and other pauses, a
    member removed and added back."""
    rng = random.Random(seed)
    sc = Scenario()
    ifaces = list(MEMBERS)
    if with_agents:
        for i, iface in enumerate(ifaces):
            for q in QUEUES:
                sc.add(t0 + i, iface, q)
        sc.pause(t0 + 600, "PJSIP/8004", "policy", True, "午休")
        sc.pause(t0 + 1500, "PJSIP/8004", "policy", False)
        sc.remove(t0 + 1800, "PJSIP/8002", "progress")
        sc.add(t0 + 2400, "PJSIP/8002", "progress")
    t = t0 + 30
    kinds = (["caller"] * 7 + ["agent"] * 5 + ["transfer"] * 2 + ["abandon"] * 3 +
             ["timeout", "empty", "key"])
    for i in range(n_calls):
        t += rng.randint(5, 50)
        uid = "%d.%d" % (t - 3, 100 + i)
        queue = rng.choice(QUEUES)
        caller = "1%02d%08d" % (rng.randint(30, 99), rng.randint(0, 10**8 - 1))
        sc.enqueue(t, uid, queue, caller)
        how = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        wait = rng.randint(1, 70)
        if how in ("abandon", "timeout", "empty", "key"):
            sc.exit(t + wait, uid, queue, caller, wait, how)
            continue
        iface = rng.choice(ifaces)
        if rng.random() < 0.25 and wait > 16:
            other = rng.choice([x for x in ifaces if x != iface])
            sc.ring_noanswer(t + 15, uid, queue, caller, other, 15000)
        talk = rng.randint(20, 400)
        sc.answer(t + wait, uid, queue, caller, iface, wait, rng.randint(1, 6))
        sc.complete(t + wait + talk, uid, queue, caller, iface, wait, talk, how)
        if rng.random() < 0.4:
            end = t + wait + talk
            sc.pause(end + 1, iface, queue, True, "话后整理")
            sc.pause(end + 1 + rng.randint(5, 60), iface, queue, False)
    return sc


# ---- the server ---------------------------------------------------------

def queue_status_capture():
    """The server's messages of ami-queue-status.txt (LF, blank-separated)."""
    with open(os.path.join(SAMPLES, "ami-queue-status.txt"), encoding="utf-8") as f:
        blocks = [b.strip("\n") for b in f.read().split("\n\n")]
    return [b for b in blocks if b]


def parse_action(text):
    out = {}
    for line in text.split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            out.setdefault(k.strip().lower(), v.strip())
    return out


def header(text, key):
    m = re.search(r"(?m)^%s: (.*?)\r?$" % re.escape(key), text)
    return m.group(1) if m else None


class FakeAmi:
    """The server, on its own thread and asyncio loop."""

    def __init__(self, script, username="wallboard", secret="pw", version="9.0.0",
                 uptime_s=86400, ssl_context=None):
        self.script = list(script)
        self.cursor = 0  # next message of the script to send
        self.high = 0  # messages of the script that have happened (sent whole once)
        self.missed_messages = []  # what happened while no client listened
        self.ssl_context = ssl_context
        self.drops = {}  # index -> (mid-message?, how many to resend)
        self.username, self.secret, self.version = username, secret, version
        self.started = time.time() - uptime_s
        self.port = 0
        self.clock = None  # the Timestamp of the last event sent
        self.logins = 0
        self.refusals = []  # monotonic times of refused logins
        self.connections = 0
        self.actions = []  # names of actions received
        self.loop = None
        self.server = None
        self.writers = set()
        # Connections being cut: Asterisk writes each message whole, so
        # nothing more may follow the half message a cut leaves behind.
        self.cutting = set()
        self.lock = threading.Lock()

    # -- control, from the test's thread
    def start(self):
        if self.loop is None:
            ready = threading.Event()
            self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
            self.thread.start()
            ready.wait()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(10)
        return self

    def stop(self):
        """Kills the server: no more listening, every connection cut."""
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(10)

    def shutdown(self):
        if self.loop is not None:
            self.stop()
            asyncio.run_coroutine_threadsafe(self._cancel_all(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop = None

    def drop_at(self, index, mid=False, resend=0):
        self.drops[index] = (mid, resend)

    def extend(self, messages):
        with self.lock:
            self.script.extend(messages)

    def missed(self, messages):
        """Events that happen now and reach no client (a gap)."""
        with self.lock:
            self.missed_messages.extend(messages)

    def waiting(self):
        """The callers waiting now, as QueueStatus lists them: [(uid, queue,
        join time)] in order of arrival."""
        with self.lock:
            happened = self.script[:self.high] + self.missed_messages
        waiting = {}
        for text in happened:
            name = header(text, "Event")
            if name in ("QueueCallerJoin", "Join"):
                ts = float(header(text, "Timestamp") or time.time())
                waiting[(header(text, "Uniqueid"), header(text, "Queue"))] = ts
            elif name in ("QueueCallerLeave", "Leave"):
                waiting.pop((header(text, "Uniqueid"), header(text, "Queue")), None)
        return [(uid, q, ts) for (uid, q), ts in waiting.items()]

    def sent_all(self):
        with self.lock:
            return self.cursor >= len(self.script) and not self.drops_pending()

    def drops_pending(self):
        return any(i < len(self.script) for i in self.drops)

    # -- the loop
    def _run(self, ready):
        loop = self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(self._loop_error)
        ready.set()
        loop.run_forever()
        loop.close()

    @staticmethod
    def _loop_error(loop, context):
        # A client that refuses our certificate ends the handshake: expected.
        if isinstance(context.get("exception"), (ssl.SSLError, ConnectionError)):
            return
        loop.default_exception_handler(context)

    async def _listen(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port,
                                                 ssl=self.ssl_context)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _close(self):
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for w in list(self.writers):
            w.close()

    async def _cancel_all(self):
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _read_action(self, reader):
        lines = []
        while True:
            line = await reader.readline()
            if not line:
                return None
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            if line == "":
                if lines:
                    return parse_action("\r\n".join(lines))
                continue
            lines.append(line)

    async def _client(self, reader, writer):
        self.writers.add(writer)
        self.connections += 1
        streaming = None
        challenge = str(random.randint(10**8, 10**9))
        try:
            writer.write(("Asterisk Call Manager/%s\r\n" % self.version).encode())
            while True:
                a = await self._read_action(reader)
                if a is None:
                    break
                if writer in self.cutting:
                    continue  # no answer: the cut is under way
                name = a.get("action", "").lower()
                self.actions.append(name)
                aid = a.get("actionid", "")
                if name == "challenge":
                    writer.write(message(("Response", "Success"), ("ActionID", aid),
                                         ("Challenge", challenge)).encode())
                elif name == "login":
                    if not self._login_ok(a, challenge):
                        self.refusals.append(time.monotonic())
                        writer.write(message(("Response", "Error"), ("ActionID", aid),
                                             ("Message", "Authentication failed")).encode())
                        await writer.drain()
                        break
                    self.logins += 1
                    writer.write(message(("Response", "Success"), ("ActionID", aid),
                                         ("Message", "Authentication accepted")).encode())
                    writer.write(message(
                        ("Event", "FullyBooted"), ("Privilege", "system,all"),
                        ("Uptime", str(int(time.time() - self.started))),
                        ("LastReload", "100"), ("Status", "Fully Booted")).encode())
                    streaming = asyncio.ensure_future(self._stream(writer))
                elif name == "ping":
                    ts = self.clock if self.clock is not None else time.time()
                    writer.write(message(("Response", "Success"), ("ActionID", aid),
                                         ("Ping", "Pong"), ("Timestamp", "%.6f" % ts)).encode())
                elif name == "queuestatus":
                    self._queue_status(writer, aid)
                elif name == "queuesummary":
                    self._summary(writer, aid)
                else:
                    writer.write(message(("Response", "Error"), ("ActionID", aid),
                                         ("Message", "Invalid/unknown command")).encode())
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if streaming is not None:
                streaming.cancel()
            self.writers.discard(writer)
            self.cutting.discard(writer)
            writer.close()

    def _login_ok(self, a, challenge):
        if a.get("username") != self.username:
            return False
        if a.get("authtype", "").lower() == "md5":
            key = hashlib.md5((challenge + self.secret).encode()).hexdigest()
            return a.get("key") == key
        return a.get("secret") == self.secret

    def _queue_status(self, writer, aid):
        """The capture's queues and members, then the callers waiting now
        (manager_queues_status(): QueueEntry after its queue's members),
        then QueueStatusComplete, which carries no Timestamp."""
        blocks = [re.sub(r"(?m)^ActionID: .*$", "ActionID: " + aid, b)
                  for b in queue_status_capture()]
        complete = blocks.pop()
        now = self.clock if self.clock is not None else time.time()
        for i, (uid, queue, ts) in enumerate(self.waiting()):
            blocks.append("\n".join([
                "Event: QueueEntry", "Queue: %s" % queue, "Position: %d" % (i + 1),
                "Channel: PJSIP/trunk-%s" % uid, "Uniqueid: %s" % uid,
                "CallerIDNum: <unknown>", "CallerIDName: <unknown>",
                "ConnectedLineNum: <unknown>", "ConnectedLineName: <unknown>",
                "Wait: %d" % max(0, int(now - ts)), "Priority: 0", "ActionID: " + aid]))
        blocks.append(complete)
        for block in blocks:
            writer.write((block.replace("\n", "\r\n") + "\r\n\r\n").encode())

    def _summary(self, writer, aid):
        writer.write(message(("Response", "Success"), ("ActionID", aid), ("EventList", "start"),
                             ("Message", "Queue summary will follow")).encode())
        for i, q in enumerate(QUEUES):
            writer.write(message(("Event", "QueueSummary"), ("ActionID", aid), ("Queue", q),
                                 ("LoggedIn", "4"), ("Available", str(2 + i)),
                                 ("Callers", str(i)), ("HoldTime", "12"), ("TalkTime", "150"),
                                 ("LongestHoldTime", str(7 * i))).encode())
        writer.write(message(("Event", "QueueSummaryComplete"), ("ActionID", aid),
                             ("EventList", "Complete"), ("ListItems", str(len(QUEUES)))).encode())

    async def _stream(self, writer):
        """Sends the script from the cursor; a drop cuts the connection and
        sets the cursor back by the messages to resend."""
        while True:
            with self.lock:
                i = self.cursor
                text = self.script[i] if i < len(self.script) else None
                drop = self.drops.pop(i, None) if text is not None else None
            if text is None:
                await asyncio.sleep(0.05)
                continue
            if drop is not None:
                mid, resend = drop
                self.cutting.add(writer)
                if mid:
                    data = text.encode()
                    writer.write(data[:len(data) // 2])
                await writer.drain()
                await asyncio.sleep(0.1)
                with self.lock:
                    self.cursor = max(0, i - resend)
                writer.close()
                return
            m = re.search(r"\r\nTimestamp: ([0-9.]+)\r\n", text)
            if m:
                self.clock = float(m.group(1))
            writer.write(text.encode())
            with self.lock:
                self.cursor = i + 1
                self.high = max(self.high, i + 1)
            if i % 20 == 0:
                await writer.drain()
                await asyncio.sleep(0.002)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--pre12", action="store_true", help="Asterisk 1.8/11 event names")
    args = ap.parse_args()
    sc = make_scenario()
    srv = FakeAmi(sc.ami(args.pre12), version="1.3" if args.pre12 else "9.0.0")
    srv.port = args.port
    srv.start()
    print("fake AMI on 127.0.0.1:%d (user wallboard, secret pw), %d messages"
          % (srv.port, len(srv.script)), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.shutdown()


if __name__ == "__main__":
    main()
