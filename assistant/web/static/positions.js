// The Positions page: asks POST /api/positions and draws each speaker's stance, summary
// and quotes. Everything from documents is set as text (never as HTML).
"use strict";

let lastReport = null;
const LABELS = { supports: "supports", opposes: "opposes", mixed: "mixed", neutral: "neutral",
                 undetermined: "undetermined", no_statement: "no statement found" };

const UNDETERMINED = "No stance label: this model's reading is not licensed by measurement for this language (see the licences below the table), or it gave none. Read the quotes.";

function node(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function quoteItem(q) {
  const link = node("a", { href: "/library/" + encodeURIComponent(q.doc_id), class: "chip" }, String(q.n));
  const item = node("li", { class: "quote" + (q.verified ? "" : " unverified") }, link, " ",
    node("q", {}, q.quote), " — ", node("span", { class: "title" }, q.title),
    q.published_at ? ` · ${q.published_at.slice(0, 10)}` : "");
  if (q.translation) item.append(node("div", { class: "translation" }, q.translation));
  if (!q.verified) item.append(node("span", { class: "flag" }, "not found again in the document"));
  return item;
}

function positionRow(p) {
  const summary = node("td", { class: "summary" }, p.summary || "");
  if (p.summary && !p.summary_supported) summary.append(" ", node("span", { class: "flag", title: p.reasons.join("; ") }, "unverified"));
  return node("tr", { "data-speaker": p.speaker },
    node("td", {}, p.name), node("td", { class: "stance " + p.stance, title: p.stance === "undetermined" ? [UNDETERMINED, ...p.reasons].join(" ") : "" }, LABELS[p.stance] || p.stance),
    summary, node("td", {}, node("ol", { class: "quotes" }, ...p.quotes.map(quoteItem))));
}

function disagreementItem(d) {
  // one fact stated differently: every side with the speakers whose documents state it
  const sides = d.sides.map((side) => node("li", {},
    node("strong", {}, side.value), ` (${side.speakers.join(", ")}): `, node("q", {}, side.sentence)));
  return node("li", { class: "disagreement" }, node("ul", {}, ...sides));
}

function render(report) {
  lastReport = report;
  const body = document.querySelector("#positions tbody");
  body.replaceChildren(...report.positions.map(positionRow));
  $("positions").hidden = false;
  $("export").hidden = !report.positions.length;
  const disputes = report.disagreements || [];
  $("position-disagreements").replaceChildren(...disputes.map(disagreementItem));
  $("position-disputes").hidden = !disputes.length;
  // every stance label's licence: shown as the record says, never hidden
  const licences = (report.licences || []).map((l) => node("li", { class: "licence " + l.status, "data-kind": l.kind }, l.message));
  $("position-licences").replaceChildren(...licences);
  const stated = report.positions.filter((p) => p.stance !== "no_statement").length;
  setStatus(`${report.positions.length} speakers, ${stated} with a statement on the topic (${report.timings.total_s}s).`, "ok");
}

function exportUrl(format) {
  return `/api/positions/${encodeURIComponent(lastReport.run_id)}/export?format=${format}`;
}

async function ask(event) {
  event.preventDefault();
  const speakers = $("p-speakers").value.split(",").map((s) => s.trim()).filter(Boolean);
  const body = { topic: $("p-topic").value.trim(), speakers: speakers.length ? speakers : null,
                 since: $("p-since").value || null, until: $("p-until").value || null,
                 kind: $("p-kind").value || null, language: $("p-language").value.trim() || "en" };
  $("positions-button").disabled = true;
  setStatus("Reading what each speaker said — about 5 seconds a speaker…");
  try { render(await call("POST", "/api/positions", body)); }
  catch (e) { setStatus(e.message, "error"); }
  finally { $("positions-button").disabled = false; }
}

document.addEventListener("DOMContentLoaded", () => {
  $("positions-form").addEventListener("submit", ask);
  $("export-md").addEventListener("click", () => { window.location = exportUrl("md"); });
  $("export-csv").addEventListener("click", () => { window.location = exportUrl("csv"); });
});
