// API errors in plain words, each with what to do next. The server's own
// message stays available (it is precise), but people read these first.

function regionName(context) {
  return context && context.region ? `the ${context.region.toUpperCase()} region` : "the event's region";
}

/** -> {title, text, gone}; `gone` means the event is no longer yours to review. */
export function describe(error, context = {}) {
  const region = regionName(context);
  switch (error.code) {
    case "network_error":
      return {
        title: "The server cannot be reached.",
        text: "Check your network connection, then try again. Nothing you entered was lost.",
      };
    case "lease_expired":
      return {
        title: "Your time on this event ran out.",
        text: "The lease expired, so the event goes back to the queue. What you typed is kept in this browser for when it is yours again.",
        gone: true,
      };
    case "already_reviewed":
      return {
        title: "This event has already been reviewed.",
        text: "It was removed from your list. Carry on with the next one.",
        gone: true,
      };
    case "not_holder":
      return {
        title: "Another reviewer holds this event now.",
        text: "Your lease ended and it was handed out again. It was removed from your list.",
        gone: true,
      };
    case "not_assigned":
      return {
        title: "This event is no longer assigned to you.",
        text: "It was removed from your list.",
        gone: true,
      };
    case "already_escalated":
      return {
        title: "This event is escalated already.",
        text: "A lead decides it: review it, or give it back.",
      };
    case "revision_changed":
      return {
        title: "The review changed while you had it open.",
        text: "Someone corrected it meanwhile. It was reloaded: check it, then try again.",
      };
    case "correction_not_allowed":
      return { title: "You may not correct this review.", text: sentence(error.message) };
    case "not_reviewed":
      return { title: "This event has not been reviewed yet.", text: "Review it first; a correction changes a review." };
    case "qa_task_not_found":
      return {
        title: "This QA task is no longer yours.",
        text: "It was finished or handed to someone else. It was removed from your list.",
        gone: true,
      };
    case "nothing_held":
      return {
        title: "You hold no events right now.",
        text: "Their leases ended, so there is nothing to extend. Get a new batch to continue.",
      };
    case "event_not_found":
      return {
        title: "This event is no longer available to you.",
        text: "It may have been re-assigned after your lease ended. It was removed from your list.",
        gone: true,
      };
    case "region_unreachable":
    case "bad_gateway":
    case "region_error":
    case "region_refused":
      return {
        title: `${capitalize(region)} cannot be reached right now.`,
        text: "The payload stays in its region and could not be fetched. Try again in a minute, or skip the event so a colleague can take it later.",
      };
    case "region_timeout":
    case "gateway_timeout":
      return {
        title: `${capitalize(region)} did not answer in time.`,
        text: "Try again in a moment. If it keeps happening, skip the event; it goes back to the queue.",
      };
    case "region_event_missing":
      return {
        title: `${capitalize(region)} no longer has this event's payload.`,
        text: "It may have been deleted there. Skip the event, or reject it with a comment.",
      };
    case "payload_too_large":
      return {
        title: "This payload is too large to show.",
        text: "Skip the event and tell an admin; they can raise the limit.",
      };
    case "rate_limited":
      return {
        title: "Too many requests in a short time.",
        text: `${error.message}. Wait a moment, then try again.`,
      };
    case "role_required":
      return { title: "Your role does not allow this.", text: "Ask an admin if you need access." };
    case "validation_error":
      return { title: "Some input is not valid.", text: validationText(error) };
    case "unavailable":
      return { title: "The service is starting or overloaded.", text: "Try again in a few seconds." };
    default:
      if (error.status >= 500) {
        const id = error.requestId ? ` Mention request id ${error.requestId}.` : "";
        return {
          title: "Something went wrong on the server.",
          text: `Try again. If it keeps happening, tell an admin.${id}`,
        };
      }
      return { title: sentence(error.message), text: "" };
  }
}

/** Plain words for a 401: why the reviewer is back at the login screen. */
export function loggedOutMessage(error) {
  switch (error && error.code) {
    case "session_expired":
      return "Your session reached its time limit and ended. Log in again to continue; what you typed is kept.";
    case "session_revoked":
      return "Your session was ended: you logged out in another window, or an admin ended it. Log in again.";
    case "logged_out_elsewhere":
      return "You logged out in another tab. Log in again to continue.";
    case "logged_in_elsewhere":
      return "Someone logged in as another user in another tab of this browser, which ended your session here. Log in again.";
    case "refresh_token_reused":
      return "Your session was ended for safety: its sign-in was used twice at once, as a copied one would be. Log in again.";
    case "account_inactive":
      return "This account has been deactivated. Ask an admin if that is a mistake.";
    default:
      return "Your session is no longer valid. Log in again to continue.";
  }
}

/** Whether a refresh that failed at start-up ended a real session (say why) or found none (say nothing). */
export function endedSession(error) {
  return ["session_expired", "session_revoked", "refresh_token_reused", "account_inactive"].includes(error && error.code);
}

function validationText(error) {
  const details = Array.isArray(error.details) ? error.details : [];
  const fields = details
    .map((d) => (Array.isArray(d.loc) ? d.loc.filter((part) => part !== "body" && part !== "query").join(".") : ""))
    .filter(Boolean);
  if (fields.length) return `Check: ${[...new Set(fields)].join(", ")}. ${sentence(error.message)}`;
  return sentence(error.message);
}

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "region eu is down" -> "Region eu is down." */
export function sentence(text) {
  if (!text) return "";
  const trimmed = capitalize(String(text).trim());
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
