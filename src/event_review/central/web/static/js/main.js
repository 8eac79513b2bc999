// Entry point: session, routing (#/review, #/dashboard, ...), the top bar.
// Each view is a module with mount(container) -> unmount().

import { api, onUnauthorized } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { isTyping } from "./keys.js";
import { loggedOutMessage } from "./messages.js";
import { session } from "./session.js";
import * as audit from "./views/audit.js";
import * as dashboard from "./views/dashboard.js";
import * as login from "./views/login.js";
import * as regions from "./views/regions.js";
import * as review from "./views/review.js";
import * as teams from "./views/teams.js";
import * as users from "./views/users.js";
import * as writebacks from "./views/writebacks.js";

const ROUTES = {
  review: { title: "Review", roles: ["reviewer", "lead", "admin"], view: review },
  dashboard: { title: "Dashboard", roles: ["lead", "admin"], view: dashboard },
  writebacks: { title: "Write-backs", roles: ["admin"], view: writebacks },
  audit: { title: "Audit log", roles: ["admin"], view: audit },
  regions: { title: "Regions", roles: ["lead", "admin"], view: regions },
  teams: { title: "Teams", roles: ["lead", "admin"], view: teams },
  users: { title: "Users", roles: ["admin"], view: users },
};

const main = document.getElementById("main");
const topbar = document.getElementById("topbar");
let current = null;
let loggingOut = false;

function routeName() {
  const match = location.hash.match(/^#\/([a-z-]+)/);
  return match ? match[1] : null;
}

function defaultRoute() {
  return session.hasRole("admin") ? "dashboard" : "review";
}

function unmountCurrent() {
  if (current && current.unmount) current.unmount();
  current = null;
}

function showLogin(message = null, kind = "warn") {
  unmountCurrent();
  topbar.hidden = true;
  document.title = "Log in · Event Review";
  replace(main);
  current = { name: "login", unmount: login.mount(main, { message, kind, onLoggedIn: start }) };
}

function renderNav(active) {
  const nav = document.getElementById("nav");
  replace(
    nav,
    Object.entries(ROUTES)
      .filter(([, route]) => session.hasRole(...route.roles))
      .map(([name, route]) =>
        h("a", { href: `#/${name}`, "aria-current": name === active ? "page" : null }, route.title),
      ),
  );
  const me = session.me;
  const team = me.team ? ` · ${me.team}` : "";
  replace(document.getElementById("whoami"), h("strong", null, me.username), ` · ${me.role}${team}`);
}

function render({ focus = false } = {}) {
  if (!session.me) return;
  let name = routeName();
  if (!name || !ROUTES[name] || !session.hasRole(...ROUTES[name].roles)) {
    name = defaultRoute();
    if (location.hash !== `#/${name}`) {
      location.replace(`#/${name}`); // hashchange renders
      return;
    }
  }
  unmountCurrent();
  topbar.hidden = false;
  renderNav(name);
  document.title = `${ROUTES[name].title} · Event Review`;
  replace(main);
  current = { name, unmount: ROUTES[name].view.mount(main) };
  if (focus) main.focus({ preventScroll: true });
}

async function start() {
  try {
    session.me = await api("/api/v1/auth/me");
  } catch (error) {
    if (error.status !== 401) showLogin("The server cannot be reached right now. Try again in a moment.", "error");
    return; // a 401 already showed the login screen
  }
  loggingOut = false;
  render();
}

async function logout() {
  loggingOut = true;
  try {
    await api("/api/v1/auth/logout", { method: "POST" });
  } catch {
    // Logged out locally either way; the session expires on the server.
  }
  session.end();
  if (location.hash) history.replaceState(null, "", location.pathname);
  showLogin("You have logged out.", "info");
}

onUnauthorized((error) => {
  if (loggingOut || !session.token) return;
  session.end();
  showLogin(loggedOutMessage(error));
});

window.addEventListener("hashchange", () => {
  if (!session.me || !location.hash.startsWith("#/")) return;
  render({ focus: true });
});

document.getElementById("logout-button").addEventListener("click", logout);

const shortcuts = document.getElementById("shortcuts-dialog");
document.getElementById("shortcuts-button").addEventListener("click", () => shortcuts.showModal());
document.addEventListener("keydown", (event) => {
  if (event.key !== "?" || !session.me || isTyping(event.target) || shortcuts.open) return;
  event.preventDefault();
  shortcuts.showModal();
});

// The skip link moves focus; it must not change the route in the hash.
document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener("unhandledrejection", (event) => {
  if (event.reason && event.reason.name === "AbortError") return;
  console.error(event.reason);
  toast("Something unexpected went wrong. Reload the page if the screen looks wrong.", "error");
});

if (session.restore()) {
  start();
} else {
  showLogin();
}
