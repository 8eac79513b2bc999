// The dash-cam image: zoomed in a dialog (click, Enter or z; Esc closes), and
// blurred by default for reviewers who ask for it (a per-user choice kept in
// localStorage) until they reveal it, event by event.

import { h } from "./dom.js";
import { session } from "./session.js";

const revealed = new Set(); // event ids whose image was revealed in this tab

const blurKey = () => `event-review.blur-images.${session.me ? session.me.user_id : "anonymous"}`;

export function blurByDefault() {
  return localStorage.getItem(blurKey()) === "1";
}

function setBlurByDefault(on) {
  if (on) localStorage.setItem(blurKey(), "1");
  else localStorage.removeItem(blurKey());
}

export function isBlurred(eventId) {
  return blurByDefault() && !revealed.has(eventId);
}

/** The "Blur images" switch under the frame; `changed()` redraws the frame. */
export function blurToggle(changed) {
  const input = h("input", { type: "checkbox", id: "blur-images", checked: blurByDefault() ? true : null });
  input.addEventListener("change", () => {
    setBlurByDefault(input.checked);
    if (!input.checked) revealed.clear();
    changed();
  });
  return h("label", { class: "blur-toggle", for: "blur-images" }, input, "Blur images");
}

/** The image, as a button that zooms it; behind a "Show image" cover while blurred. */
export function zoomableImage(eventId, img, redraw) {
  const blurred = isBlurred(eventId);
  img.classList.toggle("blurred", blurred);
  const zoom = h("button", {
    type: "button", class: "frame-zoom", id: "payload-zoom",
    "aria-label": "Zoom the dash-cam image (z)", title: "Zoom (z)", disabled: blurred ? true : null,
  }, img);
  zoom.addEventListener("click", () => openZoom(img));
  if (!blurred) return zoom;
  const reveal = h("button", { type: "button", class: "button small frame-reveal", id: "payload-reveal" }, "Show image");
  reveal.addEventListener("click", () => {
    revealed.add(eventId);
    redraw();
    const shown = document.getElementById("payload-zoom");
    if (shown) shown.focus();
  });
  return [zoom, reveal];
}

function openZoom(img) {
  const large = h("img", { src: img.src, alt: img.alt, class: "zoomed", id: "zoomed-image" });
  const close = h("button", { class: "button", value: "close" }, "Close", h("kbd", { "aria-hidden": "true" }, "Esc"));
  const dialog = h("dialog", { class: "dialog image-dialog", id: "image-dialog", "aria-labelledby": "image-dialog-title" },
    h("h2", { id: "image-dialog-title", class: "visually-hidden" }, "Dash-cam image"),
    large,
    h("form", { method: "dialog", class: "dialog-actions" }, close),
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    const zoom = document.getElementById("payload-zoom");
    if (zoom) zoom.focus();
  });
  large.addEventListener("click", () => dialog.close());
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

/** z on the review screen: zoom the open event's image, if it has one and it is shown. */
export function zoomImage(root) {
  const zoom = root.querySelector("#payload-zoom");
  if (zoom && !zoom.disabled) zoom.click();
}
