// The session across its whole life: log in, renew the access token before it
// runs out, log out, and keep the browser's tabs in step.
//
// Every tab holds its own access token in memory. The refresh token is one
// HttpOnly cookie for the whole browser, and each refresh token works once: two
// tabs refreshing with the same cookie at the same moment would look like a
// stolen token, and the server would end the session. So refreshes are taken
// one at a time across tabs with a Web Lock; the second tab then sends the
// cookie the first one's refresh set.

import { api, serverNow, setRefresher } from "./api.js";
import { session } from "./session.js";

const LOCK = "event-review-refresh";
// Set while this browser may hold a refresh cookie (which scripts cannot see),
// so a first visit goes straight to the login screen without a failing request.
const SIGNED_IN = "event-review.signed-in";
// Renew when 80 % of the token's lifetime has passed: early enough that a slow
// network or a busy tab still makes it, late enough to refresh rarely.
const RENEW_AT = 0.8;
const RETRY_MS = 10_000;

const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("event-review") : null;
const handlers = { ended: () => {}, loggedOut: () => {}, loggedIn: () => {} };
let timer = null;
let pending = null;

function withLock(work) {
  // Without the Web Locks API (an insecure origin) a tab can only refresh alone.
  return navigator.locks ? navigator.locks.request(LOCK, work) : work();
}

function accept(token) {
  localStorage.setItem(SIGNED_IN, "1");
  session.start(token.access_token, token.expires_at);
  schedule(new Date(token.expires_at).getTime() - serverNow());
}

function schedule(lifetimeMs) {
  clearTimeout(timer);
  timer = setTimeout(renewQuietly, Math.max(1000, lifetimeMs * RENEW_AT));
}

async function renewQuietly() {
  if (!session.token) return;
  try {
    await refresh();
  } catch (error) {
    if (error.status === 401) {
      handlers.ended(error, true);
    } else {
      // The server is unreachable for now; the token may still have a while.
      clearTimeout(timer);
      timer = setTimeout(renewQuietly, RETRY_MS);
    }
  }
}

/** A new access token for this tab from the refresh cookie; one refresh at a time per tab. */
export function refresh() {
  if (!pending) {
    pending = withLock(async () => {
      try {
        accept(await api("/api/v1/auth/refresh", { method: "POST" }));
      } catch (error) {
        if (error.status === 401) localStorage.removeItem(SIGNED_IN);
        throw error;
      }
    }).finally(() => { pending = null; });
  }
  return pending;
}

/**
 * Whether a refresh at start-up can work: false on a first visit or after logging out.
 * Single sign-on comes back to `return_to#access_token=…` with the refresh cookie set:
 * the cookie is what counts, and the token is taken out of the address bar at once.
 */
export function maySignIn() {
  if (/^#access_token=/.test(location.hash)) {
    history.replaceState(null, "", location.pathname + location.search);
    localStorage.setItem(SIGNED_IN, "1");
  }
  return localStorage.getItem(SIGNED_IN) === "1";
}

export async function login(username, password) {
  const token = await api("/api/v1/auth/login", {
    method: "POST",
    body: { username, password, refresh_cookie: true },
  });
  accept(token);
}

/** Tell the other tabs who logged in, once this tab knows (after /auth/me). */
export function announceLogin() {
  if (channel && session.me) channel.postMessage({ type: "login", userId: session.me.user_id });
}

/** End the session on the server (for every tab of this browser) and here. */
export async function logout() {
  clearTimeout(timer);
  try {
    await api("/api/v1/auth/logout", { method: "POST" });
  } catch {
    // Logged out here either way; the server's session then expires on its own.
  }
  session.end();
  localStorage.removeItem(SIGNED_IN);
  if (channel) channel.postMessage({ type: "logout" });
}

/** This tab's session is over: forget it; `code` (the server's reason) goes to the other tabs. */
export function forget(code = null) {
  clearTimeout(timer);
  session.end();
  // The server may clear the cookie with its answer, and then the other tabs
  // would only learn that there is no session, not why: tell them.
  if (code && channel) channel.postMessage({ type: "ended", code });
}

/**
 * ended(error, here): a renewal was refused, in this tab (here) or another;
 * loggedOut(): another tab logged out; loggedIn(userId): another tab logged in.
 */
export function onSessionEvents({ ended, loggedOut, loggedIn }) {
  Object.assign(handlers, { ended, loggedOut, loggedIn });
}

setRefresher(refresh);
if (channel) {
  channel.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.type === "logout") handlers.loggedOut();
    if (message.type === "ended") handlers.ended({ code: message.code, status: 401 }, false);
    if (message.type === "login") handlers.loggedIn(message.userId);
  });
}
