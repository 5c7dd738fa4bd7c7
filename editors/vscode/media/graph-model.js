// The graph webview's logic that needs neither the DOM nor VS Code: what to draw for a document,
// with the stagecraft wasm package passed in. media/graph.js uses it in the webview; the unit
// tests (test/unit/graph-model.test.ts) run it in Node against the real wasm package.

/** What media/graph.js needs from the wasm package (docs/interfaces.md, section 1). */
export const REQUIRED_EXPORTS = ["default", "analyze", "renderSvg", "stageAt"];

/** The text of anything thrown: wasm may throw an Error or a bare string. */
export function errorMessage(e) {
  if (e && typeof e === "object" && typeof e.message === "string") return e.message;
  return String(e);
}

/**
 * A loading error without the resource URLs a webview loads from: they are long and say
 * nothing the message does not (it names the file). Used for what the status line shows.
 */
export function withoutUrls(message) {
  return message.replace(/:?\s*[a-z][\w+.-]*:\/\/\S+/gi, "").trim();
}

/** The exports `mod` lacks, by name ([] when it has all of them). */
export function missingExports(mod) {
  return REQUIRED_EXPORTS.filter((name) => !mod || typeof mod[name] !== "function");
}

/** `1 stage`, `2 stages`. */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The target picker's options from `analyze()`: the named targets in file order, the default one
 * marked. (The first option of the picker, "default target", is the page's own.)
 * @returns {{value: string, label: string, title: string}[]}
 */
export function targetOptions(analysis) {
  const options = [];
  for (const t of analysis.targets ?? []) {
    if (t.name === null || t.name === undefined) continue;
    const built = t.builds ?? t.plan?.stages?.length;
    const parts = [];
    if (t.description) parts.push(t.description);
    if (built !== undefined) parts.push(`builds ${plural(built, "stage")}`);
    options.push({ value: t.name, label: t.isDefault ? `${t.name} (default)` : t.name, title: parts.join(" · ") });
  }
  return options;
}

/**
 * The target to draw: `chosen` while the file still has a target of that name (or `#N` names a
 * stage), else null (the default target), e.g. after the stage was renamed or deleted.
 */
export function effectiveTarget(chosen, analysis) {
  if (chosen === null || chosen === undefined || chosen === "") return null;
  const index = /^#(\d+)$/.exec(chosen);
  if (index) return Number(index[1]) < (analysis.stages ?? []).length ? chosen : null;
  return (analysis.targets ?? []).some((t) => t.name === chosen) ? chosen : null;
}

/**
 * The targets in play (`stagecraft.targets`) that name a stage of the file analysed (without
 * targets) in `analysis`: a stage name (ignoring case, as `--target` matches them), `#N` for a
 * stage index, or "" (the default target). The wasm build fails on any other, as BuildKit's
 * `--target` does; the server leaves them out, and so does the graph.
 */
export function targetsInFile(targets, analysis) {
  const stages = analysis.stages ?? [];
  return (targets ?? []).filter((t) => {
    if (t === "") return true;
    const index = /^#(\d+)$/.exec(t);
    if (index) return Number(index[1]) < stages.length;
    const lower = t.toLowerCase();
    return stages.some((s) => typeof s.name === "string" && s.name.toLowerCase() === lower);
  });
}

/**
 * `sc.analyze(text, opts)`; a platform the wasm build cannot read is left out, as the server
 * leaves it out (it draws for linux/amd64 and says why in `platformError`).
 */
function analyzeWith(sc, text, opts) {
  try {
    return { analysis: sc.analyze(text, opts), opts, platformError: null };
  } catch (e) {
    const message = errorMessage(e);
    if (!opts || opts.platform === undefined || !message.startsWith("platform")) throw e;
    const rest = { ...opts };
    delete rest.platform;
    return { analysis: sc.analyze(text, rest), opts: rest, platformError: message };
  }
}

/** The stage under `offset` (UTF-16, like the wasm API), or null; null offsets give null. */
export function stageUnder(sc, text, offset) {
  if (offset === null || offset === undefined || offset < 0) return null;
  const stage = sc.stageAt(text, offset);
  return stage === null || stage === undefined ? null : stage;
}

/**
 * Everything the webview draws for `text`, computed by the wasm package `sc`: the analysis, the
 * SVG for the target (`chosen` when the file still has it), the picker's options and the stage
 * under `cursor`. `options` are the server's `{buildArgs, targets, platform?}` settings. Throws what the
 * package throws.
 */
export function graphModel(sc, text, chosen, cursor, options) {
  let result;
  // Targets in play the file lacks (a stage renamed or deleted since the setting was written)
  // are left out, as the server leaves them out: the wasm build would fail on them.
  let ignoredTargets = [];
  try {
    result = analyzeWith(sc, text, options ?? undefined);
  } catch (e) {
    const targets = Array.isArray(options?.targets) ? options.targets : [];
    if (targets.length === 0) throw e;
    const bare = analyzeWith(sc, text, { ...options, targets: [] });
    const kept = targetsInFile(targets, bare.analysis);
    if (kept.length === targets.length) throw e; // something else failed
    ignoredTargets = targets.filter((t) => !kept.includes(t));
    result = kept.length === 0 ? bare : analyzeWith(sc, text, { ...options, targets: kept });
  }
  const { analysis, opts, platformError } = result;
  const target = effectiveTarget(chosen, analysis);
  // The target picked is the build's, as `stagecraft graph --target` and the web pages draw it:
  // what it does not use is marked unused, and never the target itself.
  const svg = sc.renderSvg(text, target, target === null ? opts : { ...(opts ?? {}), target });
  return {
    analysis,
    svg,
    target,
    /** The chosen target the file no longer has, to say why the default is drawn. */
    dropped: chosen && target === null ? chosen : null,
    targets: targetOptions(analysis),
    stages: analysis.stages.length,
    selected: stageUnder(sc, text, cursor),
    platformError,
    /** The targets in play (stagecraft.targets) that name no stage of the file, left out. */
    ignoredTargets,
  };
}

/**
 * Who draws in the webview: "server" when the wasm build failed to load or the extension asks for
 * the server's graph (`wanted`, e.g. named build contexts are set, which the wasm build does not
 * read), "wasm" once the wasm build loaded, else "loading".
 * @param {"wasm" | "server"} wanted  what the extension asked for
 * @param {"loading" | "loaded" | "failed"} wasm  the wasm build's state
 * @returns {"loading" | "wasm" | "server"}
 */
export function effectiveRenderer(wanted, wasm) {
  if (wasm === "failed" || wanted === "server") return "server";
  return wasm === "loaded" ? "wasm" : "loading";
}

/** Why the server draws (the extension's reason), for the status line; null when it says nothing. */
export function serverReasonText(reason) {
  if (reason === "namedContexts") return "named build contexts are set (stagecraft.namedContexts)";
  if (reason === "localPlatform") return "the target platform is this machine's (stagecraft.platform: local)";
  return null;
}

/**
 * The status line of a drawing: how many stages, who drew it (and why the server, `reason` being
 * the extension's: "namedContexts", "localPlatform"), what to do, what went wrong.
 * @param {{renderer: "wasm" | "server", stages: number, target?: string | null,
 *          dropped?: string | null, wasmError?: string | null, reason?: string | null,
 *          ignoredTargets?: string[]}} p
 */
export function statusText({ renderer, stages, target = null, dropped = null, wasmError = null, reason = null, ignoredTargets = [] }) {
  const parts = [plural(stages, "stage")];
  if (target) parts.push(`target ${target}`);
  const why = renderer === "wasm" ? null : serverReasonText(reason);
  parts.push(renderer === "wasm" ? "rendered by the wasm build" : `rendered by the language server${why ? `: ${why}` : ""}`);
  parts.push("click a stage to go to its FROM");
  let s = parts.join(" · ");
  if (dropped) s += ` · no target "${dropped}" any more: showing the default target`;
  if (ignoredTargets && ignoredTargets.length > 0) {
    s += ` · stagecraft.targets: no stage ${ignoredTargets.map((t) => `"${t}"`).join(", ")} in this file, left out`;
  }
  // The fallback says first why it is one.
  if (wasmError && renderer !== "wasm") s = `The wasm build failed to load (${wasmError}); the language server drew this graph instead. ${s}`;
  return s;
}

/** The zoom's bounds and step (each button press or wheel notch multiplies or divides by it). */
export const ZOOM_MIN = 0.05;
export const ZOOM_MAX = 4;
export const ZOOM_STEP = 1.25;

/**
 * The zoom after `steps` steps in (positive) or out (negative) from `scale`, within the bounds.
 * A step that crosses 100% stops there, so the actual size is always one press away.
 */
export function zoomBy(scale, steps) {
  let next = scale * Math.pow(ZOOM_STEP, steps);
  if ((scale < 1 && next > 1) || (scale > 1 && next < 1)) next = 1;
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, Math.round(next * 1000) / 1000));
}

/**
 * The zoom after a Ctrl+wheel event (or a trackpad pinch, which sends many small ones) of
 * `deltaY` pixels: continuous, so that a small pinch zooms a little (100 px, a mouse notch, is
 * about 28%). Like a step, it stops at 100% when it crosses it, and stays within the bounds.
 */
export function zoomByWheel(scale, deltaY) {
  let next = scale * Math.exp(-deltaY / 300);
  if ((scale < 1 && next > 1) || (scale > 1 && next < 1)) next = 1;
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, Math.round(next * 1000) / 1000));
}

/** The scale that fits a `natural` width into `available` (no larger than 100%): the default view. */
export function fitScale(natural, available) {
  if (!(natural > 0) || !(available > 0)) return 1;
  return Math.min(1, available / natural);
}

/**
 * Where to scroll so that the point under the pointer (`pointer`: its offset in the viewport,
 * `scroll`: the scroll offset) stays under it when the scale changes from `from` to `to`.
 */
export function scrollForZoom(scroll, pointer, from, to) {
  return Math.max(0, ((scroll + pointer) / from) * to - pointer);
}
