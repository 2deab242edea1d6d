// Dragoman sources: administrators add, pause, resume, remove and collect now.
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
  if (response.status === 401) { window.location = "/login?next=/sources"; throw new Error("signed out"); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { throw new Error((data.message || response.status) + (data.fix ? ` (${data.fix})` : "")); }
  return data;
}

const form = $("new-source");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setStatus("Adding…");
    try {
      await call("POST", "/api/sources", {
        url: $("source-url").value, type: $("source-type").value || null,
        name: $("source-name").value || null, every: $("source-every").value,
        clearance: $("source-clearance").value,
      });
      window.location.reload();
    } catch (error) { setStatus(error.message, "error"); }
  });
}

const actions = { collect: ["POST", "/collect"], pause: ["POST", "/pause"], resume: ["POST", "/resume"], remove: ["DELETE", ""] };
document.querySelectorAll("#sources button[data-action]").forEach((button) => {
  button.addEventListener("click", async () => {
    const id = button.closest("tr").dataset.id;
    const [method, suffix] = actions[button.dataset.action];
    if (button.dataset.action === "remove" && !window.confirm("Remove this source? Its documents stay.")) { return; }
    button.disabled = true;
    setStatus(button.dataset.action === "collect" ? "Collecting…" : "");
    try {
      const result = await call(method, `/api/sources/${id}${suffix}`);
      if (result.sources) { setStatus(result.sources.map((s) => `${s.name}: ${s.status}, ${s.added} added${s.error ? " — " + s.error : ""}`).join("; ")); }
      setTimeout(() => window.location.reload(), button.dataset.action === "collect" ? 1500 : 0);
    } catch (error) { setStatus(error.message, "error"); button.disabled = false; }
  });
});
