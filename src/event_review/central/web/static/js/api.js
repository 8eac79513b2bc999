// The one way the client talks to the server: the public /api/v1 endpoints,
// on the same origin, with the bearer token. Every failure becomes an ApiError
// carrying the server's {"error": {code, message, details}}. An expired access
// token is renewed (auth.js) and the request sent once more, so a reviewer
// never sees a token's end, only the session's.

import { session } from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message, details = null, requestId = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

let unauthorized = () => {};
let refresher = null;
let clockOffsetMs = 0;

// Only these routes read or set the refresh cookie; every other request goes
// without cookies, so a data route can never be driven by one (no CSRF).
const COOKIE_ROUTES = new Set(["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"]);

/** Called when the server says the session is no longer valid (401). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** `renew()` gets a new access token (or throws); api() calls it on `token_expired`. */
export function setRefresher(renew) {
  refresher = renew;
}

/** The server's idea of now: lease countdowns must not trust the laptop's clock. */
export function serverNow() {
  return Date.now() + clockOffsetMs;
}

function noteClock(response) {
  const date = response.headers.get("Date");
  if (!date) return;
  const server = new Date(date).getTime();
  // The Date header is coarse (whole seconds, and servers cache it), so only a
  // clock that is clearly wrong is corrected; small skews are noise.
  if (!Number.isNaN(server) && Math.abs(server - Date.now()) > 5000) {
    clockOffsetMs = server - Date.now();
  }
}

async function failure(response) {
  const requestId = response.headers.get("X-Request-ID");
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy or gateway answered.
  }
  const error = body && body.error;
  if (error && error.code) {
    return new ApiError(response.status, error.code, error.message, error.details, requestId);
  }
  const code = { 502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout" }[response.status] || "http_error";
  return new ApiError(response.status, code, `the server answered HTTP ${response.status}`, null, requestId);
}

/**
 * api("/api/v1/assignments") -> parsed JSON.
 * Options: method, body (sent as JSON), signal, as ("json" | "text").
 */
export async function api(path, options = {}) {
  const { method = "GET", body, signal, as = "json", retried = false } = options;
  const cookies = COOKIE_ROUTES.has(path);
  const token = session.token;
  const headers = { Accept: as === "text" ? "*/*" : "application/json" };
  if (token && path !== "/api/v1/auth/refresh") headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: cookies ? "same-origin" : "omit",
      cache: "no-store",
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "the server could not be reached");
  }
  noteClock(response);
  if (!response.ok) {
    const error = await failure(response);
    if (response.status !== 401 || (cookies && path !== "/api/v1/auth/logout")) throw error;
    if (error.code === "token_expired" && refresher && !retried && token) {
      // Another request may have renewed the token meanwhile: then just resend.
      if (session.token === token) {
        try {
          await refresher();
        } catch (failed) {
          if (failed.status === 401) unauthorized(failed);
          throw failed;
        }
      }
      return api(path, { ...options, retried: true });
    }
    if (session.token) unauthorized(error);
    throw error;
  }
  if (response.status === 204) return null;
  return as === "text" ? response.text() : response.json();
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
