// What the pages' scripts share: the session's CSRF token, element lookup, the status
// line, and a JSON call that sends the token and turns an error into its message and fix.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);

function setStatus(text, kind = "") { const s = $("status"); if (s) { s.textContent = text; s.className = "status " + kind; } }

async function call(method, path, body) {
  const response = await fetch(path, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { window.location = "/login?next=" + window.location.pathname; throw new Error("signed out"); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { throw new Error((data.message || response.status) + (data.fix ? ` (${data.fix})` : "")); }
  return data;
}
