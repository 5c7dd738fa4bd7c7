#!/usr/bin/env node
// Browser tests of the explorer and the docs embed, in Debian's Chromium through playwright-core.
// Serves web/dist itself on 127.0.0.1, runs each scenario in a fresh page, saves screenshots and
// downloads under artifacts/web/, prints a summary and exits non-zero if a scenario failed.
//
//   node web/tests/run.mjs                  against the real wasm in web/dist/pkg
//   node web/tests/run.mjs --serve [PORT]   only serve (same MIME types)
//   ONLY=rename node web/tests/run.mjs      scenarios whose name contains "rename"
//
// Expectations come from two places on purpose: facts about examples/multistage.Dockerfile that
// any correct analysis gives (what `--target test` builds), and the module's own analyze() output
// for what the page must show (every diagnostic listed, every target's plan dimmed right).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.dirname(WEB);
const DIST = path.join(WEB, 'dist');
const ARTIFACTS = path.join(REPO, 'artifacts', 'web');
const EXAMPLE = fs.readFileSync(path.join(REPO, 'examples', 'multistage.Dockerfile'), 'utf8');
const GEN_BIG = process.env.STAGECRAFT_SHARED
  ? path.join(process.env.STAGECRAFT_SHARED, 'bench', 'gen_big.py')
  : path.join(REPO, '..', 'shared', 'bench', 'gen_big.py');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// ---------------------------------------------------------------------------------------------
// Static server

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json', '.map': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

function serve(port = 0) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.join(DIST, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(DIST)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(data);
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

// ---------------------------------------------------------------------------------------------
// Page helpers

/** The example's stages by name, and what any correct analysis says about them. */
const E = { base: 0, build: 1, test: 2, docs: 3, certs: 4, release: 5 };
const names = (idx) => idx.map((i) => Object.keys(E).find((k) => E[k] === i));

async function openExplorer(page, base) {
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-state]');
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready', `explorer did not load the module: ${await page.textContent('#load-error')}`);
  await page.waitForSelector('#graph svg.stagecraft-graph');
}

/** analyze() of `text`, by the very module the page loaded. */
function analyzeInPage(page, text) {
  return page.evaluate(async (t) => (await import('/pkg/stagecraft_wasm.js')).analyze(t), text);
}

const editorText = (page) => page.evaluate(() => window.stagecraftExplorer.text());
const editorSelection = (page) => page.evaluate(() => window.stagecraftExplorer.selection());

/** Stage nodes of the first graph under `scope`: index -> {classes, text}. */
function stageNodes(page, scope = '#graph') {
  return page.locator(scope).first().locator('svg.stagecraft-graph g.node.stage').evaluateAll((gs) => gs.map((g) => ({
    stage: Number(g.getAttribute('data-stage')), classes: [...g.classList], text: g.textContent,
  })));
}

const withClass = (nodes, cls) => nodes.filter((n) => n.classes.includes(cls)).map((n) => n.stage).sort((a, b) => a - b);
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const complement = (n, xs) => Array.from({ length: n }, (_, i) => i).filter((i) => !xs.includes(i));

/** Waits until the page's graph satisfies `check(nodes)`. */
async function waitForGraph(page, check, what, scope = '#graph') {
  const deadline = Date.now() + 5000;
  let nodes;
  while (Date.now() < deadline) {
    nodes = await stageNodes(page, scope);
    if (check(nodes)) return nodes;
    await page.waitForTimeout(50);
  }
  assert.fail(`graph never showed ${what}; last nodes: ${JSON.stringify(nodes?.map((n) => n.text))}`);
}

function shot(page, name, opts = {}) {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), ...opts });
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const scenarios = [];
const scenario = (name, fn, opts = {}) => scenarios.push({ name, fn, ...opts });

/** Selects the editor's whole text and pastes `text` over it, as a user's Ctrl+A, Ctrl+V does. */
async function pasteOverAll(page, text) {
  await page.click('.cm-content');
  await page.keyboard.press('Control+a');
  await page.evaluate((t) => {
    const data = new DataTransfer();
    data.setData('text/plain', t);
    document.querySelector('.cm-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

scenario('explorer renders the example', async ({ page, base }) => {
  await openExplorer(page, base);
  assert.equal(await editorText(page), EXAMPLE, 'the example is preloaded in the editor');
  const a = await analyzeInPage(page, EXAMPLE);
  assert.deepEqual(a.stages.map((s) => s.displayName), Object.keys(E));
  const nodes = await stageNodes(page);
  assert.deepEqual(nodes.map((n) => n.stage).sort(), [0, 1, 2, 3, 4, 5]);
  for (const n of nodes) assert.ok(n.text.includes(a.stages[n.stage].displayName), `node ${n.stage} shows its name`);
  // Default target release: BuildKit skips test and docs.
  assert.deepEqual(withClass(nodes, 'dimmed'), [E.test, E.docs]);
  assert.deepEqual(withClass(nodes, 'default-target'), [E.release]);
  const options = await page.$$eval('#target option', (os) => os.map((o) => o.textContent));
  assert.deepEqual(options, a.targets.map((t) => (t.isDefault ? `${a.stages[t.stage].displayName} (default)` : a.stages[t.stage].displayName)));
  assert.ok(options.includes('release (default)'));
  // Every diagnostic is listed, with its line.
  const problems = await page.$$eval('#problems li.problem', (lis) => lis.map((li) => li.querySelector('.loc').textContent + ' ' + li.querySelector('.msg').textContent));
  assert.equal(problems.length, a.diagnostics.length);
  a.diagnostics.forEach((d, i) => assert.ok(problems[i].startsWith(`line ${d.line}:${d.column} `) && problems[i].includes(d.message), `problem ${i}: ${problems[i]}`));
  // Both unused stages are reported at their FROM lines (24 and 30).
  for (const [stage, line] of [['test', 24], ['docs', 30]]) {
    assert.ok(problems.some((p) => p.startsWith(`line ${line}:`) && p.includes(stage)), `unused stage ${stage} reported at line ${line}`);
  }
  assert.match(await page.textContent('#plan'), /BuildKit builds 4 stages/);
  assert.match(await page.textContent('#plan'), /Legacy builder would build 6 stages/);
  // The browser build does not know where the legacy builder fails of its own accord: it says so.
  assert.match(await page.textContent('#plan'), / \(if the legacy builder does not fail first: the browser does not check that; stagecraft plan --legacy does\)/);
  // No error in the example: no errors row.
  assert.doesNotMatch(await page.textContent('#plan'), /The file has errors/);
  await shot(page, 'explorer-example');
});

scenario('graph and problems follow edits', async ({ page, base }) => {
  await openExplorer(page, base);
  await page.click('.cm-content');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\nFROM alpine:3.20 AS smoke\nCOPY --from=build /out/server /server\nCOPY --from=biuld /x /y\n');
  const nodes = await waitForGraph(page, (ns) => ns.length === 7, 'a seventh stage');
  assert.ok(nodes.find((n) => n.stage === 6).text.includes('smoke'));
  // The new last stage is the default target: it builds base, build and smoke only.
  assert.deepEqual(withClass(nodes, 'default-target'), [6]);
  assert.deepEqual(withClass(nodes, 'dimmed'), [E.test, E.docs, E.certs, E.release]);
  assert.equal(await page.$eval('#target option[value=""]', (o) => o.textContent), 'smoke (default)');
  // The misspelt stage name is a problem on its line.
  const text = await editorText(page);
  const typoLine = text.slice(0, text.indexOf('--from=biuld')).split('\n').length;
  const a = await analyzeInPage(page, text);
  assert.ok(a.diagnostics.some((d) => d.line === typoLine), `the analysis reports line ${typoLine}`);
  const locs = await page.$$eval('#problems .loc', (bs) => bs.map((b) => b.textContent));
  assert.equal(locs.length, a.diagnostics.length);
  assert.ok(locs.some((l) => l.startsWith(`line ${typoLine}:`)), `problems list line ${typoLine}: ${locs}`);
  assert.match(await page.textContent('#summary'), /7 stages/);
  await shot(page, 'explorer-edited');
});

scenario('the plan says when the file has errors', async ({ page, base }) => {
  await openExplorer(page, base);
  // A forward --from (line 2) and an unknown flag (line 4): the first is said, and how many more.
  await pasteOverAll(page, 'FROM alpine\nCOPY --from=later /a /b\nFROM alpine AS later\nRUN --nope true\n');
  await page.waitForFunction(() => /The file has errors/.test(document.getElementById('plan').textContent));
  const plan = await page.textContent('#plan');
  assert.match(plan, /The file has errorsline 2: [^\n]*later[^\n]*\(and 1 more error: see Problems\)/);
});

scenario('target picker dims what the target does not build', async ({ page, base }) => {
  await openExplorer(page, base);
  const a = await analyzeInPage(page, EXAMPLE);
  const planOf = (stage) => a.targets.find((t) => t.stage === stage).plan;
  // What any correct analysis says about --target test.
  assert.deepEqual(sorted(planOf(E.test).stages), [E.base, E.test]);
  assert.deepEqual(sorted(planOf(E.test).legacyStages), [E.base, E.build, E.test]);
  assert.deepEqual(sorted(planOf(E.release).stages), [E.base, E.build, E.certs, E.release]);

  await page.selectOption('#target', 'test');
  let nodes = await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.test), 'test as the target');
  assert.deepEqual(withClass(nodes, 'dimmed'), [E.build, E.docs, E.certs, E.release]);
  assert.deepEqual(withClass(nodes, 'in-plan'), [E.base, E.test]);
  assert.deepEqual(withClass(nodes, 'legacy-only'), [E.build]);
  const plan = await page.textContent('#plan');
  assert.match(plan, /BuildKit builds 2 stages/);
  assert.match(plan, /Legacy builder would build 3 stages\s*base, build, test · BuildKit skips build \(if the legacy builder does not fail first/);
  await shot(page, 'explorer-target-test');

  // Every target: exactly the stages outside its BuildKit plan are dimmed.
  for (const t of a.targets) {
    await page.selectOption('#target', t.isDefault ? '' : t.name);
    nodes = await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(t.stage), `${t.name} as the target`);
    assert.deepEqual(withClass(nodes, 'dimmed'), complement(a.stages.length, t.plan.stages), `dimmed for --target ${t.name}`);
    assert.deepEqual(withClass(nodes, 'legacy-only'), sorted(t.plan.legacyStages.filter((s) => !t.plan.stages.includes(s))), `legacy-only for --target ${t.name}`);
  }
  assert.deepEqual(names(withClass(nodes, 'dimmed')), ['test', 'docs'], 'back on the default target');
});

scenario('clicking a node selects its FROM line; the cursor highlights its node', async ({ page, base }) => {
  await openExplorer(page, base);
  const a = await analyzeInPage(page, EXAMPLE);
  const certs = a.stages[E.certs];
  await page.click(`#graph g.node.stage[data-stage="${E.certs}"]`);
  let sel = await editorSelection(page);
  assert.equal(sel.line, 36, 'the FROM of certs is line 36');
  assert.equal(sel.line, certs.line);
  assert.deepEqual([sel.from, sel.to], [certs.from, certs.to]);
  assert.match(EXAMPLE.slice(sel.from, sel.to), /^FROM alpine:\$\{ALPINE_VERSION\} AS certs/);
  assert.ok(await page.evaluate(() => document.activeElement.closest('.cm-editor') !== null), 'the editor has focus');
  assert.match(await page.textContent('#cursor'), /^Ln 36, Col 1 \(\d+ selected\)/);
  await page.waitForSelector(`#graph g.node.stage.selected[data-stage="${E.certs}"]`);

  // Keyboard: the graph is one tab stop; arrows move between stages, Enter selects.
  await page.focus(`#graph g.node.stage[data-stage="${E.base}"]`);
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-stage')), String(E.build));
  // The focused node's border is another thing than any status's: thick, black and solid.
  const ring = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement.querySelector('rect'));
    return [style.stroke, style.strokeWidth, style.strokeDasharray];
  });
  assert.deepEqual(ring, ['rgb(0, 0, 0)', '4.5px', 'none']);
  await page.keyboard.press('Enter');
  sel = await editorSelection(page);
  assert.equal(sel.line, a.stages[E.build].line);

  // Moving the cursor into the test stage's RUN highlights the test node, and only it.
  await page.click('.cm-line:has-text("go test ./...")');
  const nodes = await waitForGraph(page, (ns) => withClass(ns, 'selected').join() === String(E.test), 'test selected');
  assert.deepEqual(withClass(nodes, 'selected'), [E.test]);
  await shot(page, 'explorer-selected');
});

scenario('keyboard: every control is named and Tab is never trapped', async ({ page, base }) => {
  await openExplorer(page, base);
  const aria = await page.locator('body').ariaSnapshot();
  fs.writeFileSync(path.join(ARTIFACTS, 'explorer.aria.yml'), aria);
  const unnamed = aria.split('\n').filter((l) => /^\s*- (button|combobox|textbox|link|checkbox)( \[[^\]]*\])?:?\s*$/.test(l));
  assert.deepEqual(unnamed, [], 'controls without an accessible name');
  // From the top, Tab goes through the editor and on to the graph (one stop) and the problems.
  const stops = [];
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    stops.push(await page.evaluate(() => {
      const el = document.activeElement;
      if (el.closest('.cm-editor')) return 'editor';
      if (el.matches('g.node.stage')) return `node:${el.getAttribute('data-stage')}`;
      return el.id || el.className || el.tagName;
    }));
  }
  const editor = stops.indexOf('editor');
  const node = stops.findIndex((x) => x.startsWith('node:'));
  assert.ok(editor >= 0 && node > editor, `Tab order: ${stops.join(' ')}`);
  assert.equal(stops.filter((x) => x === 'editor').length <= 2, true, 'Tab leaves the editor');
  assert.equal(new Set(stops.filter((x) => x.startsWith('node:'))).size, 1, 'the graph is a single tab stop');
  assert.ok(stops.slice(node).includes('loc'), 'the problems come after the graph');
});

scenario('rename a stage from the page', async ({ page, base }) => {
  await openExplorer(page, base);
  const oldRefs = await page.evaluate(async (t) => {
    const sc = await import('/pkg/stagecraft_wasm.js');
    return sc.references(t, t.indexOf('--from=build') + 7);
  }, EXAMPLE);
  assert.ok(oldRefs.length >= 2, 'build: at least its definition and the COPY --from in release');

  // F2 on the build stage fills the form with its name.
  await page.click(`#graph g.node.stage[data-stage="${E.build}"]`);
  await page.keyboard.press('F2');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'rename-to');
  assert.equal(await page.inputValue('#rename-to'), 'build');
  assert.equal(await page.$eval('#rename-stage', (s) => s.selectedOptions[0].textContent), 'build');

  // A refused rename says why and changes nothing.
  await page.fill('#rename-to', 'certs');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('rename-error').textContent.trim() !== '');
  assert.equal(await editorText(page), EXAMPLE);

  await page.fill('#rename-to', 'compile');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.stagecraftExplorer.text().includes('AS compile'));
  const text = await editorText(page);
  assert.match(text, /^FROM base AS compile$/m);
  assert.match(text, /^COPY --from=compile \/out\/server \/server$/m);
  assert.doesNotMatch(text, /AS build\b|--from=build\b/);
  const newRefs = await page.evaluate(async (t) => {
    const sc = await import('/pkg/stagecraft_wasm.js');
    return sc.references(t, t.indexOf('AS compile') + 3).map((r) => t.slice(r.from, r.to));
  }, text);
  assert.equal(newRefs.length, oldRefs.length, 'as many references as before');
  assert.ok(newRefs.every((r) => r === 'compile'), `every reference carries the new name: ${newRefs}`);
  const nodes = await waitForGraph(page, (ns) => ns.some((n) => n.text.includes('compile')), 'a compile node');
  assert.ok(!nodes.some((n) => /^build/.test(n.text)), 'no node is called build any more');
  assert.equal(await page.$eval('#rename-error', (e) => e.textContent), '');
  await shot(page, 'explorer-renamed');

  // One undo step restores the original text.
  await page.keyboard.press('Control+z');
  assert.equal(await editorText(page), EXAMPLE);
  await waitForGraph(page, (ns) => ns.some((n) => n.text.includes('build')), 'build again');

  // A name written in capitals is offered as written (the lists show BuildKit's name, in lower
  // case): Enter on it changes nothing.
  await page.click(`#graph g.node.stage[data-stage="${E.build}"]`);
  const at = EXAMPLE.indexOf('AS build') + 3;
  await page.evaluate((at) => window.stagecraftExplorer.edit(at, at + 1, 'B'), at);
  await page.keyboard.press('F2');
  assert.equal(await page.inputValue('#rename-to'), 'Build');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+z');
  assert.equal(await editorText(page), EXAMPLE);

  // The chosen target follows a rename of its stage, and its undo and redo.
  await page.selectOption('#target', 'build');
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.build), 'build as the target');
  await page.selectOption('#rename-stage', String(E.build));
  await page.fill('#rename-to', 'compile');
  await page.click('#rename-submit');
  await page.waitForFunction(() => window.stagecraftExplorer.text().includes('AS compile'));
  await page.waitForFunction(() => document.getElementById('target').value === 'compile');
  for (const [key, name] of [['Control+z', 'build'], ['Control+Shift+z', 'compile'], ['Control+z', 'build']]) {
    await page.click('.cm-content');
    await page.keyboard.press(key);
    await page.waitForFunction((n) => document.getElementById('target').value === n, name);
    await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.build), `${name}, still the target`);
  }
  assert.doesNotMatch(await page.textContent('#announce'), /no longer exists/);
});

scenario('problems jump to their line and apply fixes', async ({ page, base }) => {
  await openExplorer(page, base);
  const a = await analyzeInPage(page, EXAMPLE);
  const docs = a.diagnostics.find((d) => d.code === 'unused-stage' && d.line === 30);
  assert.ok(docs, 'docs is reported as unused');
  await page.click(`#problems li.problem:has(.loc:text-is("line 30:${docs.column}")) .loc`);
  const sel = await editorSelection(page);
  assert.deepEqual([sel.from, sel.to, sel.line], [docs.from, docs.to, 30]);
  assert.ok(docs.fix, 'the unused-stage hint offers a fix');
  // Removing a stage changes the build: the fix is applied on request only, and says so.
  assert.equal(docs.fix.applicability, 'manual');
  const button = `#problems li.problem:has(.loc:text-is("line 30:${docs.column}")) .fix`;
  assert.match(await page.getAttribute(button, 'title'), /changes what the build does/);
  await page.click(button);
  const nodes = await waitForGraph(page, (ns) => ns.length === 5, 'five stages');
  assert.ok(!nodes.some((n) => n.text.includes('docs')));
  assert.doesNotMatch(await editorText(page), /AS docs/);
});

scenario('a fix or a jump made before the analysis caught up uses the text as it is', async ({ page, base }) => {
  await openExplorer(page, base);
  const a = await analyzeInPage(page, EXAMPLE);
  const docs = a.diagnostics.find((d) => d.code === 'unused-stage' && d.line === 30);
  // An edit above the stage and, in the same task (before any analysis can run), the click on
  // the fix the list still shows with the old offsets.
  const note = '# a line typed above\n';
  const clickIn = (loc, part) => [...document.querySelectorAll('#problems li.problem')]
    .find((li) => li.querySelector('.loc').textContent === loc).querySelector(part).click();
  await page.evaluate(([loc, note, clickIn]) => {
    window.stagecraftExplorer.edit(0, 0, note);
    eval(clickIn)(loc, '.fix');
  }, [`line 30:${docs.column}`, note, clickIn.toString()]);
  const fixed = await editorText(page);
  assert.ok(fixed.startsWith(note), 'the edit stays');
  assert.doesNotMatch(fixed, /AS docs/, 'the docs stage is gone');
  const expected = await page.evaluate(async (t) => {
    const sc = await import('/pkg/stagecraft_wasm.js');
    const d = sc.analyze(t).diagnostics.find((x) => x.code === 'unused-stage' && x.message.includes('`docs`'));
    return [...d.fix.edits].sort((x, y) => y.from - x.from).reduce((s, e) => s.slice(0, e.from) + e.insert + s.slice(e.to), t);
  }, note + EXAMPLE);
  assert.equal(fixed, expected, 'the fix as the analysis of the new text makes it');
  // A line button after an edit selects where the problem is now.
  await page.waitForFunction(() => document.querySelectorAll('#problems li.problem').length > 0);
  const now = await analyzeInPage(page, fixed);
  const first = now.diagnostics[0];
  await page.evaluate(([loc, clickIn]) => {
    window.stagecraftExplorer.edit(0, 0, '# one more\n');
    eval(clickIn)(loc, '.loc');
  }, [`line ${first.line}:${first.column}`, clickIn.toString()]);
  const sel = await editorSelection(page);
  assert.equal(sel.line, first.line + 1, 'the problem moved down a line with the text');
});

scenario('an edit that changes no part of the drawing keeps the graph element', async ({ page, base }) => {
  await openExplorer(page, base);
  const setText = (t) => page.evaluate((t) => window.stagecraftExplorer.edit(0, window.stagecraftExplorer.text().length, t), t);
  const text = 'FROM alpine AS a\nRUN make\nFROM alpine AS b\nCOPY --from=a /x /x\n';
  await setText(text);
  await waitForGraph(page, (ns) => ns.length === 2, 'two stages');
  await page.waitForTimeout(400); // the renders the new text started are done
  await page.evaluate(() => { document.querySelector('#graph svg').dataset.mark = 'kept'; });
  // A word at the end of the last stage: the stages, their places and references are as they
  // were. (An edit before a stage moves the offsets the drawing keeps for clicks: a new one.)
  const at = text.length - 1;
  const summary = await page.textContent('#summary');
  await page.evaluate((at) => window.stagecraftExplorer.edit(at, at, 'y'), at);
  await page.waitForFunction(() => window.stagecraftExplorer.text().includes('/xy'));
  await page.waitForTimeout(400); // past the analysis's debounce
  assert.equal(await page.textContent('#summary'), summary);
  assert.equal(await page.getAttribute('#graph svg', 'data-mark'), 'kept', 'the same element');
  // A new stage name is a new drawing.
  await page.evaluate(() => window.stagecraftExplorer.edit(15, 16, 'z'));
  await waitForGraph(page, (ns) => ns.some((n) => n.text.includes('z')), 'the renamed stage');
  assert.equal(await page.getAttribute('#graph svg', 'data-mark'), null, 'a new element');
});

scenario('the picker, the zoom label and F2 follow the text', async ({ page, base }) => {
  await openExplorer(page, base);
  const setText = (t) => page.evaluate((t) => window.stagecraftExplorer.edit(0, window.stagecraftExplorer.text().length, t), t);
  await setText('FROM alpine AS a\nFROM alpine AS b\nFROM alpine AS c\n');
  await waitForGraph(page, (ns) => ns.length === 3, 'three stages');
  await page.selectOption('#target', 'b');
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === '1', 'b as the target');
  // b becomes the default target: the picker shows it (as the default), not nothing.
  await setText('FROM alpine AS a\nFROM alpine AS b\n');
  await waitForGraph(page, (ns) => ns.length === 2, 'two stages');
  const picked = await page.$eval('#target', (s) => [s.value, s.selectedOptions[0]?.textContent ?? null]);
  assert.equal(picked[0], '');
  assert.match(picked[1] ?? '', /^b\b.*default/, `the picker shows ${picked[1]}`);
  assert.match(await page.textContent('#plan'), /Building b/);
  // No graph, no zoom figure left from the last one.
  await page.click('[data-zoom="in"]');
  assert.match(await page.textContent('#zoom-level'), /%$/);
  await setText('RUN echo x\n');
  await page.waitForSelector('#graph p.empty');
  assert.equal((await page.textContent('#zoom-level')).trim(), '');
  // F2 where nothing can be renamed says so where it can be seen.
  await setText('FROM alpine\nRUN x\n');
  await page.waitForSelector('#graph svg.stagecraft-graph');
  await page.click('.cm-line:has-text("RUN x")');
  await page.keyboard.press('F2');
  assert.match(await page.textContent('#rename-error'), /has no name to rename: give it one with "AS name"/);
  // Before the first stage (a global ARG): no stage at all.
  await setText('ARG V=1\nFROM alpine:${V}\n');
  await page.waitForSelector('#graph svg.stagecraft-graph');
  await page.click('.cm-line:has-text("ARG V=1")');
  await page.keyboard.press('F2');
  assert.match(await page.textContent('#rename-error'), /^F2 renames the stage at the cursor: put the cursor on a stage/);
});

scenario('pasting over everything is another file; a node says what unused means', async ({ page, base }) => {
  await openExplorer(page, base);
  assert.equal(await page.textContent('#file-name'), 'multistage.Dockerfile');
  const docs = await page.getAttribute(`#graph g.node.stage[data-stage="${E.docs}"]`, 'aria-label');
  assert.match(docs, /not built by the default target/);
  // A paste into part of the text keeps the name; over all of it, the name goes.
  const paste = (text) => page.evaluate((t) => {
    const data = new DataTransfer();
    data.setData('text/plain', t);
    document.querySelector('.cm-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
  await page.click('.cm-line:has-text("go test ./...")');
  await paste('# pasted\n');
  assert.match(await editorText(page), /# pasted/);
  assert.equal(await page.textContent('#file-name'), 'multistage.Dockerfile');
  await page.keyboard.press('Control+a');
  await paste('FROM alpine AS one\n');
  assert.equal(await editorText(page), 'FROM alpine AS one\n');
  assert.equal(await page.textContent('#file-name'), 'Dockerfile');
  // So does deleting all of it (and typing another file).
  await page.setInputFiles('#file-input', { name: 'named.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from('FROM alpine\n') });
  await page.waitForFunction(() => document.querySelector('#file-name').textContent === 'named.Dockerfile');
  await page.click('.cm-content');
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.keyboard.type('FROM busybox\n');
  assert.equal(await page.textContent('#file-name'), 'Dockerfile');
});

scenario('a finding that rests on an unread image config says so', async ({ page, base }) => {
  await openExplorer(page, base);
  await page.setInputFiles('#file-input', { name: 'note.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from('FROM mcr.microsoft.com/dotnet/aspnet:8.0\nUSER $APP_UID\n') });
  await page.waitForSelector('#problems li.problem .note');
  const [msg, note] = await page.$eval('#problems li.problem', (li) => [li.querySelector('.msg').firstChild.textContent, li.querySelector('.note').textContent]);
  assert.equal(msg, "Usage of undefined variable '$APP_UID'");
  assert.equal(note, 'stagecraft does not read image configs: if image `mcr.microsoft.com/dotnet/aspnet:8.0` sets APP_UID in its ENV, BuildKit finds it and does not report this');
  await shot(page, 'explorer-note');
  // The API says the same, and says nothing where the stage is built on scratch.
  const a = await analyzeInPage(page, 'FROM scratch\nUSER $APP_UID\n');
  assert.equal(a.diagnostics[0].code, 'UndefinedVar');
  assert.equal(a.diagnostics[0].note, null);
});

scenario('downloads SVG, DOT and Mermaid', async ({ page, base }) => {
  await openExplorer(page, base);
  await page.selectOption('#target', 'test');
  const expect = { svg: /^(<\?xml[^>]*>\s*)?<svg[^>]*class="stagecraft-graph/, dot: /^digraph/, mermaid: /^(flowchart|graph)/ };
  for (const [kind, re] of Object.entries(expect)) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-download="${kind}"]`)]);
    const file = path.join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(file);
    const body = fs.readFileSync(file, 'utf8');
    assert.match(body, re, `${kind} download`);
    assert.match(download.suggestedFilename(), /^multistage\.stages\.(svg|dot|mmd)$/);
    if (kind === 'svg') {
      // The SVG is drawn for the chosen target: the test stage (2) carries class `target`.
      const targets = [...body.matchAll(/<g\b[^>]*>/g)].map((m) => m[0])
        .filter((tag) => /\bclass="([^"]*)"/.exec(tag)?.[1].split(/\s+/).includes('target'))
        .map((tag) => /\bdata-stage="(\d+)"/.exec(tag)?.[1]);
      assert.deepEqual(targets, [String(E.test)], 'the SVG is for the chosen target');
    }
    // DOT and Mermaid too: with `test` the target in play, `test` is built and `release` is
    // not (as `stagecraft graph --target test` has them).
    if (kind === 'dot') {
      const node = (name) => body.split('\n').find((l) => l.includes(`[label="${name}\\n`)) ?? '';
      assert.ok(!node('test').includes('gray50') && node('release').includes('gray50'), `the DOT is for the chosen target:\n${body}`);
    }
    if (kind === 'mermaid') {
      assert.match(body, /^  class (n\d+,)*n5(,n\d+)* unused$/m, 'release unused');
      assert.doesNotMatch(body, /^  class (n\d+,)*n2(,n\d+)* unused$/m, 'test built');
    }
  }
});

// Build options. ARCH: which base stage app builds on depends on the target platform.
const ARCH = 'ARG TARGETARCH\nFROM alpine AS base-amd64\nRUN echo amd64\nFROM alpine AS base-arm64\nRUN echo arm64\nFROM base-${TARGETARCH} AS app\n';
const openText = (page, name, text) => page.setInputFiles('#file-input', { name, mimeType: 'text/plain', buffer: Buffer.from(text) });
const problemTexts = (page) => page.$$eval('#problems li.problem', (lis) => lis.map((li) => li.textContent));

scenario('build options: a target platform picks the TARGETARCH stage', async ({ page, base }) => {
  await openExplorer(page, base);
  assert.equal(await page.$eval('#build-options', (d) => d.open), false, 'the build options start closed');
  await openText(page, 'arch.Dockerfile', ARCH);
  // No platform: linux/amd64, so app builds on base-amd64 and base-arm64 is unused.
  await waitForGraph(page, (ns) => ns.length === 3 && withClass(ns, 'dimmed').join() === '1', 'base-arm64 dimmed');
  assert.match(await page.textContent('#plan'), /Building app.*base-amd64 → app/);
  assert.ok((await problemTexts(page)).some((p) => p.includes('`base-arm64` is not used')));

  // The keyboard opens the section and reaches its fields.
  await page.focus('#build-options summary');
  await page.keyboard.press('Enter');
  assert.equal(await page.$eval('#build-options', (d) => d.open), true);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'build-args');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'platform');
  await page.keyboard.type('linux/arm64');
  let nodes = await waitForGraph(page, (ns) => withClass(ns, 'dimmed').join() === '0', 'base-amd64 dimmed for linux/arm64');
  assert.deepEqual(withClass(nodes, 'in-plan'), [1, 2]);
  assert.match(await page.textContent('#plan'), /base-arm64 → app/);
  const problems = await problemTexts(page);
  assert.ok(problems.some((p) => p.includes('`base-amd64` is not used')), `problems for linux/arm64: ${problems}`);
  assert.ok(!problems.some((p) => p.includes('`base-arm64` is not used')));
  assert.match(await page.textContent('#build-options summary'), /linux\/arm64/);
  assert.equal(await page.textContent('#platform-error'), '');
  await shot(page, 'explorer-platform');

  // The downloaded SVG is drawn for the platform too.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="svg"]')]);
  const svg = fs.readFileSync(await download.path(), 'utf8');
  const dimmed = [...svg.matchAll(/<g\b[^>]*class="node stage[^"]*\bdimmed\b[^"]*"[^>]*data-stage="(\d+)"/g)].map((m) => m[1]);
  assert.deepEqual(dimmed, ['0'], 'the SVG dims base-amd64');

  // Edits to the text keep the platform; emptying the field goes back to the default.
  await page.evaluate(() => { const t = window.stagecraftExplorer.text(); window.stagecraftExplorer.edit(t.length, t.length, 'FROM base-${TARGETARCH} AS app2\n'); });
  nodes = await waitForGraph(page, (ns) => ns.length === 4, 'a fourth stage');
  assert.deepEqual(withClass(nodes, 'dimmed'), [0, 2], 'app2 on base-arm64');
  await page.fill('#platform', '');
  await waitForGraph(page, (ns) => withClass(ns, 'dimmed').join() === '1,2', 'app2 on base-amd64');
  assert.doesNotMatch(await page.textContent('#build-options summary'), /linux/);
});

scenario('build options: build args resolve FROM lines; a line without = is reported', async ({ page, base }) => {
  await openExplorer(page, base);
  await openText(page, 'args.Dockerfile', 'ARG V=a\nFROM alpine AS img-a\nFROM alpine AS img-b\nFROM img-${V} AS app\n');
  await waitForGraph(page, (ns) => ns.length === 3 && withClass(ns, 'dimmed').join() === '1', 'img-b dimmed');
  await page.click('#build-options summary');
  await page.fill('#build-args', 'V=b');
  await waitForGraph(page, (ns) => withClass(ns, 'dimmed').join() === '0', 'img-a dimmed for V=b');
  assert.match(await page.textContent('#plan'), /img-b → app/);
  assert.ok((await problemTexts(page)).some((p) => p.includes('`img-a` is not used')));
  assert.match(await page.textContent('#build-options summary'), /1 build arg\b/);
  assert.equal(await page.getAttribute('#build-args', 'aria-invalid'), null);
  // The DOT download is of the analysis with the options: app is built on img-b (n1 -> n2),
  // img-a is drawn unused.
  const [dot] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="dot"]')]);
  const dotText = fs.readFileSync(await dot.path(), 'utf8');
  assert.match(dotText, /n1 -> n2/, dotText);
  assert.match(dotText, /n0 \[label="img-a[^\]]*dashed/, dotText);

  // A line without "=" is reported with its number and what is expected; the other lines apply.
  // A NAME alone is docker build's "take it from the environment", which a page has not.
  await page.fill('#build-args', 'V=b\nRELEASE\nA B\n');
  await page.waitForSelector('#build-args-error li');
  assert.deepEqual(await page.$$eval('#build-args-error li', (lis) => lis.map((li) => li.textContent)), [
    'Line 2 (RELEASE): a NAME alone takes its value from the environment in docker build, and the browser has none: write RELEASE=VALUE; this line is left out.',
    'Line 3 (A B): expected NAME=VALUE, as --build-arg takes it; this line is left out.',
  ]);
  assert.equal(await page.getAttribute('#build-args', 'aria-invalid'), 'true');
  assert.ok(await page.isVisible('#build-args-error'));
  assert.match(await page.textContent('#build-options summary'), /2 lines left out/);
  assert.deepEqual(withClass(await stageNodes(page), 'dimmed'), [0], 'V=b still applies');
  await shot(page, 'explorer-build-args');

  await page.fill('#build-args', 'V=a\n');
  await waitForGraph(page, (ns) => withClass(ns, 'dimmed').join() === '1', 'img-b dimmed for V=a');
  assert.equal(await page.$$eval('#build-args-error li', (lis) => lis.length), 0);
  assert.equal(await page.getAttribute('#build-args', 'aria-invalid'), null);
});

scenario('build options: a platform the module cannot read is shown, and the page keeps working', async ({ page, base }) => {
  await openExplorer(page, base);
  const bad = 'linux/arm64/v8/x';
  const thrown = await page.evaluate(async ([t, p]) => {
    const sc = await import('/pkg/stagecraft_wasm.js');
    try { sc.analyze(t, { platform: p }); return null; } catch (e) { return e.message; }
  }, [ARCH, bad]);
  assert.ok(thrown && thrown.includes(bad), `analyze throws for ${bad}: ${thrown}`);
  await openText(page, 'arch.Dockerfile', ARCH);
  await waitForGraph(page, (ns) => ns.length === 3, 'three stages');
  await page.click('#build-options summary');
  await page.fill('#platform', bad);
  await page.waitForFunction(() => document.getElementById('platform-error').textContent !== '');
  const message = await page.textContent('#platform-error');
  assert.ok(message.startsWith(thrown), `the module's message is shown: ${message}`);
  assert.match(message, /shown is without a platform/);
  assert.equal(await page.getAttribute('#platform', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#build-options summary'), /\(not read\)/);
  // The analysis without the platform (linux/amd64) is on the page: graph, plan, problems.
  assert.deepEqual(withClass(await stageNodes(page), 'dimmed'), [1]);
  assert.match(await page.textContent('#plan'), /base-amd64 → app/);
  assert.ok((await problemTexts(page)).some((p) => p.includes('`base-arm64` is not used')));
  await shot(page, 'explorer-bad-platform');
  // And it keeps following the text and the target picker.
  await page.evaluate(() => { const t = window.stagecraftExplorer.text(); window.stagecraftExplorer.edit(t.length, t.length, 'FROM app AS more\n'); });
  await waitForGraph(page, (ns) => ns.length === 4, 'a fourth stage');
  await page.selectOption('#target', 'base-arm64');
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === '1', 'base-arm64 as the target');
  assert.match(await page.textContent('#platform-error'), /shown is without a platform/);
  // A platform it reads clears the message and applies.
  await page.fill('#platform', 'linux/arm64');
  await page.selectOption('#target', '');
  await waitForGraph(page, (ns) => withClass(ns, 'dimmed').join() === '0', 'base-amd64 dimmed for linux/arm64');
  assert.equal(await page.textContent('#platform-error'), '');
  assert.equal(await page.getAttribute('#platform', 'aria-invalid'), null);
});

scenario('opening a file, and the empty state', async ({ page, base }) => {
  await openExplorer(page, base);
  await page.setInputFiles('#file-input', { name: 'two.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from('FROM alpine AS a\nFROM a AS b\n') });
  await waitForGraph(page, (ns) => ns.length === 2, 'two stages');
  assert.equal(await page.textContent('#file-name'), 'two.Dockerfile');
  await page.click('.cm-content');
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.waitForSelector('#graph .empty');
  assert.match(await page.textContent('#graph'), /No stages yet/);
  // BuildKit refuses an empty Dockerfile: one error says so (and nothing else piles on).
  const problems = await page.$$eval('#problems li.problem', (lis) => lis.map((li) => li.textContent));
  assert.equal(problems.length, 1, `one problem for an empty file: ${problems}`);
  assert.match(problems[0], /no instructions/);
  await shot(page, 'explorer-empty');
  await page.click('#load-example');
  await waitForGraph(page, (ns) => ns.length === 6, 'the example again');
});

scenario('line ends: CRLF is read as LF, a file with a lone CR is edited as it is', async ({ page, base }) => {
  await openExplorer(page, base);
  const open = async (name, text) => {
    await page.setInputFiles('#file-input', { name, mimeType: 'text/plain', buffer: Buffer.from(text) });
    await page.waitForFunction((n) => document.getElementById('file-name').textContent === n, name);
  };
  const messages = (a) => a.diagnostics.map((d) => `${d.line}: ${d.message}`).sort();
  // CRLF: the editor writes LF, and the analysis is the one of the file's own bytes.
  const crlf = 'FROM alpine AS a\r\nRUN x \\\r\n  y\r\nFROM a AS b\r\nCOPY --from=a /x /y\r\n';
  await open('crlf.Dockerfile', crlf);
  const lf = await page.evaluate(() => window.stagecraftExplorer.text());
  assert.equal(lf, crlf.replaceAll('\r\n', '\n'));
  assert.deepEqual(messages(await analyzeInPage(page, lf)), messages(await analyzeInPage(page, crlf)));
  assert.equal(await page.locator('.cm-specialChar').count(), 0, 'no CR is shown');
  await waitForGraph(page, (ns) => ns.length === 2, 'two stages');
  // A lone \r is inside a line for BuildKit: `FROM a AS b\rRUN y` is one FROM with five words.
  // The editor keeps every byte, ends lines at \n only and shows every \r.
  const lone = 'FROM alpine AS a\r\nRUN x\r\nFROM a AS b\rRUN y\r\n';
  await open('lone-cr.Dockerfile', lone);
  assert.equal(await page.evaluate(() => window.stagecraftExplorer.text()), lone, 'the editor keeps every \\r');
  const a = await analyzeInPage(page, lone);
  assert.ok(a.diagnostics.some((d) => /FROM requires either one or three arguments/.test(d.message)), 'the module reads the lone \\r as BuildKit does');
  await page.waitForFunction(() => /one or three arguments/.test(document.getElementById('problems').textContent));
  // Three lines and the empty last one (a lone \r read as a line end would make five).
  assert.equal(await page.locator('.cm-line').count(), 4);
  assert.equal(await page.locator('.cm-specialChar').count(), 4, 'every \\r is shown');
  // Lines are counted as BuildKit and the gutter count them, at \n only.
  await open('lone-cr-lines.Dockerfile', 'FROM alpine AS a\rx\nFROM alpine\nRUN --bad y\n');
  await page.waitForFunction(() => /unknown flag/.test(document.getElementById('problems').textContent));
  const locs = await page.$$eval('#problems li.problem', (lis) => lis.map((li) => li.textContent));
  assert.ok(locs.some((l) => l.startsWith('line 3:5') && /unknown flag: --bad/.test(l)), `${locs}`);
  // Another CRLF file: read as LF again.
  await open('again.Dockerfile', crlf);
  assert.equal(await page.evaluate(() => window.stagecraftExplorer.text()), lf);
});

scenario('narrow screens: one column, nothing wider than the viewport', async ({ page, base }) => {
  await page.setViewportSize({ width: 420, height: 900 });
  await openExplorer(page, base);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
  const [editor, graphBox] = await Promise.all(['.editor-pane', '.graph-pane'].map((s) => page.locator(s).boundingBox()));
  assert.ok(graphBox.y >= editor.y + editor.height, 'the graph comes below the editor');
  await shot(page, 'explorer-narrow', { fullPage: true });
});

scenario('a laptop screen: the open build options, their errors and the search panel leave the editor usable', async ({ page, base }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openExplorer(page, base);
  await openText(page, 'arch.Dockerfile', ARCH);
  await waitForGraph(page, (ns) => ns.length === 3, 'three stages');
  await page.click('#build-options summary');
  await page.fill('#platform', 'bogus');
  await page.fill('#build-args', 'A=1\nB\nC D=1');
  await page.waitForFunction(() => document.getElementById('platform-error').textContent !== '');
  await page.click('.cm-content');
  await page.keyboard.press('Control+f');
  await page.waitForSelector('.cm-search');
  const editor = await page.locator('#editor').boundingBox();
  assert.ok(editor.height >= 150, `the editor keeps a usable height: ${editor.height}px`);
  // The options scroll in the room the editor leaves them, as a user scrolls them (the mouse
  // wheel: a box with `overflow: hidden` can still be scrolled by a script): the platform's error
  // comes into view inside it, and the pane's head stays in view.
  const box = await page.locator('#build-options').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height - 4);
  await page.mouse.wheel(0, 2000);
  // (A wheel scroll may be animated: wait for where it ends, not for its start. The assertion
  // below says what was seen when it does not get there.)
  await page.waitForFunction(() => {
    const o = document.getElementById('build-options').getBoundingClientRect();
    const e = document.getElementById('platform-error').getBoundingClientRect();
    return e.top >= o.top && e.bottom <= o.bottom + 1;
  }, null, { timeout: 5000 }).catch(() => {});
  const options = await page.locator('#build-options').boundingBox();
  const error = await page.locator('#platform-error').boundingBox();
  assert.ok(error.y >= options.y && error.y + error.height <= options.y + options.height + 1,
    `the platform's error scrolls into view in the options: ${JSON.stringify({ options, error })}`);
  assert.equal(await page.$eval('.editor-pane', (p) => p.scrollTop), 0, 'the pane\'s head stays in view');
  // And the section closes again.
  await page.click('#build-options summary');
  assert.equal(await page.$eval('#build-options', (d) => d.open), false);
});

scenario('pasting a file with a lone CR reads it as opening it does', async ({ page, base }) => {
  await openExplorer(page, base);
  const text = 'FROM alpine AS base\rRUN echo hi\nFROM base AS build\r\nRUN echo 2\rfrom base as lower\nFROM lower\n';
  await pasteOverAll(page, text);
  assert.equal(await page.evaluate(() => window.stagecraftExplorer.text()), text, 'the text as pasted, every CR kept');
  const pasted = await page.evaluate(() => window.stagecraftExplorer.text());
  const a = await analyzeInPage(page, pasted);
  // BuildKit reads `\rfrom base as lower` as part of the RUN line: three stages, where the
  // text with its CRs made line ends has four.
  assert.equal(a.stages.length, 3);
  await waitForGraph(page, (ns) => ns.length === 3, 'the three stages BuildKit reads');
});

scenario('a phone: long stage names and problems fit the screen, messages get its width', async ({ page, base }) => {
  await page.setViewportSize({ width: 360, height: 800 });
  await openExplorer(page, base);
  const long = 'build-frontend-assets-for-production-with-cache';
  await openText(page, 'long.Dockerfile', `FROM alpine AS ${long}\nRUN echo hi\nFROM ${long} AS other\nMAINTAINER someone who looks after this image and answers for it\n`);
  await waitForGraph(page, (ns) => ns.length === 2, 'two stages');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  const msg = await page.locator('.problem .msg').first().boundingBox();
  assert.ok(msg.width >= 250, `a problem's message is ${msg.width}px wide`);
  await shot(page, 'explorer-phone', { fullPage: true });
});

scenario('the plan tells stages of one name apart; no problems found says what the browser leaves out', async ({ page, base }) => {
  await openExplorer(page, base);
  await openText(page, 'dup.Dockerfile', 'FROM alpine AS a\nRUN 1\nFROM busybox AS A\nRUN 2\nFROM a AS final\nFROM scratch\nCOPY --from=final / /\n');
  await waitForGraph(page, (ns) => ns.length === 4, 'four stages');
  assert.match(await page.textContent('#plan'), /a \(line 1\), a \(line 3\)/);
  const options = await page.$$eval('#rename-stage option', (os) => os.map((o) => o.textContent));
  assert.deepEqual(options.slice(0, 2), ['a (line 1)', 'a (line 3)']);
  // The target `a` is the last stage of the name: renaming the first keeps it where it is.
  await page.selectOption('#target', 'a');
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === '1', 'the second a as the target');
  await page.selectOption('#rename-stage', '0');
  await page.fill('#rename-to', 'first');
  await page.click('#rename-submit');
  await page.waitForFunction(() => window.stagecraftExplorer.text().startsWith('FROM alpine AS first'));
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === '1', 'the second a, still the target');
  assert.equal(await page.$eval('#target', (t) => t.value), 'a');
  await openText(page, 'fails.Dockerfile', 'FROM alpine\nCOPY --chmod=abc a /b\n');
  await page.waitForSelector('#problems li.empty');
  assert.match(await page.textContent('#problems li.empty'), /^No problems found\. The browser build leaves out the failures BuildKit meets only as it makes each step/);
});

scenario('a missing wasm module is an explained state, not a broken page', async ({ page, base }) => {
  await page.route('**/pkg/stagecraft_wasm.js', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(`${base}/`);
  await page.waitForSelector('#load-error:not([hidden])');
  assert.match(await page.textContent('#load-error'), /did not load/);
  assert.match(await page.textContent('#graph'), /unavailable/);
  assert.ok(await page.isDisabled('[data-download="svg"]'));
  await page.click('.cm-content');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('# still editable\n');
  assert.match(await editorText(page), /# still editable/);
  await shot(page, 'explorer-no-wasm');
}, { allowConsoleErrors: true });

scenario('docs page: scans that overlap draw each block once', async ({ page, base }) => {
  // The page's own scan starts while the embed's first one is still loading the module.
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => setTimeout(() => window.stagecraftEmbed.scan(document), 0));
  });
  await page.goto(`${base}/docs/`);
  await page.evaluate(() => window.stagecraftEmbed.ready);
  await page.waitForFunction(() => document.querySelectorAll('.stagecraft-embed svg.stagecraft-graph').length > 0);
  await page.waitForTimeout(300);
  const r = await page.evaluate(() => ({
    embeds: document.querySelectorAll('.stagecraft-embed').length,
    nested: document.querySelectorAll('.stagecraft-embed .stagecraft-embed').length,
    graphs: document.querySelectorAll('.stagecraft-embed svg.stagecraft-graph').length,
    blocks: [...document.querySelectorAll('pre > code.language-dockerfile')].filter((c) => c.closest('pre').dataset.stagecraft !== 'off').length,
  }));
  assert.deepEqual(r, { embeds: r.blocks, nested: 0, graphs: r.blocks, blocks: r.blocks });
  // A block with errors says so under its plan; the sample's blocks say nothing of it.
  assert.equal(await page.locator('.stagecraft-embed figcaption:has-text("This Dockerfile has")').count(), 0);
  await page.evaluate(() => {
    const pre = document.createElement('pre');
    const code = Object.assign(document.createElement('code'), {
      className: 'language-dockerfile',
      textContent: 'FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\n',
    });
    pre.append(code);
    document.body.append(pre);
    window.stagecraftEmbed.scan(document.body);
  });
  const caption = page.locator('.stagecraft-embed figcaption').last();
  await caption.waitFor();
  assert.match(await caption.textContent(), /This Dockerfile has an error \(line 2: cannot copy from stage "b", it needs to be defined before current stage "a"\)\.$/);
});

scenario('docs page: a graph beside every Dockerfile block', async ({ page, base }) => {
  await page.goto(`${base}/docs/`);
  const rendered = await page.evaluate(() => window.stagecraftEmbed.ready);
  const blocks = await page.$$eval('pre > code.language-dockerfile', (cs) => cs.map((c) => ({
    text: c.textContent, optOut: c.closest('pre').dataset.stagecraft === 'off', embedded: !!c.closest('.stagecraft-embed'),
  })));
  const expected = blocks.filter((b) => !b.optOut);
  assert.ok(expected.length >= 2, 'the sample has at least two Dockerfile blocks');
  assert.equal(rendered, expected.length);
  assert.equal(await page.locator('.stagecraft-embed').count(), expected.length);
  for (const b of blocks) assert.equal(b.embedded, !b.optOut);
  assert.equal(await page.locator('.stagecraft-embed code.language-shell').count(), 0, 'other code blocks are left alone');
  for (let i = 0; i < expected.length; i++) {
    const a = await analyzeInPage(page, expected[i].text);
    const nodes = await stageNodes(page, `.stagecraft-embed >> nth=${i}`);
    assert.equal(nodes.length, a.stages.length, `block ${i}: one node per stage`);
    assert.deepEqual(withClass(nodes, 'dimmed'), complement(a.stages.length, a.targets.find((t) => t.isDefault).plan.stages));
  }
  // The first block's picker: --target test builds base and test only.
  const first = page.locator('.stagecraft-embed').first();
  await first.locator('select').selectOption('test');
  const a0 = await analyzeInPage(page, expected[0].text);
  const test = a0.targets.find((t) => t.name === 'test');
  const nodes = await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(test.stage), 'test as target', `.stagecraft-embed >> nth=0`);
  assert.deepEqual(test.plan.stages.map((i) => a0.stages[i].displayName).sort(), ['base', 'test']);
  assert.deepEqual(withClass(nodes, 'in-plan'), sorted(test.plan.stages));
  assert.deepEqual(withClass(nodes, 'dimmed'), complement(a0.stages.length, test.plan.stages));
  assert.match(await first.locator('figcaption').textContent(), /BuildKit builds 2 stages for test: base → test\. The legacy builder would also build the stage build, unless it fails first\.$/);
  // The second block ends in an unnamed stage: its picker offers it as the default.
  assert.ok((await page.locator('.stagecraft-embed').nth(1).locator('option').allTextContents()).includes('stage-4 (default)'));
  // The key to the code's highlight shows once a stage is picked, not before.
  assert.equal(await first.locator('.stagecraft-embed__key').isVisible(), false, 'no key before a pick');
  // Clicking a node highlights its FROM instruction in the code block.
  await first.locator('g.node.stage[data-stage="1"]').click();
  assert.equal(await first.locator('.stagecraft-embed__key').isVisible(), true, 'the key after a pick');
  const highlighted = await page.evaluate(() => {
    const h = CSS.highlights.get('stagecraft-from');
    return h ? [...h][0].toString() : getSelection().toString();
  });
  assert.equal(highlighted, 'FROM base AS build');
  // A stage picked in another embed leaves this one's highlight (its node stays selected).
  await page.locator('.stagecraft-embed').nth(1).locator('g.node.stage[data-stage="0"]').click();
  const both = await page.evaluate(() => [...CSS.highlights.get('stagecraft-from')].map((r) => r.toString().split('\n')[0]));
  assert.equal(both.length, 2, `highlights: ${both}`);
  assert.ok(both.includes('FROM base AS build'), `highlights: ${both}`);
  // A fence written ```Dockerfile (the class in another case, as markdown-it writes it) is one.
  await page.evaluate(() => {
    const pre = document.createElement('pre');
    pre.id = 'late-case';
    pre.append(Object.assign(document.createElement('code'), { className: 'language-Dockerfile', textContent: 'FROM alpine AS a\nFROM a\n' }));
    document.body.append(pre);
    return window.stagecraftEmbed.scan(document.body);
  });
  await page.locator('#late-case').locator('xpath=ancestor::*[contains(@class, "stagecraft-embed")]').locator('svg').waitFor();
  await page.evaluate(() => document.querySelector('#late-case').closest('.stagecraft-embed').remove());
  // A block added later, a chain of 60 stages: its plan is folded away, not 60 names inline.
  const chain = ['FROM alpine AS s0', ...Array.from({ length: 59 }, (_, i) => `FROM s${i} AS s${i + 1}`)].join('\n') + '\n';
  await page.evaluate((text) => {
    const pre = document.createElement('pre');
    pre.id = 'late-chain';
    const code = Object.assign(document.createElement('code'), { className: 'language-dockerfile', textContent: text });
    pre.append(code);
    document.body.append(pre);
    window.stagecraftEmbed.scan(document.body);
  }, chain);
  const caption = page.locator('.stagecraft-embed figcaption').last();
  await caption.locator('details').waitFor();
  assert.equal(await caption.locator('summary').textContent(), 'in 60 waves (show them)');
  assert.match(await caption.textContent(), /^BuildKit builds 60 stages for s59: in 60 waves \(show them\)s0 → s1 → .* → s59\.$/);
  assert.equal(await caption.locator('details').evaluate((d) => d.open), false);
  await page.evaluate(() => document.querySelector('#late-chain').closest('.stagecraft-embed').remove());
  // A block whose references form a cycle (a build error): the caption lists those stages in
  // no wave, counts them apart, and says the error.
  const cycle = 'FROM alpine AS x\nFROM alpine AS a\nCOPY --from=b /x /y\nFROM a AS b\nCOPY --from=x / /\n';
  await page.evaluate((text) => {
    const pre = document.createElement('pre');
    pre.id = 'late-cycle';
    pre.append(Object.assign(document.createElement('code'), { className: 'language-dockerfile', textContent: text }));
    document.body.append(pre);
    window.stagecraftEmbed.scan(document.body);
  }, cycle);
  const cycleCaption = page.locator('.stagecraft-embed figcaption').last();
  await cycleCaption.filter({ hasText: 'in no wave' }).waitFor();
  assert.match(await cycleCaption.textContent(),
    /^BuildKit builds 3 stages for b: x · in no wave, on or after a cycle of references: a, b\. This Dockerfile has an error \(line 3: /);
  await page.evaluate(() => document.querySelector('#late-cycle').closest('.stagecraft-embed').remove());
  // A `--from` one typo away from a stage pulls an image: the caption says so (the graph shows
  // only an image node).
  await page.evaluate(() => {
    const pre = document.createElement('pre');
    pre.id = 'late-typo';
    pre.append(Object.assign(document.createElement('code'), { className: 'language-dockerfile', textContent: 'FROM golang AS build\nFROM alpine\nCOPY --from=buidl /app /app\n' }));
    document.body.append(pre);
    window.stagecraftEmbed.scan(document.body);
  });
  const typoCaption = page.locator('.stagecraft-embed figcaption').last();
  await typoCaption.filter({ hasText: 'buidl' }).waitFor();
  assert.match(await typoCaption.textContent(), / Line 3: no stage is named `buidl`, so BuildKit will pull an image called `buidl`; did you mean the stage `build`\?$/);
  await page.evaluate(() => document.querySelector('#late-typo').closest('.stagecraft-embed').remove());
  // A caption that quotes a long word (an image whose digest is one character short) wraps it:
  // the page does not scroll sideways (checked below, on a narrow screen).
  await page.evaluate(() => {
    const pre = document.createElement('pre');
    pre.id = 'late-digest';
    const text = `FROM node:22-alpine@sha256:${'0123456789abcdef'.repeat(4).slice(0, 63)} AS app\nFROM app\n`;
    pre.append(Object.assign(document.createElement('code'), { className: 'language-dockerfile', textContent: text }));
    document.body.append(pre);
    window.stagecraftEmbed.scan(document.body);
  });
  await page.locator('.stagecraft-embed figcaption').last().filter({ hasText: 'invalid checksum digest length' }).waitFor();
  await shot(page, 'docs-sample', { fullPage: true });
  await page.setViewportSize({ width: 420, height: 900 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `docs page is ${overflow}px wider than a narrow viewport`);
  // Every graph keeps readable text (at least 75% of its size); a wider one scrolls in its box.
  const scales = await page.$$eval('.stagecraft-embed svg.stagecraft-graph', (svgs) => svgs.map((svg) => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width));
  assert.ok(scales.length > 0 && scales.every((x) => x >= 0.74), `graph scales on a narrow screen: ${scales}`);
  await shot(page, 'docs-sample-narrow', { fullPage: true });
});

scenario('a long chain: the plan comes from plan() when analyze leaves it out', async ({ page, base }) => {
  // 800 stages, each FROM the one before: the targets' plans together would list ≈960,000
  // stage indices, so analyze() gives counts and null plans, and the page asks plan().
  let text = 'FROM alpine AS c0\n';
  for (let i = 1; i < 800; i++) text += `FROM c${i - 1} AS c${i}\n`;
  const file = path.join(ARTIFACTS, 'chain.Dockerfile');
  fs.writeFileSync(file, text);
  await openExplorer(page, base);
  const a = await analyzeInPage(page, text);
  assert.equal(a.detailed, false);
  assert.equal(a.targets[799].plan, null);
  assert.equal(a.targets[799].builds, 800);
  await page.setInputFiles('#file-input', file);
  await waitForGraph(page, (ns) => ns.length === 800, '800 stages');
  const plan = await page.textContent('#plan');
  assert.match(plan, /BuildKit builds 800 stages/);
  assert.match(plan, /Legacy builder would build 800 stages/);
  // The list is folded away; the note after it is not.
  assert.equal(await page.locator('#plan .key-legacy + dd > .plan-note').isVisible(), true);
  await page.selectOption('#target', 'c9');
  await page.waitForFunction(() => /BuildKit builds 10 stages/.test(document.getElementById('plan').textContent));
});

scenario('a cycle of references: the plan lists its stages in no wave', async ({ page, base }) => {
  await openExplorer(page, base);
  const text = 'FROM alpine AS x\nFROM alpine AS a\nCOPY --from=b /x /y\nFROM a AS b\nCOPY --from=x / /\n';
  await page.evaluate((t) => window.stagecraftExplorer.edit(0, window.stagecraftExplorer.text().length, t), text);
  await page.waitForFunction(() => /in no wave, on or after a cycle of references: a, b/.test(document.getElementById('plan').textContent));
  assert.match(await page.textContent('#plan'), /BuildKit builds 3 stages/);
  assert.equal(await page.locator('#plan dd').first().textContent(), 'x · in no wave, on or after a cycle of references: a, b');
  // The edge that closes the cycle (a copies from b, defined after it) is red and says why;
  // b's copy from a is not.
  const edges = await page.$$eval('#graph g.edge', (gs) => gs.map((g) => ({
    from: g.getAttribute('data-source-node'), to: g.getAttribute('data-stage'), forward: g.classList.contains('forward'),
    stroke: getComputedStyle(g.querySelector('.line')).stroke, arrow: getComputedStyle(g.querySelector('.arrow')).fill,
    title: g.querySelector('title').textContent,
  })));
  const back = edges.find((e) => e.from === '2' && e.to === '1');
  const ok = edges.find((e) => e.from === '1' && e.to === '2');
  assert.ok(back?.forward && !ok?.forward, JSON.stringify(edges));
  assert.equal(back.stroke, 'rgb(207, 34, 46)');
  assert.equal(back.arrow, 'rgb(207, 34, 46)');
  assert.notEqual(ok.stroke, back.stroke);
  assert.equal(ok.stroke, ok.arrow, 'line and arrow share their colour');
  assert.match(back.title, /^COPY --from b → a \(line 3\): BuildKit fails a build of this stage here \(every build, when this closes a cycle\)/);
  assert.doesNotMatch(ok.title, /fails/);
  // The legend has an entry for them, drawn in their colour.
  const entry = await page.$eval('#graph g.legend g.sw-forward', (g) => ({
    stroke: getComputedStyle(g.querySelector('.line')).stroke, label: g.nextElementSibling?.textContent,
  }));
  assert.deepEqual(entry, { stroke: 'rgb(207, 34, 46)', label: 'a later stage or itself: fails' });
});

scenario('a graph too large to draw: the page says so, and the analysis stands', async ({ page, base }) => {
  // 1,500 stages, each built on the one before and copying from the first: the edges pass
  // through over a million layers in all, past what the layout draws.
  let text = 'FROM alpine AS c0\n';
  for (let i = 1; i < 1500; i++) text += `FROM c${i - 1} AS c${i}\nCOPY --from=c0 /a /a\n`;
  const file = path.join(ARTIFACTS, 'far.Dockerfile');
  fs.writeFileSync(file, text);
  await openExplorer(page, base);
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(() => /The graph is not drawn: the graph is too large to draw/.test(document.getElementById('graph').textContent));
  assert.match(await page.textContent('#summary'), /1,?500 stages/);
  assert.match(await page.textContent('#plan'), /BuildKit builds 1,?500 stages/);
  // Another target: the plan follows, the graph's place still says why it is not drawn.
  await page.selectOption('#target', 'c9');
  await page.waitForFunction(() => /BuildKit builds 10 stages/.test(document.getElementById('plan').textContent));
  assert.match(await page.textContent('#graph'), /The graph is not drawn: the graph is too large to draw/);
  // A file that fits is drawn again.
  const small = path.join(ARTIFACTS, 'small.Dockerfile');
  fs.writeFileSync(small, 'FROM alpine AS a\nFROM a\n');
  await page.setInputFiles('#file-input', small);
  await waitForGraph(page, (ns) => ns.length === 2, '2 stages');
});

scenario('a long edge is drawn in pieces whose dashes run on across the joins', async ({ page, base, log }) => {
  // 160 stages side by side and one that copies from each: the outer COPY edges run
  // thousands of pixels sideways, and the module draws each as a group of pieces (so that the
  // browser rasterises only the pieces in view). Drawn in Chromium, the pieces must look like
  // the one path they replace: each piece's stroke-dashoffset continues the dashes.
  let text = '';
  for (let i = 0; i < 160; i++) text += `FROM alpine AS s${i}\n`;
  text += 'FROM alpine AS final\n';
  for (let i = 0; i < 160; i++) text += `COPY --from=s${i} /x /x${i}\n`;
  await openExplorer(page, base);
  const r = await page.evaluate(async (text) => {
    const sc = await import('/pkg/stagecraft_wasm.js');
    const host = document.createElement('div');
    host.innerHTML = sc.renderSvg(text);
    const groups = [...host.querySelectorAll('g.edge.edge-copy g.line')];
    const group = groups[0];
    const pieces = [...group.querySelectorAll('path')].map((p) => ({ d: p.getAttribute('d'), offset: Number(p.getAttribute('stroke-dashoffset')) }));
    // The whole line as one path: the pieces' data, each later piece without its `M`.
    const whole = pieces.map((p, i) => (i ? p.d.replace(/^M[^A-Z]*/, '') : p.d)).join('');
    const probe = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    probe.innerHTML = `<path d="${whole}"/>`;
    document.body.append(probe);
    const box = probe.firstChild.getBBox();
    probe.remove();
    const [x, y, w, h] = [Math.floor(box.x) - 4, Math.floor(box.y) - 4, Math.ceil(box.width) + 8, Math.ceil(box.height) + 8];
    const draw = async (paths) => {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="${x} ${y} ${w} ${h}">` +
        `<g fill="none" stroke="#000" stroke-width="1.4" stroke-dasharray="6 3">${paths}</g></svg>`;
      const img = new Image();
      img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
      await img.decode();
      const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, w, h).data;
    };
    const one = await draw(`<path d="${whole}"/>`);
    const split = await draw(pieces.map((p) => `<path stroke-dashoffset="${p.offset}" d="${p.d}"/>`).join(''));
    const restarted = await draw(pieces.map((p) => `<path d="${p.d}"/>`).join(''));
    const inked = (a) => { let n = 0; for (let i = 3; i < a.length; i += 4) if (a[i] > 96) n++; return n; };
    const differ = (a, b) => { let n = 0; for (let i = 3; i < a.length; i += 4) if (Math.abs(a[i] - b[i]) > 96) n++; return n; };
    return { groups: groups.length, pieces: pieces.length, offsets: pieces.map((p) => p.offset), size: [w, h], ink: inked(one), split: differ(one, split), restarted: differ(one, restarted) };
  }, text);
  log(`${r.groups} COPY edges in pieces; the first in ${r.pieces} (${r.size.join('x')} px, ${r.ink} inked): ` +
    `${r.split} pixels differ from the whole path, ${r.restarted} with dashes restarted at each piece`);
  assert.ok(r.groups >= 10, `long COPY edges are drawn in pieces: ${JSON.stringify(r)}`);
  assert.ok(r.pieces >= 2 && r.offsets[0] === 0 && r.offsets.every((o, i) => !i || o > r.offsets[i - 1]), JSON.stringify(r));
  // Antialiasing at a join may differ by a pixel or two; a dash pattern that restarts at each
  // piece differs along whole dashes.
  assert.ok(r.split <= 4 * r.pieces, `the pieces draw the same dashes as the whole path: ${JSON.stringify(r)}`);
  assert.ok(r.restarted > r.split + 20, `the test tells a restarted pattern apart: ${JSON.stringify(r)}`);
});

scenario('1,000 stages and one that copies from each: a changed drawing, scrolled to the last', async ({ page, base, log }) => {
  // Every COPY edge runs to the last stage, up to 65,000 px sideways. Chromium rasterised each
  // dashed curve whole on every tile near it: an edit that changed the drawing, with the graph
  // scrolled to the last stage, took 4.9 s (stop 35). The edges are drawn in pieces now.
  let text = '';
  for (let i = 0; i < 1000; i++) text += `FROM alpine AS s${i}\n`;
  text += 'FROM alpine AS final\n';
  for (let i = 0; i < 1000; i++) text += `COPY --from=s${i} /x /x${i}\n`;
  const file = path.join(ARTIFACTS, 'fanin.Dockerfile');
  fs.writeFileSync(file, text);
  await openExplorer(page, base);
  await page.setInputFiles('#file-input', file);
  await page.waitForSelector('#graph g.node.stage[data-stage="1000"]', { timeout: 30000 });
  assert.ok(await page.locator('#graph g.edge-copy g.line').count() > 500, 'long COPY edges are drawn in pieces');
  await page.click('.cm-content');
  await page.keyboard.press('Control+End');
  await page.waitForSelector('#graph g.node.stage.selected[data-stage="1000"]');
  // (The graph scrolls once the cursor rests, 150 ms after the last move.)
  await page.waitForFunction(() => document.getElementById('graph').scrollLeft > 10000, null, { timeout: 10000 }).catch(() => {});
  const scrolled = await page.evaluate(() => document.getElementById('graph').scrollLeft);
  assert.ok(scrolled > 10000, `the graph is scrolled to the last stage (${scrolled})`);
  await page.evaluate(() => { window.__before = document.querySelector('#graph svg'); });
  const t0 = Date.now();
  // A line above every stage: every node's offsets change, so the drawing does.
  await page.evaluate(() => window.stagecraftExplorer.edit(0, 0, '#x\n'));
  await page.waitForFunction(() => document.querySelector('#graph svg') !== window.__before, null, { timeout: 120000, polling: 50 });
  const swapped = Date.now() - t0;
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))));
  log(`1,000-stage fan-in, scrolled to the last stage: the edit's drawing in place after ${swapped} ms, ` +
    `painted after ${Date.now() - t0} ms (stop 35: 4.9 s; the analysis waits for a pause in typing first)`);
  await page.waitForSelector('#graph g.node.stage.selected[data-stage="1000"]');
});

scenario('hundreds of problems: the list draws 200 and a button for the rest; long words are cut', async ({ page, base }) => {
  // Each stage's name is in upper case (StageNameCasing), and all but the last are unused; the
  // last line is a 4,000-character word, an unknown instruction quoted in its message.
  let text = '';
  for (let i = 0; i < 300; i++) text += `FROM alpine AS S${i}\n`;
  text += `${'Q'.repeat(4000)}\n`;
  await openExplorer(page, base);
  await page.setInputFiles('#file-input', { name: 'many.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await page.waitForSelector('#problems .more');
  const total = Number((await page.textContent('#problem-count')).replace(/\D/g, ''));
  assert.ok(total > 500, `problems: ${total}`);
  assert.equal(await page.locator('#problems li.problem').count(), 200);
  assert.equal(await page.textContent('#problems .more'), `Show ${total - 200} more problems`);
  await page.click('#problems .more');
  assert.equal(await page.locator('#problems li.problem').count(), total);
  // Focus goes to the first row the button added, not back to the top of the page.
  assert.equal(await page.evaluate(() => document.activeElement?.closest('li')?.previousElementSibling != null), true);
  // A keystroke keeps the whole list (it is this file's, until another is opened).
  await page.evaluate(() => window.stagecraftExplorer.edit(0, 0, '# x\n'));
  await page.waitForFunction(() => document.querySelector('#problems li.problem .loc')?.textContent === 'line 2:16');
  assert.equal(await page.locator('#problems .more').count(), 0);
  assert.ok(await page.locator('#problems li.problem').count() > 200);
  const long = (await page.$$eval('#problems li.problem .msg', (ms) => ms.map((m) => m.textContent))).find((m) => m.includes('QQQ'));
  assert.ok(long && long.includes('…') && long.length < 400, `the long word's message: ${long?.length} characters`);
});

scenario('input nested 2,000 levels deep is a diagnostic, and the page keeps working', async ({ page, base }) => {
  // `${A:-${A:-...}}` 2,000 deep used to overflow the module's stack: every later call trapped.
  const text = `FROM alpine AS a\nARG B=${'${A:-'.repeat(2000)}x${'}'.repeat(2000)}\nFROM a\n`;
  const file = path.join(ARTIFACTS, 'deep.Dockerfile');
  fs.writeFileSync(file, text);
  await openExplorer(page, base);
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(() => /nested more than 100 levels deep/.test(document.getElementById('problems').textContent));
  assert.match(await page.textContent('#summary'), /2 stages/);
  const after = await analyzeInPage(page, 'FROM alpine AS x\nFROM x\n');
  assert.equal(after.stages.length, 2, 'the module still answers');
});

/** WCAG contrast ratio of two computed CSS colours (`rgb(...)`/`rgba(...)`, opaque enough). */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

scenario('dark mode follows the system: page, editor and graph are dark and readable, and switch back', async ({ page, base }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openExplorer(page, base);
  await shot(page, 'explorer-dark');
  const colors = () => page.evaluate(() => {
    const css = (el, p) => (el ? getComputedStyle(el)[p] : null);
    const q = (s) => document.querySelector(s);
    const keyword = [...document.querySelectorAll('.cm-line span')].find((s) => s.textContent === 'FROM');
    const node = q('#graph g.node.stage:not(.target):not(.dimmed)');
    return {
      body: css(document.body, 'backgroundColor'), text: css(document.body, 'color'),
      panel: css(q('.problems-pane'), 'backgroundColor'), muted: css(q('.problem .code'), 'color'),
      message: css(q('.problem .msg'), 'color'), select: css(q('#target'), 'backgroundColor'), selectText: css(q('#target'), 'color'),
      editorText: css(q('.cm-content'), 'color'), keyword: css(keyword, 'color'),
      graph: css(q('#graph svg.stagecraft-graph'), 'backgroundColor'),
      nodeFill: css(node?.querySelector('rect'), 'fill'), nodeText: css(node?.querySelector('text'), 'fill'),
      copyEdge: css(q('#graph g.edge-copy .line'), 'stroke'),
    };
  });
  const dark = await colors();
  const isDark = (c) => contrast(c, 'rgb(0, 0, 0)') < 2;
  for (const k of ['body', 'panel', 'select', 'graph', 'nodeFill']) assert.ok(isDark(dark[k]), `${k} is dark: ${dark[k]}`);
  for (const [fg, bg] of [['text', 'body'], ['message', 'panel'], ['muted', 'panel'], ['selectText', 'select'], ['editorText', 'panel'], ['keyword', 'panel'], ['nodeText', 'nodeFill']]) {
    assert.ok(contrast(dark[fg], dark[bg]) >= 4.5, `${fg} ${dark[fg]} on ${bg} ${dark[bg]}: contrast ${contrast(dark[fg], dark[bg]).toFixed(2)} < 4.5`);
  }
  // Copy edges keep their own colour, one that shows on the dark graph.
  assert.ok(contrast(dark.copyEdge, dark.graph) >= 3, `copy edge ${dark.copyEdge} on ${dark.graph}`);
  // The system switches to light: so do the page, the editor's highlighting and the graph.
  await page.emulateMedia({ colorScheme: 'light' });
  // (The media query's change event comes with the next rendering step.)
  await page.waitForFunction((c) => {
    const keyword = [...document.querySelectorAll('.cm-line span')].find((s) => s.textContent === 'FROM');
    return keyword && getComputedStyle(keyword).color !== c;
  }, dark.keyword).catch(() => {});
  const light = await colors();
  for (const k of ['body', 'panel', 'graph', 'nodeFill']) assert.ok(!isDark(light[k]), `${k} is light again: ${light[k]}`);
  assert.notEqual(light.keyword, dark.keyword, `keywords take the light highlighting: ${JSON.stringify([dark, light])}`);
  assert.ok(contrast(light.keyword, light.panel) >= 4.5, `light keyword ${light.keyword}`);
  // The SVG itself stays self-contained and light (a download looks the same anywhere).
  assert.match(await page.locator('#graph svg style').textContent(), /\.stagecraft-graph\{[^}]*background:#fff/);
});

scenario('docs page: the embed follows the page\'s colour scheme, light unless the page says dark', async ({ page, base }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${base}/docs/`);
  await page.evaluate(() => window.stagecraftEmbed.ready);
  const colors = () => page.evaluate(() => {
    const embed = document.querySelector('.stagecraft-embed');
    const css = (el, p) => getComputedStyle(el)[p];
    const node = embed.querySelector('g.node.stage:not(.target):not(.dimmed)');
    return {
      figure: css(embed.querySelector('.stagecraft-embed__figure'), 'backgroundColor'),
      caption: css(embed.querySelector('.stagecraft-embed__caption'), 'color'),
      graph: css(embed.querySelector('svg.stagecraft-graph'), 'backgroundColor'),
      nodeFill: css(node.querySelector('rect'), 'fill'), nodeText: css(node.querySelector('text'), 'fill'),
      edge: css(embed.querySelector('g.edge-from .line'), 'stroke'),
    };
  });
  // The theme's rules are on the page (the light values are the SVG's own, so they show nothing).
  assert.ok(await page.evaluate(() => [...document.styleSheets].some((s) => {
    try { return [...s.cssRules].some((r) => r.cssText.includes('.stagecraft-graph.stagecraft-graph') && r.cssText.includes('light-dark')); } catch { return false; }
  })), 'graph-theme.css is in the embed\'s style sheet');
  // The sample page says `color-scheme: light`: a dark system changes nothing.
  const light = await colors();
  assert.equal(light.graph, 'rgb(255, 255, 255)');
  assert.equal(light.nodeFill, 'rgb(255, 255, 255)');
  assert.equal(light.edge, 'rgb(87, 96, 106)', 'the SVG\'s own colours');
  // A page whose theme is dark says so: the graph, its card and its caption turn dark.
  await page.addStyleTag({ content: ':root { color-scheme: dark; } body { background: #0d1117; color: #e6edf3; }' });
  const dark = await colors();
  const isDark = (c) => contrast(c, 'rgb(0, 0, 0)') < 2;
  for (const k of ['figure', 'graph', 'nodeFill']) assert.ok(isDark(dark[k]), `${k} is dark: ${dark[k]}`);
  assert.ok(contrast(dark.nodeText, dark.nodeFill) >= 4.5, JSON.stringify(dark));
  assert.ok(contrast(dark.caption, dark.figure) >= 4.5, JSON.stringify(dark));
  assert.ok(contrast(dark.edge, dark.graph) >= 3, JSON.stringify(dark));
  await shot(page, 'docs-embed-dark', { fullPage: false });
});

// ---------------------------------------------------------------------------------------------
// QA findings (the web QA report): each scenario failed before its fix.

/** `unused` and `dimmed` stage nodes of an SVG text, by data-stage. */
function svgStageClasses(svg) {
  const out = {};
  for (const [tag] of svg.matchAll(/<g class="node stage[^"]*"[^>]*>/g)) {
    out[/data-stage="(\d+)"/.exec(tag)[1]] = /class="([^"]*)"/.exec(tag)[1].split(/\s+/);
  }
  return out;
}
const unusedIn = (svg) => Object.entries(svgStageClasses(svg)).filter(([, c]) => c.includes('unused')).map(([s]) => Number(s)).sort((a, b) => a - b);

scenario('a picked target: the graph, the embed and all three downloads mark unused what that target does not use', async ({ page, base }) => {
  await openExplorer(page, base);
  const a = await analyzeInPage(page, EXAMPLE);
  for (const name of ['test', 'build']) {
    const t = a.targets.find((x) => x.name === name);
    const notBuilt = complement(a.stages.length, t.plan.stages);
    await page.selectOption('#target', name);
    const nodes = await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(t.stage), `${name} as the target`);
    // As `stagecraft graph --target NAME`: what the target does not build is unused, never itself.
    assert.deepEqual(withClass(nodes, 'unused'), notBuilt, `unused on screen for --target ${name}`);
    assert.ok(!withClass(nodes, 'unused').includes(t.stage), `${name} is not marked unused`);
    const label = await page.getAttribute(`#graph g.node.stage[data-stage="${t.stage}"]`, 'aria-label');
    assert.doesNotMatch(label, /not built by the default target/, label);
    const files = {};
    for (const kind of ['svg', 'dot', 'mermaid']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-download="${kind}"]`)]);
      files[kind] = fs.readFileSync(await download.path(), 'utf8');
    }
    assert.deepEqual(unusedIn(files.svg), notBuilt, `the SVG download for --target ${name}`);
    // Mermaid: `class n1,n2 unused`; DOT: the unused nodes are dashed.
    const mermaid = (/^ {2}class ((?:n\d+,?)+) unused$/m.exec(files.mermaid)?.[1] ?? '').split(',').filter(Boolean).map((n) => Number(n.slice(1))).sort((x, y) => x - y);
    assert.deepEqual(mermaid, notBuilt, `the Mermaid download for --target ${name}`);
    const dotNodes = files.dot.split('\n').filter((l) => /^\s*n\d+ \[/.test(l));
    const dashed = dotNodes.filter((l) => /dashed/.test(l)).map((l) => Number(/n(\d+)/.exec(l)[1])).sort((x, y) => x - y);
    assert.deepEqual(dashed, notBuilt, `the DOT download for --target ${name}:\n${files.dot}`);
  }
  // The docs embed: picking test marks what test does not use, and not test.
  await page.goto(`${base}/docs/`);
  await page.evaluate(() => window.stagecraftEmbed.ready);
  const first = page.locator('.stagecraft-embed').first();
  const a0 = await analyzeInPage(page, await first.locator('pre code').textContent());
  const test = a0.targets.find((t) => t.name === 'test');
  await first.locator('select').selectOption('test');
  const nodes = await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(test.stage), 'test as target', '.stagecraft-embed >> nth=0');
  assert.deepEqual(withClass(nodes, 'unused'), complement(a0.stages.length, test.plan.stages));
});

scenario('opening a UTF-16 file is refused, a file that is not UTF-8 opens with a warning', async ({ page, base }) => {
  await openExplorer(page, base);
  const body = 'FROM alpine AS a\nRUN echo hi\nFROM a AS b\n';
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')]);
  const be = Buffer.from(le.subarray(2)).swap16();
  for (const [bytes, bom] of [[le, 'FF FE'], [Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'FE FF']]) {
    await page.setInputFiles('#file-input', { name: 'utf16.Dockerfile', mimeType: 'text/plain', buffer: bytes });
    await page.waitForSelector('#file-notice:not([hidden])');
    const notice = await page.textContent('#file-notice');
    assert.match(notice, new RegExp(`utf16\\.Dockerfile was not opened: it is UTF-16 text \\(it starts with the byte-order mark ${bom}\\)`));
    assert.match(notice, /BuildKit reads Dockerfiles as UTF-8/);
    assert.match(notice, /save the file as UTF-8/);
    assert.equal(await editorText(page), EXAMPLE, 'the editor keeps its text');
    assert.equal(await page.textContent('#file-name'), 'multistage.Dockerfile');
  }
  assert.equal(await page.getAttribute('#file-notice', 'role'), 'alert');
  await shot(page, 'explorer-utf16-refused');
  // Latin-1: é is the byte 0xE9, on line 2. It opens, with U+FFFD, and a warning naming the line.
  await page.setInputFiles('#file-input', { name: 'latin1.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from([...Buffer.from('FROM alpine\n# caf'), 0xe9, ...Buffer.from('\nRUN echo \xe9\n', 'latin1')]) });
  await page.waitForFunction(() => document.getElementById('file-name').textContent === 'latin1.Dockerfile');
  assert.equal(await editorText(page), 'FROM alpine\n# caf\uFFFD\nRUN echo \uFFFD\n');
  await page.waitForSelector('#file-notice.warning:not([hidden])');
  const warning = await page.textContent('#file-notice');
  assert.match(warning, /latin1\.Dockerfile is not valid UTF-8: line 2 has the byte 0xE9/);
  // As the root README has it: BuildKit builds such a file (it reads bytes), stagecraft reads
  // each such byte as U+FFFD.
  assert.match(warning, /BuildKit passes bytes that are not UTF-8 through; stagecraft reads each as U\+FFFD/);
  assert.doesNotMatch(warning, /BuildKit reads Dockerfiles as UTF-8/);
  await shot(page, 'explorer-not-utf8');
  // One U+FFFD a byte, as the command line reads them: E9 A9 (a cut three-byte character) is
  // two, where TextDecoder makes one; a byte-order mark is dropped at the start only.
  await page.setInputFiles('#file-input', { name: 'cut.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('FROM alpine\n#'), 0xe9, 0xa9, ...Buffer.from(' A \ufeff'), 0xff, 0x0a]) });
  await page.waitForFunction(() => document.getElementById('file-name').textContent === 'cut.Dockerfile');
  assert.equal(await editorText(page), 'FROM alpine\n#\uFFFD\uFFFD A \ufeff\uFFFD\n');
  // A UTF-8 file (with a byte-order mark, as BuildKit reads it) clears the notice; so does Dismiss.
  await page.setInputFiles('#file-input', { name: 'ok.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from('\ufeffFROM alpine AS é\n') });
  await page.waitForSelector('#file-notice', { state: 'hidden' });
  assert.equal(await editorText(page), 'FROM alpine AS é\n');
  await page.setInputFiles('#file-input', { name: 'utf16.Dockerfile', mimeType: 'text/plain', buffer: le });
  await page.waitForSelector('#file-notice:not([hidden])');
  await page.click('#file-notice-close');
  await page.waitForSelector('#file-notice', { state: 'hidden' });
});

scenario('the picked target comes back when its stage\'s name is typed back', async ({ page, base }) => {
  await openExplorer(page, base);
  await page.selectOption('#target', 'docs');
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.docs), 'docs as the target');
  // Delete the last letter of `AS docs`, then type it back.
  const end = EXAMPLE.indexOf('AS docs') + 'AS docs'.length;
  await page.click('.cm-content');
  await page.evaluate((end) => window.stagecraftExplorer.edit(end - 1, end, ''), end);
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.release), 'the default target meanwhile');
  // The picker shows the picked target, missing, selected and not to be picked.
  const missing = () => page.$eval('#target', (s) => ({ value: s.value, text: s.selectedOptions[0]?.text, disabled: s.selectedOptions[0]?.disabled }));
  assert.deepEqual(await missing(), { value: ' missing', text: 'docs (not in the file)', disabled: true });
  assert.match(await page.textContent('#announce'), /Target docs no longer exists/);
  await page.evaluate((end) => window.stagecraftExplorer.edit(end - 1, end - 1, 's'), end);
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.docs), 'docs as the target again');
  assert.equal(await page.$eval('#target', (s) => s.value), 'docs');
  assert.match(await page.textContent('#plan'), /Building docs/);
  // Typing on from `docs`, a letter at a time, to `docsite`: a name that starts with the picked
  // one is another name, and docs is missing again (the picker says so; the graph shows the
  // default target).
  for (const [i, ch] of [...'ite'].entries()) {
    await page.evaluate(([at, ch]) => window.stagecraftExplorer.edit(at, at, ch), [end + i, ch]);
  }
  await page.waitForFunction(() => /AS docsite/.test(window.stagecraftExplorer.text()));
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.release), 'the default target for docsite');
  assert.deepEqual(await missing(), { value: ' missing', text: 'docs (not in the file)', disabled: true }, 'docsite is another name');
  assert.match(await page.textContent('#plan'), /Building release/);
  // Picking the default target is a change: it forgets docs, which then does not come back.
  await page.selectOption('#target', '');
  assert.equal(await page.$$eval('#target option', (os) => os.filter((o) => o.disabled).length), 0, 'no missing target listed');
  await page.evaluate((end) => window.stagecraftExplorer.edit(end, end + 3, ''), end);
  await page.waitForFunction(() => /AS docs\n/.test(window.stagecraftExplorer.text()));
  await page.waitForTimeout(100);
  assert.equal(await page.$eval('#target', (s) => s.value), '', 'docs was forgotten');
  assert.equal((await stageNodes(page)).find((n) => n.classes.includes('target')).stage, E.release);
  // Picking another target forgets docs too.
  await page.selectOption('#target', 'docs');
  await page.evaluate((end) => window.stagecraftExplorer.edit(end - 1, end, ''), end);
  await page.waitForFunction(() => document.getElementById('target').value === ' missing');
  await page.selectOption('#target', 'test');
  await page.evaluate((end) => window.stagecraftExplorer.edit(end - 1, end - 1, 's'), end);
  await page.waitForTimeout(100);
  assert.equal(await page.$eval('#target', (s) => s.value), 'test');
  // Pasting over the whole text is another file: its default target, and a picked name that one
  // of its stages is later given stays forgotten.
  await page.selectOption('#target', 'docs');
  await waitForGraph(page, (ns) => withClass(ns, 'target').join() === String(E.docs), 'docs as the target');
  await pasteOverAll(page, 'FROM alpine AS one\nFROM one AS two\n');
  await page.waitForFunction(() => window.stagecraftExplorer.text() === 'FROM alpine AS one\nFROM one AS two\n');
  await page.waitForFunction(() => document.getElementById('target').value === '');
  assert.equal(await page.$$eval('#target option', (os) => os.filter((o) => o.disabled).length), 0, 'docs is not shown as missing');
  await page.evaluate(() => window.stagecraftExplorer.edit(0, 0, 'FROM alpine AS docs\n'));
  await waitForGraph(page, (ns) => ns.length === 3, 'three stages');
  await page.waitForTimeout(100);
  assert.equal(await page.$eval('#target', (s) => s.value), '', 'docs, typed in the pasted file, is not picked');
  assert.doesNotMatch(await page.textContent('#announce'), /Target docs is back/);
});

scenario('a problem clicked right after an edit that changes its message is still found', async ({ page, base }) => {
  await openExplorer(page, base);
  // The default target has no name: the messages say its line, which an edit above changes.
  const text = 'FROM alpine AS base\nFROM base AS s1\nRUN echo 1\nFROM base AS s2\nRUN echo 2\nFROM base\n';
  await openText(page, 'lines.Dockerfile', text);
  await page.waitForFunction(() => /`s2`/.test(document.getElementById('problems').textContent));
  const a = await analyzeInPage(page, text);
  const s2 = a.diagnostics.find((d) => d.code === 'unused-stage' && d.message.includes('`s2`'));
  assert.match(s2.message, /on line 6/, 'the message names a line');
  const clickIn = (loc, part) => [...document.querySelectorAll('#problems li.problem')]
    .find((li) => li.querySelector('.loc').textContent === loc).querySelector(part).click();
  // An edit above and, in the same task (before any analysis can run), the click.
  await page.evaluate(([loc, clickIn]) => {
    window.stagecraftExplorer.edit(0, 0, '# a\n');
    eval(clickIn)(loc, '.loc');
  }, [`line ${s2.line}:${s2.column}`, clickIn.toString()]);
  const sel = await editorSelection(page);
  assert.deepEqual([sel.from, sel.to, sel.line], [s2.from + 4, s2.to + 4, s2.line + 1], 'the problem where it is now');
  assert.doesNotMatch(await page.textContent('#announce'), /no longer in the text/);
  // Its fix too.
  await page.evaluate(([loc, clickIn]) => {
    window.stagecraftExplorer.edit(0, 0, '# b\n');
    eval(clickIn)(loc, '.fix');
  }, [`line ${s2.line + 1}:${s2.column}`, clickIn.toString()]);
  const fixed = await editorText(page);
  assert.ok(fixed.startsWith('# b\n# a\n'), 'the edits stay');
  assert.doesNotMatch(fixed, /AS s2/, 'the stage s2 is removed');
  assert.match(fixed, /AS s1/, 'and s1 stays');
  assert.doesNotMatch(await page.textContent('#announce'), /no longer in the text/);
});

scenario('open build options leave the editor most of its pane at 1400x900', async ({ page, base }) => {
  await openExplorer(page, base);
  const closed = await page.locator('#editor').boundingBox();
  await page.click('#build-options summary');
  await page.fill('#build-args', 'FOO\nBAR\nA B=c\n=x');
  await page.fill('#platform', 'bogus');
  await page.waitForFunction(() => document.getElementById('platform-error').textContent !== '');
  const editor = await page.locator('#editor').boundingBox();
  const pane = await page.locator('.editor-pane').boundingBox();
  const lines = editor.height / await page.$eval('.cm-line', (l) => l.getBoundingClientRect().height);
  // (It had 160 px, 8 lines, with these errors: QA report, finding 6.)
  assert.ok(lines >= 13.5, `the editor shows ${lines.toFixed(1)} lines (${editor.height}px; ${closed.height}px closed)`);
  assert.ok(editor.height >= (pane.height - 2) * 0.5 - 1, `the editor keeps half its pane: ${editor.height} of ${pane.height}px`);
  // The pane's head stays in view (the pane does not scroll); the options scroll in their room.
  assert.equal(await page.$eval('.editor-pane', (p) => p.scrollTop), 0);
  assert.equal(await page.$eval('.editor-pane', (p) => p.scrollHeight - p.clientHeight), 0, 'the pane does not overflow');
  const opts = page.locator('#build-options');
  const box = await opts.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height - 4);
  await page.mouse.wheel(0, 2000);
  await page.waitForFunction(() => document.getElementById('build-options').scrollTop > 0, null, { timeout: 3000 });
  // (Waited for, not read once: on a busy machine the scroll may still be under way.)
  const inView = await page.waitForFunction(() => {
    const o = document.getElementById('build-options').getBoundingClientRect();
    const e = document.getElementById('platform-error').getBoundingClientRect();
    return e.bottom <= o.bottom + 1;
  }, null, { timeout: 3000 }).then(() => true, () => false);
  assert.ok(inView, 'the platform error scrolls into view');
  const optsBox = await opts.boundingBox();
  // The summary stays in view as the options scroll, and closes them.
  const summary = await page.locator('#build-options summary').boundingBox();
  assert.ok(summary.y >= optsBox.y - 1, 'the summary stays in view');
  await shot(page, 'explorer-build-options-open');
  await page.click('#build-options summary');
  assert.equal(await page.$eval('#build-options', (d) => d.open), false);
});

/** Effective colours of a stage or image node's label and box, with opacities composited over
 * the graph's background, and their contrast. */
function labelContrast(page, selector) {
  return page.$eval(selector, (g) => {
    const parse = (c) => c.match(/[\d.]+/g).map(Number);
    const svg = g.closest('svg');
    const bg = parse(getComputedStyle(svg).backgroundColor).slice(0, 3);
    let opacity = 1;
    for (let el = g; el && el !== svg; el = el.parentElement) opacity *= Number(getComputedStyle(el).opacity);
    const over = (fg, alpha, under) => fg.slice(0, 3).map((v, i) => v * alpha + under[i] * (1 - alpha));
    const rect = g.querySelector('rect');
    const rs = getComputedStyle(rect);
    const box = over(over(parse(rs.fill), Number(rs.fillOpacity), bg), opacity, bg);
    const text = g.querySelector('text');
    const ts = getComputedStyle(text);
    // The group is drawn (the label over its box), then faded over the background as a whole.
    const label = over(over(parse(ts.fill), Number(ts.fillOpacity), over(parse(rs.fill), Number(rs.fillOpacity), bg)), opacity, bg);
    const normal = svg.querySelector('g.node.stage.in-plan:not(.target) rect');
    return {
      box: `rgb(${box.join(',')})`, label: `rgb(${label.join(',')})`, stroke: rs.stroke, strokeOpacity: Number(rs.strokeOpacity) * opacity,
      normalStrokeOpacity: normal ? Number(getComputedStyle(normal).strokeOpacity) : 1,
    };
  });
}

scenario('dimmed stage and image labels are readable (4.5:1) in light and dark, and still look dimmed', async ({ page, base }) => {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await openExplorer(page, base);
    // Default target release: test is legacy-only, node:22-alpine (docs's base) a dimmed image.
    for (const sel of [`#graph g.node.stage.legacy-only[data-stage="${E.test}"]`, '#graph g.node.image.dimmed[data-image="node:22-alpine"]']) {
      const c = await labelContrast(page, sel);
      const ratio = contrast(c.label, c.box);
      assert.ok(ratio >= 4.5, `${scheme}: ${sel}: label ${c.label} on ${c.box}: ${ratio.toFixed(2)}:1`);
      assert.ok(c.strokeOpacity < c.normalStrokeOpacity, `${scheme}: ${sel}: the box is dimmed: ${JSON.stringify(c)}`);
    }
    await shot(page, `explorer-dimmed-${scheme}`);
  }
  // The docs embed too (the sample page is light).
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${base}/docs/`);
  await page.evaluate(() => window.stagecraftEmbed.ready);
  const c = await labelContrast(page, '.stagecraft-embed g.node.stage.legacy-only');
  assert.ok(contrast(c.label, c.box) >= 4.5, `embed: ${JSON.stringify(c)}`);
});

scenario('the stage at the cursor has its own look, named in a key', async ({ page, base }) => {
  const distance = (a, b) => {
    const [x, y] = [a, b].map((c) => c.match(/[\d.]+/g).slice(0, 3).map(Number));
    return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
  };
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await openExplorer(page, base);
    // The cursor in test (a legacy-only stage), beside docs (legacy-only too).
    await page.click('.cm-line:has-text("go test ./...")');
    await page.waitForSelector(`#graph g.node.stage.selected[data-stage="${E.test}"]`);
    const look = (sel) => page.$eval(sel, (r) => {
      const s = getComputedStyle(r);
      return { stroke: s.stroke, dash: s.strokeDasharray, filter: s.filter };
    });
    const selected = await look(`#graph g.node.stage[data-stage="${E.test}"] > rect`);
    const legacy = await look(`#graph g.node.stage[data-stage="${E.docs}"] > rect`);
    assert.equal(selected.dash, 'none', 'a solid border');
    assert.notEqual(selected.filter, 'none', 'with a halo');
    assert.ok(distance(selected.stroke, legacy.stroke) > 120, `${scheme}: the cursor's border ${selected.stroke} is far from the legacy builder's ${legacy.stroke}`);
    // The key says what the mark is, in the mark's colour.
    assert.match(await page.textContent('#graph-key'), /stage at the cursor/);
    const key = await page.$eval('#graph-key .key-selected', (k) => getComputedStyle(k).borderTopColor);
    assert.equal(key, selected.stroke);
    await shot(page, `explorer-cursor-mark-${scheme}`);
  }
});

/**
 * The colour of the first word of each line of the editor (it draws every line of a short text),
 * once the text is `text`: an instruction's keyword, or a heredoc body's text.
 */
async function lineColours(page, text) {
  await page.waitForFunction((t) => window.stagecraftExplorer.text() === t, text);
  await page.waitForTimeout(100); // (the highlighter runs after the text is in)
  return page.$$eval('.cm-line', (lines) => lines.map((l) => {
    const first = [...l.querySelectorAll('span')].find((s) => s.textContent.trim() !== '' && l.textContent.trimStart().startsWith(s.textContent.trim()));
    return first ? getComputedStyle(first).color : getComputedStyle(l).color;
  }));
}

scenario('heredoc bodies are coloured as text up to their terminator', async ({ page, base }) => {
  await openExplorer(page, base);
  const text = [
    'FROM alpine AS gen', // 1
    'COPY <<EOF /Dockerfile.inner', // 2
    'FROM busybox AS inner', // 3
    'RUN echo hi', // 4
    'EOF', // 5
    'RUN <<-"EOT" bash', // 6
    '\tFROM=1', // 7
    '', // 8
    'EOF', // 9 (not the terminator)
    '\tEOT', // 10
    'COPY <<A <<\'B\' /x/', // 11
    'RUN a', // 12
    'A', // 13
    'ENV b', // 14
    'B', // 15
    'FROM gen AS after', // 16
  ].join('\n') + '\n';
  await page.evaluate((t) => window.stagecraftExplorer.edit(0, window.stagecraftExplorer.text().length, t), text);
  await waitForGraph(page, (ns) => ns.length === 2, 'two stages');
  const colours = await lineColours(page, text);
  const keyword = colours[0];
  const kw = (line) => colours[line - 1] === keyword;
  for (const line of [1, 2, 6, 11, 16]) assert.ok(kw(line), `line ${line} starts with an instruction: ${colours}`);
  const string = colours[2];
  assert.notEqual(string, keyword);
  // Bodies and their terminators (5, 10, 13, 15) are text.
  for (const line of [3, 4, 5, 7, 9, 10, 12, 13, 14, 15]) assert.equal(colours[line - 1], string, `line ${line} is coloured as text: ${colours}`);
  await shot(page, 'explorer-heredoc');

  // Where BuildKit takes a heredoc and where it does not, each checked against the module's
  // analyze() (the FROM lines it finds are the stages it lists): a whole shell word `<<NAME` of a
  // RUN, COPY or ADD (or an ONBUILD one) in shell form, after the continuation lines (comments
  // and blank lines between them skipped) joined at the file's escape character.
  const cases = {
    'quoted <<EOF is text': [['FROM alpine AS a', 'RUN echo "use <<EOF here"', 'FROM a AS b', 'RUN echo hi', 'COPY x y'], []],
    'cat<<EOF is one word': [['FROM alpine AS a', 'RUN cat<<EOF', 'FROM a AS b', 'RUN echo hi'], []],
    'ONBUILD RUN': [['FROM alpine AS a', 'ONBUILD RUN <<EOF', 'FROM scratch', 'EOF', 'FROM a AS b'], [3, 4]],
    'ONBUILD COPY': [['FROM alpine AS a', 'ONBUILD COPY <<EOF /x', 'FROM scratch AS z', 'EOF', 'FROM a AS b'], [3, 4]],
    'a backquote ends no line in a backslash file': [['FROM alpine AS a', 'RUN cat <<EOF > /x && echo `date`', 'hello', 'EOF', 'FROM a AS b'], [3, 4]],
    'a comment inside a continuation': [['FROM alpine AS a', 'RUN echo 1 \\', '# x <<EOF', '  && echo 2', 'FROM a AS b', 'RUN echo hi', 'EOF', 'FROM b AS c'], []],
    'a blank line inside a continuation': [['FROM alpine AS a', 'RUN echo \\', '   ', 'cat <<EOF', 'FROM x AS in', 'EOF', 'FROM a AS b'], [5, 6]],
    'the escape directive': [['# escape=`', 'FROM alpine AS a', 'RUN echo `', '<<EOF', 'FROM x AS in', 'EOF', 'RUN echo C:\\', 'FROM a AS b'], [5, 6]],
    'a here-string': [['FROM alpine AS a', 'RUN cat <<<"$X"', 'FROM a AS b'], []],
    'exec form': [['FROM alpine AS a', 'RUN ["cat", "<<EOF"]', 'FROM x AS in', 'EOF', 'FROM a AS b'], []],
    'a file descriptor, flags and a blank after <<': [['FROM alpine AS a', 'RUN --mount=type=cache,target=/c cat 3<< EOF', 'FROM x AS in', 'EOF', 'FROM a AS b'], [3, 4]],
    'unterminated': [['FROM alpine AS a', 'RUN <<EOF', 'echo hi', 'FROM a AS b', 'RUN x'], [3, 4, 5]],
  };
  for (const [name, [lines, bodies]] of Object.entries(cases)) {
    const t = lines.join('\n') + '\n';
    await page.evaluate((t) => window.stagecraftExplorer.edit(0, window.stagecraftExplorer.text().length, t), t);
    const c = await lineColours(page, t);
    const a = await analyzeInPage(page, t);
    const fromLines = lines.flatMap((l, i) => (/^FROM /.test(l) && c[i] === keyword ? [i + 1] : []));
    assert.deepEqual(fromLines, a.stages.map((st) => st.line), `${name}: the FROM lines coloured as instructions are the module's stages: ${c}`);
    for (const line of bodies) assert.equal(c[line - 1], string, `${name}: line ${line} is heredoc text: ${c}`);
    lines.forEach((l, i) => {
      if (!bodies.includes(i + 1) && /^(FROM|RUN|COPY|ONBUILD) /.test(l)) assert.equal(c[i], keyword, `${name}: line ${i + 1} is an instruction: ${c}`);
    });
  }

  // A file with CRLF and one lone CR is edited as it is (lines end at \n): the terminator is
  // `EOF` with its `\r`, as BuildKit reads it.
  const crlf = 'FROM alpine AS a\r\nRUN <<EOF\r\necho hi\r\nEOF\r\nFROM a AS b\r\nRUN echo a\rb\r\n';
  await page.setInputFiles('#file-input', { name: 'crlf.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from(crlf) });
  const c = await lineColours(page, crlf);
  const a = await analyzeInPage(page, crlf);
  assert.deepEqual(a.stages.map((st) => st.line), [1, 5]);
  assert.deepEqual([c[0], c[1], c[4], c[5]], [keyword, keyword, keyword, keyword], `CRLF: instructions: ${c}`);
  assert.deepEqual([c[2], c[3]], [string, string], `CRLF: the body and its terminator: ${c}`);
});

scenario('renaming a stage to its own name changes nothing and says so', async ({ page, base }) => {
  await openExplorer(page, base);
  await page.selectOption('#rename-stage', String(E.build));
  await page.fill('#rename-to', 'build');
  await page.click('#rename-submit');
  await page.waitForFunction(() => document.getElementById('rename-error').textContent !== '');
  assert.equal(await page.textContent('#rename-error'), 'build is already called build: nothing was changed.');
  assert.doesNotMatch(await page.textContent('#announce'), /Renamed/);
  assert.equal(await editorText(page), EXAMPLE);
});

scenario('the rename form says when the browser build cannot vouch for a name docker build may refuse', async ({ page, base }) => {
  await openExplorer(page, base);
  await page.selectOption('#rename-stage', String(E.build));
  assert.equal(await page.isVisible('#rename-hint'), false, 'no hint at first');
  for (const name of ['build-', 'a..b', 'x_-y', 'a___b', 'a.-b', 'a'.repeat(248)]) {
    await page.fill('#rename-to', name);
    await page.waitForSelector('#rename-hint:not([hidden])');
    assert.match(await page.textContent('#rename-hint'), /does not check that docker build accepts this name \(separators only between letters or digits: one "\.", one or two "_", or dashes; at most 247 characters\); stagecraft rename does/);
  }
  // (An image reference's separators: `a--b` and `a__b` are names docker build and stagecraft
  // rename take.)
  for (const name of ['compile', 'a.b-c_d', 'a--b', 'a__b', 'a-----b', 'a'.repeat(247)]) {
    await page.fill('#rename-to', name);
    await page.waitForSelector('#rename-hint', { state: 'hidden' });
  }
  assert.match(await page.getAttribute('#rename-to', 'aria-describedby'), /rename-hint/);
  // A rename to such a name is made (BuildKit's parser takes it); the hint stays with it.
  await page.fill('#rename-to', 'build-');
  await page.click('#rename-submit');
  await page.waitForFunction(() => /AS build-/.test(window.stagecraftExplorer.text()));
  assert.equal(await page.isVisible('#rename-hint'), true);
});

scenario('a fix whose title changed since it was shown is refused, and says what it is now', async ({ page, base }) => {
  await openExplorer(page, base);
  const text = 'FROM alpine AS build\nRUN echo\nFROM alpine AS out\nCOPY --from=buidl /a /a\n';
  await openText(page, 'fix.Dockerfile', text);
  await page.waitForFunction(() => [...document.querySelectorAll('#problems .fix')].some((b) => /Use stage `build`/.test(b.textContent)));
  // In one task: the stage renamed to buidle (the fix would now use it), and the shown fix clicked.
  const clicked = await page.evaluate(() => {
    const t = window.stagecraftExplorer.text();
    const at = t.indexOf('AS build') + 3;
    window.stagecraftExplorer.edit(at, at + 5, 'buidle');
    const button = [...document.querySelectorAll('#problems .fix')].find((b) => /Use stage `build`/.test(b.textContent));
    button.click();
    return button.textContent;
  });
  assert.match(clicked, /Use stage `build`/);
  assert.match(await editorText(page), /COPY --from=buidl \//, 'nothing was changed');
  assert.match(await page.textContent('#announce'), /That fix has changed: it is now "Use stage `buidle`"/);
  // The list shows the fix as it is now; that one applies, and says its own title.
  await page.click('#problems .fix:has-text("Use stage `buidle`")');
  await page.waitForFunction(() => /COPY --from=buidle \//.test(window.stagecraftExplorer.text()));
  assert.match(await page.textContent('#announce'), /Applied: Use stage `buidle`\./);
});

scenario('docs page on a phone: a graph wider than its box shows that it scrolls sideways', async ({ page, base }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`${base}/docs/`);
  await page.evaluate(() => window.stagecraftEmbed.ready);
  const host = page.locator('.stagecraft-embed__graph').first();
  const wide = await host.evaluate((h) => h.scrollWidth - h.clientWidth);
  assert.ok(wide > 0, 'the first graph is wider than its box');
  assert.equal(await host.getAttribute('data-overflow'), 'right');
  assert.notEqual(await host.evaluate((h) => getComputedStyle(h).maskImage), 'none', 'its cut edge fades');
  const hint = page.locator('.stagecraft-embed__scroll-hint').first();
  assert.ok(await hint.isVisible(), 'a line says it scrolls');
  assert.match(await hint.textContent(), /scroll it sideways/);
  await shot(page, 'docs-phone-scroll', { fullPage: false });
  await host.evaluate((h) => { h.scrollLeft = h.scrollWidth; });
  await page.waitForFunction(() => document.querySelector('.stagecraft-embed__graph').dataset.overflow === 'left');
  // On a wide screen the same graph fits: no hint, no fade.
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.waitForFunction(() => !document.querySelector('.stagecraft-embed__graph').dataset.overflow);
  assert.equal(await hint.isVisible(), false);
});

scenario('500 stages: time from text to SVG', async ({ page, base, log }) => {
  const file = path.join(ARTIFACTS, 'big.Dockerfile');
  execFileSync('python3', [GEN_BIG, '--stages', '500', '-o', file], { stdio: 'ignore' });
  const text = fs.readFileSync(file, 'utf8');
  await openExplorer(page, base);
  await page.setInputFiles('#file-input', file);
  await waitForGraph(page, (ns) => ns.length === 501, '501 stages');
  assert.match(await page.textContent('#summary'), /501 stages/);
  assert.equal(await editorText(page), text);
  // The cursor in stage0 brings its node into view in the scrolled graph.
  await page.evaluate(() => document.querySelector('.cm-scroller').scrollTo(0, 0));
  await page.click('.cm-line:has-text("AS stage0")');
  await page.waitForSelector('#graph g.node.stage.selected[data-stage="0"]');
  // (Once the cursor rests: the graph scrolls 150 ms after the last move.)
  const visible = await page.waitForFunction(() => {
    const g = document.querySelector('#graph g.node.stage.selected').getBoundingClientRect();
    const box = document.getElementById('graph').getBoundingClientRect();
    return g.left >= box.left && g.right <= box.right && g.top >= box.top && g.bottom <= box.bottom;
  }, null, { timeout: 5000 }).then(() => true, () => false);
  assert.ok(visible, 'the selected node is scrolled into view');
  const m = await page.evaluate(async (t) => {
    const sc = await import('/pkg/stagecraft_wasm.js');
    const runs = [];
    let svgBytes = 0;
    for (let i = 0; i < 12; i++) {
      const t0 = performance.now();
      sc.analyze(t);
      const svg = sc.renderSvg(t);
      runs.push(performance.now() - t0);
      svgBytes = svg.length;
    }
    const warm = runs.slice(2).sort((a, b) => a - b);
    // Putting that SVG into the page and laying it out, for comparison.
    const host = document.createElement('div');
    document.body.append(host);
    const t0 = performance.now();
    host.innerHTML = sc.renderSvg(t);
    host.getBoundingClientRect();
    const dom = performance.now() - t0;
    host.remove();
    return { first: runs[0], median: warm[Math.floor(warm.length / 2)], min: warm[0], max: warm[warm.length - 1], svgBytes, dom };
  }, text);
  const lines = text.split('\n').length - 1;
  log(`500 stages (${lines} lines, ${(text.length / 1024).toFixed(0)} KiB) with the wasm module: ` +
    `analyze + renderSvg median ${m.median.toFixed(1)} ms (min ${m.min.toFixed(1)}, max ${m.max.toFixed(1)}, first ${m.first.toFixed(1)}; 10 warm runs; target ≤ 50 ms); ` +
    `SVG ${(m.svgBytes / 1024).toFixed(0)} KiB, into the DOM + layout ${m.dom.toFixed(1)} ms; page shows "${await page.textContent('#timing')}"`);
  await shot(page, 'explorer-500-stages');
});

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = process.argv.slice(2);
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    console.error('web/dist is missing: run web/build.sh first');
    process.exit(2);
  }
  if (args[0] === '--serve') {
    const server = await serve(Number(args[1] ?? 8765));
    console.log(`serving web/dist on http://127.0.0.1:${server.address().port}/ (Ctrl+C stops)`);
    return;
  }
  if (!fs.existsSync(path.join(DIST, 'pkg', 'stagecraft_wasm.js'))) {
    console.error('web/dist/pkg has no stagecraft_wasm.js: build the wasm (web/build.sh)');
    process.exit(2);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) if (f.startsWith('FAILED-')) fs.rmSync(path.join(ARTIFACTS, f));
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagecraft-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, acceptDownloads: true,
    viewport: { width: 1400, height: 900 },
  });
  console.log(`web tests: wasm module from web/dist/pkg, Chromium ${context.browser()?.version() ?? ''} ${CHROMIUM}`);

  const only = process.env.ONLY;
  const results = [];
  const notes = [];
  for (const s of scenarios) {
    if (only && !s.name.includes(only)) continue;
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    const t0 = Date.now();
    let error = null;
    try {
      await s.fn({ page, base, log: (line) => notes.push(line) });
      if (!s.allowConsoleErrors && errors.length) throw new Error(`errors in the browser console:\n    ${errors.join('\n    ')}`);
    } catch (e) {
      error = e;
      await page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${s.name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
    }
    await page.close();
    results.push({ name: s.name, ok: !error, ms: Date.now() - t0 });
    console.log(`${error ? 'FAIL' : 'ok  '} ${s.name} (${Date.now() - t0} ms)`);
    if (error) console.log(`     ${String(error.stack || error).split('\n').slice(0, 6).join('\n     ')}`);
  }
  await context.close();
  server.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });

  for (const n of notes) console.log(`\n${n}`);
  const failed = results.filter((r) => !r.ok);
  console.log(`\n${results.length - failed.length}/${results.length} scenarios passed; screenshots in ${path.relative(process.cwd(), ARTIFACTS) || ARTIFACTS}`);
  if (!results.length) console.log('(no scenario matched ONLY)');
  process.exit(failed.length || !results.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
