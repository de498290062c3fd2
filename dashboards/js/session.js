// session.js: the API as a logged-in person's page uses it (ES module, no
// build step): JSON requests with the session cookie (or a program's
// token), the errors they give, and logging in and out.
//
// Logging in is POST /api/v1/auth/login {"user","password"}: the server
// sets the wb_session cookie (HttpOnly: the page never sees it) and
// GET /api/v1/auth/me says who it is ({user, role, display_name}). Every
// later request sends the cookie, same origin. A page opened by a program
// with ?token= sends its token as a Bearer header instead.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** 401 (no session) or 403 (a role that may not read it): back to login. */
export function isAuthError(e) {
  return e instanceof ApiError && (e.status === 401 || e.status === 403);
}

/** JSON from the API, a JSON body for POST; an ApiError with the server's
 * {"error"} text for any status but 2xx. */
export async function request(path, { method = 'GET', body, token = '' } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let reply = null;
  try {
    reply = await res.json();
  } catch (e) {
    reply = null;
  }
  if (!res.ok) throw new ApiError(res.status, reply?.error || `${res.status} ${res.statusText}`);
  return reply;
}

/** Logs in; resolves to GET /api/v1/auth/me's answer. */
export async function logIn(user, password) {
  await request('/api/v1/auth/login', { method: 'POST', body: { user: user.trim(), password } });
  return request('/api/v1/auth/me');
}

/** Ends the session; a failure (already ended, server down) is only logged. */
export async function logOut(what = 'page') {
  try {
    await request('/api/v1/auth/logout', { method: 'POST' });
  } catch (e) {
    console.warn(`${what}: logout`, e.message);
  }
}
