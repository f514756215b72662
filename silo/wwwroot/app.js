// OrleansRag web page: plain JavaScript over the public HTTP API (the same calls any program makes).
// The API key is entered once and kept in session storage; in open mode on loopback no key is needed.
"use strict";

const $ = (selector) => document.querySelector(selector);
const KEY = "orleansrag.apiKey";
const COLLECTION = "orleansrag.collection";
const extensionTypes = {
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  html: "text/html", htm: "text/html",
  md: "text/markdown", markdown: "text/markdown",
  txt: "text/plain", text: "text/plain",
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", tif: "image/tiff", tiff: "image/tiff",
};

/** A failed call, as the problem details (RFC 7807) describe it. */
class Problem extends Error {
  constructor(status, title, detail) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function problemOf(response) {
  let title = `${response.status} ${response.statusText}`;
  let detail = "";
  try {
    const body = await response.json();
    title = body.title || title;
    detail = body.detail || "";
  } catch {
    // not problem details: keep the status line
  }
  const problem = new Problem(response.status, title, detail);
  const retryAfter = Number(response.headers.get("Retry-After"));
  if (retryAfter > 0) problem.retryAfter = Math.min(retryAfter, 60);
  return problem;
}

async function api(method, path, body, extraHeaders = {}) {
  const init = { method, headers: headers(extraHeaders) };
  if (body !== undefined) {
    if (body instanceof Blob) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    throw await problemOf(response);
  }
  return response.status === 204 ? null : response.json();
}

function showProblem(error) {
  const problem = error instanceof Problem ? error : new Problem(0, "Request failed", error.message);
  $("#error-title").textContent = problem.title;
  $("#error-detail").textContent = problem.detail;
  $("#error").hidden = false;
}

function clearProblem() {
  $("#error").hidden = true;
}

/** Runs an action; a failure is shown as the problem details say. */
async function guarded(action) {
  clearProblem();
  try {
    await action();
  } catch (error) {
    showProblem(error);
  }
}

function collection() {
  const name = $("#collection").value.trim();
  if (!name) {
    throw new Problem(0, "No collection", "Pick or type a collection first.");
  }
  sessionStorage.setItem(COLLECTION, name);
  return encodeURIComponent(name);
}

function element(tag, properties = {}, ...children) {
  const { dataset, ...rest } = properties;
  const node = Object.assign(document.createElement(tag), rest);
  Object.assign(node.dataset, dataset ?? {});
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// ---- identity and collections -------------------------------------------------------------------

async function loadIdentity() {
  try {
    const me = await api("GET", "v1/me");
    $("#whoami").textContent = `${me.tenant} · ${me.role}`;
  } catch (error) {
    $("#whoami").textContent = "";
    if (error.status === 401) {
      showProblem(error);
    }
  }
}

async function loadCollections() {
  const list = await api("GET", "v1/collections");
  const options = list.collections.map((c) =>
    element("option", { value: c.name, label: `${c.name} (${c.documentCount} documents, ${c.chunkCount} chunks)` }));
  $("#collections").replaceChildren(...options);
  if (!$("#collection").value && list.collections.length > 0) {
    $("#collection").value = list.collections[0].name;
  }
}

// ---- ask, streamed ---------------------------------------------------------------------------------

/** Reads Server-Sent Events from a fetch response: yields {event, data}. */
async function* serverSentEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) yield { event, data: JSON.parse(data.join("\n")) };
    }
    if (done) return;
  }
}

/** Renders an answer's text with its [n] markers as links to its numbered citations (ids prefixed, so several answers can share a page). */
function renderAnswer(text, citations, answer = $("#answer"), list = $("#citations"), prefix = "cite") {
  answer.replaceChildren();
  const known = new Set(citations.map((c) => c.n));
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    answer.append(text.slice(last, match.index));
    const n = Number(match[1]);
    answer.append(known.has(n)
      ? element("a", { className: "cite", href: `#${prefix}-${n}`, textContent: `[${n}]`, onclick: (e) => { e.preventDefault(); selectCitation(list, `${prefix}-${n}`); } })
      : match[0]);
    last = match.index + match[0].length;
  }
  answer.append(text.slice(last));
  list.replaceChildren(...citations.map((c) => element("li", { id: `${prefix}-${c.n}`, value: c.n },
    element("span", { className: "title", textContent: c.title || c.documentId }),
    element("span", { className: "muted", textContent: ` — ${c.documentId}${c.page ? `, page ${c.page}` : ""}` }),
    c.link ? element("a", { className: "open", href: c.link, textContent: c.page ? `open page ${c.page}` : "open original", onclick: (e) => { e.preventDefault(); guarded(() => openOriginal(c.link, c.documentId)); } }) : null,
    element("p", { className: "snippet", textContent: c.snippet }))));
}

/**
 * Opens a document's original in a new tab, at the cited page (PDF viewers honour #page=N). It is fetched with this
 * page's key and shown from memory: a PDF as a PDF, text as plain text (an uploaded HTML page is never run as this
 * site), anything else (DOCX) downloaded.
 */
async function openOriginal(link, documentId) {
  const [path, fragment] = link.split("#");
  const tab = window.open("", "_blank"); // opened within the click, so no popup blocker stops it
  try {
    const response = await fetch(path.replace(/^\//, ""), { headers: headers() });
    if (!response.ok) throw await problemOf(response);
    const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    const shown = type === "application/pdf" || type === "image/png" || type === "image/jpeg" ? type
      : type.startsWith("text/") ? "text/plain;charset=utf-8" : null;
    const url = URL.createObjectURL(new Blob([await response.arrayBuffer()], { type: shown ?? type }));
    setTimeout(() => URL.revokeObjectURL(url), 120000);
    if (shown === null) {
      tab?.close();
      element("a", { href: url, download: documentId.split("/").pop() }).click();
      return;
    }
    if (tab) tab.location = fragment ? `${url}#${fragment}` : url;
  } catch (error) {
    tab?.close();
    throw error;
  }
}

/**
 * Thumbs up and down for one answer: a click sends the rating to the answer's feedback endpoint (a second click of the
 * other thumb replaces it) and marks the chosen thumb pressed. Nothing when the answer has no id.
 */
function feedbackButtons(name, answerId) { // name: as collection() gives it, already escaped
  if (!answerId) return element("span");
  const status = element("span", { className: "muted feedback-status" });
  const rate = (rating) => guarded(async () => {
    await api("POST", `v1/collections/${name}/answers/${encodeURIComponent(answerId)}/feedback`, { rating });
    for (const button of box.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.rating === rating));
    status.textContent = "thanks for the feedback";
  });
  const button = (rating, label, symbol) => element("button", {
    type: "button", className: "thumb", title: label, textContent: symbol, onclick: () => rate(rating),
    dataset: { rating }, ariaLabel: label, ariaPressed: "false",
  });
  const box = element("div", { className: "feedback", dataset: { answerId } },
    button("up", "Helpful answer", "▲ helpful"), button("down", "Unhelpful answer", "▼ not helpful"), status);
  return box;
}

function selectCitation(list, id) {
  for (const item of list.querySelectorAll("li")) item.classList.remove("selected");
  const item = document.getElementById(id);
  if (item) {
    item.classList.add("selected");
    item.scrollIntoView({ block: "nearest" });
  }
}

let asking = null;

async function ask(question) {
  const path = `v1/collections/${collection()}/ask`;
  asking?.abort(); // a new question ends the previous one (and its model request on the silo)
  const controller = new AbortController();
  asking = controller;
  const answer = $("#answer");
  answer.textContent = "";
  $("#citations").replaceChildren();
  $("#answer-meta").textContent = "";
  $("#answer-feedback").replaceChildren();
  const response = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify({ question, stream: true }),
    signal: controller.signal,
  });
  if (!response.ok) {
    throw await problemOf(response);
  }
  await streamAnswer(response, answer, controller, (data) => {
    renderAnswer(data.answer, data.citations);
    const t = data.timings;
    $("#answer-meta").textContent = `${data.cached ? "cached · " : ""}${data.degraded ? `degraded (${data.degradedReason}) · ` : ""}`
      + `${Math.round(t.totalMs)} ms (embed ${Math.round(t.embedMs)}, retrieve ${Math.round(t.retrieveMs)}, generate ${Math.round(t.generateMs)})`;
    $("#answer-feedback").replaceChildren(feedbackButtons(collection(), data.answerId));
  });
  if (asking === controller) asking = null;
}

/**
 * Shows a streamed answer's tokens in <answer> as they come, then hands the final event's data to onDone. An error
 * event, or a stream that ends without one, is a Problem; a stream aborted for a newer question ends quietly.
 */
async function streamAnswer(response, answer, controller, onDone) {
  answer.classList.add("streaming");
  let text = "";
  let finished = false;
  try {
    for await (const { event, data } of serverSentEvents(response)) {
      if (event === "token") {
        text += data.text;
        answer.textContent = text;
      } else if (event === "done") {
        finished = true;
        onDone(data);
      } else if (event === "error") {
        throw new Problem(0, "The answer broke off", data.message);
      }
    }
    if (!finished) throw new Problem(0, "The answer broke off", "The stream ended before the answer was complete.");
  } catch (error) {
    if (controller.signal.aborted) return; // replaced by a newer question
    throw error;
  } finally {
    answer.classList.remove("streaming");
  }
}

// ---- chat: a conversation the cluster keeps --------------------------------------------------------

const CONVERSATION = "orleansrag.conversation.";
let chatting = null;

/** The conversation the chat view shows for the current collection, started when there is none. */
async function conversation() {
  const name = collection();
  const saved = sessionStorage.getItem(CONVERSATION + name);
  if (saved) return saved;
  return newConversation();
}

async function newConversation() {
  const name = collection();
  const created = await api("POST", `v1/collections/${name}/conversations`);
  sessionStorage.setItem(CONVERSATION + name, created.id);
  $("#chat-log").replaceChildren();
  await loadConversations();
  return created.id;
}

/** The key's conversations with the collection, newest first, in the picker. */
async function loadConversations() {
  const name = $("#collection").value.trim();
  if (!name) return;
  const current = sessionStorage.getItem(CONVERSATION + encodeURIComponent(name));
  let list = { conversations: [] };
  try {
    list = await api("GET", `v1/collections/${encodeURIComponent(name)}/conversations`);
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  $("#conversations").replaceChildren(...list.conversations.map((c) => element("option", {
    value: c.id,
    selected: c.id === current,
    textContent: `${c.title ?? "(no question yet)"} · ${new Date(c.lastActiveAt).toLocaleString()}`,
  })));
}

/** Shows a stored conversation's turns. */
async function showConversation(id) {
  const name = collection();
  const stored = await api("GET", `v1/collections/${name}/conversations/${encodeURIComponent(id)}`);
  sessionStorage.setItem(CONVERSATION + name, id);
  $("#chat-log").replaceChildren();
  for (const turn of stored.turns) {
    chatTurn(turn.question).render({ ...turn, turn: turn.n });
  }
}

/** A question and its (coming) answer in the log: returns how to stream into it and render it when done. */
function chatTurn(question) {
  const answer = element("div", { className: "answer" });
  const meta = element("p", { className: "muted" });
  const citations = element("ol", { className: "citations" });
  const feedback = element("div");
  const item = element("li", { className: "turn" }, element("p", { className: "question", textContent: question }), answer, meta, feedback, citations);
  $("#chat-log").append(item);
  item.scrollIntoView({ block: "end" });
  return {
    item,
    answer,
    render(data) {
      const prefix = `turn-${data.turn ?? $("#chat-log").children.length}`;
      item.dataset.turn = data.turn ?? "";
      renderAnswer(data.answer, data.citations, answer, citations, prefix);
      meta.textContent = data.standaloneQuestion ? `answered as: ${data.standaloneQuestion}` : "";
      feedback.replaceChildren(feedbackButtons(collection(), data.answerId));
    },
  };
}

async function sendChat(question) {
  const name = collection();
  const id = await conversation();
  chatting?.abort();
  const controller = new AbortController();
  chatting = controller;
  const turn = chatTurn(question);
  const response = await fetch(`v1/collections/${name}/conversations/${encodeURIComponent(id)}/messages?stream=true`, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify({ question }),
    signal: controller.signal,
  });
  if (!response.ok) {
    turn.item.remove();
    if (response.status === 404) sessionStorage.removeItem(CONVERSATION + name); // expired or deleted: the next question starts anew
    throw await problemOf(response);
  }
  await streamAnswer(response, turn.answer, controller, (data) => turn.render(data));
  if (chatting === controller) chatting = null;
  await loadConversations();
}

// ---- search ----------------------------------------------------------------------------------------

async function search(query) {
  const body = { query, mode: $("#mode").value, topK: Number($("#top-k").value) || 10 };
  const filter = $("#filter").value.trim();
  if (filter) {
    try {
      body.filter = JSON.parse(filter);
    } catch (error) {
      throw new Problem(0, "The filter is not JSON", error.message);
    }
  }
  const result = await api("POST", `v1/collections/${collection()}/search`, body);
  $("#search-meta").textContent = `${result.hits.length} results in ${Math.round(result.timings.totalMs)} ms (${result.mode})`;
  $("#hits").replaceChildren(...result.hits.map((hit) => element("li", {},
    element("span", { className: "title", textContent: hit.title || hit.documentId }),
    element("span", { className: "muted", textContent: ` — ${hit.documentId}${hit.page ? `, page ${hit.page}` : ""} · score ${hit.score.toFixed(3)}` }),
    element("p", { className: "snippet", textContent: hit.text.length > 400 ? `${hit.text.slice(0, 400)}…` : hit.text }))));
}

// ---- documents -------------------------------------------------------------------------------------

/** A document id from a file name; names that had to change get a short hash of the original, so two never collide. */
function documentId(fileName) {
  const id = fileName.replace(/[^A-Za-z0-9._~:@-]+/g, "-").replace(/^[.-]+/, "").slice(0, 200);
  if (id === fileName) return id;
  let hash = 2166136261;
  for (const unit of fileName) hash = Math.imul(hash ^ unit.codePointAt(0), 16777619) >>> 0;
  return `${id || "document"}-${hash.toString(16).padStart(8, "0")}`;
}

function mediaType(file) {
  const extension = file.name.split(".").pop().toLowerCase();
  return extensionTypes[extension] || file.type || "application/octet-stream";
}

async function upload(file) {
  const name = collection();
  const id = documentId(file.name);
  const status = element("span", { textContent: "uploading…" });
  $("#uploads").prepend(element("li", { dataset: { document: id } }, element("strong", { textContent: file.name }), " → ", status));
  try {
    // The title comes from the document itself (PDF and DOCX properties, HTML <title>, the first heading).
    const result = await withRetry(() => api("PUT", `v1/collections/${name}/documents/${encodeURIComponent(id)}`, file, { "Content-Type": mediaType(file) }), status);
    await follow(name, id, result, status);
  } catch (error) {
    status.textContent = `failed: ${error.detail || error.message}`;
    status.className = "status-failed";
    showProblem(error);
  }
  await loadDocuments();
}

/** Retries a call the service asks to repeat later (429 rate limit, 503 busy), waiting as Retry-After says. */
async function withRetry(call, status) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof Problem) || ![429, 503].includes(error.status) || attempt >= 6) throw error;
      const seconds = error.retryAfter ?? 2 * attempt;
      status.textContent = `busy, retrying in ${seconds} s…`;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

/** Uploads files a few at a time (each key has a concurrency limit). */
async function uploadAll(files) {
  const queue = [...files];
  await Promise.all(Array.from({ length: Math.min(3, queue.length) }, async () => {
    while (queue.length > 0) await upload(queue.shift());
  }));
}

/** Follows a document's status until it is ready or failed. */
async function follow(name, id, result, status) {
  const deadline = Date.now() + 30 * 60 * 1000;
  let info = { status: result.documentStatus, chunkCount: result.chunkCount };
  let delay = 500;
  while (info.status !== "ready" && info.status !== "failed" && Date.now() < deadline) {
    status.textContent = `${info.status}${info.stage ? ` (${info.stage})` : ""}…`;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 5000);
    info = await withRetry(() => api("GET", `v1/collections/${name}/documents/${encodeURIComponent(id)}`), status);
  }
  status.textContent = info.status === "ready" ? `ready, ${info.chunkCount} chunks` : `${info.status}${info.error ? `: ${info.error}` : ""}`;
  status.className = `status-${info.status}`;
}

async function loadDocuments() {
  const name = $("#collection").value.trim();
  if (!name) return;
  let list;
  try {
    list = await api("GET", `v1/collections/${encodeURIComponent(name)}/documents`);
  } catch (error) {
    if (error.status === 404) {
      $("#documents tbody").replaceChildren();
      return;
    }
    throw error;
  }
  $("#documents tbody").replaceChildren(...list.documents.map((d) => element("tr", { dataset: { document: d.id } },
    element("td", { textContent: d.id }),
    element("td", { textContent: d.title }),
    element("td", { textContent: d.ocrPages ? `${d.contentType} (OCR: ${d.ocrPages.length === 1 ? "page" : "pages"} ${d.ocrPages.join(", ")})` : d.contentType }),
    element("td", { textContent: d.error ? `${d.status}: ${d.error}` : d.status, className: `status-${d.status}` }),
    element("td", { textContent: d.chunkCount }),
    element("td", { textContent: new Date(d.updatedAt).toLocaleString() }),
    element("td", {},
      element("button", { type: "button", className: "show-chunks", textContent: "Chunks", onclick: () => guarded(() => showChunks(name, d.id, d.title)) }),
      " ",
      element("button", { type: "button", className: "delete", textContent: "Delete", onclick: () => guarded(() => remove(name, d.id)) })))));
}

// ---- sources ---------------------------------------------------------------------------------------

/** Where a source reads from, in a few words. */
function sourcePlace(s) {
  const o = s.settings;
  switch (o.kind) {
    case "folder": return o.path;
    case "web": return o.sitemap ?? o.url;
    case "s3": return `${o.serviceUrl ?? "s3"}/${o.bucket}/${o.prefix ?? ""}`;
    default: return `${o.container}/${o.prefix ?? ""}`;
  }
}

/** The collection's sources with their last sync; a source that is syncing is looked at again shortly. */
async function loadSources() {
  const name = $("#collection").value.trim();
  if (!name) return;
  const list = await api("GET", `v1/collections/${encodeURIComponent(name)}/sources`);
  const when = (t) => (t ? new Date(t).toLocaleString() : "—");
  const counts = (r) => (r ? `${r.state}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.deleted} deleted, ${r.failed} failed${r.error ? ` — ${r.error}` : ""}` : "—");
  $("#sources tbody").replaceChildren(...list.sources.map((s) => element("tr", { dataset: { source: s.id } },
    element("td", { textContent: s.id }),
    element("td", { textContent: s.settings.kind }),
    element("td", { textContent: sourcePlace(s) + (s.watching ? " (watched)" : "") }),
    element("td", { textContent: s.state, className: `status-${s.state}` }),
    element("td", { className: "last-sync", textContent: `${when(s.lastSync?.finishedAt)} ${counts(s.lastSync)}` }),
    element("td", { textContent: s.documents }),
    element("td", { textContent: when(s.nextSyncAt) }),
    element("td", {},
      element("button", { type: "button", className: "sync", textContent: "Sync now", onclick: () => guarded(() => syncSource(name, s.id)) }),
      " ",
      element("button", { type: "button", className: "delete", textContent: "Remove", onclick: () => guarded(() => removeSource(name, s.id)) })))));
  $("#source-errors").replaceChildren(...list.sources.flatMap((s) => s.errors.slice(0, 20).map((e) =>
    element("li", { textContent: `${s.id}: ${e.path}: ${e.error}` }))));
  clearTimeout(loadSources.timer);
  if (list.sources.some((s) => s.state === "syncing")) {
    loadSources.timer = setTimeout(() => guarded(async () => { await loadSources(); await loadDocuments(); }), 1000);
  }
}

/** Attaches a source from the form: only the fields of its kind are sent; secrets go once and are never shown again. */
async function addSource(form) {
  const data = new FormData(form);
  const kind = data.get("kind");
  const body = { kind };
  for (const [key, value] of data.entries()) {
    const label = form.querySelector(`[name=${key}]`).closest("label");
    const kinds = label.dataset.kind?.split(" ");
    if (key === "kind" || value === "" || (kinds && !kinds.includes(kind))) continue;
    body[key] = ["maxPages", "intervalMinutes"].includes(key) ? Number(value) : value;
  }
  await api("POST", `v1/collections/${collection()}/sources`, body);
  form.querySelectorAll("input[type=password]").forEach((input) => { input.value = ""; });
  await loadSources(); // a sync that ends before this read schedules no further look: the documents are read here too
  await loadDocuments();
}

async function syncSource(name, id) {
  await api("POST", `v1/collections/${encodeURIComponent(name)}/sources/${encodeURIComponent(id)}/sync`);
  await loadSources();
  await loadDocuments();
}

async function removeSource(name, id) {
  if (!confirm(`Remove the source ${id} from ${name}, with the documents it brought in?`)) return;
  await api("DELETE", `v1/collections/${encodeURIComponent(name)}/sources/${encodeURIComponent(id)}`);
  await loadSources();
  await loadDocuments();
}

function showSourceFields() {
  const kind = $("#source-form [name=kind]").value;
  for (const label of document.querySelectorAll("#source-form label[data-kind]")) label.hidden = !label.dataset.kind.split(" ").includes(kind);
}

/** Shows a document's chunks as the index holds them (section, pages, tokens, text), a page at a time. */
async function showChunks(name, id, title) {
  $("#chunks-panel").hidden = false;
  $("#chunks-title").textContent = `Chunks of ${title || id}`;
  $("#chunks").replaceChildren();
  await moreChunks(name, id, 0);
  $("#chunks-panel").scrollIntoView({ block: "nearest" });
}

async function moreChunks(name, id, offset) {
  const page = await api("GET", `v1/collections/${encodeURIComponent(name)}/documents/${encodeURIComponent(id)}/chunks?offset=${offset}&limit=50`);
  const pages = (c) => (c.page == null ? "" : c.lastPage != null && c.lastPage !== c.page ? `pages ${c.page}–${c.lastPage}` : `page ${c.page}`);
  $("#chunks").append(...page.chunks.map((c) => element("li", { value: c.index + 1, dataset: { chunk: c.index } },
    element("div", { className: "meta", textContent: [c.section ? `§ ${c.section}` : "", pages(c), c.tokenCount == null ? "" : `${c.tokenCount} tokens`].filter((x) => x).join(" · ") }),
    element("p", { className: "text", textContent: c.text }))));
  const shown = $("#chunks").children.length;
  $("#chunks-status").textContent = `${shown} of ${page.total} chunks`;
  const more = $("#more-chunks");
  more.hidden = page.nextOffset == null;
  more.onclick = () => guarded(() => moreChunks(name, id, page.nextOffset));
}

/** Deletes a document of the collection its row was listed from (not whatever the picker says now). */
async function remove(name, id) {
  if (!confirm(`Delete ${id} from ${name}?`)) return;
  await api("DELETE", `v1/collections/${encodeURIComponent(name)}/documents/${encodeURIComponent(id)}`);
  await loadDocuments();
}

// ---- operations ------------------------------------------------------------------------------------

async function loadOperations() {
  const summary = await api("GET", "v1/metrics/summary?window=5m");
  const ms = (value) => (value === null || value === undefined ? "—" : `${value.toFixed(1)} ms`);
  $("#operations tbody").replaceChildren(...Object.entries(summary.operations).map(([name, o]) => element("tr", {},
    element("td", { textContent: name }), element("td", { textContent: o.requests }), element("td", { textContent: o.qps.toFixed(2) }),
    element("td", { textContent: `${(o.errorRate * 100).toFixed(1)} %` }), element("td", { textContent: ms(o.avgLatencyMs) }), element("td", { textContent: ms(o.p95LatencyMs) }))));
  $("#cache").textContent = summary.cacheHitRate === null ? "answer cache: no lookups" : `answer cache hit rate ${(summary.cacheHitRate * 100).toFixed(1)} %`;
  $("#silos tbody").replaceChildren(...summary.silos.map((s) => element("tr", {},
    element("td", { textContent: s.silo }), element("td", { textContent: `${s.cpuPercent.toFixed(0)} %` }),
    element("td", { textContent: `${(s.workingSetBytes / 1048576).toFixed(0)} MiB (${s.memoryPercent.toFixed(1)} %)` }),
    element("td", { textContent: s.embeddingQueueLength }), element("td", { textContent: new Date(s.lastSeen).toLocaleTimeString() }))));
  const alerts = await api("GET", "v1/alerts");
  const firing = alerts.active.filter((a) => a.state === "firing" || a.state === "noData");
  $("#alerts").replaceChildren(...(firing.length === 0
    ? [element("li", { className: "muted", textContent: "none" })]
    : firing.map((a) => element("li", { textContent: `${a.labels.severity ?? ""} ${a.rule} ${Object.entries(a.labels).filter(([k]) => k !== "alertname" && k !== "severity").map(([k, v]) => `${k}=${v}`).join(" ")} — ${a.annotations.summary ?? a.state}` }))));
}

// ---- wiring ----------------------------------------------------------------------------------------

function selectTab(name) {
  for (const tab of document.querySelectorAll("nav [role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const panel of document.querySelectorAll("[role=tabpanel]")) panel.hidden = panel.id !== `tab-${name}`;
  if (name === "documents") guarded(async () => { await loadDocuments(); await loadSources(); });
  if (name === "operations") guarded(loadOperations);
  if (name === "chat") guarded(openChat);
}

/** The chat view: the current conversation's turns, and the list to pick another. */
async function openChat() {
  await loadConversations();
  const current = sessionStorage.getItem(CONVERSATION + collection());
  if (current && $("#chat-log").children.length === 0) {
    try {
      await showConversation(current);
    } catch (error) {
      if (error.status !== 404) throw error;
      sessionStorage.removeItem(CONVERSATION + collection());
    }
  }
}

for (const tab of document.querySelectorAll("nav [role=tab]")) {
  tab.addEventListener("click", () => selectTab(tab.dataset.tab));
}

$("#error-close").addEventListener("click", clearProblem);
$("#key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
  $("#api-key").value = "";
  guarded(async () => { await loadIdentity(); await loadCollections(); });
});
$("#refresh-collections").addEventListener("click", () => guarded(loadCollections));
$("#collection").addEventListener("change", () => {
  if (!$("#tab-documents").hidden) guarded(async () => { await loadDocuments(); await loadSources(); });
  if (!$("#tab-chat").hidden) {
    $("#chat-log").replaceChildren();
    guarded(openChat);
  }
});
$("#ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(() => ask($("#question").value));
});
$("#chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const question = $("#chat-input").value;
  $("#chat-input").value = "";
  guarded(() => sendChat(question));
});
$("#new-conversation").addEventListener("click", () => guarded(newConversation));
$("#conversations").addEventListener("change", (event) => guarded(() => showConversation(event.target.value)));
$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(() => search($("#query").value));
});
$("#refresh-documents").addEventListener("click", () => guarded(loadDocuments));
$("#refresh-sources").addEventListener("click", () => guarded(loadSources));
$("#source-form [name=kind]").addEventListener("change", showSourceFields);
$("#source-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(() => addSource(event.target));
});
showSourceFields();
$("#refresh-operations").addEventListener("click", () => guarded(loadOperations));
$("#files").addEventListener("change", (event) => {
  const files = [...event.target.files];
  event.target.value = "";
  guarded(() => uploadAll(files));
});
const drop = $("#drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const files = [...event.dataTransfer.files];
  guarded(() => uploadAll(files));
});

$("#collection").value = sessionStorage.getItem(COLLECTION) ?? "";
guarded(async () => { await loadIdentity(); await loadCollections(); });
