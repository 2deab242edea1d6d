// Dragoman sources: administrators add, pause, resume, remove and collect now.
"use strict";

// page.js (loaded first) gives csrf, $, setStatus and call.

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
