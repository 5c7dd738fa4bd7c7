// The stage graph webview (an ES module). It loads the wasm build of stagecraft (media/wasm/, the
// URLs are on <body>) and draws the graph itself from the document text the extension posts: no
// server round trip. Clicks on stages go back to the extension, which reveals the FROM line.
// When the wasm build does not load, it says so and asks the extension for the server's SVG.
//
// Messages in:  {type:"document", text, version, target, cursor}  (cursor: UTF-16 offset or null)
//               {type:"cursor", version, offset}
//               {type:"graph", svg, nodes, edges, seq, target, targets, selected}   (server fallback)
//               {type:"select", stage}                                             (server fallback)
//               {type:"error", message}
// Messages out: {type:"ready"}, {type:"wasmFailed", message}, {type:"reveal", stage, line},
//               {type:"target", target}
import { errorMessage, graphModel, missingExports, stageUnder, statusText } from "./graph-model.js";

const vscode = acquireVsCodeApi();
const graph = document.getElementById("graph");
const status = document.getElementById("status");
const select = document.getElementById("target");
const { wasmJs, wasmBin } = document.body.dataset;

/** "loading", then "wasm", or "server" once the wasm build failed to load. */
let renderer = "loading";
/** The wasm package once loaded. */
let sc = null;
let wasmError = null;
/** The latest document from the extension: {text, version, cursor}. */
let doc = null;
/** The target picked in the toolbar (null: the default target); undefined until the extension says. */
let chosen;
let selected = null;

function setStatus(text, state) {
  status.textContent = text;
  document.body.dataset.state = state;
}

/** Parses the SVG and drops anything active in it (the CSP blocks scripts anyway). */
function parseSvg(text) {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = parsed.documentElement;
  if (!svg || svg.nodeName !== "svg" || parsed.querySelector("parsererror")) return null;
  for (const el of svg.querySelectorAll("script, foreignObject")) el.remove();
  for (const el of svg.querySelectorAll("*")) {
    for (const attr of [...el.attributes]) {
      if (/^on/i.test(attr.name) || /^\s*javascript:/i.test(attr.value)) el.removeAttribute(attr.name);
    }
  }
  return document.importNode(svg, true);
}

function stageNodes() {
  return graph.querySelectorAll("g.node.stage[data-stage]");
}

function markSelected(stage) {
  selected = stage;
  for (const node of stageNodes()) {
    node.classList.toggle("selected", stage !== null && Number(node.dataset.stage) === stage);
  }
}

/** The picker: "default target", then `options` ({value, label, title}); selects `target`. */
function fillTargets(options, target) {
  const keep = select.options[0];
  select.replaceChildren(keep);
  for (const o of options) {
    const opt = document.createElement("option");
    opt.value = o.value;
    opt.textContent = o.label;
    if (o.title) opt.title = o.title;
    select.appendChild(opt);
  }
  select.value = target ?? "";
}

/** Puts `svg` (an element) in the page; `by` is who drew it ("wasm", "server", "fallback"). */
function show(svg, by, stages) {
  graph.replaceChildren(svg);
  graph.dataset.renderer = by;
  graph.dataset.stages = String(stages);
  document.body.dataset.renderer = by;
  for (const node of stageNodes()) {
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    const name = node.querySelector("title")?.textContent;
    if (name) node.setAttribute("aria-label", `${name}: go to its FROM line`);
  }
}

// ---------------------------------------------------------------------------------------------
// The wasm path.

async function loadWasm() {
  if (!wasmJs || !wasmBin) throw new Error("the page has no URL for the wasm package");
  let mod;
  try {
    mod = await import(wasmJs);
  } catch (e) {
    throw new Error(`could not load media/wasm/stagecraft_wasm.js: ${errorMessage(e)}`);
  }
  const missing = missingExports(mod);
  if (missing.length > 0) throw new Error(`the wasm package lacks ${missing.join(", ")}`);
  try {
    await mod.default({ module_or_path: wasmBin });
  } catch (e) {
    throw new Error(`could not instantiate media/wasm/stagecraft_wasm_bg.wasm: ${errorMessage(e)}`);
  }
  return mod;
}

function renderWasm() {
  if (!sc || !doc) return;
  let model;
  try {
    model = graphModel(sc, doc.text, chosen ?? null, doc.cursor, doc.options);
  } catch (e) {
    // Keep the last good drawing; say what failed.
    setStatus(`stagecraft (wasm) could not draw this file: ${errorMessage(e)}`, "error");
    return;
  }
  const svg = parseSvg(model.svg);
  if (!svg) {
    setStatus("The wasm build returned no readable SVG.", "error");
    return;
  }
  show(svg, "wasm", model.stages);
  graph.dataset.version = String(doc.version);
  fillTargets(model.targets, model.target);
  setStatus(statusText({ renderer: "wasm", stages: model.stages, target: model.target, dropped: model.dropped }), "ready");
  markSelected(model.selected);
}

loadWasm().then(
  (mod) => {
    sc = mod;
    renderer = "wasm";
    document.body.dataset.wasm = "loaded";
    let version = "";
    try {
      version = typeof mod.version === "function" ? ` ${mod.version()}` : "";
    } catch {
      // an older package
    }
    document.body.dataset.wasmVersion = version.trim();
    if (doc) renderWasm();
    else setStatus(`stagecraft${version} (wasm) loaded; waiting for the document…`, "loading");
  },
  (e) => {
    wasmError = errorMessage(e);
    renderer = "server";
    document.body.dataset.wasm = "failed";
    graph.dataset.renderer = "none";
    setStatus(`The wasm build of stagecraft failed to load (${wasmError}). Asking the language server for the graph instead…`, "error");
    vscode.postMessage({ type: "wasmFailed", message: wasmError });
  },
);

// ---------------------------------------------------------------------------------------------
// The server fallback: the extension sends the server's SVG (or nodes and edges to draw).

const SVG_NS = "http://www.w3.org/2000/svg";

function el(name, attrs, text) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A plain layered drawing from `nodes` and `edges`, for a server that sends no SVG: one row per
 * dependency depth, top down (it fits a side panel), with the server SVG's classes and data
 * attributes.
 */
function fallbackSvg(nodes, edges) {
  const byStage = new Map(nodes.filter((n) => n.kind === "stage").map((n) => [n.stage, n]));
  const sources = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    const user = byStage.get(e.stage);
    if (user) sources.get(user.id).push(e.source);
  }
  const depth = new Map();
  const depthOf = (id, seen = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...sources.get(id).map((s) => depthOf(s, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const rows = [];
  for (const n of nodes) (rows[depthOf(n.id)] ??= []).push(n);
  const W = 180, H = 40, GX = 24, GY = 44, PAD = 12;
  const perRow = Math.max(1, ...rows.map((r) => r.length));
  const width = PAD * 2 + perRow * (W + GX) - GX;
  const height = PAD * 2 + rows.length * (H + GY) - GY;
  const pos = new Map();
  rows.forEach((row, y) => {
    const offset = ((perRow - row.length) * (W + GX)) / 2; // centre short rows
    row.forEach((n, x) => pos.set(n.id, { x: PAD + offset + x * (W + GX), y: PAD + y * (H + GY) }));
  });
  const svg = el("svg", { class: "stagecraft-graph fallback", xmlns: SVG_NS, viewBox: `0 0 ${width} ${height}`, width, height });
  const defs = el("defs", {});
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.appendChild(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#666" }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  for (const e of edges) {
    const user = byStage.get(e.stage);
    const a = pos.get(e.source), b = user && pos.get(user.id);
    if (!a || !b) continue;
    const g = el("g", { class: `edge edge-${e.kind}`, "data-source-node": e.source, "data-stage": e.stage });
    g.appendChild(el("path", { d: `M ${a.x + W / 2} ${a.y + H} C ${a.x + W / 2} ${a.y + H + GY / 2}, ${b.x + W / 2} ${b.y - GY / 2}, ${b.x + W / 2} ${b.y}`, fill: "none", stroke: "#666", "stroke-dasharray": e.kind === "from" ? "" : "4 3", "marker-end": "url(#arrow)" }));
    svg.appendChild(g);
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const attrs = { class: `node ${n.kind}` };
    if (n.kind === "stage") Object.assign(attrs, { "data-stage": n.stage, "data-line": n.line + 1 });
    if (n.kind === "image") attrs["data-image"] = n.label;
    const g = el("g", attrs);
    g.appendChild(el("rect", { x: p.x, y: p.y, width: W, height: H, rx: n.kind === "stage" ? 6 : 18, fill: n.kind === "stage" ? "#e8f0fe" : "#f3f3f3", stroke: "#445" }));
    g.appendChild(el("title", {}, n.label));
    g.appendChild(el("text", { x: p.x + 10, y: p.y + H / 2 + 4, "font-family": "sans-serif", "font-size": 13, fill: "#222" }, n.label.length > 24 ? n.label.slice(0, 23) + "…" : n.label));
    svg.appendChild(g);
  }
  return svg;
}

function renderServer(m) {
  const fromServer = typeof m.svg === "string" && m.svg.trim() !== "";
  const svg = fromServer ? parseSvg(m.svg) : fallbackSvg(m.nodes || [], m.edges || []);
  if (!svg) {
    setStatus(`The server sent no readable SVG${wasmError ? ` (and the wasm build failed to load: ${wasmError})` : ""}.`, "error");
    return;
  }
  const by = fromServer ? "server" : "fallback";
  const n = svg.querySelectorAll("g.node.stage[data-stage]").length;
  show(svg, by, n);
  fillTargets((m.targets || []).map((t) => ({ value: t.name, label: t.isDefault ? `${t.name} (default)` : t.name, title: t.description || "" })), m.target);
  setStatus(statusText({ renderer: by, stages: n, target: m.target, wasmError }), wasmError ? "fallback" : "ready");
  document.body.dataset.seq = String(m.seq);
  markSelected(m.selected ?? selected);
}

// ---------------------------------------------------------------------------------------------
// Events.

function reveal(node) {
  const stage = node.dataset.stage !== undefined ? Number(node.dataset.stage) : null;
  const line = node.dataset.line !== undefined ? Number(node.dataset.line) : null;
  markSelected(stage);
  vscode.postMessage({ type: "reveal", stage, line });
}

graph.addEventListener("click", (e) => {
  const node = e.target instanceof Element ? e.target.closest("g.node.stage") : null;
  if (node) reveal(node);
});
graph.addEventListener("keydown", (e) => {
  if (e.key !== "Enter" && e.key !== " ") return;
  const node = e.target instanceof Element ? e.target.closest("g.node.stage") : null;
  if (node) {
    e.preventDefault();
    reveal(node);
  }
});
select.addEventListener("change", () => {
  chosen = select.value === "" ? null : select.value;
  vscode.postMessage({ type: "target", target: chosen });
  // The wasm path redraws here; the server path waits for the extension's new graph.
  if (renderer === "wasm") renderWasm();
});

window.addEventListener("message", (e) => {
  const m = e.data;
  switch (m?.type) {
    case "document":
      doc = { text: m.text, version: m.version, cursor: m.cursor ?? null, options: m.options ?? null };
      // The extension's target only restores the page's own choice after a reload.
      if (chosen === undefined) chosen = m.target ?? null;
      if (renderer === "wasm") renderWasm();
      break;
    case "cursor":
      if (!doc || m.version !== doc.version) break; // the next "document" brings it
      doc.cursor = m.offset;
      if (renderer === "wasm") {
        try {
          markSelected(stageUnder(sc, doc.text, m.offset));
        } catch {
          // keep the highlight
        }
      }
      break;
    case "graph":
      if (renderer !== "wasm") renderServer(m);
      break;
    case "select":
      if (renderer !== "wasm") markSelected(m.stage);
      break;
    case "error":
      setStatus(wasmError ? `${m.message} (the wasm build failed to load: ${wasmError})` : m.message, "error");
      break;
  }
});

setStatus("Loading the wasm build of stagecraft…", "loading");
vscode.postMessage({ type: "ready" });
