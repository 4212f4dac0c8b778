// The REST API from page JavaScript: the session cookie authenticates, the page's CSRF token goes in a header.

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code;
    this.errors = problem.errors || [];
  }
}

export async function api(path, { method = "GET", body, idempotencyKey } = {}) {
  const headers = { accept: "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = csrfToken();
  if (body !== undefined) headers["content-type"] = "application/json";
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  const answer = await fetch(path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, data || {});
  return data;
}

// Money and countdowns, formatted the way the server formats them (en-US, the currency's own minor unit).
const exponents = {};
export function money(amount, currency) {
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency });
  if (!(currency in exponents)) exponents[currency] = format.resolvedOptions().maximumFractionDigits;
  return format.format(amount / 10 ** exponents[currency]);
}

export function mmss(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

// The same rule as the server's kit/urls.py: an http(s) URL with a host, or a path on this site; else "".
export function webUrl(url) {
  return typeof url === "string" && /^(https?:\/\/[^\s\/\\]|\/(?![\/\\]))\S*$/i.test(url) ? url : "";
}
