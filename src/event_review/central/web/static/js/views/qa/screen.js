// What the QA screen does: claim reviews to judge (POST /qa/next-batch), show
// what is held (GET /qa/tasks), open one (the event, its payload, the form
// version and revision under QA), and send the verdict: agree, or correct with
// the QA reviewer's own answers (POST /qa/tasks/{id}/verdict), or give the
// task back (POST /qa/tasks/{id}/release). Failures are said in plain words.
// Where the region keeps what reviewers typed, the review's comment and typed
// answers are read from the region (review-text.js) before the form is filled.

import { api, serverNow } from "../../api.js";
import { formatCountdown, formatDateTime, formatTime, h, humanize, notice, priorityLevel, replace, timeAgo, toast } from "../../dom.js";
import { eventForm } from "../../forms/cache.js";
import { showFormShortcuts } from "../../forms/hotkeys.js";
import { guidelinesPanel, reviewForm } from "../../forms/review-form.js";
import { answerRows, reviewAnswers, revisionAsReview } from "../../forms/summary.js";
import { describe } from "../../messages.js";
import { renderPayload, renderPayloadError, renderPayloadLoading } from "../../payload.js";
import { fillBlanks, markRows, regionText, showNotice, textCleared, withText, withTypedAnswers } from "../../review-text.js";
import { regionList } from "../../session.js";
import { taskCount } from "./structure.js";

const plural = (n) => (n === 1 ? "" : "s");
// The task is no longer this QA reviewer's: it leaves their list.
const GONE = new Set(["not_holder", "lease_expired", "qa_task_not_found"]);

function lost(error) {
  if (error.code === "lease_expired") {
    return { title: "Your time on this QA task ran out.", text: "It goes back for someone else to judge. It was removed from your list." };
  }
  if (error.code === "not_holder" || error.code === "qa_task_not_found") {
    return { title: "This QA task is no longer yours.", text: "It was finished or handed to someone else. It was removed from your list." };
  }
  return describe(error);
}

/** The answers as the verdict would send them, in one canonical text: equal texts, equal answers. */
function canonical(body) {
  const sorted = (value) => {
    if (Array.isArray(value)) return [...value].map(sorted).sort();
    if (value && typeof value === "object") return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k])]));
    return value;
  };
  return JSON.stringify(sorted(body));
}

export function createScreen(view) {
  const { state, ui } = view;

  const selected = () => state.tasks.find((t) => t.task_id === state.selectedId) || null;

  /** What to show of the review's typed text (review-text.js view), or null when the centre holds it. */
  const typedOf = (task, entry) => (entry && entry.text ? entry.text.view(task.event.review_revision) : null);

  /** The review's answers as its form is filled with them, typed text included. */
  const answersOf = (task, entry) => withTypedAnswers(reviewAnswers(task.event), typedOf(task, entry));

  // ---------- drawing ----------

  function taskItem(task) {
    const event = task.event;
    const level = priorityLevel(event.priority);
    const button = h("button", {
      type: "button", class: "queue-item", "data-task-id": task.task_id, "data-event-id": event.event_id,
      "aria-current": task.task_id === state.selectedId ? "true" : null,
    },
      h("span", { class: ["badge", "prio", level], title: `Priority ${event.priority} (${level})` }, `P${event.priority}`),
      h("span", { class: "type" }, humanize(event.event_type)),
      h("span", { class: "badge region region-code" }, event.region_code.toUpperCase()),
      h("span", { class: "meta" }, `${humanize(event.review_decision)} · reviewed `, timeAgo(event.reviewed_at, serverNow())));
    button.addEventListener("click", () => select(task.task_id));
    return h("li", null, button);
  }

  function renderList() {
    replace(ui.list, state.tasks.map(taskItem));
    ui.list.hidden = state.tasks.length === 0;
    const regions = regionList() || "none yet";
    let message = null;
    if (state.listState === "loading") message = h("p", null, "Loading your QA tasks…");
    else if (!state.tasks.length && state.listState === "empty") {
      message = [h("h3", null, "Nothing to judge"), h("p", null, `No review of ${regions} is waiting for QA right now; reviews are sampled as they come in.`)];
    } else if (!state.tasks.length && state.listState === "done") {
      message = [h("h3", null, "All judged"), h("p", null, "Get more QA tasks to carry on (n).")];
    } else if (!state.tasks.length) {
      message = [h("h3", null, "Nothing held"), h("p", null, `Get QA tasks to judge reviews of ${regions}, never your own.`)];
    }
    replace(ui.message, message);
    ui.message.hidden = message === null;
    ui.foot.textContent = state.tasks.length ? `${state.tasks.length} held · j / k to move` : `Regions: ${regions}`;
    renderLease();
  }

  function renderLease() {
    const leases = state.tasks.map((t) => t.lease_expires_at).filter(Boolean).map((iso) => new Date(iso).getTime());
    if (!leases.length) {
      ui.lease.hidden = true;
      return;
    }
    const left = (Math.min(...leases) - serverNow()) / 1000;
    ui.lease.hidden = false;
    ui.lease.className = `lease${left <= 0 ? " expired" : left <= 120 ? " warn" : ""}`;
    ui.lease.textContent = left <= 0 ? "Lease expired" : `Lease ${formatCountdown(left)}`;
    if (left <= 0 && !state.expired) {
      state.expired = true;
      replace(ui.leaseNote, notice("error", "Your QA lease ran out.", "The tasks you did not judge go back for others. Get new QA tasks to continue."));
      renderVerdict();
    }
  }

  /** The review under QA: its answers in its form's terms, who made it, when. */
  function reviewTable(task, entry) {
    const event = task.event;
    const judged = entry.revision;
    const typed = typedOf(task, entry);
    const shown = withText(judged ? { ...revisionAsReview(judged) } : event, typed);
    const slot = h("div", { class: "held-slot", id: "qa-review-text-slot" });
    if (typed) showNotice(slot, entry.text, { id: "qa-review-text-status", retryId: "qa-review-text-retry" });
    return h("section", { class: "qa-review", "aria-labelledby": "qa-review-title" },
      h("h3", { id: "qa-review-title" }, "The review under QA"),
      typed ? slot : null,
      h("div", { class: "table-wrap" }, h("table", { class: "fields wide", id: "qa-review" }, h("tbody", null,
        h("tr", null, h("th", { scope: "row" }, "Reviewer"), h("td", null, judged ? judged.reviewer : "—")),
        h("tr", null, h("th", { scope: "row" }, "Reviewed"), h("td", null, formatDateTime(judged ? judged.created_at : event.reviewed_at),
          ` · revision ${event.review_revision}`)),
        markRows(answerRows(shown, entry.form), typed, entry.text && entry.text.region).map(([label, value]) => h("tr", null, h("th", { scope: "row" }, label),
          h("td", null, value === null || value === undefined || value === "" ? "—" : value)))))));
  }

  function reviewPart(task, entry) {
    return entry && entry.ready ? reviewTable(task, entry) : h("p", { class: "muted" }, "Loading the review…");
  }

  /** The review's typed text was read (or failed): the review under QA and the form again, nothing else. */
  function textChanged(task) {
    if (selected() !== task) return;
    const part = ui.eventPanel.querySelector(".qa-review-body");
    if (part) {
      const hadFocus = part.contains(document.activeElement);
      replace(part, reviewPart(task, state.opened.get(task.task_id)));
      const notice = part.querySelector(".held-notice");
      if (hadFocus && notice) notice.focus({ preventScroll: true });
    }
    renderVerdict();
  }

  function renderEvent() {
    const task = selected();
    if (!task) {
      replace(ui.eventPanel, h("div", { class: "event-placeholder" }, h("div", null,
        h("h2", { id: "event-title" }, state.tasks.length ? "Choose a task" : "No task open"),
        h("p", null, state.tasks.length ? "Pick a review to judge from your list, or press j." : "Get QA tasks from the list on the left."))));
      return;
    }
    const event = task.event;
    const entry = state.opened.get(task.task_id);
    const body = h("div", { class: "event-body", id: "event-body" });
    replace(ui.eventPanel,
      h("div", { class: "event-head" },
        h("div", { class: "event-title" },
          h("h2", { id: "event-title" }, humanize(event.event_type)),
          h("span", { class: ["badge", priorityLevel(event.priority)] }, `Priority ${event.priority}`),
          h("span", { class: "badge region" }, event.region_code.toUpperCase())),
        h("div", { class: "event-meta" },
          h("span", null, "Device ", h("strong", null, event.device_id || "unknown")),
          h("span", { title: formatDateTime(event.occurred_at) }, "Occurred ", h("strong", null, formatTime(event.occurred_at))),
          h("span", { class: "mono subtle", title: "External event id" }, event.external_event_id))),
      h("div", { class: "scroll" },
        h("div", { class: "event-body qa-review-body" }, reviewPart(task, entry)),
        body));
    const payload = state.payloads.get(event.event_id);
    if (payload) renderPayload(body, event, payload);
    else {
      renderPayloadLoading(body, event);
      loadPayload(task);
    }
  }

  function setStatus(kind, title, text) {
    replace(ui.status, notice(kind, title, text));
  }

  /** The verdict button says what Enter does: agree, or send the correction typed. */
  function renderChanges() {
    const form = view.formView;
    const changed = Boolean(form) && canonical(form.body()) !== view.baseline;
    ui.verdictButton.textContent = "";
    ui.verdictButton.append(state.busy ? "Sending…" : changed ? "Submit correction" : "Agree", h("kbd", { "aria-hidden": "true" }, "Enter"));
    ui.verdictButton.classList.toggle("correcting", changed);
    ui.undoButton.hidden = !changed;
    ui.noteField.hidden = !changed;
    ui.changes.textContent = !form ? "" : changed
      ? "You changed the answers: Enter sends them as the review's correction."
      : "The answers are the review's: Enter agrees with it.";
    return changed;
  }

  function clearForm(...placeholder) {
    if (view.formView) for (const section of view.formView.sections) section.remove();
    view.formView = null;
    view.baseline = null;
    ui.placeholder.hidden = false;
    replace(ui.placeholder, ...placeholder);
    replace(ui.formHead);
    showFormShortcuts(null);
  }

  /** What the status said of another review (or revision) goes; what it says of this one stays. */
  function freshStatus(task) {
    const key = `${task.task_id}@${task.event.review_revision}`;
    if (view.statusFor === key) return;
    view.statusFor = key;
    replace(ui.status);
  }

  function renderVerdict() {
    const task = selected();
    const entry = task ? state.opened.get(task.task_id) : null;
    const typed = task && entry && entry.ready ? typedOf(task, entry) : null;
    const textKind = typed ? typed.kind : "central";
    const sameReview = Boolean(view.formView) && task && view.formTask === task.task_id && view.formRevision === task.event.review_revision;
    if (!task || !entry || !entry.ready) {
      clearForm(task ? "Loading the review…" : "Open a task to judge its review.");
    } else if (!entry.form) {
      clearForm("The review's form could not be loaded.");
    } else if (textKind === "loading") {
      // A correction made before the typed text is here would blank it.
      clearForm(`Reading the review's typed text from region ${entry.text.region}…`);
      freshStatus(task);
    } else if (!sameReview || view.formText !== textKind) {
      // The typed text came after a failure: what the QA reviewer changed meanwhile stays.
      const kept = sameReview && renderChanges() ? view.formView.read() : null;
      const warned = sameReview && (view.formText === "failed" || view.formText === "unavailable");
      const note = sameReview ? ui.note.value : "";
      clearForm();
      const built = reviewForm(entry.form, { prefix: "qa-" });
      built.write(answersOf(task, entry));
      view.baseline = canonical(built.body());
      if (kept) built.write(fillBlanks(kept, typed));
      ui.placeholder.hidden = true;
      ui.placeholder.before(...built.sections);
      replace(ui.formHead, guidelinesPanel(entry.form, { id: "qa-guidelines", open: false }));
      showFormShortcuts(entry.form);
      view.formView = built;
      view.formTask = task.task_id;
      view.formRevision = task.event.review_revision;
      view.formText = textKind;
      ui.note.value = note;
      freshStatus(task);
      if (textKind === "failed") {
        setStatus("warn", `The typed text could not be loaded from region ${entry.text.region}.`,
          "The comment and typed answers are blank here. Agreeing is safe; a correction sent now replaces them with what you type.");
      } else if (textKind === "unavailable") {
        setStatus("warn", `Region ${entry.text.region} no longer has this review's typed text.`,
          "The comment and typed answers are blank here, and stay so after a correction unless you type them again.");
      } else if (warned) {
        replace(ui.status);
      }
    }
    ui.fieldset.disabled = !view.formView || state.busy || state.expired;
    renderChanges();
  }

  function render() {
    renderList();
    renderEvent();
    renderVerdict();
  }

  // ---------- loading ----------

  async function loadPayload(task) {
    const event = task.event;
    if (state.payloadRequest) state.payloadRequest.abort();
    const request = new AbortController();
    state.payloadRequest = request;
    try {
      const payload = await api(`/api/v1/events/${event.event_id}/payload`, { signal: request.signal });
      if (request.signal.aborted || state.selectedId !== task.task_id) return;
      state.payloads.set(event.event_id, payload);
      renderPayload(ui.eventPanel.querySelector("#event-body"), event, payload);
    } catch (error) {
      if (error.name === "AbortError" || state.selectedId !== task.task_id) return;
      const body = ui.eventPanel.querySelector("#event-body");
      renderPayloadError(body, event, describe(error, { region: event.region_code }), () => {
        renderPayloadLoading(body, event);
        loadPayload(task);
      });
    } finally {
      if (state.payloadRequest === request) state.payloadRequest = null;
    }
  }

  /** The event as it is now, its form version and the revision under QA. */
  async function open(task, { fresh = false } = {}) {
    if (state.opened.has(task.task_id) && !fresh) return;
    forget(task.task_id);
    const entry = { ready: false, form: null, revision: null, text: null };
    state.opened.set(task.task_id, entry);
    try {
      const [event, form, revisions] = await Promise.all([
        fresh ? api(`/api/v1/events/${task.event.event_id}`) : task.event,
        eventForm(task.event.event_id),
        api(`/api/v1/events/${task.event.event_id}/revisions`),
      ]);
      task.event = event;
      entry.form = form;
      entry.revision = revisions.find((r) => r.revision === event.review_revision) || null;
      // Asked only when the review under QA is one whose typed text the centre no longer holds.
      if (entry.revision && textCleared([entry.revision])) {
        entry.text = regionText(event);
        entry.text.subscribe(() => textChanged(task));
        entry.text.need(revisions);
      }
    } catch (error) {
      if (error.status === 401) return;
      if (GONE.has(error.code) || error.code === "event_not_found") {
        drop(task.task_id, lost(error));
        return;
      }
      setStatus("error", describe(error).title, describe(error).text);
    }
    entry.ready = true;
    if (state.selectedId === task.task_id) render();
  }

  function select(taskId) {
    if (state.selectedId === taskId) return;
    state.selectedId = taskId;
    const task = selected();
    render();
    if (task) open(task);
    const item = ui.list.querySelector(`[data-task-id="${taskId}"]`);
    if (item) item.scrollIntoView({ block: "nearest" });
  }

  function focusSelected() {
    const active = document.activeElement;
    const idle = !active || active === document.body || active === ui.claimButton || active === ui.sizeInput
      || (active.closest && active.closest(".queue-list"));
    if (!idle) return;
    const item = ui.list.querySelector('[aria-current="true"]');
    if (item) item.focus();
  }

  function move(step) {
    if (!state.tasks.length || state.expired) return;
    const index = state.tasks.findIndex((t) => t.task_id === state.selectedId);
    const next = index === -1 ? 0 : Math.min(state.tasks.length - 1, Math.max(0, index + step));
    select(state.tasks[next].task_id);
    focusSelected();
  }

  /** A task's opened state, with any typed text read from its region, is let go of. */
  function forget(taskId) {
    const entry = state.opened.get(taskId);
    if (entry && entry.text) entry.text.destroy();
    state.opened.delete(taskId);
  }

  /** The task left this QA reviewer's hands: say why (if `message`), open the next. */
  function drop(taskId, message = null) {
    const index = state.tasks.findIndex((t) => t.task_id === taskId);
    const task = state.tasks[index];
    state.tasks = state.tasks.filter((t) => t.task_id !== taskId);
    forget(taskId);
    if (task) state.payloads.delete(task.event.event_id);
    if (message) toast(`${message.title} ${message.text}`, "warn", 8000);
    if (state.selectedId === taskId) {
      state.selectedId = null;
      const next = state.tasks[Math.min(index, state.tasks.length - 1)];
      if (next) {
        select(next.task_id);
        focusSelected();
        return;
      }
      state.listState = "done";
    }
    render();
    if (!state.tasks.length) ui.claimButton.focus();
  }

  function show(batch, { claimed }) {
    state.tasks = batch.tasks;
    state.expired = false;
    replace(ui.leaseNote);
    const held = new Set(batch.tasks.map((t) => t.task_id));
    for (const id of [...state.opened.keys()]) if (!held.has(id)) forget(id);
    state.listState = batch.tasks.length ? "held" : claimed ? "empty" : "none";
    const before = state.selectedId;
    state.selectedId = null;
    render();
    if (batch.tasks.length) {
      select(held.has(before) ? before : batch.tasks[0].task_id);
      focusSelected();
    }
  }

  // A claim answers with everything held, so it is never older than a list
  // asked for before it: that list's late answer would empty a fresh claim.
  let claims = 0;

  async function loadHeld() {
    const asked = claims;
    try {
      const held = await api("/api/v1/qa/tasks");
      if (asked === claims) show(held, { claimed: false });
    } catch (error) {
      if (asked !== claims) return;
      state.listState = "none";
      render();
      const message = describe(error);
      replace(ui.leaseNote, notice("error", message.title, message.text));
    }
  }

  async function claim() {
    if (state.busy) return;
    const size = taskCount(ui);
    if (size === null) {
      ui.sizeInput.dispatchEvent(new Event("change"));
      ui.sizeInput.focus();
      return;
    }
    const holding = state.tasks.length > 0 && !state.expired;
    claims += 1;
    state.busy = true;
    ui.claimButton.disabled = true;
    ui.claimButton.textContent = "Getting tasks…";
    try {
      const batch = await api("/api/v1/qa/next-batch", { method: "POST", body: { size } });
      show(batch, { claimed: true });
      const count = batch.tasks.length;
      if (holding && count) toast(`You still hold ${count} QA task${plural(count)}. Judge or give them back to get new ones.`, "info");
      else if (count) toast(`${count} QA task${plural(count)} claimed.`, "ok");
    } catch (error) {
      const message = describe(error);
      replace(ui.leaseNote, notice("error", message.title, message.text));
    } finally {
      state.busy = false;
      ui.claimButton.disabled = false;
      ui.claimButton.textContent = "Get QA tasks";
      renderVerdict();
    }
  }

  // ---------- verdicts ----------

  /** A 422 on a correction: its details name places of the answers (under "answers" when the route checked them). */
  function refused(error) {
    const form = view.formView;
    const details = (Array.isArray(error.details) ? error.details : []).map((d) => {
      const loc = Array.isArray(d.loc) ? d.loc : [];
      return loc[1] === "answers" ? { ...d, loc: ["body", ...loc.slice(2)] } : d;
    });
    const { places } = form.showErrors(details);
    if (!places.length) return false;
    setStatus("error", "Some answers need a change.", `Check: ${places.map(form.labelOf).join(", ")}.`);
    return true;
  }

  async function send(task, body, done) {
    state.busy = true;
    renderVerdict();
    try {
      const answered = await api(`/api/v1/qa/tasks/${task.task_id}/verdict`, { method: "POST", body });
      state.busy = false;
      toast(done(answered), "ok");
      drop(task.task_id);
    } catch (error) {
      state.busy = false;
      renderVerdict();
      if (GONE.has(error.code)) {
        drop(task.task_id, lost(error));
      } else if (error.code === "revision_changed") {
        // Judge what the review is now: the event, its form and revision again.
        await open(task, { fresh: true });
        if (selected() === task) {
          setStatus("warn", "The review changed while you judged it.", "It is shown as it is now, with its new answers: judge it again.");
        }
      } else if (!(error.code === "validation_error" && refused(error))) {
        const message = describe(error, { region: task.event.region_code });
        setStatus("error", message.title, message.text);
      }
    }
  }

  /** Enter: agree when the answers are the review's, else send them as a correction. */
  async function verdict() {
    const task = selected();
    const form = view.formView;
    if (!task || !form || state.busy || state.expired) return;
    const reviewer = state.opened.get(task.task_id)?.revision?.reviewer || "the reviewer";
    if (!renderChanges()) {
      await send(task, { verdict: "agree", revision: task.event.review_revision },
        () => `Agreed with ${reviewer}'s review.`);
      return;
    }
    const missing = form.missing();
    if (missing.length) {
      setStatus("warn", null, form.missingText(missing));
      return;
    }
    form.clearErrors();
    await send(task, {
      verdict: "correct",
      revision: task.event.review_revision,
      answers: { ...form.body(), form: form.ref },
      note: ui.note.value.trim() || null,
    }, (answered) => `Corrected ${reviewer}'s review: it is at revision ${answered.event.review_revision} now.`);
  }

  function undo() {
    const task = selected();
    if (!task || !view.formView) return;
    view.formView.write(answersOf(task, state.opened.get(task.task_id)));
    view.formView.clearErrors();
    replace(ui.status);
    renderChanges();
    const chosen = ui.form.querySelector("input:checked");
    if (chosen) chosen.focus();
  }

  async function release() {
    const task = selected();
    if (!task || state.busy || state.expired) return;
    state.busy = true;
    renderVerdict();
    try {
      await api(`/api/v1/qa/tasks/${task.task_id}/release`, { method: "POST" });
      state.busy = false;
      toast("Given back: someone else judges this review.", "info");
      drop(task.task_id);
    } catch (error) {
      state.busy = false;
      if (GONE.has(error.code)) drop(task.task_id, lost(error));
      else setStatus("error", describe(error).title, describe(error).text);
    } finally {
      state.busy = false;
      renderVerdict();
    }
  }

  /** A key of the form (a decision, a reason, a rating digit); true when it answered something. */
  function answer(key) {
    if (ui.fieldset.disabled || !view.formView || !view.formView.press(key)) return false;
    replace(ui.status);
    renderChanges();
    return true;
  }

  function focusComment() {
    if (!ui.fieldset.disabled && view.formView && view.formView.comment) view.formView.comment.focus();
  }

  return { forget, render, renderLease, renderChanges, loadHeld, claim, move, select, verdict, undo, release, answer, focusComment };
}
