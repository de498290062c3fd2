// server-clock.js: the server's clock in the page (ES module, no build step).
//
// Pages tick on the server's time, not the PC's: "server now" is the ts_ms
// of the last frame that had one plus the local time elapsed since, times
// rate (the demo may run faster than real time). offsetMin is the centre's
// UTC offset, taken from the ISO times the server sends, for wall-clock
// fields whatever the browser's zone.

export const clock = {
  tsMs: null, // server ts_ms of the last frame that had one
  at: 0, // performance.now() when it arrived
  rate: 1, // data.clock_rate
  offsetMin: -new Date().getTimezoneOffset(), // until a server time says otherwise
};

export function syncClock(tsMs) {
  if (!Number.isFinite(tsMs)) return;
  clock.tsMs = tsMs;
  clock.at = performance.now();
}

export function serverNow() {
  if (clock.tsMs === null) return Date.now();
  return clock.tsMs + (performance.now() - clock.at) * clock.rate;
}

/** "2026-11-28T14:05:33+08:00" -> 480; "…Z" -> 0; no offset -> null. */
export function offsetFromIso(iso) {
  const m = /(?:([+-])(\d{2}):?(\d{2})|Z)$/.exec(iso || '');
  if (!m) return null;
  if (!m[1]) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}
