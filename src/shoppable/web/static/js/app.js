// Every page: the account menu on phones, toasts, local times, the CSRF header for htmx, forms that submit once.
import { csrfToken } from "./api.js";

document.documentElement.classList.add("js");

const toggle = document.querySelector(".menu-toggle");
const nav = document.getElementById("account-nav");
if (toggle && nav) {
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("is-open", open);
  });
}

const toast = document.querySelector("[data-toast]");
if (toast) setTimeout(() => toast.classList.add("is-gone"), 4000);

// Times come from the server in UTC; show them in the viewer's own zone and language.
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
for (const time of document.querySelectorAll("time[datetime]")) {
  const moment = new Date(time.getAttribute("datetime"));
  if (!Number.isNaN(moment.getTime())) time.textContent = timeFormat.format(moment);
}

// A form that moves money or stock submits once: the second click does nothing (the server is idempotent too).
for (const form of document.querySelectorAll("form[data-once]")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    for (const button of form.querySelectorAll("button[type=submit]")) button.setAttribute("aria-disabled", "true");
  });
}

// Forms whose select applies at once (sort orders).
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

document.body.addEventListener("htmx:configRequest", (event) => { event.detail.headers["X-CSRF-Token"] = csrfToken(); });

const summary = document.querySelector("[data-focus]");
if (summary) summary.focus();

for (const close of document.querySelectorAll("dialog [data-close]")) {
  close.addEventListener("click", () => close.closest("dialog").close());
}
