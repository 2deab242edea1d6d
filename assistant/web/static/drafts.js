// Dragoman drafts: new drafts, the editor's live count per platform (counted by the
// server, with the platform's own rules), versions, review and export.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  if (response.status === 401) { window.location = "/login?next=" + window.location.pathname; throw new Error("signed out"); }
  if (!response.ok) {
    let message = `${response.status}`;
    try { const data = await response.json(); message = data.message || message; if (data.fix) message += ` (${data.fix})`; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function setStatus(text, kind = "") { const s = $("status"); if (s) { s.textContent = text; s.className = "status " + kind; } }

function guarded(button, work) {
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try { await work(); } catch (error) { setStatus(error.message, "error"); button.disabled = false; }
  });
}

// ---- the list page: a new draft ---------------------------------------------------
const newForm = $("new-draft");
if (newForm) {
  newForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("draft-button");
    button.disabled = true;
    setStatus("Drafting: finding sources, writing, verifying, translating…");
    const split = (value) => value.split(",").map((x) => x.trim()).filter(Boolean);
    try {
      const response = await api("/api/drafts", {
        instruction: $("instruction").value, platform: $("platform").value,
        languages: split($("languages").value), tone: $("tone").value,
        doc_ids: split($("doc-ids").value), thread: $("thread").checked,
      });
      const draft = await response.json();
      window.location = `/drafts/${draft.id}`;
    } catch (error) { setStatus(error.message, "error"); button.disabled = false; }
  });
}

// ---- one draft ----------------------------------------------------------------------
const page = $("draft");
if (page) {
  const id = page.dataset.id;
  const platform = page.dataset.platform;
  const reload = () => { window.location = `/drafts/${id}`; };
  const posts = (text) => text.split(/\r?\n---\r?\n/).map((p) => p.trim()).filter(Boolean);

  async function recount(area) {
    const counter = document.querySelector(`.count[data-for="${area.name}"]`);
    const parts = posts(area.value);
    const reports = await Promise.all((parts.length ? parts : [""]).map(async (text) =>
      (await api("/api/drafts/count", { platform, text })).json()));
    counter.textContent = reports.map((r) => r.length).join(" / ") + ` / ${reports[0].limit}`
      + (reports.some((r) => !r.within_limit) ? " — over the limit" : "");
    counter.classList.toggle("over", reports.some((r) => !r.within_limit));
  }

  for (const area of document.querySelectorAll(".variant textarea")) {
    area.dataset.original = area.value;
    let timer = null;
    area.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => recount(area).catch((e) => setStatus(e.message, "error")), 400);
    });
  }

  const form = $("edit-form");
  if ($("save")) guarded($("save"), async () => {
    const texts = {};
    for (const area of form.querySelectorAll("textarea")) {
      if (area.value !== area.dataset.original) texts[area.name] = area.value;
    }
    setStatus("Checking the edit against the sources…");
    await api(`/api/drafts/${id}/versions`, { based_on: Number(form.dataset.basedOn), texts });
    reload();
  });
  if ($("submit")) guarded($("submit"), async () => { await api(`/api/drafts/${id}/submit`, {}); reload(); });
  const review = (step) => async () => {
    const body = { version: Number(page.dataset.version), comment: $("comment") ? $("comment").value : "" };
    if ($("acknowledge")) body.acknowledge = $("acknowledge").checked;
    body.resolved = [...document.querySelectorAll(".resolve-flag:checked")].map((box) => box.value);
    await api(`/api/drafts/${id}/${step}`, body);
    reload();
  };
  if ($("approve")) {
    // every fidelity warning ticked, one by one, before the approval can be sent
    const boxes = [...document.querySelectorAll(".resolve-flag")];
    const pending = () => boxes.filter((box) => !box.checked).length;
    const gate = () => {
      $("approve").disabled = pending() > 0;
      $("approve").title = pending() ? `${pending()} fidelity warning(s) to resolve` : "";
    };
    boxes.forEach((box) => box.addEventListener("change", gate));
    gate();
    guarded($("approve"), review("approve"));
  }
  if ($("reject")) guarded($("reject"), review("reject"));
  for (const button of document.querySelectorAll("[data-format]")) {
    guarded(button, async () => {
      const response = await api(`/api/drafts/${id}/export`, { format: button.dataset.format });
      const name = (response.headers.get("Content-Disposition") || "").split('"')[1] || "draft";
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = name;
      link.click();
      setStatus(`Exported ${name}`, "ok");
      button.disabled = false;
    });
  }
}
