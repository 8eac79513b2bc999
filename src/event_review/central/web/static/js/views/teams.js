// Teams and the regions whose events they review (the team-to-region mapping).

import { api } from "../api.js";
import { h, replace, toast } from "../dom.js";
import { session } from "../session.js";
import { editableRow, errorNotice, fetchAll, field, messageRow, onSubmit, pageHead, table } from "./common.js";

function regionChecks(idPrefix, allRegions, chosen) {
  return h("div", { class: "checks", role: "group", "aria-label": "Regions" },
    allRegions.length
      ? allRegions.map((r) => {
          const id = `${idPrefix}-${r.code}`;
          return h("label", { for: id },
            h("input", { type: "checkbox", id, value: r.code, checked: chosen.includes(r.code) ? true : null }),
            r.code.toUpperCase());
        })
      : h("span", { class: "muted" }, "No regions yet"));
}

function checkedValues(node) {
  return [...node.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
}

export function mount(container) {
  const admin = session.hasRole("admin");
  const status = h("div", { id: "teams-status" });
  const body = h("tbody", null, messageRow(3, "Loading…"));
  const addSlot = h("div");
  let regions = [];

  container.append(h("div", { class: "page" },
    pageHead("Teams", "A team reviews the events of the regions mapped to it."),
    status,
    h("div", { class: "stack" },
      admin ? h("section", { class: "card", "aria-labelledby": "add-team-title" },
        h("div", { class: "card-head" }, h("h2", { id: "add-team-title" }, "Add a team")), addSlot) : null,
      h("section", { class: "card" }, table("teams-table", ["Team", "Regions", ""], body)),
    ),
  ));

  function renderAddForm() {
    const name = h("input", { type: "text", required: true, maxlength: 64 });
    const checks = regionChecks("new-team", regions, []);
    const form = h("form", { class: "card-body row", id: "add-team" },
      field("team-name", "Name", name),
      h("fieldset", { class: "field" }, h("legend", null, "Regions"), checks),
      h("button", { class: "button primary", type: "submit" }, "Add team"),
    );
    onSubmit(form, status, async () => {
      const team = await api("/api/v1/admin/teams", { method: "POST", body: { name: name.value.trim(), regions: checkedValues(checks) } });
      toast(`Team ${team.name} added.`, "ok");
      replace(status);
      form.reset();
      load();
    });
    replace(addSlot, form);
  }

  function editRow(team, row) {
    const name = h("input", { type: "text", value: team.name, maxlength: 64, "aria-label": "Team name" });
    const checks = regionChecks(`team-${team.team_id}`, regions, team.regions);
    const form = h("form", { id: `edit-team-${team.team_id}` });
    name.setAttribute("form", form.id);
    editableRow(row, {
      form,
      cells: [h("td", null, name, form), h("td", null, checks)],
      save: async () => {
        await api(`/api/v1/admin/teams/${team.team_id}`, { method: "PATCH", body: { name: name.value.trim(), regions: checkedValues(checks) } });
        return `Team ${name.value.trim()} saved.`;
      },
      focus: name,
      status,
      reload: load,
    });
  }

  async function load() {
    try {
      const [teams, allRegions] = await Promise.all([
        fetchAll("/api/v1/admin/teams", { api }),
        fetchAll("/api/v1/admin/regions", { api }),
      ]);
      regions = allRegions;
      if (admin && !addSlot.firstChild) renderAddForm();
      replace(body, teams.length
        ? teams.map((team) => {
            const row = h("tr", { "data-team": team.name },
              h("th", { scope: "row" }, team.name),
              h("td", null, team.regions.length
                ? h("div", { class: "chips" }, team.regions.map((r) => h("span", { class: "badge region" }, r.toUpperCase())))
                : h("span", { class: "muted" }, "No regions: members can claim nothing")),
              h("td", { class: "actions" }),
            );
            if (admin) {
              const edit = h("button", { class: "button small", type: "button", "aria-label": `Edit ${team.name}` }, "Edit");
              edit.addEventListener("click", () => editRow(team, row));
              row.lastChild.append(edit);
            }
            return row;
          })
        : messageRow(3, "No teams yet."));
    } catch (error) {
      if (error.status !== 401) replace(status, errorNotice(error));
    }
  }

  load();
  return () => {};
}
