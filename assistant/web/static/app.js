// Dragoman chat: streamed answers (server-sent events over fetch), citation chips,
// the source viewer with the cited passage highlighted, conversation history.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
let conversationId = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, options = {}) {
  const headers = Object.assign({ "X-CSRF-Token": csrf }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  if (response.status === 401) { window.location = "/login?next=/"; throw new Error("signed out"); }
  return response;
}

async function failure(response) {
  let message = `${response.status}`;
  try { const body = await response.json(); message = body.message || message; } catch (e) { /* not JSON */ }
  const retry = response.headers.get("Retry-After");
  return retry ? `${message} — try again in ${retry} s` : message;
}

function setStatus(text, kind = "") { const s = $("status"); s.textContent = text; s.className = "status " + kind; }

// ---- conversations --------------------------------------------------------------
async function loadConversations() {
  const response = await api("/api/conversations");
  const { conversations } = await response.json();
  const current = conversations.find((c) => c.id === conversationId);
  if (current) $("conversation-title").textContent = current.title;
  const list = $("conversations");
  list.replaceChildren(...conversations.map((c) => el("li", { class: c.id === conversationId ? "current" : "", "data-id": c.id },
    el("a", { href: "#", class: "open", onclick: (e) => { e.preventDefault(); openConversation(c.id); } }, c.title),
    el("button", { type: "button", class: "icon rename", title: "Rename", onclick: () => renameConversation(c) }, "✎"),
    el("button", { type: "button", class: "icon delete", title: "Delete", onclick: () => deleteConversation(c) }, "✕"))));
}

async function openConversation(id) {
  const response = await api(`/api/conversations/${encodeURIComponent(id)}`);
  if (!response.ok) { setStatus(await failure(response), "error"); return; }
  const conversation = await response.json();
  conversationId = conversation.id;
  showExamples(false);
  $("conversation-title").textContent = conversation.title;
  $("messages").replaceChildren(...conversation.messages.map((m) => {
    const block = questionBlock(m.question);
    block.append(renderAnswer(m.result, m.id));
    return block;
  }));
  loadConversations();
}

async function renameConversation(c) {
  const title = window.prompt("New title", c.title);
  if (!title) return;
  const response = await api(`/api/conversations/${c.id}`, {
    method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title }) });
  if (!response.ok) { setStatus(await failure(response), "error"); return; }
  if (c.id === conversationId) $("conversation-title").textContent = title;
  loadConversations();
}

async function deleteConversation(c) {
  if (!window.confirm(`Delete “${c.title}”?`)) return;
  const response = await api(`/api/conversations/${c.id}`, { method: "DELETE" });
  if (!response.ok) { setStatus(await failure(response), "error"); return; }
  if (c.id === conversationId) newConversation();
  loadConversations();
}

// Example questions drawn from the corpus (the server escapes them): shown in an empty chat.
function showExamples(show) { const box = $("examples"); if (box) box.hidden = !show; }

function askExample(event) {
  $("question").value = event.target.textContent;
  $("ask-form").requestSubmit();
}

function newConversation() {
  conversationId = null;
  $("conversation-title").textContent = "New conversation";
  $("messages").replaceChildren();
  showExamples(true);
  loadConversations();
}

// ---- answers ---------------------------------------------------------------------
function questionBlock(question) {
  return el("section", { class: "exchange" }, el("p", { class: "question" }, question));
}

function chip(n, citation) {
  return el("button", { type: "button", class: "chip", "data-n": String(n), title: citation ? citation.title : "",
    onclick: () => citation && openSource(citation) }, String(n));
}

function unsupported(sentence) {
  return el("span", { class: "sentence unsupported", title: "Not supported by its sources: " + sentence.reasons.join("; ") },
    el("span", { class: "flag" }, "unverified"), " " + sentence.text);
}

const STATUS = { answered: "Answered and verified", partial: "Partly answered", not_found: "Not found" };

// The filters the question was understood to set, as chips the analyst can remove:
// removing one asks the same question again without it.
function understoodChips(result) {
  const chips = (result.understood && result.understood.chips) || [];
  if (!chips.length) return null;
  const row = el("div", { class: "understood" });
  for (const c of chips) {
    row.append(el("span", { class: "filter-chip", "data-key": c.key }, c.label,
      el("button", { type: "button", class: "remove", title: "Ask again without this filter",
        onclick: () => askAgain(result.question, [...(result.understood.ignored || []), c.key]) }, "×")));
  }
  return row;
}

function statusLine(result) {
  const status = result.answer_status || (result.refused ? "not_found" : "answered");
  let text = STATUS[status] || status;
  if (status === "partial" && result.missing && result.missing.length) text += " — missing: " + result.missing.join(", ");
  if (status === "not_found") text += " — closest passages below";
  return el("p", { class: "answer-status " + status }, text);
}

// Facts the sources state differently: every side with its sources, never a silent choice.
function disagreements(result) {
  const found = result.disagreements || [];
  if (!found.length) return null;
  const bySource = Object.fromEntries(result.sources.map((s) => [s.n, s]));
  return el("div", { class: "disagreements" },
    el("p", { class: "found" }, "The sources disagree:"),
    el("ul", {}, ...found.map((d) => el("li", {}, ...d.sides.flatMap((side, i) => [
      i ? " vs " : "", el("b", {}, side.value), " ",
      ...(side.citations.length ? side.citations.map((n) => chip(n, bySource[n]))
        : (side.doc_ids || []).map((id) => el("a", { href: "/library/" + encodeURIComponent(id), class: "found-elsewhere",
            title: "Found by the search, not given to the model" }, "source")))])))));
}

// The sources' own sentences on the question's topic, chosen by rule and verified word for
// word; a translation is the machine's and says so (never labelled verified); one that lost
// a figure, a date or a name, or mixed languages, is withheld and says what it lost.
function quotesBox(result, byNumber) {
  const quotes = result.quotes || [];
  if (!quotes.length) return null;
  return el("div", { class: "quotes" },
    el("p", { class: "found" }, "In their own words (verified verbatim):"),
    el("ol", {}, ...quotes.map((q) => el("li", { value: String(q.n) }, chip(q.n, byNumber[q.n]), " ",
      q.speaker_name ? el("b", {}, q.speaker_name + ": ") : "",
      el("q", { class: "quote", lang: q.language }, q.quote),
      q.translation ? el("span", { class: "translation" },
        el("span", { class: "flag machine" }, q.translation_note || "machine translation"), " ", q.translation) : "",
      q.translation_withheld ? el("span", { class: "translation withheld" },
        el("span", { class: "flag machine" }, "machine translation withheld"), " ", q.translation_withheld) : ""))));
}

// Evidence first: the passages found stay on screen with the answer (and in history).
function evidenceList(sources, heading) {
  const box = el("div", { class: "evidence" });
  if (!sources.length) { box.append(el("p", { class: "found" }, "No passage found.")); return box; }
  box.append(el("p", { class: "found" }, heading),
    el("ol", { class: "sources" }, ...sources.slice(0, 8).map((s) => el("li", { value: String(s.n) },
      chip(s.n, s), " ", el("span", { class: "title" }, s.title),
      el("q", { class: "quote" }, s.quote.length > 300 ? s.quote.slice(0, 300) + "…" : s.quote)))));
  return box;
}

const EVIDENCE_KEPT = "Passages found — what the answer was checked against:";

function renderAnswer(result, messageId, withEvidence = true) {
  const byNumber = Object.fromEntries(result.sources.concat(result.citations).map((c) => [c.n, c]));
  const box = el("div", { class: "answer" + (result.refused ? " refused" : ""), "data-message-id": String(messageId || "") });
  const chipsRow = understoodChips(result);
  if (chipsRow) box.append(chipsRow);
  box.append(statusLine(result));
  if (result.refused) {
    box.append(el("p", { class: "refusal" }, result.answer), el("p", { class: "reason" }, result.refusal_reason || ""));
    if (result.sources.length && withEvidence) {
      box.append(el("p", { class: "found" }, "Closest passages found:"),
        el("ul", { class: "sources" }, ...result.sources.map((s) => el("li", {}, chip(s.n, s), " ", s.title))));
    }
    const withheld = result.sentences.filter((sentence) => !sentence.supported);
    if (withheld.length) {
      box.append(el("p", { class: "found" }, "Draft sentences withheld (not supported by the passages they cite):"),
        el("ul", { class: "withheld" }, ...withheld.map((sentence) => el("li", {}, unsupported(sentence)))));
    }
  } else {
    const text = el("p", { class: "verified" });
    const written = result.sentences.some((sentence) => sentence.supported);
    for (const sentence of written ? result.sentences : result.sentences.filter((x) => !x.supported)) {
      if (sentence.supported) {
        text.append(el("span", { class: "sentence" }, sentence.text + " "), ...sentence.citations.map((n) => chip(n, byNumber[n])), " ");
      } else {
        text.append(unsupported(sentence), " ");
      }
    }
    box.append(text);
    const quotes = quotesBox(result, byNumber);
    if (quotes) box.append(quotes);
    box.append(el("ol", { class: "references" }, ...result.citations.map((c) =>
      el("li", { value: String(c.n) }, chip(c.n, c), " ", c.title, c.published_at ? ` · ${c.published_at.slice(0, 10)}` : ""))));
    if (withEvidence && result.sources.length) box.append(evidenceList(result.sources, EVIDENCE_KEPT));
  }
  const disputes = disagreements(result);
  if (disputes) box.append(disputes);
  const unlicensed = (result.licences || []).filter((l) => l.status !== "licensed");
  if (unlicensed.length) {  // a label not licensed by measurement says so, with its figure
    box.append(el("ul", { class: "licences" }, ...unlicensed.map((l) =>
      el("li", { class: "licence " + l.status, "data-kind": l.kind }, l.message))));
  }
  const actions = el("div", { class: "actions" });
  if (messageId && result.conversation_id !== undefined) {
    actions.append(el("button", { type: "button", class: "copy", onclick: (e) => copyAnswer(result.conversation_id, messageId, e.target) }, "Copy with citations"));
  }
  actions.append(el("span", { class: "timing" }, `${result.model} · ${result.timings.total_s}s`));
  box.append(actions);
  return box;
}

async function copyAnswer(conversation, messageId, button) {
  const response = await api(`/api/conversations/${conversation}/messages/${messageId}/export`);
  if (!response.ok) { setStatus(await failure(response), "error"); return; }
  const text = await response.text();
  try { await navigator.clipboard.writeText(text); button.textContent = "Copied ✓"; }
  catch (e) { window.prompt("Copy the answer:", text); }
}

// ---- the source viewer -----------------------------------------------------------
async function openSource(citation) {
  const response = await api(`/api/docs/${encodeURIComponent(citation.doc_id)}`);
  if (!response.ok) { setStatus(await failure(response), "error"); return; }
  const doc = await response.json();
  $("viewer-title").textContent = `[${citation.n}] ${doc.title}`;
  $("viewer-meta").textContent = [doc.source, doc.published_at ? doc.published_at.slice(0, 10) : null,
    doc.language, doc.kind, doc.clearance].filter(Boolean).join(" · ");
  const link = $("viewer-link");
  // only an http(s) link is ever clickable (a stored javascript: URL is not a link)
  if (doc.url && /^https?:\/\/[^\s]/i.test(doc.url)) { link.href = doc.url; link.hidden = false; }
  else { link.removeAttribute("href"); link.hidden = true; }
  // The server renders the document's Markdown safely (raw HTML shown as text, no images,
  // http(s) links only) and marks the cited ranges (code-point offsets).
  const marks = citation.spans.slice(0, 20).map(([a, b]) => `mark=${a}-${b}`).join("&");
  const reading = await api(`/api/docs/${encodeURIComponent(citation.doc_id)}/reading?${marks}`);
  if (!reading.ok) { setStatus(await failure(reading), "error"); return; }
  $("viewer-text").innerHTML = (await reading.json()).html;
  $("viewer").hidden = false;
  const first = $("viewer-text").querySelector("mark");
  if (first) first.scrollIntoView({ block: "center" });
}

// ---- asking (server-sent events over a streamed fetch) ---------------------------
function filters() {
  const value = (id) => $(id).value.trim() || null;
  return { kind: value("f-kind"), language: value("f-language"), country: value("f-country"),
           speaker: value("f-speaker"), source: value("f-source"), since: value("f-since"),
           until: value("f-until") };
}

function* parseEvents(buffer) {
  let index;
  while ((index = buffer.text.indexOf("\n\n")) >= 0) {
    const raw = buffer.text.slice(0, index);
    buffer.text = buffer.text.slice(index + 2);
    let event = "message", data = "";
    for (const line of raw.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    yield [event, data ? JSON.parse(data) : null];
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  await send(question, []);
}

function askAgain(question, ignore) { return send(question, ignore); }

async function send(question, ignore) {
  showExamples(false);
  const block = questionBlock(question);
  const draft = el("p", { class: "draft streaming" });
  block.append(draft);
  $("messages").append(block);
  $("ask-button").disabled = true;
  setStatus("Searching the sources…");
  const body = { question, conversation_id: conversationId, stream: true, filters: filters(),
                 language: $("answer-language").value || null, ignore };
  try {
    const response = await api("/api/ask", { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" } });
    if (!response.ok) { draft.remove(); setStatus(await failure(response), "error"); return; }
    $("question").value = "";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const buffer = { text: "" };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer.text += value;
      for (const [name, data] of parseEvents(buffer)) handleEvent(name, data, block, draft);
    }
  } finally {
    $("ask-button").disabled = false;
  }
}

// Evidence first: the passages found, shown before the model writes (not yet an answer).
// el() sets text, never HTML, so the quotes (untrusted) cannot inject markup.
function showEvidence(block, draft, sources) {
  const old = block.querySelector(".evidence");
  if (old) old.remove();
  const box = evidenceList(sources, "Passages found — the answer is being written and checked against them:");
  block.insertBefore(box, draft);
  setStatus("Sources found — writing the draft…");
}

function handleEvent(name, data, block, draft) {
  if (name === "evidence") showEvidence(block, draft, data.sources);
  else if (name === "queued") setStatus(`Waiting for the model (position ${data.position})…`);
  else if (name === "start") { conversationId = data.conversation_id; setStatus("Writing the draft…"); }
  else if (name === "token") { draft.textContent += data.text; setStatus("Writing the draft — it is checked against the sources before it is shown…"); }
  else if (name === "result") {
    draft.remove();
    // the evidence stays: the passages the answer was checked against, as finally selected
    const evidence = block.querySelector(".evidence");
    const answer = renderAnswer(data, data.message_id, !evidence);
    if (evidence) evidence.replaceWith(evidenceList(data.sources, EVIDENCE_KEPT));
    block.append(answer);
    const status = data.answer_status || (data.refused ? "not_found" : "answered");
    setStatus(status === "answered" ? "Answered and verified against the sources."
      : status === "partial" ? "Partly answered — see what is missing." : "No passage found that answers this.",
      status === "answered" ? "ok" : "warn");
    loadConversations();
  } else if (name === "error") { draft.remove(); setStatus(data.message, "error"); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); } });
  $("new-conversation").addEventListener("click", newConversation);
  $("viewer-close").addEventListener("click", () => { $("viewer").hidden = true; });
  document.querySelectorAll("#examples button.example").forEach((b) => b.addEventListener("click", askExample));
  loadConversations();
});
