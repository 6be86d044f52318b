// tend's web dashboard: the list over SSE, the selected app's facts,
// charts (from the daemon's history), logs and events, and its buttons.
// No framework: the DOM, fetch and EventSource.
"use strict";

const csrf = document.querySelector('meta[name="csrf"]').content;
let selected = null;      // an instance ID, "web:0"
let instances = [];
let logAbort = null;

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
function human(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 172800) return Math.floor(s / 3600) + "h";
  return Math.floor(s / 86400) + "d";
}
function appOf(id) { return id.slice(0, id.lastIndexOf(":")); }

function drawList() {
  const body = $("#apps tbody");
  body.replaceChildren();
  let online = 0;
  for (const i of instances) {
    if (i.status === "online") online++;
    const tr = el("tr", { "data-id": i.id });
    if (i.id === selected) tr.classList.add("selected");
    const status = i.waiting_for ? "waiting" : i.status;
    tr.append(el("td", {}, i.id), el("td", { class: "s-" + status }, i.waiting_for || i.status),
      el("td", { class: "num" }, i.pid ? String(i.pid) : "-"), el("td", { class: "num" }, i.pid ? human(i.uptime_ms) : "-"),
      el("td", { class: "num" }, String(i.restarts)), el("td", { class: "num" }, i.pid ? i.cpu.toFixed(1) + "%" : "-"),
      el("td", { class: "num" }, i.pid ? mb(i.memory_bytes) : "-"),
      el("td", {}, i.status === "online" ? (i.not_ready ? "no" : "yes") : "-"), el("td", {}, i.reason || ""));
    tr.addEventListener("click", () => select(i.id));
    body.append(tr);
  }
  let queued = 0, pools = new Set();
  for (const i of instances) if (i.pool && !pools.has(i.name)) { pools.add(i.name); queued += i.pool.queued + i.pool.in_flight; }
  $("#summary").textContent = `${instances.length} instances, ${online} online` + (pools.size ? `; ${queued} tasks queued or running in ${pools.size} pools` : "");
  if (selected) drawFacts();
}

function drawFacts() {
  const i = instances.find((x) => x.id === selected);
  if (!i) return;
  $("#detail-title").textContent = i.id;
  const dl = $("#facts");
  dl.replaceChildren();
  const row = (k, v) => { if (v) dl.append(el("dt", {}, k), el("dd", { "data-fact": k }, v)); };
  row("status", i.status + (i.reason ? " (" + i.reason + ")" : ""));
  row("pid", i.pid ? String(i.pid) : "");
  if (i.tree) {
    row("tree", `${i.tree.processes} processes, ${i.tree.threads} threads, ${i.tree.open_fds} open fds`);
    row("memory", `${mb(i.tree.rss_bytes)}, peak ${mb(i.tree.peak_rss_bytes)}`);
    row("cpu", `${i.tree.cpu_percent.toFixed(1)}% now; ${i.tree.cpu_user_seconds.toFixed(2)}s user, ${i.tree.cpu_system_seconds.toFixed(2)}s system`);
  }
  row("restarts", String(i.restarts));
  if (i.last_exit) row("last exit", (i.last_exit.signal ? "killed by " + i.last_exit.signal : "exit code " + i.last_exit.code) + " at " + new Date(i.last_exit.time).toLocaleTimeString());
  row("restart decision", i.decision);
  row("waiting for", i.waiting_for);
  if (i.pool) {
    const p = i.pool;
    row("task queue", `${p.queued} queued (of ${p.queue_max}), ${p.in_flight} in flight on ${p.workers} workers`);
    row("tasks", `${p.done} done, ${p.failed} failed${p.lost ? ", " + p.lost + " lost" : ""}; ${p.throughput.toFixed(1)}/s; p50 ${(p.latency_p50 * 1000).toFixed(1)} ms, p99 ${(p.latency_p99 * 1000).toFixed(1)} ms`);
  }
}

function chart(svg, values) {
  svg.replaceChildren();
  // From the first second measured: a young instance fills the chart.
  const first = values.findIndex((v) => v !== null);
  if (first > 0) values = values.slice(first);
  const pts = values.map((v, k) => [k, v]).filter(([, v]) => v !== null);
  if (pts.length === 0) return;
  const top = Math.max(1e-9, ...pts.map(([, v]) => v)) * 1.1;
  const n = Math.max(1, values.length - 1);
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", pts.map(([k, v]) => `${(k / n) * 600},${118 - (v / top) * 112}`).join(" "));
  svg.append(line);
}

async function drawCharts() {
  if (!selected) return;
  const r = await fetch("/v1/history?" + new URLSearchParams({ app: appOf(selected), seconds: "600" }));
  if (!r.ok) return;
  const h = (await r.json()).find((x) => `${x.app}:${x.instance}` === selected);
  if (!h) return;
  chart($("#chart-cpu"), h.cpu_percent);
  chart($("#chart-mem"), h.rss_bytes);
}

async function followLogs(id) {
  if (logAbort) logAbort.abort();
  logAbort = new AbortController();
  const pre = $("#logs");
  pre.textContent = "";
  try {
    const r = await fetch("/v1/logs?" + new URLSearchParams({ app: id, follow: "1", lines: "50" }), { signal: logAbort.signal });
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += dec.decode(value, { stream: true });
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (!line) continue;
        const l = JSON.parse(line);
        pre.append(`${l.stream} | ${l.line}\n`);
        while (pre.childNodes.length > 500) pre.firstChild.remove();
        pre.scrollTop = pre.scrollHeight;
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") pre.append(`(logs: ${e})\n`);
  }
}

async function drawEvents() {
  if (!selected) return;
  const r = await fetch("/v1/events?" + new URLSearchParams({ app: appOf(selected), lines: "20" }));
  if (!r.ok) return;
  const lines = (await r.text()).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  $("#events").textContent = lines.map((e) => `${new Date(e.time).toLocaleTimeString()} ${e.app}:${e.instance} ${e.from ? e.from + " → " + e.to : ""} ${e.reason || ""}`).join("\n");
}

function select(id) {
  selected = id;
  location.hash = encodeURIComponent(id);
  $("#detail").hidden = false;
  drawList();
  drawCharts();
  drawEvents();
  followLogs(id);
}

async function act(action) {
  if (!selected) return;
  const target = action === "reload" ? appOf(selected) : selected;
  $("#action-result").textContent = `${action} ${target}…`;
  const r = await fetch(`/v1/apps/${encodeURIComponent(target)}/${action}`, {
    method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: "{}",
  });
  const text = r.ok ? "done" : (await r.json().catch(() => ({ message: r.statusText }))).message;
  $("#action-result").textContent = `${action} ${target}: ${text}`;
}

for (const b of document.querySelectorAll("button[data-action]")) b.addEventListener("click", () => act(b.dataset.action));

const live = new EventSource("/ui/stream");
live.addEventListener("list", (m) => {
  instances = JSON.parse(m.data);
  $("#live").textContent = "live";
  $("#live").classList.add("on");
  drawList();
});
live.addEventListener("event", () => drawEvents());
live.onerror = () => { $("#live").textContent = "reconnecting…"; $("#live").classList.remove("on"); };
setInterval(drawCharts, 5000);
if (location.hash.length > 1) {
  const id = decodeURIComponent(location.hash.slice(1));
  live.addEventListener("list", function once() { live.removeEventListener("list", once); select(id); });
}
