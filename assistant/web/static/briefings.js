// Dragoman briefings: create one from the web and follow it until it is in the archive.
"use strict";

// page.js (loaded first) gives csrf, $, setStatus and call.

const checked = (name) => Array.from(document.querySelectorAll(`input[name="${name}"]:checked`)).map((box) => box.value);

async function follow(job) {
  for (;;) {
    if (job.status === "done") {
      const made = job.briefing;
      setStatus(made.empty ? "Done: no new items in this window (archived)." : `Done: ${made.stories} stories.`, "ok");
      setTimeout(() => window.location.reload(), 1200);
      return;
    }
    if (job.status === "failed") { throw new Error(job.error + (job.fix ? ` (${job.fix})` : "")); }
    setStatus(job.status === "queued" ? "Waiting for its turn…" : `Writing the briefing: ${job.progress}…`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    job = await call("GET", `/api/briefings/jobs/${job.id}`);
  }
}

const form = $("new-briefing");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("briefing-create").disabled = true;
    setStatus("Asking for the briefing…");
    try {
      const job = await call("POST", "/api/briefings", {
        date: $("briefing-date").value, window: $("briefing-window").value,
        watchlist: $("briefing-watchlist").value, clearance: $("briefing-clearance").value,
        languages: checked("briefing-lang"), formats: checked("briefing-format"),
      });
      await follow(job);
    } catch (error) { setStatus(error.message, "error"); $("briefing-create").disabled = false; }
  });
}
