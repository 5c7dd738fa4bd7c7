// The stage graph webview (an ES module). It loads the wasm build of stagecraft (media/wasm/, the
// URLs are on <body>) and draws the graph itself from the document text the extension posts: no
// server round trip. Clicks on stages go back to the extension, which reveals the FROM line.
// When the wasm build does not load, it says so and asks the extension for the server's SVG. The
// extension also has the server draw while named build contexts are set (the wasm build has
// none): it says who draws with {type:"renderer"}.
//
// Messages in:  {type:"renderer", renderer: "wasm"|"server", reason}  (reason: "namedContexts",
//                                                                      "localPlatform", "wasmFailed" or null)
//               {type:"document", text, version, target, cursor}  (cursor: UTF-16 offset or null)
//               {type:"cursor", version, offset}
//               {type:"graph", svg, seq, target, dropped, targets, selected}      (server renderer;
//                                                  dropped: the chosen target the file lacks, or null)
//               {type:"select", stage}                                             (server renderer)
//               {type:"error", message}
// Messages out: {type:"ready"}, {type:"wasmFailed", message}, {type:"reveal", stage, line},
//               {type:"target", target}
// The page keeps {uri, target, zoom} with setState: VS Code gives it back to the extension's
// serializer, which brings the panel back after a window reload, and to the page itself.
// Zoom: the toolbar's buttons, Ctrl+wheel, and + - 0 1 with the graph focused; the graph scrolls
// (wheel, arrow keys) and pans by dragging its background.
// The red edges' tooltips (web/shared/graph-edges.js, which build.sh copies here): without the
// file the graph still draws, without them.
const { explainForwardEdges } = await import("./graph-edges.js").catch(() => ({ explainForwardEdges: () => {} }));
import {
  effectiveRenderer,
  errorMessage,
  fitScale,
  graphModel,
  missingExports,
  scrollForZoom,
  serverReasonText,
  stageUnder,
  statusText,
  withoutUrls,
  zoomBy,
  zoomByWheel,
} from "./graph-model.js";

const vscode = acquireVsCodeApi();
const graph = document.getElementById("graph");
const status = document.getElementById("status");
const select = document.getElementById("target");
const { wasmJs, wasmBin } = document.body.dataset;

/** The wasm build: "loading", "loaded" or "failed". */
let wasmState = "loading";
/** Who the extension wants to draw ("wasm" or "server"), and why the server (its reason). */
let wanted = "wasm";
let serverReason = null;
/** Who draws: "loading", then "wasm", or "server" (the wasm build failed, or `wanted`). */
let renderer = "loading";
/** The wasm package once loaded. */
let sc = null;
let wasmError = null;
/** The latest document from the extension: {text, version, cursor}. */
let doc = null;
/** The target picked in the toolbar (null: the default target); undefined until the extension says. */
let chosen;
let selected = null;
const saved = vscode.getState() ?? {};
/** The Dockerfile's URI (from the extension), kept in the state for restoring the panel. */
let docUri = typeof saved.uri === "string" ? saved.uri : null;
/** The zoom: null to fit the panel's width (at most 100%), else the scale. */
let zoom = typeof saved.zoom === "number" && saved.zoom > 0 ? saved.zoom : null;
const zoomLevel = document.getElementById("zoom-level");
/** A live region: the zoom level, said after a zoom action (not after a resize's new fit). */
const zoomSaid = document.getElementById("zoom-said");

function saveState() {
  vscode.setState({ uri: docUri, target: chosen ?? null, zoom });
}

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

/** Puts `svg` (an element) in the page; `by` is who drew it ("wasm" or "server"). */
function show(svg, by, stages) {
  graph.replaceChildren(svg);
  applyZoom();
  graph.dataset.renderer = by;
  graph.dataset.stages = String(stages);
  document.body.dataset.renderer = by;
  // A red edge's tooltip says why it is red, as the explorer's does.
  explainForwardEdges(svg);
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
    throw new Error(`could not load media/wasm/stagecraft_wasm.js: ${withoutUrls(errorMessage(e))}`);
  }
  const missing = missingExports(mod);
  if (missing.length > 0) throw new Error(`the wasm package lacks ${missing.join(", ")}`);
  try {
    await mod.default({ module_or_path: wasmBin });
  } catch (e) {
    throw new Error(`could not instantiate media/wasm/stagecraft_wasm_bg.wasm: ${withoutUrls(errorMessage(e))}`);
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
  const drawn = statusText({ renderer: "wasm", stages: model.stages, target: model.target, dropped: model.dropped, ignoredTargets: model.ignoredTargets });
  if (model.platformError) setStatus(`${drawn} · stagecraft.platform is left out (${model.platformError})`, "fallback");
  else setStatus(drawn, "ready");
  markSelected(model.selected);
}

loadWasm().then(
  (mod) => {
    sc = mod;
    wasmState = "loaded";
    renderer = effectiveRenderer(wanted, wasmState);
    document.body.dataset.wasm = "loaded";
    let version = "";
    try {
      version = typeof mod.version === "function" ? ` ${mod.version()}` : "";
    } catch {
      // an older package
    }
    document.body.dataset.wasmVersion = version.trim();
    if (renderer !== "wasm") return; // the server draws; the wasm build waits for its turn
    if (doc) renderWasm();
    else setStatus(`stagecraft${version} (wasm) loaded; waiting for the document…`, "loading");
  },
  (e) => {
    wasmError = errorMessage(e);
    wasmState = "failed";
    renderer = effectiveRenderer(wanted, wasmState);
    document.body.dataset.wasm = "failed";
    // A graph the server drew already stays (the next one says that the wasm build failed).
    if (graph.dataset.renderer !== "server") {
      graph.dataset.renderer = "none";
      setStatus(`The wasm build of stagecraft failed to load (${wasmError}). Asking the language server for the graph instead…`, "error");
    }
    vscode.postMessage({ type: "wasmFailed", message: wasmError });
  },
);

// ---------------------------------------------------------------------------------------------
// The server renderer (the wasm build failed, or named build contexts are set): the extension
// sends the server's SVG.

function renderServer(m) {
  const svg = typeof m.svg === "string" ? parseSvg(m.svg) : null;
  if (!svg) {
    setStatus(`The server sent no readable SVG${wasmError ? ` (and the wasm build failed to load: ${wasmError})` : ""}.`, "error");
    return;
  }
  const n = svg.querySelectorAll("g.node.stage[data-stage]").length;
  show(svg, "server", n);
  fillTargets((m.targets || []).map((t) => ({ value: t.name, label: t.isDefault ? `${t.name} (default)` : t.name, title: t.description || "" })), m.target);
  setStatus(
    statusText({ renderer: "server", stages: n, target: m.target, dropped: m.dropped ?? null, wasmError, reason: serverReason }),
    wasmError ? "fallback" : "ready",
  );
  document.body.dataset.seq = String(m.seq);
  markSelected(m.selected ?? selected);
}

// ---------------------------------------------------------------------------------------------
// Zoom and pan.

/** The drawing's own size (its viewBox, else its width and height). */
function naturalSize(svg) {
  const vb = svg.viewBox?.baseVal;
  if (vb && vb.width > 0 && vb.height > 0) return { width: vb.width, height: vb.height };
  return { width: Number(svg.getAttribute("width")) || 0, height: Number(svg.getAttribute("height")) || 0 };
}

/** The scale the drawing is shown at now. */
function currentScale() {
  const svg = graph.querySelector(":scope > svg");
  if (!svg) return 1;
  return zoom ?? fitScale(naturalSize(svg).width, graph.clientWidth);
}

function applyZoom() {
  const svg = graph.querySelector(":scope > svg");
  graph.dataset.zoom = zoom === null ? "fit" : String(zoom);
  if (svg) {
    const { width, height } = naturalSize(svg);
    if (zoom === null || !(width > 0)) {
      svg.style.removeProperty("width");
      svg.style.removeProperty("height");
      svg.style.removeProperty("max-width");
    } else {
      svg.style.maxWidth = "none";
      svg.style.width = `${width * zoom}px`;
      svg.style.height = `${height * zoom}px`;
    }
  }
  const pct = `${Math.round(currentScale() * 100)}%`;
  zoomLevel.textContent = zoom === null ? `Fit (${pct})` : pct;
}

/**
 * Sets the zoom (null: fit), keeping the point at `at` ({x, y} in the graph's viewport; its
 * centre by default) where it is.
 */
function setZoom(next, at) {
  const from = currentScale();
  const x = at?.x ?? graph.clientWidth / 2;
  const y = at?.y ?? graph.clientHeight / 2;
  const left = graph.scrollLeft;
  const top = graph.scrollTop;
  zoom = next;
  applyZoom();
  const to = currentScale();
  graph.scrollLeft = scrollForZoom(left, x, from, to);
  graph.scrollTop = scrollForZoom(top, y, from, to);
  saveState();
  sayZoom();
}

let sayTimer = 0;
/** Says the zoom level once the zooming pauses (a pinch is many wheel events). */
function sayZoom() {
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => {
    if (zoomSaid) zoomSaid.textContent = `Zoom ${zoomLevel.textContent}`;
  }, 300);
}

document.getElementById("zoom-in").addEventListener("click", () => setZoom(zoomBy(currentScale(), 1)));
document.getElementById("zoom-out").addEventListener("click", () => setZoom(zoomBy(currentScale(), -1)));
document.getElementById("zoom-fit").addEventListener("click", () => setZoom(null));
document.getElementById("zoom-actual").addEventListener("click", () => setZoom(1));

graph.addEventListener(
  "wheel",
  (e) => {
    // A plain wheel scrolls; Ctrl (or Cmd, or a pinch) zooms around the pointer.
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    e.stopPropagation();
    const box = graph.getBoundingClientRect();
    // In pixels (a wheel that counts lines or pages: about 40 px a line, a panel's height a page).
    const dy = e.deltaY * (e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? graph.clientHeight : 1);
    const scale = currentScale();
    const next = zoomByWheel(scale, dy);
    if (next !== scale) setZoom(next, { x: e.clientX - box.left, y: e.clientY - box.top });
  },
  { passive: false },
);

// Dragging the background pans (a press on a stage is a click on it).
let drag = null;
graph.addEventListener("pointerdown", (e) => {
  if (e.button !== 0 || (e.target instanceof Element && e.target.closest("g.node.stage"))) return;
  drag = { x: e.clientX, y: e.clientY, left: graph.scrollLeft, top: graph.scrollTop, id: e.pointerId, moved: false };
  // Captured from the start: the moves come here even when the pointer leaves the graph (or the
  // webview's frame).
  try {
    graph.setPointerCapture(e.pointerId);
  } catch {
    // (a pointer no longer active)
  }
});
graph.addEventListener("pointermove", (e) => {
  if (!drag || e.pointerId !== drag.id) return;
  const dx = e.clientX - drag.x;
  const dy = e.clientY - drag.y;
  if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
  if (!drag.moved) {
    drag.moved = true;
    graph.classList.add("panning");
  }
  graph.scrollLeft = drag.left - dx;
  graph.scrollTop = drag.top - dy;
});
const endDrag = (e) => {
  if (!drag || e.pointerId !== drag.id) return;
  if (graph.hasPointerCapture(e.pointerId)) graph.releasePointerCapture(e.pointerId);
  graph.classList.remove("panning");
  drag = null;
};
graph.addEventListener("pointerup", endDrag);
graph.addEventListener("pointercancel", endDrag);

// The fit follows the panel's width.
new ResizeObserver(() => {
  if (zoom === null) applyZoom();
}).observe(graph);

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
  if (!e.ctrlKey && !e.metaKey && !e.altKey) {
    const zoomKey = { "+": 1, "=": 1, "-": -1, _: -1 }[e.key];
    if (zoomKey !== undefined || e.key === "0" || e.key === "1") {
      e.preventDefault();
      if (zoomKey !== undefined) setZoom(zoomBy(currentScale(), zoomKey));
      else setZoom(e.key === "0" ? null : 1);
      return;
    }
  }
  if (e.key !== "Enter" && e.key !== " ") return;
  const node = e.target instanceof Element ? e.target.closest("g.node.stage") : null;
  if (node) {
    e.preventDefault();
    reveal(node);
  }
});
select.addEventListener("change", () => {
  chosen = select.value === "" ? null : select.value;
  saveState();
  vscode.postMessage({ type: "target", target: chosen });
  // The wasm path redraws here; the server path waits for the extension's new graph.
  if (renderer === "wasm") renderWasm();
});

window.addEventListener("message", (e) => {
  const m = e.data;
  switch (m?.type) {
    case "renderer": {
      wanted = m.renderer === "server" ? "server" : "wasm";
      serverReason = m.reason ?? null;
      if (typeof m.uri === "string" && m.uri !== docUri) {
        docUri = m.uri;
        saveState();
      }
      document.body.dataset.serverReason = serverReason ?? "";
      const before = renderer;
      renderer = effectiveRenderer(wanted, wasmState);
      if (renderer === "server" && before !== "server") {
        const why = serverReasonText(serverReason);
        if (why) setStatus(`${why[0].toUpperCase()}${why.slice(1)}: asking the language server for the graph…`, "loading");
      }
      // Back to wasm: the extension's "document" follows and redraws.
      break;
    }
    case "document":
      doc = { text: m.text, version: m.version, cursor: m.cursor ?? null, options: m.options ?? null };
      // The extension's target only restores the page's own choice after a reload.
      if (chosen === undefined) {
        chosen = m.target ?? null;
        saveState();
      }
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

applyZoom();
setStatus("Loading the wasm build of stagecraft…", "loading");
vscode.postMessage({ type: "ready" });
