// Plain helpers with no `vscode` import, so the unit tests run them in Node.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { GraphNode, ServerSettings, TargetInfo } from "./protocol";

/** Where the server binary was looked for, and what was found. */
export interface ServerLookup {
  path: string | null;
  tried: string[];
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the `stagecraft` binary: the configured path (`~` expanded, relative paths taken from
 * `baseDir`), else `stagecraft` on PATH, else `$CARGO_HOME/bin/stagecraft` (`~/.cargo/bin` when
 * `CARGO_HOME` is unset or empty: where `cargo install` puts it, often not on the PATH an editor
 * was started with).
 */
export function findServer(
  configured: string,
  baseDir: string | undefined,
  envPath: string | undefined = process.env.PATH,
  home: string = os.homedir(),
  cargoHome: string | undefined = process.env.CARGO_HOME,
): ServerLookup {
  const exe = process.platform === "win32" ? "stagecraft.exe" : "stagecraft";
  const tried: string[] = [];
  const setting = configured.trim();
  if (setting !== "") {
    let p = setting.startsWith("~/") ? path.join(home, setting.slice(2)) : setting;
    if (!path.isAbsolute(p) && baseDir) p = path.resolve(baseDir, p);
    tried.push(p);
    return { path: isExecutableFile(p) ? p : null, tried };
  }
  // Each place once: a PATH often names a folder twice, or the cargo folder it falls back to.
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const p = path.join(dir, exe);
    if (tried.includes(p)) continue;
    tried.push(p);
    if (isExecutableFile(p)) return { path: p, tried };
  }
  const cargo = path.join(cargoHome ? path.resolve(cargoHome) : path.join(home, ".cargo"), "bin", exe);
  if (tried.includes(cargo)) return { path: null, tried };
  tried.push(cargo);
  return { path: isExecutableFile(cargo) ? cargo : null, tried };
}

/**
 * What `workspace.getConfiguration("stagecraft").inspect("serverPath")` says, the parts read here.
 */
export interface ServerPathInspection {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Where a settings button should take the user for `stagecraft.serverPath`. */
export type SettingsTab = "user" | "remote" | "workspace";

/**
 * The settings tab where `stagecraft.serverPath` is (or can be) set in this window. In a remote
 * window (code-server, Codespaces, Remote-SSH, WSL, dev containers: `remoteName` set) VS Code
 * reads this machine-overridable setting from the remote ("Machine") settings and the workspace
 * settings, and ignores it in the User settings: the User tab cannot set it there.
 */
export function serverPathSettingsTab(remoteName: string | undefined, inspected: ServerPathInspection | undefined): SettingsTab {
  const set = (v: unknown) => typeof v === "string" && v.trim() !== "";
  if (set(inspected?.workspaceFolderValue) || set(inspected?.workspaceValue)) return "workspace";
  return remoteName ? "remote" : "user";
}

/**
 * The message shown when the binary is missing: what was tried and how to install it. In a
 * remote window (`remoteName`) with no `stagecraft.serverPath` in effect, also that VS Code
 * ignores the setting in the User settings there, and where to set it instead; `userValue` is
 * the User settings' value when VS Code lets the extension see it.
 */
export function missingServerMessage(
  configured: string,
  lookup: ServerLookup,
  remote?: { name: string; userValue?: unknown },
): string {
  const where =
    configured.trim() !== ""
      ? `"stagecraft.serverPath" is "${configured}", and ${lookup.tried[0]} is not an executable file`
      : `\`stagecraft\` is not on PATH nor in ${path.dirname(lookup.tried[lookup.tried.length - 1] ?? "~/.cargo/bin/stagecraft")}`;
  const found = `stagecraft: the language server binary was not found (${where}). `;
  const install = "Install it from a stagecraft checkout with `cargo install --path crates/cli`";
  if (remote && configured.trim() === "") {
    const user =
      typeof remote.userValue === "string" && remote.userValue.trim() !== ""
        ? `Your User setting "stagecraft.serverPath" ("${remote.userValue}") is ignored`
        : 'A "stagecraft.serverPath" in the User settings is ignored';
    return (
      found +
      `${user} in this remote window (${remote.name}): VS Code reads that machine-scoped setting ` +
      "from the Remote settings and the workspace settings only. Set it there to the binary on the " +
      `remote machine, or ${install.charAt(0).toLowerCase()}${install.slice(1)} on that machine.`
    );
  }
  return found + install + ', or set "stagecraft.serverPath" to the binary.';
}

export const INSTALL_COMMAND = "cargo install --path crates/cli";

/**
 * Whether a path or URI names an ignore file (`Dockerfile.dockerignore`, `.dockerignore`): the one
 * BuildKit reads beside a Dockerfile of the same name, not a Dockerfile, though VS Code's
 * `Dockerfile.*` pattern takes `Dockerfile.dockerignore` for one. The server never gets these.
 */
export function isDockerignore(pathOrUri: string): boolean {
  return /\.dockerignore$/i.test(pathOrUri.replace(/[?#].*$/, ""));
}

/** Whether the params of a message to the server are about an ignore file (`isDockerignore`). */
export function aboutDockerignore(params: unknown): boolean {
  if (!params || typeof params !== "object") return false;
  const doc = (params as { textDocument?: { uri?: unknown } }).textDocument;
  return typeof doc?.uri === "string" && isDockerignore(doc.uri);
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return "'" + word.replace(/'/g, "'\\''") + "'";
}

/** Orders strings by their UTF-8 bytes, as Lua's `table.sort` does in the Neovim plugin. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * `docker build [--target NAME] [--platform P] [--build-arg K=V ...] [--build-context NAME=VALUE ...] -f FILE .`,
 * the build args and the named contexts each sorted by name (as Neovim's command: the same
 * whatever order the settings object has). A named context without a value (given by its name
 * alone, for the analysis) has nothing to pass and is left out. An unnamed default target has
 * no name to pass, and docker builds the last stage without `--target`.
 */
export function dockerBuildCommand(
  target: Pick<TargetInfo, "name">,
  file: string,
  buildArgs: Record<string, string> = {},
  context = ".",
  namedContexts: Record<string, string> = {},
  platform = "",
): string {
  const words = ["docker", "build"];
  if (target.name) words.push("--target", target.name);
  if (platform !== "") words.push("--platform", platform);
  for (const k of Object.keys(buildArgs).sort(byBytes)) words.push("--build-arg", `${k}=${buildArgs[k]}`);
  for (const k of Object.keys(namedContexts).sort(byBytes)) {
    if (k !== "" && namedContexts[k] !== "") words.push("--build-context", `${k}=${namedContexts[k]}`);
  }
  words.push("-f", file, context);
  return words.map(shellQuote).join(" ");
}

/**
 * The `-f` path and the build context of `docker build` run in `cwd` for the Dockerfile at
 * `dockerfile` (absolute paths), both relative to `cwd` (`.` for `cwd` itself). The context is the
 * one `stagecraft.buildContext` names (`configured`: absolute, or relative to the Dockerfile's
 * folder, as the server reads it for `CopyIgnoredFile`), else the Dockerfile's folder, where the
 * server reads `.dockerignore` then.
 */
export function dockerBuildPaths(cwd: string, dockerfile: string, configured = ""): { file: string; context: string } {
  const dir = path.dirname(dockerfile);
  const file = path.relative(cwd, dockerfile) || path.basename(dockerfile);
  const context = path.relative(cwd, configured === "" ? dir : path.resolve(dir, configured)) || ".";
  return { file, context };
}

/**
 * A target's label: its stage name, or `stage-N` for a stage without an `AS` name (how the
 * server, the CLI, the Neovim plugin and the web explorer show it; `N` is the stage's index).
 */
export function targetLabel(t: Pick<TargetInfo, "name" | "stage">): string {
  return t.name || `stage-${t.stage}`;
}

/**
 * The short line beside the label: whether it is the default, that it has no name (so
 * `docker build` builds it without `--target`), and the stage's description comment.
 */
export function targetDescription(t: TargetInfo): string {
  const parts: string[] = [];
  if (t.isDefault) parts.push("default target");
  if (!t.name) parts.push(t.isDefault ? "no AS name: built without --target" : "no AS name");
  if (t.description) parts.push(t.description);
  return parts.join(" · ");
}

/**
 * The target picker's prompt. A code lens passes its stage; one that is no target (an unnamed
 * stage before the last, or a stage whose name a later stage takes) opens the whole list, which
 * says why.
 */
export function pickPlaceholder(stageIndex: unknown, targets: readonly Pick<TargetInfo, "stage">[]): string {
  const ask = "Pick the stage to build (docker build --target)";
  if (typeof stageIndex !== "number" || targets.some((t) => t.stage === stageIndex)) return ask;
  return `Stage #${stageIndex} is not a build target (--target cannot name it). ${ask}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What the target builds: BuildKit's plan in waves, its images, and what the legacy builder adds;
 * first, where its build fails when the server knows it does.
 */
export function targetDetail(t: TargetInfo): string {
  if (!t.fails) return targetPlan(t);
  const at = t.fails.line === null ? "" : ` on line ${t.fails.line + 1}`;
  return `build fails${at}: ${t.fails.message} · ${targetPlan(t)}`;
}

function targetPlan(t: TargetInfo): string {
  const bk = t.buildkit;
  if (bk === undefined || t.legacy === undefined) {
    // A document too big for the lists: the counts.
    let s = `builds ${plural(t.builds, "stage", "stages")}`;
    // (No `legacyFails` without the lists: the server reads it where it gives them.)
    if (t.legacyBuilds > t.builds) s += ` · the legacy builder builds ${t.legacyBuilds}`;
    return s;
  }
  // (A server before `inCycle` sends the stages on or after a cycle as a last wave.)
  const inCycle = bk.inCycle ?? [];
  const waves = bk.waves.length > 0 || inCycle.length > 0 ? bk.waves : [bk.stages];
  let plan = waves.map((w) => (w.length > 1 ? `{${w.join(", ")}}` : w.join(""))).join(" → ");
  if (inCycle.length > 0) plan += `${plan ? " · " : ""}in no wave, on or after a cycle of references: ${inCycle.join(", ")}`;
  let s = `builds ${plural(bk.stages.length, "stage", "stages")}: ${plan}`;
  if (bk.images.length > 0) s += ` · images: ${bk.images.join(", ")}`;
  // (A server before named contexts sends none.)
  if (bk.contexts && bk.contexts.length > 0) s += ` · named contexts: ${bk.contexts.join(", ")}`;
  // What a replaced stage's steps use: dispatched (its failures fail the build), not built.
  if (bk.dispatchedNotBuilt && bk.dispatchedNotBuilt.length > 0) s += ` · dispatched, not built: ${bk.dispatchedNotBuilt.join(", ")}`;
  const extra = t.legacy.filter((name) => !bk.stages.includes(name));
  if (t.legacyFails) s += legacyFails(t.legacyFails);
  else if (extra.length > 0) s += ` · the legacy builder also builds ${extra.join(", ")}`;
  return s;
}

/** Where the legacy builder (DOCKER_BUILDKIT=0) fails of its own accord, as `plan --legacy` says. */
function legacyFails(f: { message: string; line: number }): string {
  return ` · the legacy builder fails on line ${f.line + 1}: ${f.message}`;
}

/**
 * The server's options from the extension's settings. VS Code only warns about values of the
 * wrong type, and the graph's wasm refuses them, so they are normalised here as the server reads
 * them: a number or boolean where a string belongs is its text, a lone string is a one-item
 * list, anything else of the wrong type is left out (the other entries stay).
 */
export function serverSettings(get: <T>(key: string, dflt: T) => T): ServerSettings {
  const text = (v: unknown): string | undefined =>
    typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? JSON.stringify(v) : undefined;
  const map = (v: unknown): Record<string, string> => {
    const out: Record<string, string> = {};
    if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) {
        const t = text(x);
        if (t !== undefined) out[k] = t;
      }
    }
    return out;
  };
  // Named contexts: by name, or names alone (a list, or one name), each with no value ("").
  const contexts = (v: unknown): Record<string, string> => {
    if (!Array.isArray(v) && typeof v !== "string") return map(v);
    const out: Record<string, string> = {};
    for (const name of (Array.isArray(v) ? v : [v]).map(text)) if (name !== undefined) out[name] = "";
    return out;
  };
  const targets = get<unknown>("targets", []);
  const list = Array.isArray(targets) ? targets : typeof targets === "string" ? [targets] : [];
  const severities: ServerSettings["severities"] = {};
  for (const [code, level] of Object.entries(map(get<unknown>("severities", {})))) {
    const l = level.toLowerCase();
    if (l === "error" || l === "warning" || l === "info" || l === "hint") severities[code] = l;
  }
  return {
    targets: list.map(text).filter((t): t is string => t !== undefined),
    buildArgs: map(get<unknown>("buildArgs", {})),
    severities,
    buildContext: text(get<unknown>("buildContext", "")) ?? "",
    namedContexts: contexts(get<unknown>("namedContexts", {})),
    platform: (text(get<unknown>("platform", "")) ?? "").trim(),
  };
}

/**
 * The 0-based line to reveal for a clicked stage node. The graph's `nodes` give the FROM line
 * (0-based, like every line in the LSP extensions); the SVG's `data-line` is 1-based (the wasm
 * convention). Each candidate is checked against the text, so a mismatch in either convention
 * still lands on the FROM.
 */
export function fromLineForNode(
  lines: readonly string[],
  stage: number | null,
  dataLine: number | null,
  nodes: readonly GraphNode[],
): number | null {
  const candidates: number[] = [];
  const node = stage === null ? undefined : nodes.find((n) => n.kind === "stage" && n.stage === stage);
  if (node && node.line !== null) candidates.push(node.line);
  if (dataLine !== null) candidates.push(dataLine - 1, dataLine);
  for (const c of candidates) {
    if (c >= 0 && c < lines.length && /^\s*from\b/i.test(lines[c])) return c;
  }
  const first = candidates.find((c) => c >= 0 && c < lines.length);
  return first ?? null;
}

/** Why the graph panel is drawn by the server rather than by the webview's wasm build. */
export type ServerReason = "namedContexts" | "localPlatform" | "wasmFailed";

/** Who draws the graph panel, and why when it is the server. */
export interface GraphRendererChoice {
  renderer: "wasm" | "server";
  reason: ServerReason | null;
}

/**
 * Who draws the graph panel. The wasm build has no named build contexts, so while
 * `stagecraft.namedContexts` names one (an empty name is no name: the server skips it too) the
 * server's `stagecraft/stageGraph` draws it, as the server's hovers and diagnostics read them.
 * The same while `stagecraft.platform` is `local` (in any case): the machine's platform, which
 * the server knows and a webview cannot tell. Also when the wasm build failed to load in the
 * webview. Else the wasm build.
 */
export function graphRenderer(
  namedContexts: Readonly<Record<string, string>>,
  wasmFailed: boolean,
  platform = "",
): GraphRendererChoice {
  if (Object.keys(namedContexts).some((name) => name !== "")) return { renderer: "server", reason: "namedContexts" };
  if (platform.trim().toLowerCase() === "local") return { renderer: "server", reason: "localPlatform" };
  if (wasmFailed) return { renderer: "server", reason: "wasmFailed" };
  return { renderer: "wasm", reason: null };
}

/** The stage whose FROM is the last at or above `line` (0-based), from the graph's nodes. */
export function stageAtLine(line: number, nodes: readonly GraphNode[]): number | null {
  let best: GraphNode | null = null;
  for (const n of nodes) {
    if (n.kind !== "stage" || n.stage === null || n.line === null) continue;
    if (n.line <= line && (best === null || n.line! > best.line!)) best = n;
  }
  return best ? best.stage : null;
}

/** Runs `fn` once calls have stopped for `ms`. */
export function debounce<A extends unknown[]>(ms: number, fn: (...args: A) => void): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wrapped = (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
  wrapped.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return wrapped;
}

/** Escapes text for an HTML attribute value or element content. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** What the graph page is made of: the webview's resource URLs, its CSP source, a fresh nonce. */
export interface GraphPageParts {
  cspSource: string;
  nonce: string;
  css: string;
  /** media/graph-theme.css (web/shared's): the graph's colours on dark themes. */
  theme: string;
  /** media/graph.js, an ES module (it imports media/graph-model.js and media/graph-edges.js next to it). */
  js: string;
  /** media/wasm/stagecraft_wasm.js, the wasm-bindgen `--target web` module. */
  wasmJs: string;
  /** media/wasm/stagecraft_wasm_bg.wasm, which the page fetches. */
  wasmBin: string;
}

/**
 * The Content-Security-Policy of the graph page. Scripts: the page's module by nonce, the modules
 * it imports from the extension (cspSource), and compiling WebAssembly ('wasm-unsafe-eval', not
 * 'unsafe-eval'); connect-src lets it fetch the .wasm. The SVG carries its own <style>, hence
 * 'unsafe-inline' for styles.
 */
export function graphCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}' ${cspSource} 'wasm-unsafe-eval'`,
    `connect-src ${cspSource}`,
  ].join("; ");
}

/** The graph webview's HTML; media/graph.js finds the wasm package's URLs on <body>. */
export function graphHtml(p: GraphPageParts): string {
  const a = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${a(graphCsp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${a(p.theme)}">
<link rel="stylesheet" href="${a(p.css)}">
<title>Stage graph</title>
</head>
<body data-wasm-js="${a(p.wasmJs)}" data-wasm-bin="${a(p.wasmBin)}">
<header>
  <label>Target <select id="target"><option value="">default target</option></select></label>
  <span class="zoom" role="group" aria-label="Zoom">
    <button type="button" id="zoom-out" title="Zoom out (-, or Ctrl+wheel)" aria-label="Zoom out">−</button>
    <span id="zoom-level">Fit</span>
    <button type="button" id="zoom-in" title="Zoom in (+, or Ctrl+wheel)" aria-label="Zoom in">+</button>
    <button type="button" id="zoom-fit" title="Fit the graph to the panel's width (0)">Fit</button>
    <button type="button" id="zoom-actual" title="Actual size (1)">100%</button>
  </span>
  <span id="status" role="status">Loading…</span>
  <span id="zoom-said" class="visually-hidden" aria-live="polite"></span>
</header>
<main id="graph" tabindex="0" aria-label="Stage graph: arrow keys scroll, + and - zoom, 0 fits, 1 is the actual size; drag to pan"></main>
<script type="module" nonce="${a(p.nonce)}" src="${a(p.js)}"></script>
</body>
</html>`;
}

/** The language server's state, as the language status item shows it. */
export type ServerStatus =
  | { state: "starting"; path: string | null }
  | { state: "running"; version: string | null; path: string }
  | { state: "stopped"; why: string };

/** The language status item's text and detail for a server state. */
export function serverStatusText(s: ServerStatus): { text: string; detail: string; error: boolean; busy: boolean } {
  switch (s.state) {
    case "starting":
      return { text: "stagecraft: starting", detail: s.path ? `${s.path} lsp` : "looking for the server", error: false, busy: true };
    case "running":
      return { text: s.version ? `stagecraft ${s.version}` : "stagecraft: running", detail: `${s.path} lsp`, error: false, busy: false };
    case "stopped":
      return { text: "stagecraft: not running", detail: s.why.replace(/^stagecraft: /, ""), error: true, busy: false };
  }
}

/**
 * The targets in play (`stagecraft.targets`), as the language status item shows them; `missing`:
 * those the active file lacks (`targetsMissingFrom`), which the server leaves out for it.
 */
export function targetsStatusText(targets: readonly string[], missing: readonly string[] = []): { text: string; detail: string; warning: boolean } {
  if (targets.length === 0) return { text: "target: default", detail: "the last stage (stagecraft.targets is empty)", warning: false };
  const text = `${targets.length === 1 ? "target" : "targets"}: ${targets.join(", ")}`;
  if (missing.length > 0) {
    const names = missing.map((t) => `"${t}"`).join(", ");
    return { text, detail: `this file has no stage ${names}: left out for it (stagecraft.targets)`, warning: true };
  }
  return { text, detail: "stagecraft.targets: a stage none of them builds is unused", warning: false };
}

/**
 * The targets in play that the file (its `stagecraft/targets` answer) lacks: a name no target of
 * it has (ignoring case, as `--target` matches), `#N` past its last stage. "" (the default
 * target) is never missing.
 */
export function targetsMissingFrom(targets: readonly string[], file: { defaultTarget: number | null; targets: readonly Pick<TargetInfo, "name">[] }): string[] {
  const names = new Set(file.targets.flatMap((t) => (t.name === null ? [] : [t.name.toLowerCase()])));
  return targets.filter((t) => {
    if (t === "") return false;
    const index = /^#(\d+)$/.exec(t);
    if (index) return file.defaultTarget === null || Number(index[1]) > file.defaultTarget;
    return !names.has(t.toLowerCase());
  });
}
