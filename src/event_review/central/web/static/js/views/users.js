// Users: create, change role or team, reset a password, deactivate.
// Deactivating ends the user's sessions at once.

import { api, query } from "../api.js";
import { confirmDialog, formatDateTime, h, replace, toast } from "../dom.js";
import { session } from "../session.js";
import { editableRow, errorNotice, fetchAll, field, messageRow, onSubmit, pageHead, pager, PAGE_SIZE, table } from "./common.js";

// qa: a reviewer who also judges colleagues' reviews (#/qa).
const ROLES = ["reviewer", "qa", "lead", "admin"];

function teamSelect(teams, value, label) {
  const select = h("select", { "aria-label": label },
    h("option", { value: "" }, "— no team (admins only)"),
    // `selected` (not only .value) so that form.reset() comes back to it.
    teams.map((t) => h("option", { value: t.name, selected: t.name === value ? true : null }, t.name)));
  select.value = value || "";
  return select;
}

function roleSelect(value, label) {
  const select = h("select", { "aria-label": label }, ROLES.map((r) => h("option", { value: r }, r)));
  select.value = value;
  return select;
}

export function mount(container) {
  const state = { q: "", active: "", offset: 0 };
  let teams = [];
  const status = h("div", { id: "users-status" });
  const body = h("tbody", null, messageRow(6, "Loading…"));
  const foot = h("div");
  const addSlot = h("div");

  const search = h("input", { type: "search", id: "user-search", placeholder: "part of a username", autocapitalize: "none" });
  const activeFilter = h("select", { id: "user-active" },
    h("option", { value: "" }, "All"), h("option", { value: "true" }, "Active"), h("option", { value: "false" }, "Deactivated"));
  const filters = h("form", { class: "filters", role: "search" },
    h("div", { class: "field" }, h("label", { for: "user-search" }, "Search"), search),
    h("div", { class: "field" }, h("label", { for: "user-active" }, "Status"), activeFilter),
    h("button", { class: "button", type: "submit" }, "Search"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    Object.assign(state, { q: search.value.trim(), active: activeFilter.value, offset: 0 });
    load();
  });
  activeFilter.addEventListener("change", () => filters.requestSubmit());

  container.append(h("div", { class: "page" },
    pageHead("Users", "Reviewers, leads and admins. A user's team decides which regions they review."),
    status,
    h("div", { class: "stack" },
      h("section", { class: "card", "aria-labelledby": "add-user-title" },
        h("div", { class: "card-head" }, h("h2", { id: "add-user-title" }, "Add a user")), addSlot),
      h("section", { class: "card" },
        filters,
        table("users-table", ["Username", "Role", "Team", "Status", "Added", ""], body),
        foot),
    ),
  ));

  function renderAddForm() {
    const username = h("input", { type: "text", required: true, maxlength: 64, autocapitalize: "none", autocomplete: "off" });
    const password = h("input", { type: "password", required: true, minlength: 8, autocomplete: "new-password" });
    const role = roleSelect("reviewer", "Role");
    const team = teamSelect(teams, teams.length ? teams[0].name : "", "Team");
    const form = h("form", { class: "card-body row", id: "add-user" },
      field("new-username", "Username", username),
      field("new-password", "Password", password, "8+ characters"),
      field("new-role", "Role", role),
      field("new-team", "Team", team),
      h("button", { class: "button primary", type: "submit" }, "Add user"),
    );
    onSubmit(form, status, async () => {
      const user = await api("/api/v1/admin/users", {
        method: "POST",
        body: { username: username.value.trim(), password: password.value, role: role.value, team: team.value || null },
      });
      toast(`User ${user.username} added. Give them their password through a private channel.`, "ok");
      replace(status);
      form.reset();
      load();
    });
    replace(addSlot, form);
  }

  function editRow(user, row) {
    const role = roleSelect(user.role, `Role of ${user.username}`);
    const team = teamSelect(teams, user.team, `Team of ${user.username}`);
    const form = h("form", { id: `edit-user-${user.user_id}` });
    editableRow(row, {
      form,
      cells: [
        h("th", { scope: "row" }, user.username, form),
        h("td", null, role), h("td", null, team), h("td", null), h("td", null),
      ],
      save: async () => {
        await api(`/api/v1/admin/users/${user.user_id}`, { method: "PATCH", body: { role: role.value, team: team.value || null } });
        return `${user.username} saved.`;
      },
      focus: role,
      status,
      reload: load,
    });
  }

  function passwordRow(user, row) {
    const password = h("input", { type: "password", minlength: 8, autocomplete: "new-password", "aria-label": `New password for ${user.username}` });
    const form = h("form", { class: "row", id: `password-${user.user_id}` },
      password,
      h("button", { class: "button small primary", type: "submit" }, "Set password"),
    );
    editableRow(row, {
      form,
      saveButton: false,
      cells: [
        h("th", { scope: "row" }, user.username),
        h("td", { colspan: 4 }, form, h("p", { class: "muted" }, "Their current sessions end; they log in with the new password.")),
      ],
      save: async () => {
        await api(`/api/v1/admin/users/${user.user_id}/password`, { method: "POST", body: { password: password.value } });
        return `Password of ${user.username} reset; their sessions ended.`;
      },
      focus: password,
      status,
      reload: load,
    });
  }

  async function setActive(user, active) {
    if (!active) {
      const ok = await confirmDialog({
        title: `Deactivate ${user.username}?`,
        text: "They are logged out everywhere now and cannot log in again until reactivated. Events they hold go back to the queue.",
        confirm: "Deactivate",
        danger: true,
      });
      if (!ok) return;
    }
    try {
      const path = active
        ? `/api/v1/admin/users/${user.user_id}/activate`
        : `/api/v1/admin/users/${user.user_id}/deactivate`;
      await api(path, { method: "POST" });
      toast(active ? `${user.username} can log in again.` : `${user.username} deactivated; their sessions ended.`, "ok");
      replace(status);
      load();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }

  async function load() {
    try {
      const [page, allTeams] = await Promise.all([
        api(`/api/v1/admin/users${query({ q: state.q, active: state.active, limit: PAGE_SIZE, offset: state.offset })}`),
        fetchAll("/api/v1/admin/teams", { api }),
      ]);
      teams = allTeams;
      if (!addSlot.firstChild) renderAddForm();
      replace(body, page.items.length
        ? page.items.map((user) => {
            const self = user.user_id === session.me.user_id;
            const row = h("tr", { "data-username": user.username },
              h("th", { scope: "row" }, user.username, self ? h("span", { class: "subtle" }, " (you)") : null),
              h("td", null, user.role),
              h("td", null, user.team || h("span", { class: "subtle" }, "—")),
              h("td", null, h("span", { class: ["badge", user.is_active ? "ok" : "error"] }, user.is_active ? "Active" : "Deactivated")),
              h("td", { class: "nowrap" }, formatDateTime(user.created_at)),
              h("td", { class: "actions" }),
            );
            const edit = h("button", { class: "button small", type: "button", "aria-label": `Edit ${user.username}`, disabled: self ? true : null }, "Edit");
            const reset = h("button", { class: "button small", type: "button", "aria-label": `Reset the password of ${user.username}` }, "Reset password");
            const toggle = h("button", {
              class: ["button", "small", user.is_active ? "danger" : null], type: "button",
              "aria-label": `${user.is_active ? "Deactivate" : "Activate"} ${user.username}`,
              disabled: self ? true : null,
              title: self ? "You cannot deactivate yourself" : null,
            }, user.is_active ? "Deactivate" : "Activate");
            edit.addEventListener("click", () => editRow(user, row));
            reset.addEventListener("click", () => passwordRow(user, row));
            toggle.addEventListener("click", () => setActive(user, !user.is_active));
            row.lastChild.append(edit, reset, toggle);
            return row;
          })
        : messageRow(6, "No users match."));
      replace(foot, pager(state, load, { count: page.items.length, hasMore: page.has_more }));
    } catch (error) {
      if (error.status !== 401) replace(status, errorNotice(error));
    }
  }

  load();
  return () => {};
}
