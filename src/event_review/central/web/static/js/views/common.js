// Pieces shared by the admin pages: headers, tables, pagers, error notices,
// forms that save and table rows edited in place, so every page behaves alike.

import { h, notice, replace, toast } from "../dom.js";
import { describe } from "../messages.js";

export const PAGE_SIZE = 50;

export function pageHead(title, subtitle, ...actions) {
  return h("div", { class: "page-head" },
    h("div", null, h("h1", null, title), subtitle ? h("p", { class: "muted" }, subtitle) : null),
    actions.length ? h("div", { class: "row" }, actions) : null,
  );
}

export function table(id, headings, body, { cls = null } = {}) {
  return h("div", { class: "table-wrap" },
    h("table", { class: ["data", cls], id },
      h("thead", null, h("tr", null, headings.map((heading) => {
        const [text, cls] = Array.isArray(heading) ? heading : [heading, null];
        // A column of buttons still gets a header a screen reader can announce.
        return h("th", { scope: "col", class: cls }, text || h("span", { class: "visually-hidden" }, "Actions"));
      }))),
      body,
    ),
  );
}

export function messageRow(colspan, text) {
  return h("tr", null, h("td", { class: "empty", colspan }, text));
}

export function errorNotice(error, context) {
  const message = describe(error, context);
  return notice("error", message.title, message.text);
}

/**
 * Previous / next for lists paged with PAGE_SIZE and `state.offset`: a step
 * sets the offset and calls `load` again. `count` is the shown page's length.
 */
export function pager(state, load, { count, hasMore }) {
  const offset = state.offset;
  const go = (to) => { state.offset = to; load(); };
  const previous = h("button", { class: "button small", type: "button", disabled: offset === 0 ? true : null }, "Previous");
  const next = h("button", { class: "button small", type: "button", disabled: hasMore ? null : true }, "Next");
  previous.addEventListener("click", () => go(Math.max(0, offset - PAGE_SIZE)));
  next.addEventListener("click", () => go(offset + PAGE_SIZE));
  const range = count ? `${offset + 1}–${offset + count}` : "none";
  return h("div", { class: "pager" }, h("span", null, `Showing ${range}`), previous, next);
}

/**
 * Pages of a keyset-paged list: `state.cursors` holds the cursor of each page
 * opened so far ([null] for the first), so Previous goes back the way it came.
 */
export function cursorPager(state, load, { count, nextCursor }) {
  const page = state.cursors.length - 1;
  const previous = h("button", { class: "button small", type: "button", disabled: page === 0 ? true : null }, "Previous");
  const next = h("button", { class: "button small", type: "button", disabled: nextCursor ? null : true }, "Next");
  previous.addEventListener("click", () => { state.cursors.pop(); load(); });
  next.addEventListener("click", () => { state.cursors.push(nextCursor); load(); });
  const first = page * PAGE_SIZE + 1;
  const range = count ? `${first}–${first + count - 1}` : "none";
  return h("div", { class: "pager" }, h("span", null, `Showing ${range}`), previous, next);
}

/** Disable a form's controls while its request runs. */
export async function busy(form, work) {
  const controls = [...form.querySelectorAll("button, input, select, textarea")];
  const before = controls.map((c) => c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  try {
    return await work();
  } finally {
    controls.forEach((c, i) => { c.disabled = before[i]; });
  }
}

/**
 * Run `work` when `form` is submitted, with the controls of `busyOn` disabled
 * meanwhile. A failure is shown in `status`, the page's notice area.
 */
export function onSubmit(form, status, work, { busyOn = form } = {}) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(busyOn, async () => {
      try {
        await work();
      } catch (error) {
        replace(status, errorNotice(error));
      }
    });
  });
}

/**
 * Edit a table row in place: `row` gives way to a row of controls until
 * Cancel puts it back, or a save succeeds and the table reloads.
 *
 * `cells` are the editing row's cells but the last; the last holds Save
 * (unless the form has its own submit button: `saveButton: false`) and Cancel.
 * Controls outside `form` join it with form="<id>", which gives them
 * Enter-to-save. save() sends the change and returns the toast's text.
 */
export function editableRow(row, { form, cells, save, focus, status, reload, saveButton = true }) {
  const cancel = h("button", { class: "button small", type: "button" }, "Cancel");
  const editing = h("tr", { class: "editing" },
    cells,
    h("td", { class: "actions" },
      saveButton ? h("button", { class: "button small primary", type: "submit", form: form.id }, "Save") : null,
      cancel),
  );
  cancel.addEventListener("click", () => editing.replaceWith(row));
  onSubmit(form, status, async () => {
    toast(await save(), "ok");
    replace(status);
    reload();
  }, { busyOn: editing });
  row.replaceWith(editing);
  focus.focus();
}

/** Every item of a paged admin list (regions and teams are short lists). */
export async function fetchAll(path, { api }) {
  const items = [];
  for (let offset = 0; offset < 10_000; offset += 200) {
    const separator = path.includes("?") ? "&" : "?";
    const page = await api(`${path}${separator}limit=200&offset=${offset}`);
    items.push(...page.items);
    if (!page.has_more) break;
  }
  return items;
}

/** One field of an admin form: label + control (+ hint). */
export function field(id, label, control, hint = null) {
  control.id = id;
  return h("div", { class: "field" },
    h("label", { for: id }, label, hint ? h("span", { class: "hint" }, ` ${hint}`) : null),
    control);
}
