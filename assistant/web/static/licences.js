// The Labels page: an administrator starts a calibration of this server's backend.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = $("calibrate-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    try {
      const state = await call("POST", "/api/licences/calibrate");
      setStatus(`Calibrating ${state.backend} in the background: the labels licence themselves when it ends.`, "ok");
    } catch (e) { setStatus(e.message, "error"); form.querySelector("button").disabled = false; }
  });
});
