import { login } from "../auth.js";
import { h, notice, replace } from "../dom.js";
import { describe } from "../messages.js";

export function mount(container, { message, kind = "warn", onLoggedIn }) {
  const username = h("input", { id: "username", name: "username", type: "text", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { class: "button primary wide", type: "submit" }, "Log in");
  const status = h("div", { id: "login-status" });
  if (message) replace(status, notice(kind, null, message));

  const form = h("form", { "aria-describedby": "login-status", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "username" }, "Username"), username),
    h("div", { class: "field" }, h("label", { for: "password" }, "Password"), password),
    submit,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      replace(status, notice("error", null, "Enter your username and password."));
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Logging in…";
    try {
      await login(username.value.trim(), password.value);
      password.value = "";
      onLoggedIn();
    } catch (error) {
      const text = error.code === "invalid_credentials"
        ? "Wrong username or password. Check both and try again."
        : `${describe(error).title} ${describe(error).text}`;
      replace(status, notice("error", null, text));
      submit.disabled = false;
      submit.textContent = "Log in";
      password.select();
      password.focus();
    }
  });

  container.append(
    h("div", { class: "login-page" },
      h("section", { class: "login-card", "aria-labelledby": "login-title" },
        h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }), h("h1", { id: "login-title" }, "Event Review")),
        h("p", { class: "muted" }, "Log in to review events from your regions."),
        status,
        form,
      ),
    ),
  );
  username.focus();
  return () => {};
}
