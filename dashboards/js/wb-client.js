// wb-client.js: the wallboard.v1 WebSocket client (ES module, no build step).
//
// Connects to ws(s)://<page host>/ with sub-protocol "wallboard.v1", sends
// {"op":"hello","token":…,"topics":[…]} and hands each topic's newest state to
// the page. The contract is docs/protocol.md; this file only adds what a TV
// left alone for months needs:
//
// - latest wins: a frame whose seq is not newer than the last one seen for its
//   topic is dropped. A snapshot starts the count afresh, because a restarted
//   daemon numbers its topics from the start again.
// - stale detection: no frame for more than 2 x heartbeat_s (heartbeat_s from
//   "welcome", 5 s until then) makes the status "stale"; the page shows
//   "数据中断 自 HH:MM:SS". The socket is then dropped and opened again.
// - reconnect with capped exponential backoff, 1 s doubling to 15 s.
// - an invalid token (an "error" frame before any data, or close code 1008)
//   makes the status "auth_error"; the client retries only once a minute.
// - a full page reload every 12 hours against browser memory leaks, done only
//   while the stream is healthy (a reload during an outage would leave the TV
//   on a browser error page).
//
// Status values: "connecting", "live", "stale", "auth_error".
// Nothing here writes console.error: a TV has nobody to read it, and the
// browser test treats console errors as failures.

export const PROTOCOL = 'wallboard.v1';

const DEFAULTS = {
  topics: ['wallboard', 'agents'],
  heartbeatS: 5, // until the server's "welcome" says otherwise
  staleFactor: 2, // stale after staleFactor x heartbeat_s without a frame
  backoffMinMs: 1000,
  backoffMaxMs: 15000,
  authRetryMs: 60000,
  // A socket that neither opens nor fails is given up after this long and a
  // new one tried; the old one is not closed (Chromium logs an error for
  // closing a socket in its handshake), only no longer listened to.
  connectTimeoutMs: 10000,
  reloadAfterMs: 12 * 3600 * 1000,
};

/** The display token from the page address (?token=…), or "". */
export function tokenFromPage(loc = window.location) {
  return new URLSearchParams(loc.search).get('token') || '';
}

/** ws://host/ or wss://host/ for the page's own origin. */
export function socketUrlForPage(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/`;
}

function isAuthError(text) {
  return /token|auth|令牌|unauthori[sz]ed|forbidden|permission|denied/i.test(text || '');
}

export class WbClient {
  /**
   * options: topics, token, url, onData(topic, data, info), onStatus(status),
   * cookie (true: a logged-in page, whose session cookie the server reads
   * from the WebSocket handshake; the hello then carries no token),
   * onFrame(frame, receivedAtMs) for every parsed frame (clock sync), and the
   * numbers in DEFAULTS.
   * info = {kind: "snapshot"|"update", seq, receivedAt}; receivedAt and
   * status.lastFrameAt are local Date.now() milliseconds.
   */
  constructor(options = {}) {
    this.opt = { ...DEFAULTS, ...options };
    this.token = options.token ?? tokenFromPage();
    this.url = options.url ?? socketUrlForPage();
    this.heartbeatS = this.opt.heartbeatS;
    this.seq = new Map(); // topic -> last seq seen
    this.ws = null;
    this.attempt = 0; // failed attempts since the last good frame
    this.state = 'connecting';
    this.lastFrameAt = null; // Date.now() of the last frame, null before any
    this.startedAt = Date.now();
    this.reconnectTimer = null;
    this.connectTimer = null;
    this.watchdog = null;
    this.reloadTimer = null;
    this.error = '';
    this.stopped = true;
  }

  start() {
    if (!this.stopped) return this;
    this.stopped = false;
    this.startedAt = Date.now();
    if (!this.token && !this.opt.cookie) {
      this.error = 'missing token';
      this.setState('auth_error');
      return this;
    }
    this.watchdog = setInterval(() => this.checkStale(), 500);
    if (this.opt.reloadAfterMs > 0)
      this.reloadTimer = setTimeout(() => this.reloadWhenHealthy(), this.opt.reloadAfterMs);
    this.open();
    return this;
  }

  stop() {
    this.stopped = true;
    clearInterval(this.watchdog);
    clearTimeout(this.reloadTimer);
    clearTimeout(this.reconnectTimer);
    this.drop();
  }

  /** Sends a client frame ({"op":…}); false when the socket is not open. */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Current status, with the time of the last frame (local ms) for banners. */
  status() {
    return { state: this.state, lastFrameAt: this.lastFrameAt, heartbeatS: this.heartbeatS, error: this.error };
  }

  // ---- connection ----

  open() {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url, PROTOCOL);
    } catch (e) {
      console.warn('wb-client: cannot open', this.url, e);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.gotFrameOnSocket = false;
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && ws.readyState === WebSocket.CONNECTING) {
        console.warn('wb-client: no handshake after', this.opt.connectTimeoutMs, 'ms; retrying');
        this.drop();
        this.scheduleReconnect();
      }
    }, this.opt.connectTimeoutMs);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      clearTimeout(this.connectTimer);
      const hello = { op: 'hello', topics: this.opt.topics };
      if (this.token) hello.token = this.token;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.handleMessage(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      clearTimeout(this.connectTimer);
      this.ws = null;
      if (ev.code === 1008) {
        this.error = ev.reason || this.error || 'policy violation';
        this.setState('auth_error');
      }
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // The browser reports the failure itself; onclose follows and retries.
    };
  }

  // Forget the current socket; its late events are ignored (this.ws !== ws).
  drop() {
    clearTimeout(this.connectTimer);
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    // Closing a socket still in its handshake makes Chromium log an error;
    // such a socket is left to finish or fail on its own, unheard.
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'stale');
    else if (ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close(1000, 'superseded');
  }

  scheduleReconnect() {
    if (this.stopped || this.reconnectTimer) return;
    let delay;
    if (this.state === 'auth_error') {
      delay = this.opt.authRetryMs;
    } else {
      delay = Math.min(this.opt.backoffMaxMs, this.opt.backoffMinMs * 2 ** this.attempt);
      delay = Math.min(this.opt.backoffMaxMs, delay * (1 + Math.random() * 0.1)); // spread many TVs
    }
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  // ---- frames ----

  handleMessage(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      console.warn('wb-client: frame is not JSON, ignored');
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    const now = Date.now();

    if (frame.t === 'error') {
      this.error = String(frame.error || '');
      console.warn('wb-client: server error:', this.error);
      // An error in answer to hello (before welcome) is the token being
      // refused; later ones (say, an unknown topic) leave the stream as it is.
      if (isAuthError(this.error) || (!this.gotFrameOnSocket && !/topic/i.test(this.error)))
        this.setState('auth_error');
      return;
    }

    this.gotFrameOnSocket = true;
    this.lastFrameAt = now;
    this.attempt = 0;
    if (this.opt.onFrame) this.opt.onFrame(frame, now);

    switch (frame.t) {
      case 'welcome':
        if (Number(frame.heartbeat_s) > 0) this.heartbeatS = Number(frame.heartbeat_s);
        this.error = '';
        break;
      case 'snapshot':
      case 'update': {
        const topic = frame.topic;
        const seq = Number(frame.seq);
        const last = this.seq.get(topic);
        if (frame.t === 'update' && last !== undefined && Number.isFinite(seq) && seq <= last) break;
        if (Number.isFinite(seq)) this.seq.set(topic, seq);
        if (this.opt.onData) this.opt.onData(topic, frame.data, { kind: frame.t, seq, receivedAt: now });
        break;
      }
      case 'heartbeat':
      default:
        break;
    }
    this.setState('live');
  }

  checkStale() {
    if (this.stopped || this.state === 'auth_error') return;
    const since = this.lastFrameAt ?? this.startedAt;
    const limit = this.opt.staleFactor * this.heartbeatS * 1000;
    if (Date.now() - since <= limit) return;
    if (this.state !== 'stale') {
      console.warn('wb-client: no frame for', Math.round((Date.now() - since) / 1000), 's; reconnecting');
      this.setState('stale');
      // The open socket is silent: replace it. A handshake still pending is
      // left alone (it completes when the server runs again).
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.drop();
        this.scheduleReconnect();
      } else if (!this.ws) {
        this.scheduleReconnect();
      }
    } else if (!this.ws && !this.reconnectTimer) {
      this.scheduleReconnect();
    }
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    if (this.opt.onStatus) this.opt.onStatus(this.status());
  }

  // ---- periodic reload ----

  healthy() {
    return this.state === 'live' && this.lastFrameAt !== null &&
      Date.now() - this.lastFrameAt < this.heartbeatS * 1000 * 1.5;
  }

  reloadWhenHealthy() {
    if (this.stopped) return;
    if (this.healthy()) {
      window.location.reload();
      return;
    }
    this.reloadTimer = setTimeout(() => this.reloadWhenHealthy(), 60000);
  }
}
