// Dragoman Library: analysts upload files (multipart POST /api/ingest with the CSRF token).
"use strict";

// page.js (loaded first) gives csrf, $ and setStatus.

const form = $("upload-form");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData();
    for (const file of $("upload-files").files) { body.append("files", file); }
    if ($("upload-kind").value) { body.append("kind", $("upload-kind").value); }
    if ($("upload-source").value) { body.append("source", $("upload-source").value); }
    body.append("clearance", $("upload-clearance").value);
    setStatus("Uploading, then indexing…");
    try {
      const response = await fetch("/api/ingest", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { throw new Error((data.message || response.status) + (data.fix ? ` (${data.fix})` : "")); }
      setStatus(data.files.map((f) => f.status === "ok" ? `${f.file}: ${f.added} added, ${f.updated} updated` : `${f.file}: ${f.message || f.error}`).join("; "), "ok");
      setTimeout(() => window.location.reload(), 1500);
    } catch (error) { setStatus(error.message, "error"); }
  });
}
